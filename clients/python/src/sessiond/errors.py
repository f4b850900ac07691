"""One exception class per error ``code`` of sessiond's API (docs/api.md, "Every error code").

Every answer sessiond refuses carries a stable snake_case ``code``; the client raises the class
registered for it, so callers catch what they mean (``except SessionExpired``) rather than
comparing strings. Classes are grouped under bases by what a caller does about them:
``SessionEnded`` (send the user to log in), ``Forbidden``, ``NotFound``, ``Unavailable``
(retry after ``retry_after``).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, ClassVar, Optional


class EndCode(str, Enum):
    """Why a session token is refused: the ``code`` of a 401 (docs/api.md, "End codes")."""

    NO_SESSION = "no_session"
    EXPIRED_IDLE = "expired_idle"
    EXPIRED_ABSOLUTE = "expired_absolute"
    LOGGED_OUT = "logged_out"
    REVOKED = "revoked"
    EVICTED = "evicted"
    AMBIGUOUS_SESSION_COOKIE = "ambiguous_session_cookie"
    INVALID_TOKEN = "invalid_token"
    REFRESH_TOKEN_REUSED = "refresh_token_reused"


class EndReason(str, Enum):
    """Why a session ended, in more detail than its ``EndCode``: a refused session's
    ``end_reason`` and the revocations feed's ``reason`` (docs/api.md, "End codes").
    ``OTHER`` stands for a reason a newer server added."""

    IDLE = "idle"
    ABSOLUTE = "absolute"
    USER_LOGOUT = "user_logout"
    LOGOUT_ALL = "logout_all"
    USER_REVOKED = "user_revoked"
    API_REVOKED = "api_revoked"
    USER_DISABLED = "user_disabled"
    PASSWORD_CHANGED = "password_changed"
    ROLE_CHANGED = "role_changed"
    USER_RENAMED = "user_renamed"
    USER_DELETED = "user_deleted"
    SUSPICIOUS_ACTIVITY = "suspicious_activity"
    TOKEN_REUSE = "token_reuse"
    USER_CHANGED_DURING_LOGIN = "user_changed_during_login"
    REAUTHENTICATED = "reauthenticated"
    UPGRADED_BY_LOGIN = "upgraded_by_login"
    REPLACED_BY_LOGIN = "replaced_by_login"
    MAX_CONCURRENT_SESSIONS = "max_concurrent_sessions"
    ADMIN_REVOKED = "admin_revoked"
    OTHER = "other"

    @classmethod
    def parse(cls, value: str) -> EndReason:
        try:
            return cls(value)
        except ValueError:
            return cls.OTHER


class SessiondError(Exception):
    """An answer sessiond refused, or one the client could not use."""

    code: ClassVar[str] = ""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: Optional[str] = None,
        request_id: Optional[str] = None,
        session_id: Optional[str] = None,
        retry_after: Optional[int] = None,
        body: Optional[dict[str, Any]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        # An instance keeps the code it was raised for: an unknown code keeps its own string.
        self.error_code = code or type(self).code
        self.request_id = request_id
        self.session_id = session_id
        self.retry_after = retry_after
        self.body = body or {}

    def __str__(self) -> str:
        tail = f" (request {self.request_id})" if self.request_id else ""
        return f"{self.status} {self.error_code}: {self.message}{tail}"


class TransportError(SessiondError):
    """sessiond could not be reached, or did not answer in time: nothing was refused."""

    code = "transport_error"


class UnexpectedResponse(SessiondError):
    """An answer that is not sessiond's JSON: a proxy's error page, or a code this client does
    not know (a newer server); ``error_code`` and ``body`` keep what came."""

    code = "unexpected_response"


# Bases by what the caller does.
class BadRequest(SessiondError):
    """400: the request broke the input contract; sending it again will not help."""


class SessionEnded(SessiondError):
    """401 for a session token: the user has no session and must log in (again). ``end`` says
    how it ended; ``reason``, while sessiond still keeps the ended record, says why
    (``EndReason.PASSWORD_CHANGED`` for a ``REVOKED`` session, say), else None."""

    @property
    def end(self) -> EndCode:
        return EndCode(self.error_code)

    @property
    def reason(self) -> Optional[EndReason]:
        value = self.body.get("end_reason")
        return EndReason.parse(value) if isinstance(value, str) else None


class SessionExpired(SessionEnded):
    """The idle or the absolute timeout ended the session."""


class Unauthorized(SessiondError):
    """401 that is not about a session: a wrong key, password or metrics token."""


class Forbidden(SessiondError):
    """403: authenticated, but not allowed."""


class NotFound(SessiondError):
    """404."""


class ConflictError(SessiondError):
    """409."""


class Unavailable(SessiondError):
    """503: retry after ``retry_after`` seconds; sessiond recovers by itself."""


class InvalidRequest(BadRequest):
    """A field is missing or outside its rule."""

    code = "invalid_request"


class MalformedJson(BadRequest):
    """The body is not JSON."""

    code = "malformed_json"


class UnreadableBody(BadRequest):
    """The body could not be read as JSON."""

    code = "unreadable_body"


class InvalidEventType(BadRequest):
    """An unknown client event."""

    code = "invalid_event_type"


class InvalidPath(BadRequest):
    """A path segment outside its rule."""

    code = "invalid_path"


class RequestTimeout(SessiondError):
    """408: the body did not arrive in time."""

    code = "request_timeout"


class NoSession(SessionEnded):
    """No session: an unknown, malformed or long-gone token."""

    code = "no_session"


class ExpiredIdle(SessionExpired):
    """The idle timeout ended the session."""

    code = "expired_idle"


class ExpiredAbsolute(SessionExpired):
    """The absolute timeout ended the session."""

    code = "expired_absolute"


class LoggedOut(SessionEnded):
    """The user logged out (here, everywhere, or by a new login)."""

    code = "logged_out"


class Revoked(SessionEnded):
    """Revoked: by the user, an administrator, a disabled user or a password change."""

    code = "revoked"


class Evicted(SessionEnded):
    """Pushed out by the per-user session cap."""

    code = "evicted"


class AmbiguousSessionCookie(SessionEnded):
    """More than one session cookie was sent."""

    code = "ambiguous_session_cookie"


class InvalidToken(SessionEnded):
    """An access or refresh token that is not valid."""

    code = "invalid_token"


class RefreshTokenReused(SessionEnded):
    """A rotated-out refresh token came back: the session is revoked."""

    code = "refresh_token_reused"


class InvalidCredentials(Unauthorized):
    """A wrong password."""

    code = "invalid_credentials"


class AnonymousSession(Forbidden):
    """Not allowed for a visitor's anonymous session."""

    code = "anonymous_session"


