"""The backend API's answers as typed, frozen dataclasses (docs/api.md, "Backend API").

Times are timezone-aware ``datetime`` in UTC: seed 000 compared naive and aware datetimes and
crashed; nothing here is naive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from .errors import EndCode, EndReason, UnexpectedResponse

JsonObject = dict[str, Any]


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise UnexpectedResponse(f"expected a time, got {value!r}")
    # Python before 3.11 does not read a trailing Z.
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _opt_str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def _obj(value: Any) -> JsonObject:
    return dict(value) if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Session:
    """A live session as login, validation and creation describe it (``SessionBody``)."""

    session_id: str
    username: Optional[str]
    role: Optional[str]
    display_name: Optional[str]
    auth_method: Optional[str]
    context: Optional[str]
    time_remaining_seconds: int
    session_timeout_minutes: int
    warning: bool
    warning_threshold_seconds: int
    idle_expires_at: datetime
    absolute_expires_at: datetime
    created_at: datetime
    last_activity: datetime
    server_time: datetime

    @classmethod
    def _fields(cls, b: JsonObject) -> JsonObject:
        try:
            return dict(
                session_id=str(b["session_id"]),
                username=_opt_str(b.get("username")),
                role=_opt_str(b.get("role")),
                display_name=_opt_str(b.get("display_name")),
                auth_method=_opt_str(b.get("auth_method")),
                context=_opt_str(b.get("context")),
                time_remaining_seconds=int(b["time_remaining_seconds"]),
                session_timeout_minutes=int(b["session_timeout_minutes"]),
                warning=bool(b["warning"]),
                warning_threshold_seconds=int(b["warning_threshold_seconds"]),
                idle_expires_at=_time(b["idle_expires_at"]),
                absolute_expires_at=_time(b["absolute_expires_at"]),
                created_at=_time(b["created_at"]),
                last_activity=_time(b["last_activity"]),
                server_time=_time(b["server_time"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise UnexpectedResponse(f"not a session: {e}", body=b) from e

    @property
    def expires_at(self) -> datetime:
        """The nearer of the two deadlines."""
        return min(self.idle_expires_at, self.absolute_expires_at)


@dataclass(frozen=True)
class CreatedSession(Session):
    """``POST /api/v1/sessions``: the token is the cookie's value, shown once."""

    token: str = field(repr=False, default="")
    csrf_token: str = field(repr=False, default="")
    user_id: Optional[str] = None
    #: The ``Set-Cookie`` sessiond answered with: its name and attributes for this deployment.
    set_cookie: Optional[str] = field(repr=False, default=None)

    @classmethod
    def parse(cls, b: JsonObject, set_cookie: Optional[str] = None) -> CreatedSession:
        return cls(
            **cls._fields(b),
            token=str(b.get("token", "")),
            csrf_token=str(b.get("csrf_token", "")),
            user_id=_opt_str(b.get("user_id")),
            set_cookie=set_cookie,
        )


@dataclass(frozen=True)
class ValidatedSession(Session):
    """``POST /api/v1/sessions/validate``: the session, its user's id and its data."""

    csrf_token: str = field(repr=False, default="")
    user_id: Optional[str] = None
    data: JsonObject = field(default_factory=dict)

    @classmethod
    def parse(cls, b: JsonObject) -> ValidatedSession:
        return cls(
            **cls._fields(b),
            csrf_token=str(b.get("csrf_token", "")),
            user_id=_opt_str(b.get("user_id")),
            data=_obj(b.get("data")),
        )


@dataclass(frozen=True)
class SessionInfo:
    """A session as ``GET /api/v1/sessions/{id}`` and a user's list show it."""

    session_id: str
    user_id: Optional[str]
    username: Optional[str]
    display_name: Optional[str]
    role: Optional[str]
    auth_method: Optional[str]
    created_at: datetime
    last_activity: datetime
    idle_expires_at: datetime
    absolute_expires_at: datetime
    context: Optional[str]
    device: Optional[str]
    ip: Optional[str]
    user_agent: Optional[str]
    data: JsonObject

    @classmethod
    def parse(cls, b: JsonObject) -> SessionInfo:
        try:
            return cls(
                session_id=str(b["session_id"]),
                user_id=_opt_str(b.get("user_id")),
                username=_opt_str(b.get("username")),
                display_name=_opt_str(b.get("display_name")),
                role=_opt_str(b.get("role")),
                auth_method=_opt_str(b.get("auth_method")),
                created_at=_time(b["created_at"]),
                last_activity=_time(b["last_activity"]),
                idle_expires_at=_time(b["idle_expires_at"]),
                absolute_expires_at=_time(b["absolute_expires_at"]),
                context=_opt_str(b.get("context")),
                device=_opt_str(b.get("device")),
                ip=_opt_str(b.get("ip")),
                user_agent=_opt_str(b.get("user_agent")),
                data=_obj(b.get("data")),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise UnexpectedResponse(f"not a session: {e}", body=b) from e


@dataclass(frozen=True)
class SessionData:
    """A session's data map and its version (send the version back to patch only it)."""

    version: str
    data: JsonObject


@dataclass(frozen=True)
class Activity:
    """An activity record's answer: whether the idle deadline moved."""

    session_id: str
    idle_expires_at: datetime
    extended: bool


@dataclass(frozen=True)
class Revocation:
    """A session that ended other than by a timeout (``GET /api/v1/revocations``)."""

    session_id: str
    user_id: Optional[str]
    ended_at: datetime
    code: EndCode
    reason: EndReason


@dataclass(frozen=True)
class RevocationPage:
    revocations: list[Revocation]
    #: Pass it as ``since`` to read what ended after this page.
    next: str
