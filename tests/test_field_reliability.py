"""Daily-report intake against a running server, on SQLite and PostGIS: 50 clients and 10,000
reports (resends, retries, out-of-order batches) stored exactly once; a server killed with
SIGKILL in the middle of the load loses nothing it acknowledged and leaves nothing half-written."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import sync_bench as sb  # noqa: E402

BACKENDS = ["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)]


@pytest.fixture
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    backend = request.param
    if backend == "postgis":
        request.getfixturevalue("postgis_url")  # fails in CI / skips locally when PostGIS is absent
    url, handle = sb.new_database(backend, tmp_path)
    yield url
    sb.drop_database(handle)


@pytest.mark.slow
@pytest.mark.parametrize("db", BACKENDS, indirect=True)
def test_fifty_clients_ten_thousand_reports_stored_exactly_once(db: str, tmp_path: Path) -> None:
    n_areas, n_teams = 400, 50
    sb.build_register(db, n_areas, n_teams)
    reports = sb.make_reports(10_000, n_areas, n_teams, seed=7)
    batches = sb.plan_batches(reports, 100, seed=7)
    assert len(batches) > 100  # 100 batches plus resends
    port = sb.free_port()
    proc = sb.start_server(db, port, log=tmp_path / "server.log")
    try:
        tok = sb.token(port)
        out = asyncio.run(sb.send_all(port, tok, batches, clients=50))
        assert out.failed_batches == [], out.statuses
        assert set(out.acked) == {r["uuid"] for r in reports}
        assert sb.check_exactly_once(db, out.acked) == []
        assert len(sb.stored_rows(db)) == 10_000
        # A resend with one changed report is refused whole, naming the uuid and the field.
        changed = dict(batches[0][0], hours=23.0)
        r = httpx.post(
            f"http://127.0.0.1:{port}/api/daily-reports",
            json={"reports": [batches[1][0], changed]},
            headers={"Authorization": f"Bearer {tok}"},
            timeout=60,
        )
        assert r.status_code == 409 and changed["uuid"] in r.json()["detail"]
        assert r.json()["errors"][0]["field"] == "reports.1.hours"
        assert len(sb.stored_rows(db)) == 10_000
    finally:
        sb.kill(proc)


@pytest.mark.slow
@pytest.mark.parametrize("db", BACKENDS, indirect=True)
def test_sigkill_mid_load_loses_nothing_acknowledged_and_half_writes_nothing(db: str, tmp_path: Path) -> None:
    n_areas, n_teams = 200, 20
    sb.build_register(db, n_areas, n_teams)
    reports = sb.make_reports(1_200, n_areas, n_teams, seed=11)
    batches = [reports[i : i + 100] for i in range(0, len(reports), 100)]  # no report in two batches
    port = sb.free_port()
    log = tmp_path / "server.log"
    proc = sb.start_server(db, port, log=log)
    tok = sb.token(port)
    result: dict[str, sb.Outcome] = {}

    def load() -> None:
        result["out"] = asyncio.run(sb.send_all(port, tok, batches, clients=10))

    t = threading.Thread(target=load)
    t.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sb.stored_count(db) < 300:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)  # the server this test started, mid-load
    proc.wait(timeout=30)
    t.join(timeout=120)
    out = result["out"]
    assert 0 < len(out.acked) < len(reports), "the kill should land in the middle of the load"
    rows = sb.stored_rows(db)
    # Nothing acknowledged is lost.
    assert sb.check_exactly_once(db, out.acked) == []
    # Nothing half-written: each batch is stored whole or not at all, and each stored report whole.
    for b in batches:
        stored = sum(1 for r in b if r["uuid"] in rows)
        assert stored in (0, len(b)), f"a batch is half stored ({stored} of {len(b)})"
    for u, row in rows.items():
        assert row["review_state"] == "submitted" and row["m2_processed"] > 0, u
    # The clients retry after the restart: everything is stored exactly once.
    proc = sb.start_server(db, port, log=log)
    try:
        again = asyncio.run(sb.send_all(port, sb.token(port), batches, clients=10))
        assert again.failed_batches == []
        assert sb.check_exactly_once(db, {r["uuid"]: r for r in reports}) == []
        assert len(sb.stored_rows(db)) == len(reports)
    finally:
        sb.kill(proc)


def test_sync_bench_smoke() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "sync_bench.py"), "--smoke", "--backend", "sqlite"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    figures = dict(line.split(" ")[0].split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    assert float(figures["reports_per_s"]) > 0 and float(figures["p99_ms"]) > 0
    assert figures["sqlite.stored_exactly_once"] == "1"
