"""`pip install ./clients/python` in a fresh virtualenv, then the README's quick start as it is
written, against the real server."""

from __future__ import annotations

import re
import subprocess
import sys
import venv
from pathlib import Path

from .conftest import Server, unique

PACKAGE = Path(__file__).resolve().parents[1]


def test_the_quick_start_works_in_a_fresh_virtualenv(server: Server, api_key: str, tmp_path: Path) -> None:
    readme = (PACKAGE / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1]
    code = re.search(r"```python\n(.*?)```", quick, re.S)
    assert code, "the README has no quick start"
    lines = [l for l in code.group(1).splitlines() if l.strip()]
    assert len(lines) <= 5, "the quick start grew past five lines"
    user = unique()
    script = (
        code.group(1)
        .replace("http://127.0.0.1:8080", server.url)
        .replace('"sk_..."', repr(api_key))
        .replace('"alice"', repr(user))
    )
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(PACKAGE)],
        capture_output=True,
        text=True,
    )
    assert pip.returncode == 0, pip.stderr
    run = subprocess.run([str(python), "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"{user} oss "), run.stdout
    assert sys.executable != str(python)
