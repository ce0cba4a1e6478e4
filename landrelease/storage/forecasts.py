"""Stored forecasts: written once by the engine, read by dashboards and reports."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from landrelease.storage.repository import UnitOfWork
from landrelease.storage.schema import forecast_run

REGISTER = "register"
SCENARIO = "scenario"


def save_forecasts(uow: UnitOfWork, kind: str, results: Sequence[dict[str, Any]]) -> str:
    """Store forecasts (``ForecastResult.as_dict(per_area=False)``) as one batch; returns its id.

    A scenario comparison is one batch, so the dashboard shows the scenarios that were run
    together, never a mix of runs with different seeds or registers.
    """
    if kind not in (REGISTER, SCENARIO):
        raise ValueError(f"unknown forecast kind {kind!r}")
    batch = str(uuid.uuid4())
    now = datetime.now(UTC)
    rows = [
        {
            "created_at": now,
            "kind": kind,
            "batch": batch,
            "name": str(r.get("name") or kind),
            "seed": int(r["seed"]),
            "runs": int(r["runs"]),
            "result": r,
        }
        for r in results
    ]
    uow.conn.execute(forecast_run.insert(), rows)
    uow.audit("insert", "forecast_run", batch, {"kind": kind, "names": [r["name"] for r in rows]})
    return batch


def latest_batch(conn: Connection, kind: str) -> list[dict[str, Any]]:
    """The newest batch of a kind, in the order it was stored (empty if none)."""
    t = forecast_run
    batch = conn.execute(select(t.c.batch).where(t.c.kind == kind).order_by(t.c.id.desc()).limit(1)).scalar()
    if batch is None:
        return []
    rows = conn.execute(select(t).where(t.c.batch == batch).order_by(t.c.id)).all()
    return [{"name": r.name, "created_at": r.created_at, "seed": r.seed, "runs": r.runs, **r.result} for r in rows]
