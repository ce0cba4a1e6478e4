"""Stored forecasts: written once by the forecast use case, read by the map, the dashboards,
readiness and the report (nobody re-runs a forecast to show one).

A forecast is a ``forecast_run`` row (its figures over the whole register as plain data, its
calendar) and one ``forecast_area`` row per area forecast (P10/P50/P90 release month and,
where kept, the release month of every run). Per-area readers use the newest forecast of
the register as it is; scenario comparisons are batches of runs stored together.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import ColumnElement, Connection, func, select

from landrelease.domain.results import AreaForecast, JointRelease
from landrelease.storage import schema

if TYPE_CHECKING:
    from landrelease.storage.repository import UnitOfWork

REGISTER = "register"
SCENARIO = "scenario"
QUANTILES = (0.1, 0.5, 0.9)
CHUNK = 5000


@dataclass(slots=True)
class ForecastRecord:
    """One forecast as storage keeps it: what the forecast use case hands over.

    Arrays are per area in dispatch order: ``months_q`` (n, 3) P10/P50/P90 month index
    (``horizon_years * 12``: beyond the horizon), ``outcome_p`` (n, 3) cancelled / reduced /
    cleared probabilities, ``run_months`` (n, runs) the release month of each run (uint16)
    or None when the forecast did not keep them. ``month_ends`` gives the end date of each
    month index of the horizon.
    """

    name: str
    seed: int
    runs: int
    start: date
    horizon_years: int
    month_ends: list[date]
    result: dict[str, Any]
    codes: Sequence[str]
    area_m2: np.ndarray
    months_q: np.ndarray
    p_released: np.ndarray
    p_any: np.ndarray | None = None
    outcome_p: np.ndarray | None = None
    run_months: np.ndarray | None = None
    per_area: bool = field(default=True)


U8, U16 = 1, 2  # the codec byte in front of the compressed months


def encode_run_months(months: np.ndarray) -> bytes:
    """One area's release month of every run, zlib-compressed: as bytes when every month fits
    in one (horizons up to 21 years), else as little-endian uint16; a codec byte in front.

    >>> decode_run_months(encode_run_months(np.array([0, 5, 120], np.uint16))).tolist()
    [0, 5, 120]
    """
    a = np.asarray(months)
    if a.size == 0 or int(a.max()) < 256:
        return bytes([U8]) + zlib.compress(a.astype(np.uint8).tobytes(), 6)
    return bytes([U16]) + zlib.compress(a.astype("<u2").tobytes(), 1)


def decode_run_months(blob: bytes) -> np.ndarray:
    """The months :func:`encode_run_months` stored, as uint16."""
    data = bytes(blob)
    raw = zlib.decompress(data[1:])
    if data[0] == U8:
        return np.frombuffer(raw, dtype=np.uint8).astype(np.uint16)
    if data[0] == U16:
        return np.frombuffer(raw, dtype="<u2").astype(np.uint16)
    raise ValueError(f"unknown run-months codec {data[0]}")


def _area_rows(forecast_id: int, ids: dict[str, int], rec: ForecastRecord) -> Iterable[dict[str, Any]]:
    months = rec.horizon_years * 12
    ends: list[date | None] = [*rec.month_ends, None]
    if rec.run_months is not None and rec.run_months.shape != (len(rec.codes), rec.runs):
        raise ValueError(f"run months of shape {rec.run_months.shape}, expected {(len(rec.codes), rec.runs)}")
    for k, code in enumerate(rec.codes):
        mq = [min(int(m), months) for m in rec.months_q[k]]
        yield {
            "forecast_id": forecast_id,
            "hazard_id": ids[code],
            "position": k,
            "area_m2": float(rec.area_m2[k]),
            **{f"p{int(q * 100)}_month": m for q, m in zip(QUANTILES, mq, strict=True)},
            **{f"p{int(q * 100)}_end": ends[m] for q, m in zip(QUANTILES, mq, strict=True)},
            "p_released": float(rec.p_released[k]),
            "p_any": float(rec.p_any[k]) if rec.p_any is not None else None,
            "p_cancelled": float(rec.outcome_p[k, 0]) if rec.outcome_p is not None else None,
            "p_reduced": float(rec.outcome_p[k, 1]) if rec.outcome_p is not None else None,
            "p_cleared": float(rec.outcome_p[k, 2]) if rec.outcome_p is not None else None,
            "run_months": encode_run_months(rec.run_months[k]) if rec.run_months is not None else None,
        }


def save_forecasts(uow: UnitOfWork, kind: str, records: Sequence[ForecastRecord]) -> str:
    """Store forecasts as one batch (with each area's release); returns the batch id.

    A scenario comparison is one batch, so the dashboard shows the scenarios that were run
    together, never a mix of runs with different seeds or registers. Every area code must be
    in the register (refused, naming them, otherwise).
    """
    from landrelease.domain.errors import Problem, ValidationError

    if kind not in (REGISTER, SCENARIO):
        raise ValueError(f"unknown forecast kind {kind!r}")
    batch = str(uuid.uuid4())
    now = datetime.now(UTC)
    fr, fa = schema.forecast_run, schema.forecast_area
    stored_areas = 0
    for rec in records:
        ids = uow.hazard_ids(rec.codes) if rec.per_area else {}
        missing = [c for c in rec.codes if c not in ids] if rec.per_area else []
        if missing:
            raise ValidationError(
                [Problem("no hazard area with this code", record=c, field="hazard_code", found=c) for c in missing],
                "forecast not stored",
            )
        forecast_id = uow.conn.execute(
            fr.insert()
            .values(
                created_at=now,
                kind=kind,
                batch=batch,
                name=rec.name or kind,
                seed=int(rec.seed),
                runs=int(rec.runs),
                result=rec.result,
                start=rec.start,
                horizon_years=int(rec.horizon_years),
                month_ends=[d.isoformat() for d in rec.month_ends],
            )
            .returning(fr.c.id)
        ).scalar_one()
        if rec.per_area:
            rows = list(_area_rows(int(forecast_id), ids, rec))
            for i in range(0, len(rows), CHUNK):
                uow.conn.execute(fa.insert(), rows[i : i + CHUNK])
            stored_areas += len(rows)
    uow.audit(
        "insert",
        "forecast_run",
        batch,
        {"kind": kind, "names": [r.name for r in records], "areas": stored_areas},
    )
    return batch


def latest_batch(conn: Connection, kind: str) -> list[dict[str, Any]]:
    """The newest batch of a kind, in the order it was stored (empty if none): each run's
    figures over the whole register, with its id."""
    t = schema.forecast_run
    batch = conn.execute(select(t.c.batch).where(t.c.kind == kind).order_by(t.c.id.desc()).limit(1)).scalar()
    if batch is None:
        return []
    rows = conn.execute(select(t).where(t.c.batch == batch).order_by(t.c.id)).all()
    return [
        {**r.result, "id": r.id, "name": r.name, "created_at": r.created_at, "seed": r.seed, "runs": r.runs}
        for r in rows
    ]


def newest_register_forecast_id() -> ColumnElement[Any]:
    """The id of the newest stored forecast of the register as it is, as a scalar subquery
    (NULL when none), for queries that join each area's forecast."""
    t = schema.forecast_run
    return select(func.max(t.c.id)).where(t.c.kind == REGISTER).scalar_subquery()


def newest_forecast_id(conn: Connection, kind: str = REGISTER) -> int | None:
    t = schema.forecast_run
    value = conn.execute(select(func.max(t.c.id)).where(t.c.kind == kind)).scalar()
    return int(value) if value is not None else None


AREA_COLUMNS = (
    "position",
    "area_m2",
    "p10_month",
    "p50_month",
    "p90_month",
    "p10_end",
    "p50_end",
    "p90_end",
    "p_released",
    "p_any",
    "p_cancelled",
    "p_reduced",
    "p_cleared",
)
RUN_COLUMNS = ("horizon_years", "runs", "seed", "start")


def area_forecast_columns(fa: Any, fr: Any, prefix: str = "") -> dict[str, ColumnElement[Any]]:
    """The columns an :class:`AreaForecast` is built from (``forecast_area`` and its run),
    labelled with ``prefix``, for queries that join an area's forecast (the feature provider)."""
    return {**{prefix + c: fa.c[c] for c in AREA_COLUMNS}, **{prefix + c: fr.c[c] for c in RUN_COLUMNS}}


def area_forecast_from_mapping(code: str, m: Any, prefix: str = "") -> AreaForecast:
    """An area's forecast from a row holding :func:`area_forecast_columns`."""

    def v(name: str) -> Any:
        return m[prefix + name]

    return AreaForecast(
        hazard_code=code,
        position=int(v("position")),
        area_m2=float(v("area_m2")),
        months=(int(v("p10_month")), int(v("p50_month")), int(v("p90_month"))),
        released_by=(v("p10_end"), v("p50_end"), v("p90_end")),
        p_released=float(v("p_released")),
        horizon_years=int(v("horizon_years") or 0),
        runs=int(v("runs")),
        seed=int(v("seed")),
        start=v("start"),
        p_any=v("p_any"),
        p_cancelled=v("p_cancelled"),
        p_reduced=v("p_reduced"),
        p_cleared=v("p_cleared"),
    )


def area_forecasts(
    conn: Connection, codes: Sequence[str] | None = None, *, forecast_id: int | None = None
) -> dict[str, AreaForecast]:
    """Each area's release in one stored forecast (default: the newest of the register), by code.

    Areas the forecast does not hold (released before it, or split since) are absent.
    """
    fr, fa, h = schema.forecast_run, schema.forecast_area, schema.hazard_area
    forecast_id = forecast_id if forecast_id is not None else newest_forecast_id(conn)
    if forecast_id is None:
        return {}
    cols = area_forecast_columns(fa, fr)
    q = (
        select(*[c.label(n) for n, c in cols.items()], h.c.code)
        .select_from(fa.join(fr, fr.c.id == fa.c.forecast_id).join(h, h.c.id == fa.c.hazard_id))
        .where(fa.c.forecast_id == forecast_id)
    )
    out: dict[str, AreaForecast] = {}
    if codes is None:
        for r in conn.execute(q.order_by(fa.c.position)):
            out[r.code] = area_forecast_from_mapping(r.code, r._mapping)
        return out
    codes = list(codes)
    for i in range(0, len(codes), CHUNK):
        for r in conn.execute(q.where(h.c.code.in_(codes[i : i + CHUNK]))):
            out[r.code] = area_forecast_from_mapping(r.code, r._mapping)
    return out


def run_months(
    conn: Connection, codes: Sequence[str], *, forecast_id: int | None = None
) -> tuple[dict[str, np.ndarray], Any]:
    """The release month of every run of each area in ``codes`` (areas the forecast holds and
    for which it kept them), and the forecast's row."""
    fr, fa, h = schema.forecast_run, schema.forecast_area, schema.hazard_area
    forecast_id = forecast_id if forecast_id is not None else newest_forecast_id(conn)
    if forecast_id is None:
        return {}, None
    run = conn.execute(select(fr).where(fr.c.id == forecast_id)).one()
    out: dict[str, np.ndarray] = {}
    codes = list(dict.fromkeys(codes))
    q = (
        select(h.c.code, fa.c.run_months)
        .join(h, h.c.id == fa.c.hazard_id)
        .where(fa.c.forecast_id == forecast_id, fa.c.run_months.is_not(None))
    )
    for i in range(0, len(codes), CHUNK):
        for code, blob in conn.execute(q.where(h.c.code.in_(codes[i : i + CHUNK]))):
            out[code] = decode_run_months(blob)
    return out, run


def joint_release(conn: Connection, codes: Sequence[str], *, forecast_id: int | None = None) -> JointRelease | None:
    """When all of ``codes`` are released, as quantiles over the runs of one stored forecast
    (default: the newest of the register): in each run the latest release month among them,
    then P10/P50/P90 of that over runs — true joint quantiles, not the latest of the
    marginal ones.

    Areas the forecast does not hold are left out and named in ``missing`` (they were not
    open when it ran). None when there is no forecast, or it kept no per-run months for an
    area it holds.
    """
    months_by_code, run = run_months(conn, codes, forecast_id=forecast_id)
    if run is None:
        return None
    held = set(area_forecasts(conn, codes, forecast_id=run.id))
    if held - set(months_by_code):
        return None  # the forecast holds an area but kept no per-run months for it
    wanted = list(dict.fromkeys(codes))
    present = [c for c in wanted if c in months_by_code]
    missing = tuple(c for c in wanted if c not in months_by_code)
    horizon_months = int(run.horizon_years) * 12
    if present:
        latest = np.max(np.stack([months_by_code[c] for c in present]), axis=0)
        q = np.quantile(latest, QUANTILES, method="inverted_cdf")
        months = tuple(min(int(m), horizon_months) for m in q)
    else:
        months = (0, 0, 0)
    ends = [date.fromisoformat(d) for d in (run.month_ends or [])]
    released_by = tuple(ends[m] if m < len(ends) else None for m in months)
    return JointRelease(
        codes=tuple(present),
        months=months,  # type: ignore[arg-type]
        released_by=released_by,  # type: ignore[arg-type]
        runs=int(run.runs),
        horizon_years=int(run.horizon_years),
        missing=missing,
    )
