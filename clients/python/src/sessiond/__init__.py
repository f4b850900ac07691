"""sessiond's Python client: the backend API, sync (``Client``) and async (``AsyncClient``), its
errors one class per ``code`` (``sessiond.errors``), and a Flask extension
(``sessiond.flask``)."""

from ._api import API_VERSION
from .aio import AsyncClient
from .client import Client
from .errors import (
    EndCode,
    EndReason,
    SessiondError,
    SessionEnded,
    SessionExpired,
    TransportError,
    Unavailable,
)
from .models import (
    Activity,
    CreatedSession,
    Revocation,
    RevocationPage,
    Session,
    SessionData,
    SessionInfo,
    ValidatedSession,
)
from .tokens import AccessClaims

__version__ = "0.1.0"

__all__ = [
    "API_VERSION",
    "AccessClaims",
    "Activity",
    "AsyncClient",
    "Client",
    "CreatedSession",
    "EndCode",
    "EndReason",
    "Revocation",
    "RevocationPage",
    "Session",
    "SessionData",
    "SessionEnded",
    "SessionExpired",
    "SessionInfo",
    "SessiondError",
    "TransportError",
    "Unavailable",
    "ValidatedSession",
    "__version__",
]
