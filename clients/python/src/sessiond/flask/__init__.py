"""sessiond for Flask apps: ``Sessiond(app)``, then ``login_user``, ``logout_user``,
``logout_everywhere``, ``@login_required``, ``@roles_required(...)`` and ``current_session``.
Needs the ``flask`` extra (``pip install sessiond[flask]``)."""

from __future__ import annotations

from typing import Optional, cast

from werkzeug.local import LocalProxy

from ..models import ValidatedSession
from .auth import login_required, login_user, logout_everywhere, logout_user, passive, roles_required
from .extension import Sessiond, SessiondApp, current_session_or_none, sessiond_script

#: The request's session (``ValidatedSession``: user, role, context, deadlines, data), or a
#: proxy to ``None`` without one: test it with ``if current_session:``, or call
#: ``current_session_or_none()`` for the object itself.
current_session = cast(
    Optional[ValidatedSession], LocalProxy(current_session_or_none)
)

__all__ = [
    "Sessiond",
    "SessiondApp",
    "current_session",
    "current_session_or_none",
    "login_required",
    "login_user",
    "logout_everywhere",
    "logout_user",
    "passive",
    "roles_required",
    "sessiond_script",
]
