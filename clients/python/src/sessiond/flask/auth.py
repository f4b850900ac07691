"""Logging users in and out, and the views' guards."""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional, TypeVar, cast

from flask import g, request
from werkzeug.http import parse_cookie

from ..errors import SessionEnded, SessiondError, TransportError, Unavailable
from ..models import CreatedSession, JsonObject, ValidatedSession
from . import refusals
from .extension import ext

F = TypeVar("F", bound=Callable[..., Any])


def login_user(
    username: str,
    *,
    role: Optional[str] = None,
    display_name: Optional[str] = None,
    context: Optional[str] = None,
    remember: bool = False,
    data: Optional[JsonObject] = None,
    create_user: bool = True,
) -> ValidatedSession:
    """Starts a session in sessiond for a user the app has authenticated, and sets sessiond's
    cookie on this request's response, as sessiond made it (name, ``HttpOnly``, ``Secure``,
    ``SameSite``, lifetime). The browser's previous session, if any, ends: a login always gets
    a new token. ``create_user`` makes the user in sessiond on first login, with ``role``."""
    e = ext()
    old = e.token()
    created = e.client.create_session(
        username,
        create_user=create_user,
        role=role,
        display_name=display_name,
        context=context,
        ip=request.remote_addr,
        user_agent=request.headers.get("User-Agent"),
        remember_me=remember or None,
        data=data,
    )
    _check_cookie_name(created, e.cookie_name)
    if old:
        _end_quietly(old)
    g.sessiond_set_cookie = created.set_cookie
    session = _as_validated(created, data or {})
    g.sessiond_session = session
    return session


def logout_user() -> None:
    """Ends this browser's session as a logout (other tabs say "logged out") and clears the
    cookie."""
    e = ext()
    token = e.token()
    if token:
        _end_quietly(token)
    g.sessiond_session = None
    g.sessiond_clear = True
    g.pop("sessiond_set_cookie", None)


def logout_everywhere(username: str) -> int:
    """Ends every session of the user, on every device; answers how many ended. Other
    processes of this app see it within ``SESSIOND_CACHE_SECONDS``."""
    e = ext()
    n = e.client.revoke_user_sessions(username)
    e.cache.drop_user(username)
    current = g.get("sessiond_session")
    if current is not None and current.username == username:
        g.sessiond_session = None
        g.sessiond_clear = True
    return n


def login_required(view: F) -> F:
    """Only with a live session: otherwise a redirect to the login page for a page, a JSON 401
    with the end code for a script; a 503 when sessiond cannot be asked."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        refusal = _refusal(None)
        return refusal if refusal is not None else view(*args, **kwargs)

    return cast(F, wrapped)


def roles_required(*roles: str) -> Callable[[F], F]:
    """``login_required``, and the session's role must be one of ``roles``: a 403
    ``insufficient_role`` otherwise (never a 401: the user is signed in)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            refusal = _refusal(roles)
            return refusal if refusal is not None else view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


def passive(view: F) -> F:
    """Marks a view whose requests are not the user's activity (the app's own polling, a status
    badge): its session check does not move the idle deadline."""
    view._sessiond_passive = True  # type: ignore[attr-defined]
    return view


def _refusal(roles: Optional[tuple[str, ...]]) -> Any:
    try:
        session = ext().current()
    except (Unavailable, TransportError) as e:
        return refusals.unavailable(e.retry_after)
    if session is None:
        ended: Optional[SessionEnded] = g.get("sessiond_ended")
        if ended is None:
            return refusals.unauthenticated("no_session", None, "sign in to continue")
        reason = ended.reason.value if ended.reason else None
        return refusals.unauthenticated(ended.error_code, reason, "sign in to continue")
    if roles and session.role not in roles:
        return refusals.forbidden("insufficient_role", "your role may not use this page")
    return None


def _end_quietly(token: str) -> None:
    e = ext()
    e.cache.drop(token)
    try:
        s = e.client.validate(token)
        e.client.logout(token, s.csrf_token, cookie_name=e.cookie_name)
    except SessionEnded:
        pass
    except SessiondError:
        # The user still gets logged out here (the cookie goes); the session's own timeout
        # ends it in sessiond. A logout that fails must not keep the user in.
        pass


def _check_cookie_name(created: CreatedSession, expected: str) -> None:
    if not created.set_cookie:
        return
    name = next(iter(parse_cookie(created.set_cookie.split(";", 1)[0])), None)
    if name and name != expected:
        raise RuntimeError(
            f"sessiond's cookie is {name!r}, but SESSIOND_COOKIE_NAME is {expected!r}: set it to {name!r}"
        )


def _as_validated(c: CreatedSession, data: JsonObject) -> ValidatedSession:
    fields = {k: v for k, v in vars(c).items() if k not in ("token", "set_cookie")}
    return ValidatedSession(**{**fields, "data": dict(data)})
