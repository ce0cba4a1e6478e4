"""`landrelease user add` and `landrelease serve` (first admin, printed address, a live page)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from landrelease.cli import app
from landrelease.storage import users
from landrelease.storage.repository import Register
from tests.web_support import free_port


def test_user_add_and_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", url)
    monkeypatch.setenv("LANDRELEASE_USER_PASSWORD", "a long enough password")
    runner = CliRunner()
    ok = runner.invoke(app, ["user", "add", "ops1", "--role", "operator", "--operator", "Operator B"])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(app, ["user", "add", "ops1", "--role", "viewer"])
    assert again.exit_code != 0 and "already exists" in again.output and "Traceback" not in again.output
    orphan = runner.invoke(app, ["user", "add", "ops2", "--role", "operator"])
    assert orphan.exit_code != 0 and "operator" in orphan.output
    monkeypatch.setenv("LANDRELEASE_USER_PASSWORD", "short")
    assert runner.invoke(app, ["user", "add", "x", "--role", "viewer"]).exit_code != 0
    reg = Register.open(url)
    with reg.reading() as conn:
        found = users.find_user(conn, "ops1")
    reg.close()
    assert found is not None and found[0].operator == "Operator B" and found[1].startswith("$argon2")


def test_serve_creates_first_admin_and_prints_address(tmp_path: Path) -> None:
    port = free_port()
    root = str(Path(__file__).resolve().parents[1])
    env = {
        **os.environ,
        "LANDRELEASE_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p),
    }
    env.pop("LANDRELEASE_ADMIN_PASSWORD", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "landrelease", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "serving" in line:
                break
        text = "".join(lines)
        assert f"http://127.0.0.1:{port}/" in text, text
        password = re.search(r"password '([^']+)'", text)
        assert password, text
        for _ in range(100):
            try:
                r = httpx.post(
                    f"http://127.0.0.1:{port}/api/auth/token", json={"name": "admin", "password": password.group(1)}
                )
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
