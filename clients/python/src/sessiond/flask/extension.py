"""The Flask extension: seed 000's ``before_request`` and decorators, on sessiond.

Configuration (``app.config``):

- ``SESSIOND_URL``: where sessiond is, for the app's server (``http://127.0.0.1:8080``).
- ``SESSIOND_API_KEY``: a ``sessions:write`` key carrying the roles the app logs users in with.
- ``SESSIOND_COOKIE_NAME``: sessiond's cookie (``sessiond``; ``__Host-sessiond`` when sessiond
  runs with ``SESSIOND_COOKIE_SECURE``). ``login_user`` refuses a mismatch loudly.
- ``SESSIOND_CACHE_SECONDS`` (5) and ``SESSIOND_CACHE_SIZE`` (10,000): how long and how many
  validated sessions each process keeps. A session ended elsewhere is still accepted here for
  at most this long; 0 asks sessiond on every request.
- ``SESSIOND_LOGIN_VIEW``: the endpoint (or path) pages are sent to without a session
  (``login``).
- ``SESSIOND_TIMEOUT``: seconds per call to sessiond (5).
- ``SESSIOND_PROXY``: serve sessiond's browser routes and ``sessiond.js`` through the app, for
  development on one origin (``False``; in production a reverse proxy does it).
"""

from __future__ import annotations

import json
from typing import Optional

from flask import Flask, Response, current_app, g, request
from markupsafe import Markup, escape

from ..client import Client
from ..errors import SessionEnded, SessiondError, TransportError, Unavailable
from ..models import ValidatedSession
from .cache import SessionCache


class Sessiond:
    """The extension: ``Sessiond(app)``, or ``ext = Sessiond()`` and ``ext.init_app(app)`` in an
    app factory. Each app keeps its own client, cache and settings (``app.extensions["sessiond"]``,
    a ``SessiondApp``), so one ``Sessiond`` can serve several apps, as tests make them."""

    def __init__(self, app: Optional[Flask] = None, *, client: Optional[Client] = None) -> None:
        self._client = client
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> SessiondApp:
        return SessiondApp(app, self._client)


class SessiondApp:
    """One app's side of the extension: its client of sessiond, its cache and its cookie."""

    def __init__(self, app: Flask, client: Optional[Client] = None) -> None:
        c = app.config
        c.setdefault("SESSIOND_URL", "http://127.0.0.1:8080")
        c.setdefault("SESSIOND_COOKIE_NAME", "sessiond")
        c.setdefault("SESSIOND_CACHE_SECONDS", 5.0)
        c.setdefault("SESSIOND_CACHE_SIZE", 10_000)
        c.setdefault("SESSIOND_LOGIN_VIEW", "login")
        c.setdefault("SESSIOND_TIMEOUT", 5.0)
        c.setdefault("SESSIOND_PROXY", False)
        if client is None:
            key = c.get("SESSIOND_API_KEY")
            if not key:
                raise RuntimeError("sessiond: set SESSIOND_API_KEY (sessiond api-keys create ...)")
            client = Client(c["SESSIOND_URL"], key, timeout=float(c["SESSIOND_TIMEOUT"]))
        self.client = client
        self.cookie_name: str = c["SESSIOND_COOKIE_NAME"]
        self.cache = SessionCache(float(c["SESSIOND_CACHE_SECONDS"]), int(c["SESSIOND_CACHE_SIZE"]))
        app.extensions["sessiond"] = self
        app.after_request(self._after_request)
        # A view that reads current_session without @login_required meets an outage as a 503
        # too, never a 500 or a logout.
        for outage in (Unavailable, TransportError):
            app.register_error_handler(outage, _unavailable)
        app.jinja_env.globals["sessiond_script"] = sessiond_script
        app.jinja_env.globals["current_session"] = current_session_or_none
        if c["SESSIOND_PROXY"]:
            from .proxy import blueprint

            app.register_blueprint(blueprint(c["SESSIOND_URL"], float(c["SESSIOND_TIMEOUT"])))

    def token(self) -> Optional[str]:
        """The request's session token; ``None`` for none, or for two cookies of sessiond's name
        (sessiond never picks one, and neither does this)."""
        values = request.cookies.getlist(self.cookie_name)
        if len(values) > 1:
            g.sessiond_clear = True
            return None
        return values[0] if values else None

    def current(self) -> Optional[ValidatedSession]:
        """The request's session, asked of sessiond (or the cache) once per request."""
        if "sessiond_session" in g:
            return g.sessiond_session  # type: ignore[no-any-return]
        session = None
        token = self.token()
        if token:
            session = self.cache.get(token)
            if session is None:
                try:
                    session = self.client.validate(token, activity=_is_activity())
                    self.cache.put(token, session)
                except SessionEnded as e:
                    g.sessiond_ended = e
                    g.sessiond_clear = True
        g.sessiond_session = session
        return session

    def _after_request(self, res: Response) -> Response:
        if g.get("sessiond_set_cookie"):
            res.headers.add("Set-Cookie", g.sessiond_set_cookie)
        elif g.get("sessiond_clear"):
            res.delete_cookie(
                self.cookie_name,
                path="/",
                secure=self.cookie_name.startswith("__"),
                httponly=True,
                samesite="Lax",
            )
        return res


def _unavailable(e: SessiondError) -> Response:
    from .refusals import unavailable

    res = unavailable(e.retry_after)
    assert isinstance(res, Response)
    return res


def ext() -> SessiondApp:
    e = current_app.extensions.get("sessiond")
    if not isinstance(e, SessiondApp):
        raise RuntimeError("sessiond: Sessiond(app) was not set up for this app")
    return e


def _is_activity() -> bool:
    """Whether this request is the user's own doing: a view they asked for, not a prefetch, a
    preflight or a view marked ``@passive`` (the app's own polling). sessiond.js's polling never
    comes here at all: it asks sessiond, passively."""
    if request.method in ("HEAD", "OPTIONS"):
        return False
    if "prefetch" in (request.headers.get("Sec-Purpose", "") + request.headers.get("Purpose", "")):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "_sessiond_passive", False)


def current_session_or_none() -> Optional[ValidatedSession]:
    """The request's session or ``None``; raises ``Unavailable``/``TransportError`` when sessiond
    cannot be asked (``login_required`` answers those with a 503)."""
    return ext().current()


def sessiond_script(base: str = "", nonce: Optional[str] = None) -> Markup:
    """The ``<script>`` tag of ``sessiond.js`` for a page of this app: the warning modal, the
    keep-alive and the tabs kept in step. ``base`` is where sessiond's browser routes are on this
    origin (``""``: at its root, as ``SESSIOND_PROXY`` or a reverse proxy puts them)."""
    attr = f' nonce="{escape(nonce)}"' if nonce else ""
    src = escape(f"{base}/static/sessiond.js")
    if not base:
        return Markup(f'<script src="{src}" data-auto-start{attr}></script>')
    # JSON, with `<` escaped: a script element's text is not HTML-escaped.
    start = "sessiond.start({base: %s});" % json.dumps(base).replace("<", "\\u003c")
    return Markup(f'<script src="{src}"{attr}></script><script{attr}>{start}</script>')


