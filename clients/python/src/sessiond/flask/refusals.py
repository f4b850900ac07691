"""How a request without the session it needs is refused: a 401 (or 403) in JSON for a script,
a redirect to the login page for a page. A fetch is never redirected (its caller would get the
login page's HTML as the answer), and a 401 always says why, with an end code and, when
sessiond knows it, the reason (``password_changed``) that the login page can show."""

from __future__ import annotations

from typing import Optional
from urllib.parse import urlencode

from flask import current_app, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response


def wants_json() -> bool:
    """Whether the request came from a script rather than a browser navigating.

    ``Sec-Fetch-Mode`` is sent by every current browser and decides alone; without it,
    ``X-Requested-With`` marks jQuery-style XHR, and otherwise the ``Accept`` header must
    prefer HTML for a redirect (``*/*`` from curl or a library gets JSON)."""
    mode = request.headers.get("Sec-Fetch-Mode")
    if mode is not None:
        return mode != "navigate"
    if request.headers.get("X-Requested-With", "").lower() == "xmlhttprequest":
        return True
    accept = request.accept_mimetypes
    named = "text/html" in accept.values()
    return not (named and accept.best_match(["text/html", "application/json"]) == "text/html")


def _login_url(code: Optional[str], end_reason: Optional[str] = None) -> str:
    view = current_app.config["SESSIOND_LOGIN_VIEW"]
    base = view if view.startswith("/") else url_for(view)
    # Only this app's path: `next` is read back by the login view, which must not leave the site.
    params = {"next": request.full_path.rstrip("?") if request.method == "GET" else "/"}
    if code:
        params["reason"] = code
    if end_reason:
        params["end_reason"] = end_reason
    return f"{base}?{urlencode(params)}"


def unauthenticated(code: str, end_reason: Optional[str], message: str) -> Response:
    login_url = _login_url(code, end_reason)
    if wants_json():
        body = {"valid": False, "success": False, "code": code, "message": message}
        if end_reason:
            body["end_reason"] = end_reason
        res = jsonify(**body, login_url=login_url)
        res.status_code = 401
        return res
    return redirect(login_url, code=303)


def forbidden(code: str, message: str) -> Response:
    res = jsonify(success=False, code=code, message=message)
    res.status_code = 403
    return res


def unavailable(retry_after: Optional[int]) -> Response:
    res = jsonify(
        success=False,
        code="store_unavailable",
        message="sessions cannot be checked now; try again shortly",
    )
    res.status_code = 503
    res.headers["Retry-After"] = str(retry_after or 5)
    return res
