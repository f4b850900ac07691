"""Development only: the app serves sessiond's browser routes and ``sessiond.js`` itself, so
pages, cookie and client share one origin without a reverse proxy (docs/decisions/0043: no
CORS). It forwards the browser's own request: its cookie and CSRF token, never the app's API
key. In production, nginx or Caddy routes these paths to sessiond instead (docs/deployment.md).
"""

from __future__ import annotations

import httpx
from flask import Blueprint, Response, request

#: What crosses the proxy each way; everything else (hop-by-hop headers, the app's own) stays.
REQUEST_HEADERS = (
    "Accept",
    "Content-Type",
    "Cookie",
    "Origin",
    "Sec-Fetch-Site",
    "Sec-Fetch-Mode",
    "User-Agent",
    "X-CSRF-Token",
)
RESPONSE_HEADERS = ("Cache-Control", "Content-Type", "Retry-After", "X-Request-Id")


def blueprint(url: str, timeout: float) -> Blueprint:
    http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout)
    bp = Blueprint("sessiond_proxy", __name__)

    def forward(path: str) -> Response:
        headers = {h: v for h in REQUEST_HEADERS if (v := request.headers.get(h)) is not None}
        # sessiond reads the browser's address from this only when the app's address is in
        # SESSIOND_TRUSTED_PROXIES; otherwise every browser looks like the app.
        headers["X-Forwarded-For"] = request.remote_addr or ""
        try:
            res = http.request(
                request.method,
                path,
                params=request.query_string.decode() or None,
                content=request.get_data(),
                headers=headers,
            )
        except httpx.HTTPError:
            out = Response('{"code":"store_unavailable","message":"sessiond did not answer"}', 503)
            out.headers["Content-Type"] = "application/json"
            out.headers["Retry-After"] = "5"
            return out
        out = Response(res.content, res.status_code)
        for h in RESPONSE_HEADERS:
            if h in res.headers:
                out.headers[h] = res.headers[h]
        for cookie in res.headers.get_list("set-cookie"):
            out.headers.add("Set-Cookie", cookie)
        return out

    @bp.route("/static/sessiond.js")
    @bp.route("/static/sessiond.mjs")
    def script() -> Response:
        return forward(request.path)

    @bp.route("/api/session/<path:rest>", methods=["GET", "POST", "PUT", "DELETE"])
    def session_api(rest: str) -> Response:
        return forward(request.path)

    return bp
