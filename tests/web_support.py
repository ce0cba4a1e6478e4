"""Helpers for the web tests: a seeded register with users of every role, and a live server.

Not a test module (no ``test_`` prefix): the web test files import it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import shapely
import uvicorn
from argon2 import PasswordHasher
from sqlalchemy import select

from landrelease.api.auth import Authenticator
from landrelease.domain.user import Role
from landrelease.samples import generate
from landrelease.settings import Settings
from landrelease.storage import schema, users
from landrelease.storage.repository import Register
from landrelease.web.app import create_app

PASSWORD = "correct horse battery"
OPERATOR = "Operator B"
OTHER_OPERATOR = "Operator C"
ROLES = {
    "admin": (Role.ADMIN, None),
    "analyst": (Role.ANALYST, None),
    "operator": (Role.OPERATOR, OPERATOR),
    "viewer": (Role.VIEWER, None),
}
# Cheap hashing in tests only (the server uses argon2's defaults).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def seed(register: Register, n_areas: int = 60, seed_value: int = 11) -> None:
    """A sample region, a small plan, one completed activity with a released part, users of every role."""
    from landrelease.services.importing import store_scenario

    sc = generate(n_areas, seed=seed_value)
    store_scenario(register, sc)
    auth = Authenticator(register, "test", hasher=FAST_HASHER)
    h, tm, t, a, rp = schema.hazard_area, schema.team, schema.task, schema.activity, schema.released_part
    with register.unit_of_work(actor="test") as uow:
        for name, (role, operator) in ROLES.items():
            users.add_user(uow.conn, "test", name, role, auth.hash_password(PASSWORD), operator)
        conn = uow.conn
        areas = conn.execute(select(h.c.id, h.c.code, h.c.geometry, h.c.area_m2).order_by(h.c.id).limit(12)).all()
        teams = conn.execute(select(tm.c.code, tm.c.operator).order_by(tm.c.id)).all()
        own = next(tt.code for tt in teams if tt.operator == OPERATOR)
        other = next(tt.code for tt in teams if tt.operator != OPERATOR)
        start = date(2026, 3, 2)
        rows = []
        for i, ar in enumerate(areas[:8]):
            rows.append(
                {
                    "code": f"T-{i + 1:03d}",
                    "hazard_id": ar.id,
                    "method": "nts",
                    "area_m2": ar.area_m2,
                    "team_code": own if i % 2 == 0 else other,
                    "planned_start": start + timedelta(days=30 * i),
                    "planned_end": start + timedelta(days=30 * i + 10),
                }
            )
        conn.execute(t.insert(), rows)
        ar = areas[10]
        aid = conn.execute(
            a.insert().values(
                code="ACT-0001",
                hazard_id=ar.id,
                kind="nts",
                team_code=own,
                operator=OPERATOR,
                start_date=date(2026, 1, 5),
                end_date=date(2026, 1, 9),
                area_processed_m2=ar.area_m2,
                status="completed",
                created_at=datetime.now(UTC),
            )
        ).inserted_primary_key[0]
        minx, miny, maxx, maxy = shapely.bounds(ar.geometry)
        conn.execute(
            rp.insert().values(
                activity_id=aid,
                hazard_id=ar.id,
                method="cancelled",
                geometry=ar.geometry,
                minx=minx,
                miny=miny,
                maxx=maxx,
                maxy=maxy,
                area_m2=ar.area_m2,
                released_on=date(2026, 1, 9),
            )
        )
        uow.audit("insert", "test-fixture", None, {"tasks": len(rows), "activities": 1})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    url: str
    register: Register

    def token(self, name: str) -> str:
        r = httpx.post(f"{self.url}/api/auth/token", json={"name": name, "password": PASSWORD}, timeout=30)
        r.raise_for_status()
        return str(r.json()["access_token"])


@contextmanager
def live_server(database_url: str, n_areas: int = 60, **more: Any) -> Iterator[Live]:
    """Seed a register and serve it with uvicorn in a thread on a free loopback port (``more``: settings)."""
    settings = Settings(database_url=database_url, secret_key="test-secret", **more)
    app = create_app(settings)
    app.state.auth.hasher = FAST_HASHER
    seed(app.state.register, n_areas)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield Live(f"http://127.0.0.1:{port}", app.state.register)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
