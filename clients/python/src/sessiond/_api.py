"""The backend API's calls as data, shared by the sync and the async client: each builds an
``Op`` (method, path, body, how to read the answer); the clients only send it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Optional, TypeVar
from urllib.parse import quote

import httpx

from . import errors
from .errors import EndCode, EndReason
from .models import (
    Activity,
    CreatedSession,
    JsonObject,
    Revocation,
    RevocationPage,
    SessionData,
    SessionInfo,
    ValidatedSession,
    _time,
)

T = TypeVar("T")

#: The backend API this client speaks.
API_VERSION = "v1"


@dataclass(frozen=True)
class Op(Generic[T]):
    method: str
    path: str
    read: Callable[[httpx.Response], T]
    json: Optional[JsonObject] = None
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    #: The backend API's key goes with it; a browser route's call carries the cookie instead.
    api_key: bool = True


def _segment(value: str) -> str:
    return quote(value, safe="")


def body(res: httpx.Response) -> JsonObject:
    """The answer's JSON object; raises the class of its ``code`` when it is a refusal."""
    try:
        parsed: Any = res.json()
    except ValueError:
        parsed = None
    if res.is_success:
        if not isinstance(parsed, dict):
            raise errors.UnexpectedResponse(
                "sessiond answered with something that is not a JSON object",
                status=res.status_code,
            )
        return parsed
    raise error_for(res.status_code, parsed, res.headers.get("retry-after"))


def error_for(status: int, parsed: Any, retry_after: Optional[str] = None) -> errors.SessiondError:
    b: JsonObject = parsed if isinstance(parsed, dict) else {}
    code = b.get("code") if isinstance(b.get("code"), str) else None
    cls = errors.BY_CODE.get(code or "", errors.UnexpectedResponse)
    message = b.get("message") or b.get("reason") or b.get("error") or f"HTTP {status}"
    seconds = b.get("retry_after_seconds")
    if not isinstance(seconds, int) and retry_after and retry_after.isdigit():
        seconds = int(retry_after)
    return cls(
        str(message),
        status=status,
        code=code,
        request_id=b.get("request_id") if isinstance(b.get("request_id"), str) else None,
        session_id=b.get("session_id") if isinstance(b.get("session_id"), str) else None,
        retry_after=seconds if isinstance(seconds, int) else None,
        body=b,
    )


def create_session(
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
) -> Op[CreatedSession]:
    payload: JsonObject = {"username": username}
    optional = {
        "create_user": create_user or None,
        "role": role,
        "display_name": display_name,
        "context": context,
        "ip": ip,
        "user_agent": user_agent,
        "remember_me": remember_me,
        "data": data,
    }
    payload.update({k: v for k, v in optional.items() if v is not None})
    return Op(
        "POST",
        "/api/v1/sessions",
        lambda r: CreatedSession.parse(body(r), r.headers.get("set-cookie")),
        json=payload,
    )


def validate(token: str, *, activity: bool = False) -> Op[ValidatedSession]:
    payload: JsonObject = {"token": token}
    if activity:
        payload["activity"] = True
    return Op("POST", "/api/v1/sessions/validate", lambda r: ValidatedSession.parse(body(r)), json=payload)


def get_session(session_id: str) -> Op[SessionInfo]:
    return Op("GET", f"/api/v1/sessions/{_segment(session_id)}", lambda r: SessionInfo.parse(body(r)))


def revoke_session(session_id: str) -> Op[bool]:
    return Op(
        "DELETE",
        f"/api/v1/sessions/{_segment(session_id)}",
        lambda r: bool(body(r).get("success")),
    )


def user_sessions(username: str) -> Op[list[SessionInfo]]:
    def read(r: httpx.Response) -> list[SessionInfo]:
        items = body(r).get("sessions")
        return [SessionInfo.parse(s) for s in items if isinstance(s, dict)] if isinstance(items, list) else []

    return Op("GET", f"/api/v1/users/{_segment(username)}/sessions", read)


def revoke_user_sessions(username: str) -> Op[int]:
    return Op(
        "DELETE",
        f"/api/v1/users/{_segment(username)}/sessions",
        lambda r: int(body(r).get("ended_sessions", 0)),
    )


def _data(r: httpx.Response) -> SessionData:
    b = body(r)
    d = b.get("data")
    return SessionData(version=str(b.get("version", "")), data=d if isinstance(d, dict) else {})


def get_data(session_id: str) -> Op[SessionData]:
    return Op("GET", f"/api/v1/sessions/{_segment(session_id)}/data", _data)


def patch_data(session_id: str, patch: JsonObject, *, if_version: Optional[str] = None) -> Op[SessionData]:
    headers = {"If-Match": f'"{if_version}"'} if if_version is not None else {}
    return Op(
        "PATCH",
        f"/api/v1/sessions/{_segment(session_id)}/data",
        _data,
        json=patch,
        headers=headers,
    )


def record_activity(session_id: str, type: str, details: Optional[JsonObject] = None) -> Op[Activity]:
    payload: JsonObject = {"type": type}
    if details is not None:
        payload["details"] = details

    def read(r: httpx.Response) -> Activity:
        b = body(r)
        return Activity(
            session_id=str(b.get("session_id", session_id)),
            idle_expires_at=_time(b.get("idle_expires_at")),
            extended=bool(b.get("extended")),
        )

    return Op("POST", f"/api/v1/sessions/{_segment(session_id)}/activity", read, json=payload)


def revocations(since: Optional[str] = None, limit: Optional[int] = None) -> Op[RevocationPage]:
    params = {}
    if since is not None:
        params["since"] = since
    if limit is not None:
        params["limit"] = str(limit)

    def read(r: httpx.Response) -> RevocationPage:
        b = body(r)
        items = b.get("revocations")
        page = [
            Revocation(
                session_id=str(x["session_id"]),
                user_id=x.get("user_id") if isinstance(x.get("user_id"), str) else None,
                ended_at=_time(x["ended_at"]),
                code=EndCode(x["code"]),
                reason=EndReason.parse(str(x.get("reason", ""))),
            )
            for x in (items if isinstance(items, list) else [])
            if isinstance(x, dict)
        ]
        return RevocationPage(revocations=page, next=str(b.get("next", since or "")))

    return Op("GET", "/api/v1/revocations", read, params=params)


def custom_settings() -> Op[dict[str, str]]:
    def read(r: httpx.Response) -> dict[str, str]:
        c = body(r).get("custom")
        return {str(k): str(v) for k, v in c.items()} if isinstance(c, dict) else {}

    return Op("GET", "/api/v1/config/custom", read)


def jwks() -> Op[list[JsonObject]]:
    def read(r: httpx.Response) -> list[JsonObject]:
        keys = body(r).get("keys")
        return [k for k in keys if isinstance(k, dict)] if isinstance(keys, list) else []

    return Op("GET", "/.well-known/jwks.json", read)


def logout(token: str, csrf_token: str, *, everywhere: bool, cookie_name: str) -> Op[None]:
    def read(r: httpx.Response) -> None:
        body(r)

    path = "/api/session/logout-all" if everywhere else "/api/session/logout"
    return Op(
        "POST",
        path,
        read,
        headers={"Cookie": f"{cookie_name}={token}", "X-CSRF-Token": csrf_token},
        api_key=False,
    )
