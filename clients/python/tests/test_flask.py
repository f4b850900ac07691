"""The Flask extension through seed 000's port tracer (examples/flask-port-tracer) against the
real server: login, role check, page vs script refusals, logout, logout everywhere, activity,
the cache's staleness, the test mode and the development proxy."""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import sessiond
from sessiond.flask import Sessiond, SessiondApp
from sessiond.flask.cache import SessionCache
from sessiond.flask.testing import SessiondTestClient, login_as

from .conftest import ROOT, Server, unique

spec = importlib.util.spec_from_file_location("port_tracer", ROOT / "examples/flask-port-tracer/app.py")
assert spec and spec.loader
port_tracer = importlib.util.module_from_spec(spec)
sys.modules["port_tracer"] = port_tracer
spec.loader.exec_module(port_tracer)

NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
FETCH = {"Sec-Fetch-Mode": "cors", "Accept": "*/*"}


def make_app(server: Server, api_key: str, **config: Any) -> Flask:
    app = port_tracer.create_app(
        {"SESSIOND_URL": server.url, "SESSIOND_API_KEY": api_key, "SESSIOND_PROXY": True, "TESTING": True, **config}
    )
    app.test_client_class = SessiondTestClient
    return app


@pytest.fixture
def app(server: Server, api_key: str) -> Iterator[Flask]:
    yield make_app(server, api_key)


def ext(app: Flask) -> SessiondApp:
    e = app.extensions["sessiond"]
    assert isinstance(e, SessiondApp)
    return e


def test_one_extension_serves_several_apps_each_with_its_own_sessiond(server: Server, api_key: str) -> None:
    shared = Sessiond()
    one, two = Flask("one"), Flask("two")
    one.config.update(SESSIOND_URL=server.url, SESSIOND_API_KEY=api_key)
    two.config.update(SESSIOND_URL="http://127.0.0.1:9", SESSIOND_API_KEY=api_key, SESSIOND_CACHE_SECONDS=0)
    shared.init_app(one)
    shared.init_app(two)
    assert ext(one).client.url == server.url and ext(two).client.url == "http://127.0.0.1:9"
    assert ext(one).cache.ttl == 5.0 and ext(two).cache.ttl == 0


def sign_in(client: FlaskClient, name: str = "oss_user") -> Any:
    return client.post(
        "/login",
        data={"username": name, "password": port_tracer.DEMO_PASSWORD, "next": "/"},
        headers=NAVIGATE,
    )


def test_login_sets_sessionds_cookie_and_the_dashboard_shows_the_user(app: Flask) -> None:
    c = app.test_client()
    res = sign_in(c)
    assert res.status_code == 303 and res.headers["Location"] == "/"
    cookie = res.headers["Set-Cookie"]
    assert cookie.startswith("sessiond=") and "HttpOnly" in cookie and "SameSite=" in cookie
    page = c.get("/", headers=NAVIGATE)
    assert page.status_code == 200
    assert b"OSS Engineer" in page.data and b'src="/static/sessiond.js" data-auto-start' in page.data
    assert sign_in(app.test_client()).status_code == 303
    bad = c.post("/login", data={"username": "oss_user", "password": "wrong"}, headers=NAVIGATE)
    assert bad.status_code == 401


def test_a_page_is_redirected_to_login_and_a_script_gets_a_401_with_its_code(app: Flask) -> None:
    c = app.test_client()
    page = c.get("/?tab=2", headers=NAVIGATE)
    assert page.status_code == 303
    assert page.headers["Location"] == "/login?next=%2F%3Ftab%3D2&reason=no_session"
    for headers in (FETCH, {"X-Requested-With": "XMLHttpRequest"}, {"Accept": "application/json"}, {"Accept": "*/*"}):
        res = c.post("/api/trace", json={"mac": "x"}, headers=headers)
        assert res.status_code == 401, headers
        assert res.json and res.json["code"] == "no_session" and res.json["login_url"].startswith("/login?")
    # A navigation without Sec-Fetch-Mode (an older browser) still gets the page.
    assert c.get("/", headers={"Accept": "text/html"}).status_code == 303


def test_a_role_check_refuses_with_403_never_a_login(app: Flask) -> None:
    oss = app.test_client()
    sign_in(oss)
    for headers in (NAVIGATE, FETCH):
        res = oss.get("/switches", headers=headers)
        assert res.status_code == 403 and res.json and res.json["code"] == "insufficient_role"
    admin = app.test_client()
    sign_in(admin, "net_admin")
    assert admin.get("/switches", headers=FETCH).status_code == 200


