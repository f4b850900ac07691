"""The real sessiond binary for the package's tests: each server on a fresh store, started with
`serve` and configured with the CLI, as an operator would (target/debug/sessiond, or
SESSIOND_BIN; scripts/test builds it first)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = os.environ.get("SESSIOND_BIN") or str(
    Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug" / "sessiond"
)
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, store: Optional[str] = None, **settings: str) -> None:
        self.dir = tempfile.mkdtemp(prefix="sessiond-python-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The server reads only what the test sets: a developer's SESSION_* settings, or the
        # test harness's SESSIOND_TEST_* addresses (which it warns of as typos), stay out.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("SESSIOND_", "SESSION_"))}
        self.env = {
            **inherited,
            "SESSIOND_BIND": f"127.0.0.1:{self.port}",
            "SESSIOND_STORE_URL": store or f"sqlite://{self.dir}/sessiond.db",
            "SESSIOND_DATA_DIR": self.dir,
            "SESSIOND_LOG": "warn",
            "SESSION_KEEPALIVE_RATE_LIMIT": "1000",
            "SESSIOND_LOGIN_RATE_LIMIT": "100000",
            "SESSION_MAX_CONCURRENT_PER_USER": "50",
            **settings,
        }
        self.proc: Optional[subprocess.Popen[bytes]] = None

    def cli(self, *args: str, stdin: Optional[str] = None) -> str:
        done = subprocess.run(
            [BIN, *args], env=self.env, cwd=self.dir, input=stdin, text=True, capture_output=True
        )
        assert done.returncode == 0, f"sessiond {' '.join(args)}: {done.stderr}"
        return done.stdout

    def add_user(self, name: str, role: str = "oss") -> None:
        self.cli("users", "add", name, "--role", role, "--password-stdin", stdin=PASSWORD + "\n")

    def api_key(self, scope: str = "sessions:write", roles: str = "oss,netadmin") -> str:
        name = f"py-{uuid.uuid4().hex[:8]}"
        args = ["api-keys", "create", name, "--scope", scope]
        if scope == "sessions:write":
            args += ["--roles", roles]
        m = re.search(r"sk_[A-Za-z0-9_-]+", self.cli(*args))
        assert m, "no key printed"
        return m.group(0)

    def start(self) -> Server:
        self.proc = subprocess.Popen([BIN, "serve"], env=self.env, cwd=self.dir)
        for _ in range(200):
            if self.proc.poll() is not None:
                raise RuntimeError("sessiond exited at start: its standard error says why")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).is_success:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("sessiond did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.kill()
            self.proc.wait()


def unique(prefix: str = "u") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    s = Server().start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def api_key(server: Server) -> str:
    return server.api_key()


POSTGRES = os.environ.get("SESSIOND_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    """sessiond on PostgreSQL, in a schema of its own, for the parallel cases."""
    schema = f"py_{uuid.uuid4().hex[:8]}"
    s = Server(store=POSTGRES, SESSIOND_POSTGRES_SCHEMA=schema).start()
    yield s
    s.stop()
    subprocess.run(["psql", POSTGRES, "-qc", f"DROP SCHEMA IF EXISTS {schema} CASCADE"], capture_output=True)
