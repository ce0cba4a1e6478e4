"""Typed results (area assessments, stored forecasts) on SQLite and PostGIS: the migration out
of ``extra``, round trips, refusals, and joint quantiles over several areas."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
import shapely
from alembic import command
from sqlalchemy import select

from landrelease.domain.errors import ValidationError
from landrelease.domain.hazard import HazardArea
from landrelease.domain.results import Assessment
from landrelease.storage import assessments, forecasts, schema
from landrelease.storage.database import alembic_config, make_engine
from landrelease.storage.filters import HazardFilter
from landrelease.storage.forecasts import REGISTER, ForecastRecord
from landrelease.storage.repository import Register


def _areas(n: int) -> list[HazardArea]:
    return [
        HazardArea(code=f"HA-{i}", geometry=shapely.box(46.0 + i * 0.01, 39.5, 46.005 + i * 0.01, 39.505))
        for i in range(n)
    ]


def _month_ends(start: date, months: int) -> list[date]:
    return [start + timedelta(days=round((m + 1) * 365.25 / 12)) for m in range(months)]


def _record(codes: list[str], run_months: np.ndarray | None, horizon: int = 1) -> ForecastRecord:
    start = date(2027, 1, 1)
    months = horizon * 12
    q = np.quantile(run_months, (0.1, 0.5, 0.9), axis=1, method="inverted_cdf").T if run_months is not None else None
    return ForecastRecord(
        name="test",
        seed=7,
        runs=run_months.shape[1] if run_months is not None else 10,
        start=start,
        horizon_years=horizon,
        month_ends=_month_ends(start, months),
        result={"band": []},
        codes=codes,
        area_m2=np.full(len(codes), 1000.0),
        months_q=q.astype(int) if q is not None else np.zeros((len(codes), 3), dtype=int),
        p_released=np.ones(len(codes)),
        p_any=np.full(len(codes), 0.3),
        outcome_p=np.tile([0.5, 0.2, 0.3], (len(codes), 1)),
        run_months=run_months,
    )


def test_assessments_round_trip_with_the_portfolio(register: Register) -> None:
    with register.unit_of_work() as uow:
        uow.add_hazard_areas(_areas(3))
    at = datetime(2027, 1, 2, tzinfo=UTC)
    with register.unit_of_work() as uow:
        n = assessments.save_assessments(
            uow, [Assessment("HA-0", 0.25, 1.5, "abc", at, 25.0), Assessment("HA-2", 1.0, 7.0, "abc", at, 25.0)]
        )
    assert n == 2
    with register.reading() as conn:
        pf = assessments.portfolio(conn, HazardFilter(open_only=True))
    assert pf.codes == ["HA-0", "HA-1", "HA-2"]
    assert pf.assessments[1] is None
    a0 = pf.assessments[0]
    assert a0 is not None and (a0.p_any, a0.expected_items, a0.params_hash, a0.cell_m) == (0.25, 1.5, "abc", 25.0)
    assert all(a is not None and a > 0 for a in pf.area_m2())  # the stored metric area travels with the entity
    assert pf.areas[0].extra == {}  # nothing written into the user's columns
    # A newer assessment replaces the older one.
    with register.unit_of_work() as uow:
        assessments.save_assessments(uow, [Assessment("HA-0", 0.5, 2.0, "def", at, 10.0)])
    with register.reading() as conn:
        got = assessments.assessments(conn)
    assert got["HA-0"].p_any == 0.5 and got["HA-0"].params_hash == "def" and set(got) == {"HA-0", "HA-2"}


def test_an_assessment_of_an_unknown_area_is_refused_and_nothing_is_written(register: Register) -> None:
    with register.unit_of_work() as uow:
        uow.add_hazard_areas(_areas(1))
    at = datetime(2027, 1, 2, tzinfo=UTC)
    with pytest.raises(ValidationError) as info, register.unit_of_work() as uow:
        assessments.save_assessments(
            uow, [Assessment("HA-0", 0.2, 1.0, "x", at), Assessment("HA-9", 0.2, 1.0, "x", at)]
        )
    assert info.value.problems[0].record == "HA-9"
    with register.reading() as conn:
        assert assessments.assessments(conn) == {}


def test_an_assessment_must_be_a_probability() -> None:
    with pytest.raises(ValueError, match="not a probability"):
        Assessment("HA-0", 1.2, 1.0, "x", datetime.now(UTC))


def test_joint_release_is_later_than_the_latest_marginal_when_areas_are_late_in_different_runs(
    register: Register,
) -> None:
    """Two areas, each late in half the runs: each one's P50 is month 4, yet both are released
    only by month 7 in half the runs — the joint P50 a settlement waiting on both has."""
    with register.unit_of_work() as uow:
        uow.add_hazard_areas(_areas(3))
    a = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], dtype=np.uint16)
    run_months = np.stack([a, a[::-1].copy(), np.full(10, 2, dtype=np.uint16)])
    with register.unit_of_work() as uow:
        forecasts.save_forecasts(uow, REGISTER, [_record(["HA-0", "HA-1", "HA-2"], run_months)])
    with register.reading() as conn:
        marginal = forecasts.area_forecasts(conn)
        joint = forecasts.joint_release(conn, ["HA-0", "HA-1"])
        one = forecasts.joint_release(conn, ["HA-0"])
    assert marginal["HA-0"].months[1] == marginal["HA-1"].months[1] == 4
    latest_marginal = max(marginal["HA-0"].months[1], marginal["HA-1"].months[1])
    assert joint is not None and joint.months[1] == 7 > latest_marginal  # max per run: 9,8,7,6,5,5,6,7,8,9
    assert one is not None and one.months == marginal["HA-0"].months  # one area: joint == marginal
    ends = _month_ends(date(2027, 1, 1), 12)
    assert joint.released_by[1] == ends[7] and joint.label("p50") == ends[7].strftime("%Y-%m")
    assert marginal["HA-2"].summary()["released_by_p50"] == ends[2].strftime("%Y-%m")


def test_areas_the_forecast_does_not_hold_are_named_and_beyond_the_horizon_is_said(register: Register) -> None:
    with register.unit_of_work() as uow:
        uow.add_hazard_areas(_areas(2))
    run_months = np.array([[12] * 5 + [3] * 5], dtype=np.uint16)  # == 12 months: beyond a 1-year horizon
    with register.unit_of_work() as uow:
        forecasts.save_forecasts(uow, REGISTER, [_record(["HA-0"], run_months)])
    with register.reading() as conn:
        joint = forecasts.joint_release(conn, ["HA-0", "HA-1"])
        f = forecasts.area_forecasts(conn)["HA-0"]
    assert joint is not None and joint.missing == ("HA-1",) and joint.codes == ("HA-0",)
    assert joint.label("p90") == "beyond 1 years" and joint.released_by[2] is None
    assert f.label("p10") == _month_ends(date(2027, 1, 1), 12)[3].strftime("%Y-%m")
    assert f.label("p90") == "beyond 1 years"


def test_a_forecast_without_per_run_months_gives_no_joint_quantiles(register: Register) -> None:
    with register.unit_of_work() as uow:
        uow.add_hazard_areas(_areas(1))
    with register.unit_of_work() as uow:
        forecasts.save_forecasts(uow, REGISTER, [_record(["HA-0"], None)])
    with register.reading() as conn:
        assert forecasts.joint_release(conn, ["HA-0"]) is None
        assert set(forecasts.area_forecasts(conn)) == {"HA-0"}


def test_a_forecast_of_an_unknown_area_is_refused(register: Register) -> None:
    with register.unit_of_work() as uow:
        uow.add_hazard_areas(_areas(1))
    with pytest.raises(ValidationError), register.unit_of_work() as uow:
        forecasts.save_forecasts(uow, REGISTER, [_record(["HA-0", "HA-5"], None)])
    with register.reading() as conn:
        assert conn.execute(select(schema.forecast_run.c.id)).first() is None


def test_migration_moves_model_results_out_of_extra_and_back(database_url: str) -> None:
    """A register written before typed results: p_any, expected_items and the per-area forecast
    in ``extra``. The migration moves them into their tables, leaves the user's own columns
    (even one named like ours, with another shape), and the downgrade puts them back."""
    engine = make_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0003")
    start = date(2027, 1, 1)
    ends = _month_ends(start, 120)
    item = {
        "released_by_p10": ends[2].strftime("%Y-%m"),
        "released_by_p50": ends[5].strftime("%Y-%m"),
        "released_by_p90": "beyond 10 years",
        "released_within_horizon": 0.8,
        "p_any_eo": 0.3,
        "p_cancelled_by_nts": 0.5,
        "p_reduced_by_ts": 0.2,
        "p_cleared_in_full": 0.3,
        "dispatch_position": 2,
        "runs": 500,
        "seed": 1,
        "start": start.isoformat(),
    }
    reg = Register(engine)
    areas = _areas(3)
    areas[0].extra = {
        "sheet": "2585-III",
        "p_any": 0.3,
        "expected_items": 2.5,
        "contamination_model": {"cell_m": 25.0, "at": "2027-01-01T10:00:00+00:00"},
        "forecast": item,
    }
    areas[1].extra = {"forecast": "next spring", "p_any": "high"}  # the user's own columns
    with reg.unit_of_work() as uow:
        uow.add_hazard_areas(areas)
        uow.conn.execute(  # the columns forecast_run had at 0003
            schema.forecast_run.insert().values(
                created_at=datetime.now(UTC),
                kind="register",
                batch="b",
                name="register",
                seed=1,
                runs=500,
                result={
                    "start": start.isoformat(),
                    "horizon_years": 10,
                    "burn_down": {"month_end": [start.isoformat()] + [d.isoformat() for d in ends]},
                    "band": [],
                },
            )
        )
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with reg.reading() as conn:
        got = assessments.assessments(conn)
        fc = forecasts.area_forecasts(conn)
        extras = {a.code: a.extra for a in reg.hazard_areas()}
        runs = conn.execute(select(schema.forecast_run)).all()
    assert got["HA-0"].p_any == 0.3 and got["HA-0"].expected_items == 2.5 and got["HA-0"].cell_m == 25.0
    assert set(got) == {"HA-0"}
    assert len(runs) == 1 and runs[0].horizon_years == 10 and runs[0].start == start  # the matching run
    assert set(fc) == {"HA-0"}
    f = fc["HA-0"]
    assert f.months == (2, 5, 120) and f.summary()["released_by_p50"] == item["released_by_p50"]
    assert f.label("p90") == "beyond 10 years" and f.position == 1 and f.p_cancelled == 0.5
    assert extras["HA-0"] == {"sheet": "2585-III"}
    assert extras["HA-1"] == {"forecast": "next spring", "p_any": "high"}
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0003")
    with engine.connect() as conn:
        rows = {r.code: r.extra for r in conn.execute(select(schema.hazard_area.c.code, schema.hazard_area.c.extra))}
    assert rows["HA-0"]["p_any"] == 0.3 and rows["HA-0"]["forecast"]["released_by_p50"] == item["released_by_p50"]
    assert rows["HA-0"]["sheet"] == "2585-III" and rows["HA-1"] == {"forecast": "next spring", "p_any": "high"}
    engine.dispose()


@pytest.mark.parametrize("top", [0, 120, 255, 256, 2400])
def test_run_months_survive_the_round_trip(top: int) -> None:
    months = np.random.default_rng(top).integers(0, top + 1, size=1000).astype(np.uint16)
    months[-1] = top
    blob = forecasts.encode_run_months(months)
    assert forecasts.decode_run_months(blob).tolist() == months.tolist()
    assert blob[0] == (1 if top < 256 else 2)  # one byte a month where they fit
