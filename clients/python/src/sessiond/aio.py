"""The asynchronous twin of ``sessiond.Client``: the same calls and models over httpx's async
client."""

from __future__ import annotations

from types import TracebackType
from typing import Optional, TypeVar

import httpx

from . import _api
from .errors import TransportError
from .models import (
    Activity,
    CreatedSession,
    JsonObject,
    RevocationPage,
    SessionData,
    SessionInfo,
    ValidatedSession,
)
from .tokens import AccessClaims, KeySet

T = TypeVar("T")


class AsyncClient:
    """One connection pool to one sessiond; reuse it for the event loop's life.

    ``api_key`` is a key from ``sessiond api-keys create`` (``sessions:write`` to create and
    revoke, ``sessions:read`` to validate). ``timeout`` bounds every call, in seconds.
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        timeout: float = 5.0,
        token_issuer: str = "sessiond",
        token_audience: str = "sessiond",
        token_leeway: int = 5,
        transport: Optional[httpx.AsyncBaseTransport] = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers={"User-Agent": "sessiond-python"},
            timeout=timeout,
            transport=transport,
        )
        # Sent only to the backend API: a session route would read it as an access token.
        self._auth = {"Authorization": f"Bearer {api_key}"}
        self._keys = KeySet(token_issuer, token_audience, token_leeway)

    def __repr__(self) -> str:
        return f"sessiond.AsyncClient({self.url!r})"

    async def _send(self, op: _api.Op[T]) -> T:
        try:
            res = await self._http.request(
                op.method,
                op.path,
                json=op.json,
                params=op.params or None,
                headers={**self._auth, **op.headers} if op.api_key else op.headers,
            )
        except httpx.HTTPError as e:
            raise TransportError(f"sessiond at {self.url} did not answer: {type(e).__name__}") from e
        return op.read(res)

    async def create_session(
        self,
        username: str,
        *,
        create_user: bool = False,
        role: Optional[str] = None,
        display_name: Optional[str] = None,
        context: Optional[str] = None,
        ip: Optional[str] = None,
        user_agent: Optional[str] = None,
        remember_me: Optional[bool] = None,
        data: Optional[JsonObject] = None,
    ) -> CreatedSession:
        """A session for a user the application authenticated itself; ``.token`` is the
        cookie's value."""
        return await self._send(
            _api.create_session(
                username,
                create_user=create_user,
                role=role,
                display_name=display_name,
                context=context,
                ip=ip,
                user_agent=user_agent,
                remember_me=remember_me,
                data=data,
            )
        )

    async def validate(self, token: str, *, activity: bool = False) -> ValidatedSession:
        """The session of a cookie's token; raises a ``SessionEnded`` subclass when it has none.
        Passive unless ``activity`` (which moves the idle deadline)."""
        return await self._send(_api.validate(token, activity=activity))

    async def get_session(self, session_id: str) -> SessionInfo:
        return await self._send(_api.get_session(session_id))

    async def revoke_session(self, session_id: str) -> bool:
        return await self._send(_api.revoke_session(session_id))

    async def user_sessions(self, username: str) -> list[SessionInfo]:
        return await self._send(_api.user_sessions(username))

    async def revoke_user_sessions(self, username: str) -> int:
        """Ends every session of the user; answers how many ended."""
        return await self._send(_api.revoke_user_sessions(username))

    async def get_data(self, session_id: str) -> SessionData:
        return await self._send(_api.get_data(session_id))

    async def patch_data(
        self, session_id: str, patch: JsonObject, *, if_version: Optional[str] = None
    ) -> SessionData:
        """A JSON merge patch of the session's data (``None`` removes a member); with
        ``if_version``, only onto that version (else ``PreconditionFailed``)."""
        return await self._send(_api.patch_data(session_id, patch, if_version=if_version))

    async def record_activity(
        self, session_id: str, type: str, details: Optional[JsonObject] = None
    ) -> Activity:
        return await self._send(_api.record_activity(session_id, type, details))

    async def revocations(self, since: Optional[str] = None, limit: Optional[int] = None) -> RevocationPage:
        return await self._send(_api.revocations(since, limit))

    async def custom_settings(self) -> dict[str, str]:
        return await self._send(_api.custom_settings())

    async def verify_access_token(self, token: str) -> AccessClaims:
        """Verifies an access token locally against the JWKS (fetched once, again for a key it
        has not seen); raises ``InvalidToken``. Needs the ``jwt`` extra."""
        kid = self._keys.kid_of(token)
        if self._keys.should_fetch(kid):
            self._keys.update(await self._send(_api.jwks()))
        return self._keys.decode(token, kid)

    async def logout(
        self,
        token: str,
        csrf_token: str,
        *,
        everywhere: bool = False,
        cookie_name: str = "sessiond",
    ) -> None:
        """Ends the token's session as its user would (``POST /api/session/logout``, or
        ``logout-all``): the code is ``logged_out``, so the user's other tabs say so rather
        than "revoked". ``csrf_token`` is the session's (``ValidatedSession.csrf_token``);
        ``cookie_name`` is sessiond's (``__Host-sessiond`` with ``SESSIOND_COOKIE_SECURE``)."""
        await self._send(
            _api.logout(token, csrf_token, everywhere=everywhere, cookie_name=cookie_name)
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()
