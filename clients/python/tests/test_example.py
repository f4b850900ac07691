"""`examples/flask-port-tracer/run`, the README's one command, starts sessiond and the app."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from .conftest import BIN, ROOT, free_port


def test_the_example_starts_with_its_one_command(tmp_path: Path) -> None:
    port, sessiond_port = free_port(), free_port()
    proc = subprocess.Popen(
        [str(ROOT / "examples/flask-port-tracer/run")],
        env={
            **os.environ,
            "SESSIOND_BIN": BIN,
            "PORT": str(port),
            "TRACER_SESSIOND_PORT": str(sessiond_port),
            "TRACER_DATA": str(tmp_path),
        },
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, "the example's run script stopped"
            assert time.monotonic() < deadline, "the example did not start"
            try:
                if httpx.get(f"{url}/healthz", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        with httpx.Client(base_url=url) as browser:
            res = browser.post("/login", data={"username": "net_admin", "password": "port-tracer-demo"})
            assert res.status_code == 303 and "sessiond" in browser.cookies
            page = browser.get("/", headers={"Sec-Fetch-Mode": "navigate", "Accept": "text/html"})
            assert page.status_code == 200 and "Network Administrator" in page.text
            assert browser.get("/switches", headers={"Sec-Fetch-Mode": "cors"}).status_code == 200
            check = browser.get("/api/session/check").json()
            assert check["username"] == "net_admin" and check["session_timeout_minutes"] == 5
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
