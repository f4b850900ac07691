"""Concurrent requests through the extension, on PostgreSQL (several app processes share one
sessiond store the way several nodes do)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import sessiond

from .conftest import Server
from .test_flask import FETCH, NAVIGATE, make_app, port_tracer


def test_parallel_logins_each_get_their_own_session(pg_server: Server) -> None:
    key = pg_server.api_key()
    app = make_app(pg_server, key)

    def login(_: int) -> str:
        c = app.test_client()
        res = c.post(
            "/login",
            data={"username": "net_admin", "password": port_tracer.DEMO_PASSWORD},
            headers=NAVIGATE,
        )
        assert res.status_code == 303
        assert c.get("/api/status", headers=FETCH).status_code == 200
        cookie = c.get_cookie("sessiond")
        assert cookie is not None
        return cookie.value

    with ThreadPoolExecutor(16) as pool:
        tokens = list(pool.map(login, range(32)))
    assert len(set(tokens)) == 32
    with sessiond.Client(pg_server.url, key) as direct:
        assert len(direct.user_sessions("net_admin")) == 32


def test_requests_racing_logout_everywhere_are_refused_once_it_answers(pg_server: Server) -> None:
    key = pg_server.api_key()
    app = make_app(pg_server, key, SESSIOND_CACHE_SECONDS=0)
    clients = [app.test_client(user="oss_user", role="oss") for _ in range(8)]

    def hit(i: int) -> int:
        return clients[i % len(clients)].get("/api/status", headers=FETCH).status_code

    with ThreadPoolExecutor(16) as pool:
        racing = pool.map(hit, range(64))
        admin = app.test_client(user="oss_user", role="oss")
        assert admin.post("/logout-everywhere", headers=NAVIGATE).status_code == 303
        assert set(racing) <= {200, 401}
        after = list(pool.map(hit, range(32)))
    assert set(after) == {401}