def test_logout_ends_the_session_in_sessiond_and_clears_the_cookie(app: Flask, server: Server, api_key: str) -> None:
    c = app.test_client()
    sign_in(c)
    token = c.get_cookie("sessiond")
    assert token is not None
    res = c.get("/logout", headers=NAVIGATE)
    assert res.status_code == 303 and "sessiond=;" in res.headers["Set-Cookie"]
    with sessiond.Client(server.url, api_key) as direct, pytest.raises(sessiond.errors.LoggedOut):
        direct.validate(token.value)
    assert c.get("/", headers=NAVIGATE).status_code == 303


def test_an_ended_session_says_why_and_its_cookie_is_cleared(app: Flask, server: Server, api_key: str) -> None:
    c = app.test_client(user="net_admin", role="netadmin")
    assert c.get("/api/status", headers=FETCH).status_code == 200
    with sessiond.Client(server.url, api_key) as direct:
        direct.revoke_user_sessions("net_admin")
    ext(app).cache.drop_user("net_admin")
    res = c.get("/api/status", headers=FETCH)
    assert res.status_code == 401 and res.json and res.json["code"] == "revoked"
    assert "sessiond=;" in res.headers["Set-Cookie"]
    page = c.get("/", headers=NAVIGATE)
    assert page.status_code == 303 and "reason=" in page.headers["Location"]


def test_a_password_change_elsewhere_is_told_as_such(app: Flask, server: Server) -> None:
    user = unique()
    page, script = app.test_client(), app.test_client()
    login_as(page, user, role="oss")
    login_as(script, user, role="oss")
    server.cli("users", "set-password", user, "--password-stdin", stdin="a new passphrase\n")
    ext(app).cache.drop_user(user)
    res = script.get("/api/status", headers=FETCH)
    assert res.status_code == 401 and res.json
    assert (res.json["code"], res.json["end_reason"]) == ("revoked", "password_changed")
    assert "end_reason=password_changed" in res.json["login_url"]
    moved = page.get("/", headers=NAVIGATE)
    assert moved.status_code == 303 and "end_reason=password_changed" in moved.headers["Location"]
    login_page = page.get(moved.headers["Location"], headers=NAVIGATE)
    assert b"Your password was changed" in login_page.data


def test_logout_everywhere_ends_every_device_of_the_user(server: Server, api_key: str) -> None:
    app = make_app(server, api_key)
    other_process = make_app(server, api_key, SESSIOND_CACHE_SECONDS=0)
    laptop, phone = app.test_client(), other_process.test_client()
    login_as(phone, "oss_user", role="oss")
    sign_in(laptop)
    assert phone.get("/api/status", headers=FETCH).status_code == 200
    res = laptop.post("/logout-everywhere", headers=NAVIGATE)
    assert res.status_code == 303
    assert laptop.get("/", headers=NAVIGATE).status_code == 303
    refused = phone.get("/api/status", headers=FETCH)
    assert refused.status_code == 401 and refused.json and refused.json["code"] == "revoked"


def test_activity_comes_from_real_requests_only() -> None:
    # sessiond writes activity at most once per max(1 s, idle / 100): 1 s here, and the
    # requests below come after it, so any of them that counted as activity would show.
    short = Server(
        SESSION_IDLE_TIMEOUT_SECONDS="100",
        SESSION_WARNING_THRESHOLD_SECONDS="30",
        SESSION_EXPIRATION_GRACE_SECONDS="30",
    ).start()
    try:
        key = short.api_key()
        app = make_app(short, key, SESSIOND_CACHE_SECONDS=0)
        c = app.test_client(user="oss_user", role="oss")
        assert c.session_created
        sid = c.session_created.session_id
        with sessiond.Client(short.url, key) as direct:
            before = direct.get_session(sid).last_activity
            time.sleep(1.2)
            # The app's own polling (@passive), a HEAD and the health check are not activity.
            for _ in range(3):
                assert c.get("/api/status", headers=FETCH).status_code == 200
            c.head("/", headers=NAVIGATE)
            c.get("/healthz")
            assert direct.get_session(sid).last_activity == before
            # sessiond.js's polling through the proxy is a passive check too.
            assert c.get("/api/session/check", headers=FETCH).status_code == 200
            assert direct.get_session(sid).last_activity == before
            assert c.post("/api/trace", json={"mac": "00:1a:2b:3c:4d:5e"}, headers=FETCH).status_code == 200
            assert direct.get_session(sid).last_activity > before
    finally:
        short.stop()


