"""Chromium (Debian's, through Playwright) logs in through the example app and sees sessiond.js's
warning modal count down: the Jinja helper, the proxy and the cookie working together."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from .conftest import ROOT, Server, free_port

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture
def example() -> Iterator[str]:
    # The browser tests' timeouts (clients/js): the warning shows 4 s after a login.
    server = Server(
        SESSION_IDLE_TIMEOUT_SECONDS="12",
        SESSION_WARNING_THRESHOLD_SECONDS="8",
        SESSION_EXPIRATION_GRACE_SECONDS="5",
    ).start()
    key = server.api_key()
    port = free_port()
    app = subprocess.Popen(
        [sys.executable, str(ROOT / "examples/flask-port-tracer/app.py")],
        env={**os.environ, "SESSIOND_URL": server.url, "SESSIOND_API_KEY": key, "PORT": str(port)},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).is_success:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    yield url
    app.kill()
    server.stop()


def test_chromium_logs_in_through_the_example_and_sees_the_warning_count_down(example: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM}: scripts/test installs Debian's"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{example}/")
        expect(page).to_have_url(re.compile(r"/login\?next=%2F&reason=no_session$"))
        page.get_by_label("Username").fill("oss_user")
        page.get_by_label("Password").fill("port-tracer-demo")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#user")).to_have_text("OSS Engineer")
        modal = page.get_by_role("alertdialog")
        expect(modal).to_be_visible(timeout=15_000)
        countdown = modal.locator("text=/\\d:\\d\\d/").first
        first = countdown.inner_text()
        page.wait_for_timeout(1500)
        assert countdown.inner_text() != first, "the countdown does not move"
        modal.get_by_role("button", name="Stay logged in").click()
        expect(modal).to_be_hidden()
        assert errors == []
        browser.close()