class InvalidApiKey(Unauthorized):
    """No API key, or a malformed, unknown or revoked one."""

    code = "invalid_api_key"


class InvalidMetricsToken(Unauthorized):
    """/metrics without its token."""

    code = "invalid_metrics_token"


class InsufficientScope(Forbidden):
    """The key lacks the scope, or may not assert that user or role."""

    code = "insufficient_scope"


class InsufficientRole(Forbidden):
    """The admin API from a user who is not a superadmin."""

    code = "insufficient_role"


class MetricsNotPublic(Forbidden):
    """/metrics from another host."""

    code = "metrics_not_public"


class CsrfFailed(Forbidden):
    """No or a wrong CSRF token, or a cross-site request."""

    code = "csrf_failed"


class ReauthRequired(Forbidden):
    """A sensitive action without a recent password."""

    code = "reauth_required"


class ContextNotAllowed(Forbidden):
    """The user may not use that context."""

    code = "context_not_allowed"


class PasswordManagedByDirectory(Forbidden):
    """The directory owns this password."""

    code = "password_managed_by_directory"


class UserDisabled(Forbidden):
    """The user is disabled."""

    code = "user_disabled"


class UserInDirectory(Forbidden):
    """create_user for a name the LDAP directory has."""

    code = "user_in_directory"


class RouteNotFound(NotFound):
    """No such route."""

    code = "not_found"


class SessionNotFound(NotFound):
    """No such active session."""

    code = "session_not_found"


class UserNotFound(NotFound):
    """No such user."""

    code = "user_not_found"


class MethodNotAllowed(SessiondError):
    """405."""

    code = "method_not_allowed"


class Conflict(ConflictError):
    """The session changed concurrently; retry."""

    code = "conflict"


class TooManySessions(ConflictError):
    """The session cap, with deny_new."""

    code = "too_many_sessions"


class PreconditionFailed(SessiondError):
    """412: the data changed since that version."""

    code = "precondition_failed"


class PayloadTooLarge(SessiondError):
    """413: a body or session data over its limit."""

    code = "payload_too_large"


class UnsupportedMediaType(SessiondError):
    """415: a body that is not JSON."""

    code = "unsupported_media_type"


class RateLimited(SessiondError):
    """429: retry after retry_after seconds."""

    code = "rate_limited"


class HeadersTooLarge(SessiondError):
    """431."""

    code = "headers_too_large"


class InternalError(SessiondError):
    """500: the log has the cause under request_id."""

    code = "internal_error"


class StoreUnavailable(Unavailable):
    """The store did not answer."""

    code = "store_unavailable"


class DirectoryUnavailable(Unavailable):
    """The LDAP directory did not answer."""

    code = "directory_unavailable"


class ServerBusy(Unavailable):
    """Too many requests in flight."""

    code = "server_busy"


#: Every class above by its ``code``: what the client raises for an answer.
BY_CODE: dict[str, type[SessiondError]] = {
    c.code: c
    for c in list(globals().values())
    if isinstance(c, type)
    and issubclass(c, SessiondError)
    and c.code
    and c not in (TransportError, UnexpectedResponse)
}