def test_anonymous_requests_create_no_session(app: Flask, server: Server, api_key: str) -> None:
    c = app.test_client()
    for path in ("/healthz", "/login"):
        res = c.get(path, headers=NAVIGATE)
        assert res.status_code == 200 and "Set-Cookie" not in res.headers
    with sessiond.Client(server.url, api_key) as direct:
        with pytest.raises(sessiond.errors.UserNotFound):
            direct.user_sessions("anonymous")


def test_a_revocation_from_the_cli_reaches_the_app_within_the_cache_lifetime(server: Server, api_key: str) -> None:
    app = make_app(server, api_key)
    now = [1000.0]
    ext(app).cache = SessionCache(5.0, 100, clock=lambda: now[0])
    user = "cli-revoked"
    c = app.test_client()
    login_as(c, user, role="oss")
    assert c.get("/api/status", headers=FETCH).status_code == 200
    server.cli("users", "disable", user)
    # Within SESSIOND_CACHE_SECONDS the cached answer stands; past it, the revocation is seen.
    now[0] += 4.9
    assert c.get("/api/status", headers=FETCH).status_code == 200
    now[0] += 0.1
    res = c.get("/api/status", headers=FETCH)
    assert res.status_code == 401 and res.json and res.json["code"] == "revoked"


def test_the_cache_is_bounded() -> None:
    cache = SessionCache(60, 2)
    s: Any = type("S", (), {"username": "u", "expires_at": datetime.max.replace(tzinfo=timezone.utc)})()
    for t in ("a", "b", "c"):
        cache.put(t, s)
    assert len(cache) == 2 and cache.get("a") is None and cache.get("c") is s


def test_the_proxy_serves_sessiond_js_and_its_routes_on_the_apps_origin(app: Flask) -> None:
    c = app.test_client(user="oss_user", role="oss")
    js = c.get("/static/sessiond.js")
    assert js.status_code == 200 and b"sessiond" in js.data
    check = c.get("/api/session/check", headers=FETCH)
    assert check.status_code == 200 and check.json and check.json["username"] == "oss_user"
    config = c.get("/api/session/client-config", headers=FETCH)
    assert config.status_code == 200


def test_the_script_helper_escapes_its_base() -> None:
    from sessiond.flask import sessiond_script

    assert str(sessiond_script()) == '<script src="/static/sessiond.js" data-auto-start></script>'
    tag = str(sessiond_script("/s</script>", nonce="n1"))
    assert "</script><script" in tag and "\\u003c/script>" in tag and 'nonce="n1"' in tag


def test_sessiond_down_is_a_503_not_a_logout(api_key: str) -> None:
    dead = Server()
    app = make_app(dead, api_key)
    app.add_url_rule("/whoami", "whoami", lambda: str(bool(port_tracer.current_session)))
    c = app.test_client()
    c.set_cookie("sessiond", "A" * 43)
    res = c.get("/api/status", headers=FETCH)
    assert res.status_code == 503 and res.headers["Retry-After"]
    assert "Set-Cookie" not in res.headers
    # A view that reads current_session without @login_required: a 503 as well, not a 500.
    res = c.get("/whoami", headers=NAVIGATE)
    assert res.status_code == 503 and res.json and res.json["code"] == "store_unavailable"


def test_an_idle_session_expires_and_the_app_says_so(api_key: str) -> None:
    # sessiond's shortest valid timeouts (README, "Timeouts"); the binary runs on the real clock.
    short = Server(
        SESSION_IDLE_TIMEOUT_SECONDS="3",
        SESSION_LIFETIME_SECONDS="6",
        SESSION_WARNING_THRESHOLD_SECONDS="2",
        SESSION_EXPIRATION_GRACE_SECONDS="1",
    ).start()
    try:
        app = make_app(short, short.api_key(), SESSIOND_CACHE_SECONDS=0)
        c = app.test_client(user="oss_user", role="oss")
        status = c.get("/api/status", headers=FETCH)
        assert status.status_code == 200
        deadline = time.monotonic() + 10
        while (res := c.get("/api/status", headers=FETCH)).status_code == 200:
            assert time.monotonic() < deadline, "the session never expired"
            time.sleep(0.5)
        assert res.status_code == 401 and res.json and res.json["code"] == "expired_idle"
        c.set_cookie("sessiond", c.session_created.token if c.session_created else "")
        page = c.get("/", headers=NAVIGATE)
        assert page.status_code == 303 and page.headers["Location"].endswith("reason=expired_idle&end_reason=idle")
    finally:
        short.stop()
