"""Daily-report intake over HTTP: sustained rate and acknowledgement latency, per backend.

A register of hazard areas and teams is made; ``landrelease serve`` runs on loopback (2
workers); concurrent clients send full daily reports in batches of 100 (out of order, with
deliberate resends of acknowledged batches and reports repeated across batches) to
``POST /api/daily-reports``. Afterwards the database is checked: every acknowledged report
is stored exactly once, with the content sent.

Two phases per backend: half the batches at a steady 500 reports/s (5 batches a second,
open loop, at most ``--clients`` in flight) to measure the acknowledgement latency at that
rate; the other half with every client sending as fast as the answers come, to measure the
most the server sustains. Prints, per backend: ``reports_per_s=`` (new reports acknowledged
per second in the first phase: 500 when the server keeps up with the offered rate, less when
it falls behind), ``p99_ms=`` / ``p50_ms=`` (a batch's acknowledgement at that rate),
``reports_per_s_max=`` and ``p99_ms_at_max=`` (the second phase, where clients queue),
``stored_exactly_once=`` (1 when the check passed). ``--smoke`` runs a small load.

    python benchmarks/sync_bench.py [--backend sqlite|postgis|both] [--reports 10000] [--clients 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import shapely
from shapely.geometry import Point

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from landrelease.domain.asset import Team  # noqa: E402
from landrelease.domain.enums import AssetType  # noqa: E402
from landrelease.domain.hazard import HazardArea  # noqa: E402
from landrelease.storage.repository import Register  # noqa: E402

ADMIN_PASSWORD = "benchmark-password-1"
PG_ADMIN = os.environ.get("LANDRELEASE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CELL = 0.002  # degrees: each hazard area is a ~170 m × 220 m box (about 3.8 ha)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- data


def build_register(url: str, n_areas: int, n_teams: int) -> None:
    reg = Register.open(url)
    areas = []
    for i in range(n_areas):
        x, y = 47.0 + (i % 40) * CELL * 1.5, 40.0 + (i // 40) * CELL * 1.5
        areas.append(
            HazardArea(code=f"HA-{i:05d}", geometry=shapely.box(x, y, x + CELL, y + CELL * 0.8), operator="Operator A")
        )
    teams = [
        Team(f"MAN-{t:03d}", AssetType.MANUAL, Point(47.0, 40.0), size=8, operator="Operator A") for t in range(n_teams)
    ]
    with reg.unit_of_work(actor="bench") as uow:
        uow.add_hazard_areas(areas)
        uow.add_teams(teams)
    reg.close()


def make_reports(n: int, n_areas: int, n_teams: int, seed: int) -> list[dict[str, Any]]:
    """Full daily reports; 1 in 20 with a device found inside its area."""
    rng = random.Random(seed)
    start = date(2026, 1, 1)
    out = []
    for k in range(n):
        a = rng.randrange(n_areas)
        x, y = 47.0 + (a % 40) * CELL * 1.5, 40.0 + (a // 40) * CELL * 1.5
        report: dict[str, Any] = {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "team": f"MAN-{rng.randrange(n_teams):03d}",
            "hazard_code": f"HA-{a:05d}",
            "date": (start + timedelta(days=rng.randrange(300))).isoformat(),
            "area_by_method": {"cleared": round(rng.uniform(20, 120), 1), "ts_searched": round(rng.uniform(0, 50), 1)},
            "hours": round(rng.uniform(4, 8), 1),
            "stoppages": [{"reason": "weather", "hours": 1.0}] if k % 7 == 0 else [],
            "team_leader": f"Leader {k % 97}",
            "position": {"type": "Point", "coordinates": [x + CELL / 2, y + CELL / 3]},
        }
        if k % 20 == 0:
            report["items"] = [
                {"eo_type": "ap_mine", "position": {"type": "Point", "coordinates": [x + CELL * 0.4, y + CELL * 0.3]},
                 "depth_cm": 8.0, "model": "PMN-2", "condition": "intact", "disposal": "destroyed_in_situ"}
            ]  # fmt: skip
        out.append(report)
    return out


def plan_batches(reports: list[dict[str, Any]], batch: int, seed: int) -> list[list[dict[str, Any]]]:
    """Out-of-order batches; 1 in 10 is a resend of an earlier batch; 1 in 5 also carries a report of another batch."""
    rng = random.Random(seed)
    shuffled = reports[:]
    rng.shuffle(shuffled)
    batches = [shuffled[i : i + batch] for i in range(0, len(shuffled), batch)]
    out: list[list[dict[str, Any]]] = []
    for i, b in enumerate(batches):
        b = b[:]
        if i and rng.random() < 0.2:
            b.append(rng.choice(batches[rng.randrange(i)]))  # a report also sent in another batch
        out.append(b)
        if i and rng.random() < 0.1:
            out.append(out[rng.randrange(len(out))])  # a client retrying a batch
    return out


# ---------------------------------------------------------------- server


def start_server(
    url: str, port: int, workers: int = int(os.environ.get("SYNC_BENCH_WORKERS", "2")), log: Path | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LANDRELEASE_DATABASE_URL": url,
        "LANDRELEASE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LANDRELEASE_SECRET_KEY": "sync-bench-key-of-enough-length-0123456789",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    cmd = [sys.executable, "-m", "landrelease", "serve", "--port", str(port), "--workers", str(workers)]
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - kept open for the child's life
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=out, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ogc/api", timeout=5).status_code < 500:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        time.sleep(0.3)
    raise RuntimeError("the server did not answer")


def kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Stop the server this script started (its own process group)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def token(port: int) -> str:
    r = httpx.post(
        f"http://127.0.0.1:{port}/api/auth/token", json={"name": "admin", "password": ADMIN_PASSWORD}, timeout=30
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


# ---------------------------------------------------------------- load


@dataclass
class Outcome:
    acked: dict[str, dict[str, Any]] = field(default_factory=dict)  # uuid -> report, acknowledged by the server
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failed_batches: list[list[dict[str, Any]]] = field(default_factory=list)
    elapsed: float = 0.0


async def send_all(
    port: int, tok: str, batches: list[list[dict[str, Any]]], clients: int, stop_after: float | None = None
) -> Outcome:
    out = Outcome()
    queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    for b in batches:
        queue.put_nowait(b)
    headers = {"Authorization": f"Bearer {tok}"}
    t0 = time.perf_counter()

    async def client() -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as http:
            while not queue.empty():
                if stop_after is not None and time.perf_counter() - t0 > stop_after:
                    return
                b = queue.get_nowait()
                started = time.perf_counter()
                try:
                    r = await http.post("/api/daily-reports", json={"reports": b})
                except httpx.HTTPError:
                    out.failed_batches.append(b)
                    continue
                out.statuses[r.status_code] = out.statuses.get(r.status_code, 0) + 1
                if r.status_code in (200, 201):
                    out.latencies.append(time.perf_counter() - started)
                    for rep in b:
                        out.acked[rep["uuid"]] = rep
                else:
                    out.failed_batches.append(b)

    await asyncio.gather(*(client() for _ in range(clients)))
    out.elapsed = time.perf_counter() - t0
    return out


async def send_at_rate(
    port: int, tok: str, batches: list[list[dict[str, Any]]], per_second: float, clients: int
) -> Outcome:
    """Open loop: a batch leaves every 1/per_second s whatever the answers (at most ``clients`` in flight)."""
    out = Outcome()
    headers = {"Authorization": f"Bearer {tok}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    t0 = time.perf_counter()
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60, limits=limits
    ) as http:

        async def one(b: list[dict[str, Any]]) -> None:
            started = time.perf_counter()
            try:
                r = await http.post("/api/daily-reports", json={"reports": b})
            except httpx.HTTPError:
                out.failed_batches.append(b)
                return
            out.statuses[r.status_code] = out.statuses.get(r.status_code, 0) + 1
            if r.status_code in (200, 201):
                out.latencies.append(time.perf_counter() - started)
                for rep in b:
                    out.acked[rep["uuid"]] = rep
            else:
                out.failed_batches.append(b)

        tasks = []
        for i, b in enumerate(batches):
            delay = t0 + i / per_second - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(b)))
        await asyncio.gather(*tasks)
    out.elapsed = time.perf_counter() - t0
    return out


def stored_rows(url: str) -> dict[str, dict[str, Any]]:
    from sqlalchemy import select

    from landrelease.storage import schema

    reg = Register.open(url)
    d = schema.daily_report
    with reg.reading() as conn:
        rows = {r.uuid: dict(r._mapping) for r in conn.execute(select(d))}
    reg.close()
    return rows


def stored_count(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM daily_report")).scalar_one())
    finally:
        engine.dispose()


def check_exactly_once(url: str, acked: dict[str, dict[str, Any]]) -> list[str]:
    """Problems: an acknowledged report missing or stored with other content (each uuid is unique by constraint)."""
    rows = stored_rows(url)
    problems = []
    for u, rep in acked.items():
        row = rows.get(u)
        if row is None:
            problems.append(f"acknowledged report {u} is not stored")
            continue
        m2 = sum(rep["area_by_method"].values())
        if (
            abs(row["m2_processed"] - m2) > 0.01
            or row["team_code"] != rep["team"]
            or len(row["items"] or []) != len(rep.get("items", []))
        ):
            problems.append(f"report {u} is stored with other content")
    return problems


# ---------------------------------------------------------------- databases


def new_database(backend: str, folder: Path) -> tuple[str, Any]:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'sync.db'}", None
    import psycopg

    name = f"landrelease_sync_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", autocommit=True) as db:
        db.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    base = PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0]
    return f"{base}/{name}", (admin, name)


def drop_database(handle: Any) -> None:
    if handle is None:
        return
    admin, name = handle
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def run_backend(
    backend: str, n_reports: int, clients: int, batch: int, seed: int, rate: float = 500.0
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url, handle = new_database(backend, Path(tmp))
        proc = None
        try:
            n_areas, n_teams = max(40, n_reports // 25), 50
            build_register(url, n_areas, n_teams)
            reports = make_reports(n_reports, n_areas, n_teams, seed)
            batches = plan_batches(reports, batch, seed)
            port = free_port()
            proc = start_server(url, port)
            tok = token(port)
            warm = asyncio.run(send_all(port, tok, batches[:3], 3))  # warm the workers
            # Open loop at the target rate (500 reports/s = 5 batches of 100 a second): latency.
            cut = 3 + (len(batches) - 3) // 2
            paced = asyncio.run(send_at_rate(port, tok, batches[3:cut], rate / batch, clients))
            # Closed loop, every client sending as fast as answers come: the most it sustains.
            out = asyncio.run(send_all(port, tok, batches[cut:], clients))
            acked = {**warm.acked, **paced.acked, **out.acked}
            problems = check_exactly_once(url, acked)
            rows = stored_rows(url)
            before = set(warm.acked) | set(paced.acked)
            new = len(set(out.acked) - before)
            paced_new = len(set(paced.acked) - set(warm.acked))
            lat = np.asarray(paced.latencies) * 1000
            busy = np.asarray(out.latencies) * 1000
            result = {
                "reports_per_s": paced_new / paced.elapsed if paced.elapsed else 0.0,
                "reports_per_s_max": new / out.elapsed if out.elapsed else 0.0,
                "p50_ms": float(np.percentile(lat, 50)) if len(lat) else float("nan"),
                "p99_ms": float(np.percentile(lat, 99)) if len(lat) else float("nan"),
                "offered_reports_per_s": float(rate),
                "p99_ms_at_max": float(np.percentile(busy, 99)) if len(busy) else float("nan"),
                "batches": float(len(batches)),
                "acknowledged": float(len(acked)),
                "stored": float(len(rows)),
                "refused_batches": float(len(out.failed_batches) + len(paced.failed_batches)),
                "stored_exactly_once": float(not problems and len(rows) == len(acked)),
            }
            for p in problems[:5]:
                say(p)
            return result
        finally:
            if proc is not None:
                kill(proc)
            drop_database(handle)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["sqlite", "postgis", "both"], default="both")
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--seed", type=int, default=20201110)
    ap.add_argument("--smoke", action="store_true", help="a small load (the test suite runs this)")
    args = ap.parse_args()
    n, clients = (700, 8) if args.smoke else (args.reports, args.clients)
    backends = ["sqlite", "postgis"] if args.backend == "both" else [args.backend]
    ok = True
    for b in backends:
        say(f"{b}: {n} reports, {clients} clients, batches of {args.batch}")
        r = run_backend(b, n, clients, args.batch, args.seed)
        for k, v in r.items():
            print(f"{b}.{k}={v:.1f}" if k not in ("stored_exactly_once",) else f"{b}.{k}={int(v)}")
        print(f"reports_per_s={r['reports_per_s']:.1f} backend={b}")
        print(f"p99_ms={r['p99_ms']:.1f} backend={b}")
        ok = ok and r["stored_exactly_once"] == 1.0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
