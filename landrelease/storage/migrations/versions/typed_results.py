"""typed results: area assessments and per-area forecasts in their own tables, not in extra

Moves what the contamination model and the forecast wrote into ``hazard_area.extra``
(``p_any``, ``expected_items``, ``contamination_model``, ``forecast``) into
``area_assessment`` and ``forecast_area``, so ``extra`` keeps only the user's own columns.
A value that does not have the shape the engines wrote (e.g. a user's own column that
happens to be called ``forecast``) is left in ``extra`` untouched. The downgrade writes the
results back into ``extra``.

Revision ID: typed_results
Revises: 0003
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "typed_results"
down_revision = "0003"
branch_labels = None
depends_on = None

MIGRATED_HASH = "unknown: migrated from hazard_area.extra"
QUANTILES = ("p10", "p50", "p90")
CHUNK = 5000

hazard = sa.table(
    "hazard_area", sa.column("id", sa.Integer), sa.column("extra", sa.JSON), sa.column("area_m2", sa.Float)
)
run = sa.table(
    "forecast_run",
    sa.column("id", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("kind", sa.String),
    sa.column("batch", sa.String),
    sa.column("name", sa.String),
    sa.column("seed", sa.Integer),
    sa.column("runs", sa.Integer),
    sa.column("result", sa.JSON),
    sa.column("start", sa.Date),
    sa.column("horizon_years", sa.Integer),
    sa.column("month_ends", sa.JSON),
)


def _tables() -> tuple[sa.Table, sa.Table]:
    assessment = op.create_table(
        "area_assessment",
        sa.Column("hazard_id", sa.Integer(), nullable=False),
        sa.Column("p_any", sa.Float(), nullable=False),
        sa.Column("expected_items", sa.Float(), nullable=False),
        sa.Column("params_hash", sa.String(length=64), nullable=False),
        sa.Column("cell_m", sa.Float(), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hazard_id"], ["hazard_area.id"], name=op.f("fk_area_assessment_hazard_id_hazard_area")
        ),
        sa.PrimaryKeyConstraint("hazard_id", name=op.f("pk_area_assessment")),
    )
    area = op.create_table(
        "forecast_area",
        sa.Column("forecast_id", sa.Integer(), nullable=False),
        sa.Column("hazard_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("p10_month", sa.SmallInteger(), nullable=False),
        sa.Column("p50_month", sa.SmallInteger(), nullable=False),
        sa.Column("p90_month", sa.SmallInteger(), nullable=False),
        sa.Column("p10_end", sa.Date(), nullable=True),
        sa.Column("p50_end", sa.Date(), nullable=True),
        sa.Column("p90_end", sa.Date(), nullable=True),
        sa.Column("p_released", sa.Float(), nullable=False),
        sa.Column("p_any", sa.Float(), nullable=True),
        sa.Column("p_cancelled", sa.Float(), nullable=True),
        sa.Column("p_reduced", sa.Float(), nullable=True),
        sa.Column("p_cleared", sa.Float(), nullable=True),
        sa.Column("run_months", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["forecast_id"],
            ["forecast_run.id"],
            name=op.f("fk_forecast_area_forecast_id_forecast_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["hazard_id"], ["hazard_area.id"], name=op.f("fk_forecast_area_hazard_id_hazard_area")),
        sa.PrimaryKeyConstraint("forecast_id", "hazard_id", name=op.f("pk_forecast_area")),
    )
    op.create_index(op.f("ix_forecast_area_hazard_id"), "forecast_area", ["hazard_id"], unique=False)
    return assessment, area


def _number(v: Any, low: float, high: float) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v) if low <= float(v) <= high else None


def _day(v: Any) -> date | None:
    try:
        return date.fromisoformat(str(v)[:10]) if v else None
    except ValueError:
        return None


def _month_ends(start: date, horizon_years: int) -> list[str]:
    # The forecast's calendar when this migration was written: month m ends at
    # start + round((m + 1) · 365.25 / 12) days.
    return [(start + timedelta(days=round((m + 1) * 365.25 / 12))).isoformat() for m in range(horizon_years * 12)]


def _backfill_runs(conn: sa.Connection) -> None:
    for r in conn.execute(sa.select(run.c.id, run.c.result)).all():
        result = r.result if isinstance(r.result, dict) else {}
        start = _day(result.get("start"))
        horizon = result.get("horizon_years")
        ends = (result.get("burn_down") or {}).get("month_end")
        month_ends = list(ends[1:]) if isinstance(ends, list) and len(ends) > 1 else None
        if month_ends is None and start is not None and isinstance(horizon, int):
            month_ends = _month_ends(start, horizon)
        conn.execute(
            run.update()
            .where(run.c.id == r.id)
            .values(start=start, horizon_years=horizon if isinstance(horizon, int) else None, month_ends=month_ends)
        )


def _forecast_item(item: Any) -> tuple[int, int, date] | None:
    """(seed, runs, start) of an area forecast the engine wrote, or None if it is not one."""
    if not isinstance(item, dict) or not all(isinstance(item.get(f"released_by_{q}"), str) for q in QUANTILES):
        return None
    start = _day(item.get("start"))
    if start is None or not isinstance(item.get("seed"), int) or not isinstance(item.get("runs"), int):
        return None
    return int(item["seed"]), int(item["runs"]), start


def _horizon_of(items: list[dict[str, Any]]) -> int | None:
    for item in items:
        for q in QUANTILES:
            text = item[f"released_by_{q}"]
            if text.startswith("beyond ") and text.split()[1].isdigit():
                return int(text.split()[1])
    return None


def upgrade() -> None:
    with op.batch_alter_table("forecast_run") as batch:
        batch.add_column(sa.Column("start", sa.Date(), nullable=True))
        batch.add_column(sa.Column("horizon_years", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("month_ends", sa.JSON(), nullable=True))
    assessment, area = _tables()
    conn = op.get_bind()
    _backfill_runs(conn)

    now = datetime.now(UTC)
    text = sa.cast(hazard.c.extra, sa.Text)
    candidates = conn.execute(
        sa.select(hazard.c.id, hazard.c.extra, hazard.c.area_m2)
        .where(sa.or_(text.like('%"p_any"%'), text.like('%"forecast"%'), text.like('%"contamination_model"%')))
        .order_by(hazard.c.id)
    ).all()
    assessments: list[dict[str, Any]] = []
    forecasts: dict[tuple[int, int, date], list[tuple[int, float, dict[str, Any]]]] = defaultdict(list)
    cleaned: dict[int, dict[str, Any]] = {}
    for r in candidates:
        extra = dict(r.extra) if isinstance(r.extra, dict) else {}
        p_any = _number(extra.get("p_any"), 0.0, 1.0)
        items = _number(extra.get("expected_items"), 0.0, float("inf"))
        if p_any is not None and items is not None:
            model = extra.get("contamination_model")
            model = model if isinstance(model, dict) else {}
            at = model.get("at")
            try:
                assessed_at = datetime.fromisoformat(str(at)) if at else now
            except ValueError:
                assessed_at = now
            assessments.append(
                {
                    "hazard_id": r.id,
                    "p_any": p_any,
                    "expected_items": items,
                    "params_hash": MIGRATED_HASH,
                    "cell_m": _number(model.get("cell_m"), 0.0, float("inf")),
                    "assessed_at": assessed_at,
                }
            )
            for key in ("p_any", "expected_items", "contamination_model"):
                extra.pop(key, None)
        key = _forecast_item(extra.get("forecast"))
        if key is not None:
            forecasts[key].append((r.id, float(r.area_m2), extra["forecast"]))
            extra.pop("forecast")
        if extra != r.extra:
            cleaned[r.id] = extra
    for i in range(0, len(assessments), CHUNK):
        conn.execute(assessment.insert(), assessments[i : i + CHUNK])

    for (seed, runs, start), rows in forecasts.items():
        found = conn.execute(
            sa.select(run.c.id, run.c.horizon_years, run.c.month_ends)
            .where(run.c.kind == "register", run.c.seed == seed, run.c.runs == runs, run.c.start == start)
            .order_by(run.c.id.desc())
            .limit(1)
        ).first()
        horizon = (found.horizon_years if found else None) or _horizon_of([item for _, _, item in rows]) or 10
        month_ends = (found.month_ends if found else None) or _month_ends(start, horizon)
        if found is not None:
            forecast_id = found.id
        else:
            forecast_id = conn.execute(
                run.insert()
                .values(
                    created_at=now,
                    kind="register",
                    batch=str(uuid.uuid4()),
                    name="migrated from the hazard areas' stored forecasts",
                    seed=seed,
                    runs=runs,
                    result={"name": "migrated", "start": start.isoformat(), "horizon_years": horizon, "migrated": True},
                    start=start,
                    horizon_years=horizon,
                    month_ends=month_ends,
                )
                .returning(run.c.id)
            ).scalar_one()
        index = {str(d)[:7]: m for m, d in enumerate(month_ends) if d}
        out = []
        for hazard_id, area_m2, item in rows:
            months, ends = [], []
            for q in QUANTILES:
                label = item[f"released_by_{q}"]
                m = horizon * 12 if label.startswith("beyond") else index.get(label[:7], horizon * 12)
                months.append(m)
                ends.append(_day(month_ends[m]) if m < len(month_ends) else None)
            position = item.get("dispatch_position")
            out.append(
                {
                    "forecast_id": forecast_id,
                    "hazard_id": hazard_id,
                    "position": int(position) - 1 if isinstance(position, int) else 0,
                    "area_m2": area_m2,
                    **{f"{q}_month": m for q, m in zip(QUANTILES, months, strict=True)},
                    **{f"{q}_end": d for q, d in zip(QUANTILES, ends, strict=True)},
                    "p_released": _number(item.get("released_within_horizon"), 0.0, 1.0) or 0.0,
                    "p_any": _number(item.get("p_any_eo"), 0.0, 1.0),
                    "p_cancelled": _number(item.get("p_cancelled_by_nts"), 0.0, 1.0),
                    "p_reduced": _number(item.get("p_reduced_by_ts"), 0.0, 1.0),
                    "p_cleared": _number(item.get("p_cleared_in_full"), 0.0, 1.0),
                    "run_months": None,
                }
            )
        for i in range(0, len(out), CHUNK):
            conn.execute(area.insert(), out[i : i + CHUNK])

    update = hazard.update().where(hazard.c.id == sa.bindparam("_id")).values(extra=sa.bindparam("_extra"))
    rows = [{"_id": k, "_extra": v} for k, v in cleaned.items()]
    for i in range(0, len(rows), CHUNK):
        conn.execute(update, rows[i : i + CHUNK])


def downgrade() -> None:
    conn = op.get_bind()
    a = sa.table(
        "area_assessment",
        sa.column("hazard_id", sa.Integer),
        sa.column("p_any", sa.Float),
        sa.column("expected_items", sa.Float),
        sa.column("cell_m", sa.Float),
        sa.column("assessed_at", sa.DateTime(timezone=True)),
    )
    fa = sa.table(
        "forecast_area",
        sa.column("forecast_id", sa.Integer),
        sa.column("hazard_id", sa.Integer),
        sa.column("position", sa.Integer),
        *(sa.column(f"{q}_end", sa.Date) for q in QUANTILES),
        sa.column("p_released", sa.Float),
        sa.column("p_any", sa.Float),
        sa.column("p_cancelled", sa.Float),
        sa.column("p_reduced", sa.Float),
        sa.column("p_cleared", sa.Float),
    )
    back: dict[int, dict[str, Any]] = defaultdict(dict)
    for r in conn.execute(sa.select(a)):
        at = r.assessed_at.isoformat(timespec="seconds") if r.assessed_at else None
        back[r.hazard_id].update(
            p_any=r.p_any, expected_items=r.expected_items, contamination_model={"cell_m": r.cell_m, "at": at}
        )
    newest = conn.execute(
        sa.select(run.c.id, run.c.seed, run.c.runs, run.c.start, run.c.horizon_years)
        .where(run.c.kind == "register")
        .order_by(run.c.id.desc())
        .limit(1)
    ).first()
    if newest is not None:
        for r in conn.execute(sa.select(fa).where(fa.c.forecast_id == newest.id)):
            item: dict[str, Any] = {
                f"released_by_{q}": (
                    d.strftime("%Y-%m") if (d := getattr(r, f"{q}_end")) else f"beyond {newest.horizon_years} years"
                )
                for q in QUANTILES
            }
            item["released_within_horizon"] = round(r.p_released, 4)
            for key, v in (
                ("p_any_eo", r.p_any),
                ("p_cancelled_by_nts", r.p_cancelled),
                ("p_reduced_by_ts", r.p_reduced),
                ("p_cleared_in_full", r.p_cleared),
            ):
                if v is not None:
                    item[key] = round(v, 4)
            item.update(
                dispatch_position=r.position + 1,
                runs=newest.runs,
                seed=newest.seed,
                start=newest.start.isoformat() if newest.start else None,
            )
            back[r.hazard_id]["forecast"] = item
    ids = list(back)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        rows = conn.execute(sa.select(hazard.c.id, hazard.c.extra).where(hazard.c.id.in_(chunk))).all()
        updates = [{"_id": r.id, "_extra": {**(r.extra or {}), **back[r.id]}} for r in rows]
        if updates:
            conn.execute(
                hazard.update().where(hazard.c.id == sa.bindparam("_id")).values(extra=sa.bindparam("_extra")),
                updates,
            )
    op.drop_index(op.f("ix_forecast_area_hazard_id"), table_name="forecast_area")
    op.drop_table("forecast_area")
    op.drop_table("area_assessment")
    with op.batch_alter_table("forecast_run") as batch:
        batch.drop_column("month_ends")
        batch.drop_column("horizon_years")
        batch.drop_column("start")
