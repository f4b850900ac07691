"""Seed 000's port tracer (login, dashboard, trace, logout), with its sessions in sessiond.

What seed 000 did by hand is the extension's now: its ``before_request`` timeout check (which
extended the session on every request, the browser's polling included), its naive datetimes,
and its redirects of XHR requests to the login page. The app authenticates its own users and
hands the session to sessiond; the warning modal, keep-alive and tabs in step are sessiond.js.

Run it with ``examples/flask-port-tracer/run`` (README, "Python and Flask").
"""

from __future__ import annotations

import os
from typing import Any, Optional
from urllib.parse import urlsplit

from flask import Flask, jsonify, redirect, render_template, request
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from sessiond.flask import (
    Sessiond,
    current_session,
    login_required,
    login_user,
    logout_everywhere,
    logout_user,
    passive,
    roles_required,
)

DEMO_PASSWORD = os.environ.get("PORT_TRACER_PASSWORD", "port-tracer-demo")
# The app's own users (seed 000 had local and Windows AD users); sessiond never sees a password.
USERS = {
    "oss_user": ("oss", "OSS Engineer"),
    "net_admin": ("netadmin", "Network Administrator"),
}
PASSWORDS = {name: generate_password_hash(DEMO_PASSWORD) for name in USERS}
# A few switches and the MAC addresses they saw, standing in for the seed's SNMP walk.
SWITCHES = {
    "sw-core-1": {"00:1a:2b:3c:4d:5e": "Gi1/0/12", "00:1a:2b:3c:4d:5f": "Gi1/0/13"},
    "sw-edge-7": {"66:77:88:99:aa:bb": "Fa0/4"},
}


def create_app(config: Optional[dict[str, Any]] = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SESSIOND_URL=os.environ.get("SESSIOND_URL", "http://127.0.0.1:8080"),
        SESSIOND_API_KEY=os.environ.get("SESSIOND_API_KEY"),
        SESSIOND_PROXY=os.environ.get("SESSIOND_PROXY", "1") == "1",
    )
    app.config.update(config or {})
    Sessiond(app)

    @app.get("/login")
    def login() -> str:
        return render_template(
            "login.html",
            reason=request.args.get("reason"),
            end_reason=request.args.get("end_reason"),
            next=_next(),
        )

    @app.post("/login")
    def login_post() -> Any:
        name = request.form.get("username", "")
        password = request.form.get("password", "")
        if name not in USERS or not check_password_hash(PASSWORDS[name], password):
            return render_template("login.html", error="Invalid username or password", next=_next()), 401
        role, display = USERS[name]
        login_user(name, role=role, display_name=display)
        return redirect(_next(), code=303)

    @app.get("/")
    @login_required
    def dashboard() -> str:
        return render_template("dashboard.html", s=current_session, switches=sorted(SWITCHES))

    @app.post("/api/trace")
    @login_required
    def trace() -> Response:
        mac = str((request.get_json(silent=True) or {}).get("mac", "")).lower()
        hits = [{"switch": sw, "port": ports[mac]} for sw, ports in SWITCHES.items() if mac in ports]
        return jsonify(mac=mac, found=hits, traced_by=current_session.username if current_session else None)

    @app.get("/api/status")
    @login_required
    @passive
    def status() -> Response:
        s = current_session
        assert s is not None
        return jsonify(username=s.username, role=s.role, idle_expires_at=s.idle_expires_at.isoformat())

    @app.get("/switches")
    @roles_required("netadmin", "superadmin")
    def switches() -> Response:
        return jsonify(switches=SWITCHES)

    @app.post("/logout-everywhere")
    @login_required
    def everywhere() -> Response:
        assert current_session and current_session.username
        logout_everywhere(current_session.username)
        return redirect("/login?reason=logged_out", code=303)

    @app.get("/logout")
    def logout() -> Response:
        logout_user()
        return redirect("/login?reason=logged_out", code=303)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(ok=True)

    return app


def _next() -> str:
    """Where to go after login: only a path of this site (never `//host` or a scheme)."""
    target = request.values.get("next") or "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))
