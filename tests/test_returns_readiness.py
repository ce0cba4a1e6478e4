"""When can a village come back: when the land on its footprint, along its access routes and
on its farmland is released — joint quantiles over the forecast's runs, not the latest of
the areas' own quantiles."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point
from typer.testing import CliRunner

from landrelease.cli import app
from landrelease.domain.blocking import FARMLAND, FOOTPRINT, ROUTE, Blocking, blocking_areas
from landrelease.domain.enums import HazardStatus, LandUse
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement
from landrelease.returns.readiness import (
    READY,
    UNKNOWN,
    WAITING,
    RunMonths,
    joint_quantiles,
    marginal_latest,
    settlement_readiness,
)
from landrelease.services.readiness import readiness as readiness_service
from landrelease.storage import forecasts
from landrelease.storage.forecasts import REGISTER, ForecastRecord
from landrelease.storage.repository import Register

# At 47° E, 40° N: 0.001° of longitude ≈ 85 m, of latitude ≈ 111 m.
START = date(2027, 1, 1)
ENDS = [START + timedelta(days=round((m + 1) * 365.25 / 12)) for m in range(24)]


def village(code: str = "S-A", ring: float | None = None, route: bool = True) -> Settlement:
    return Settlement(
        code,
        code.replace("S-", "Village "),
        Point(47.0, 40.0).buffer(0.002),
        population=900,
        displaced=800,
        access_routes=LineString([(47.0, 40.0), (47.06, 40.0)]) if route else None,
        farmland_ring_m=ring,
    )


def box(code: str, x: float, y: float, use: LandUse = LandUse.FARMLAND, half: float = 0.0005) -> HazardArea:
    return HazardArea(code=code, geometry=shapely.box(x - half, y - half, x + half, y + half), land_use=use)


def runs_of(months: list[list[int]], known: list[bool] | None = None) -> RunMonths:
    m = np.array(months, dtype=np.uint16)
    return RunMonths(m, np.array(known if known is not None else [True] * len(m)), 24, ENDS)


def test_blocking_areas_footprint_route_buffer_and_farmland_ring() -> None:
    areas = [
        box("ON", 47.0005, 40.0005, LandUse.OTHER),  # on the footprint
        box("ROADSIDE", 47.03, 40.0004, LandUse.FOREST, half=0.0002),  # its edge ~22 m north of the route
        box("FAR-ROAD", 47.03, 40.003, LandUse.FOREST, half=0.0002),  # ~310 m from the route: not on it
        box("FIELD-800", 47.0, 40.0072, LandUse.FARMLAND, half=0.0002),  # farmland ~555 m from the footprint
        box("FOREST-800", 47.0, 40.0072, LandUse.FOREST, half=0.0002),  # not farmland: the ring does not apply
    ]
    b = blocking_areas([village(ring=1000.0)], areas, route_buffer_m=50.0)
    got = {areas[a].code: r for a, r in zip(b.area.tolist(), b.reason.tolist(), strict=True)}
    assert got == {"ON": FOOTPRINT, "ROADSIDE": ROUTE, "FIELD-800": FARMLAND}, got
    # a narrower ring leaves that field out; a wider route buffer takes the roadside forest in
    b = blocking_areas([village(ring=300.0)], areas, route_buffer_m=400.0)
    got = {areas[a].code: r for a, r in zip(b.area.tolist(), b.reason.tolist(), strict=True)}
    assert got == {"ON": FOOTPRINT, "ROADSIDE": ROUTE, "FAR-ROAD": ROUTE}
    # without access routes only the footprint (and farmland) count
    b = blocking_areas([village(ring=300.0, route=False)], areas)
    assert [areas[a].code for a in b.area] == ["ON"]


def test_joint_quantiles_differ_from_the_latest_marginal_and_the_joint_one_is_reported() -> None:
    """Two areas of the village, each late in half the runs: each one's own P50 is month 4, yet
    both are released only by month 7 in half the runs. The village's P50 is month 7."""
    a = list(range(10))
    runs = runs_of([a, a[::-1]])
    areas = [box("FIELD-1", 47.0005, 40.0005), box("FIELD-2", 46.9995, 39.9995)]
    (r,) = settlement_readiness([village()], areas, runs)
    assert r.status == WAITING and set(r.blocking) == {"FIELD-1", "FIELD-2"}
    assert marginal_latest(runs, [0, 1]) == (0, 4, 8)  # the old answer: a lower bound
    assert r.months == (5, 7, 9)  # max per run: 9,8,7,6,5,5,6,7,8,9
    assert r.ready_by["p50"] == ENDS[7].strftime("%Y-%m") != ENDS[4].strftime("%Y-%m")
    d = r.as_dict()
    assert d["quantiles"] == "joint" and d["p50"] == ENDS[7].strftime("%Y-%m")
    # each area is the last one in half the runs
    assert sorted(r.critical) == [("FIELD-1", 0.5), ("FIELD-2", 0.5)]
    assert d["critical"][0]["share"] == 0.5


def test_critical_area_is_the_one_last_in_most_runs_and_beyond_the_horizon_is_said() -> None:
    runs = runs_of([[3, 3, 3, 3], [5, 6, 1, 30]])  # area 2 is last in 3 runs of 4; 30 ≥ 24: beyond
    areas = [box("EARLY", 47.0005, 40.0005), box("LATE", 46.9995, 39.9995)]
    (r,) = settlement_readiness([village()], areas, runs)
    assert r.critical[0] == ("LATE", 0.75) and r.critical[1] == ("EARLY", 0.25)
    assert r.ready_by["p90"] == "beyond 2 years"


def test_released_land_no_longer_blocks_and_missing_run_months_are_unknown() -> None:
    runs = runs_of([[4, 4], [6, 6]], known=[True, False])
    released = box("DONE", 47.0005, 40.0005)
    released.status = HazardStatus.CLEARED
    (r,) = settlement_readiness([village()], [released, box("X", 46.9995, 39.9995)], runs)
    assert r.status == UNKNOWN and r.missing == ("X",) and r.ready_by["p50"] is None
    (r,) = settlement_readiness([village()], [released], runs_of([[4, 4]]))
    assert r.status == READY and r.blocking == ()


def test_a_reconstruction_end_later_than_the_land_sets_the_date() -> None:
    runs = runs_of([[2, 2, 2, 2]])
    (r,) = settlement_readiness([village()], [box("F", 47.0005, 40.0005)], runs, after={"S-A": np.array([1, 9, 9, 9])})
    assert r.months == (2, 9, 9) and r.reconstruction_last == 0.75
    (r,) = settlement_readiness([village()], [], runs, after={"S-A": np.array([5] * 4)})
    assert r.status == WAITING and r.months == (5, 5, 5)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 8),
    st.integers(1, 40),
    st.data(),
)
def test_vectorised_joint_quantiles_equal_a_plain_loop(n_s: int, n_a: int, n_runs: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    months = rng.integers(0, 30, size=(n_a, n_runs)).astype(np.uint16)
    pairs = sorted({(int(s), int(a)) for s, a in zip(rng.integers(0, n_s, 12), rng.integers(0, n_a, 12), strict=True)})
    s = np.array([p[0] for p in pairs], dtype=np.int64)
    a = np.array([p[1] for p in pairs], dtype=np.int64)
    res = joint_quantiles(
        n_s, Blocking(s, a, np.zeros(len(s), np.int8)), RunMonths(months, np.ones(n_a, bool), 24, ENDS)
    )
    for i in range(n_s):
        mine = [aa for ss, aa in pairs if ss == i]
        if not mine:
            assert res.status[i] == READY
            continue
        latest = [max(int(months[aa, r]) for aa in mine) for r in range(n_runs)]
        want = np.quantile(latest, [0.1, 0.5, 0.9], method="inverted_cdf").astype(int).tolist()
        assert res.months[i].tolist() == want
        last_share = {aa: sum(int(months[aa, r]) == latest[r] for r in range(n_runs)) / n_runs for aa in mine}
        got = {
            int(ca): v
            for cs, ca, v in zip(res.critical_settlement, res.critical_area, res.critical_share, strict=True)
            if cs == i
        }
        best = max(last_share.values())
        assert max(got.values()) == pytest.approx(best)
        for aa, v in got.items():
            assert v == pytest.approx(last_share[aa])


# ----------------------------------------------------------------- through storage and the CLI


def _store(register: Register, months: np.ndarray, codes: list[str]) -> None:
    q = np.quantile(months, (0.1, 0.5, 0.9), axis=1, method="inverted_cdf").T.astype(int)
    rec = ForecastRecord(
        name="t",
        seed=1,
        runs=months.shape[1],
        start=START,
        horizon_years=2,
        month_ends=ENDS,
        result={"band": []},
        codes=codes,
        area_m2=np.full(len(codes), 1e4),
        months_q=q,
        p_released=np.ones(len(codes)),
        run_months=months.astype(np.uint16),
    )
    with register.unit_of_work() as uow:
        forecasts.save_forecasts(uow, REGISTER, [rec])


def test_the_command_reports_the_joint_quantiles_from_the_stored_runs(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    register = Register.open(database_url)
    try:
        with register.unit_of_work() as uow:
            uow.add_settlements([village(ring=800.0), Settlement("S-B", "Beta", Point(47.2, 40.2).buffer(0.002))])
            uow.add_hazard_areas([box("FIELD-1", 47.0005, 40.0005), box("FIELD-2", 46.9995, 39.9995)])
        a = np.arange(10)
        _store(register, np.stack([a, a[::-1]]), ["FIELD-1", "FIELD-2"])
        stored = {s.code: s for s in register.settlements()}
        assert stored["S-A"].farmland_ring_m == 800.0 and stored["S-B"].farmland_ring_m is None
        items = {r.code: r for r in readiness_service(register)}
        with register.reading() as conn:
            marginal = forecasts.area_forecasts(conn)
    finally:
        register.close()
    assert items["S-A"].months == (5, 7, 9) and items["S-B"].status == READY
    assert max(m.months[1] for m in marginal.values()) == 4  # the latest marginal P50: not reported
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", database_url)
    monkeypatch.setenv("LANDRELEASE_OUTPUT_DIR", str(tmp_path / "out"))
    runner = CliRunner()
    res = runner.invoke(app, ["readiness", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["quantiles"] == "joint"
    assert [s["code"] for s in data["settlements"]] == ["S-B", "S-A"]  # by date: ready first
    (a_row,) = [s for s in data["settlements"] if s["code"] == "S-A"]
    assert a_row["p50"] == ENDS[7].strftime("%Y-%m") and a_row["quantiles"] == "joint"
    assert {c["code"] for c in a_row["critical"]} == {"FIELD-1", "FIELD-2"}
    one = runner.invoke(app, ["readiness", "--settlement", "village a", "--json"])
    assert [s["code"] for s in json.loads(one.stdout)["settlements"]] == ["S-A"]
    bad = runner.invoke(app, ["readiness", "--settlement", "Nowhere"])
    assert bad.exit_code == 2 and "--settlement" in bad.output
    table = runner.invoke(app, ["readiness"])
    assert table.exit_code == 0 and "joint" in table.output


def test_readiness_command_after_the_demo(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv("LANDRELEASE_OUTPUT_DIR", str(tmp_path / "out"))
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--areas", "60"]).exit_code == 0
    res = runner.invoke(app, ["readiness", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)["settlements"]
    assert data and {d["status"] for d in data} <= {READY, WAITING, UNKNOWN}
    assert UNKNOWN not in {d["status"] for d in data}  # the demo stored the forecast with its runs
    waiting = [d for d in data if d["status"] == WAITING]
    assert waiting and all(d["critical"] and d["p10"] <= d["p50"] for d in waiting)
    # the demo accepted one consolidation and allocated houses to its sample households
    from landrelease.services.dashboards import returns_overview

    register = Register.open(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        overview = returns_overview(register)
    finally:
        register.close()
    (c,) = overview["consolidations"]
    assert len(c["former"]) >= 2 and c["settlement"] in {d["code"] for d in data}
    assert overview["households"] > 0 and overview["housed"] > 0
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'id="returns"' in html and "joint quantiles" in html and c["name"] in html
    # what would bring the latest settlement forward: its areas first, and the cost to others
    last = waiting[-1]
    res = runner.invoke(
        app, ["readiness", "--settlement", last["code"], "--goal", "2040-01-01", "--runs", "40", "--json"]
    )
    assert res.exit_code == 0, res.output
    bf = json.loads(res.stdout)["bring_forward"]
    shares = bf["goal"]["share_of_runs_ready_by_then"]
    assert shares["areas_first"] >= shares["plan"] - 0.25  # the same seed; the order is what changed
    assert bf["goal"]["feasible_p80"]["areas_first"] == (shares["areas_first"] >= 0.8)
    assert bf["settlement"] == last["code"] and bf["months_gained"] >= 0 and bf["km2_days_delay_elsewhere"] >= 0
    assert bf["p50_after"] <= bf["p50_before"] or bf["p50_before"].startswith("beyond")


def test_areas_first_the_delay_elsewhere_and_a_goal() -> None:
    from landrelease.returns.bring_forward import areas_first, delay_km2_days, goal_month, share_ready_by

    assert goal_month(ENDS, ENDS[5]) == 5 and goal_month(ENDS, ENDS[5] - timedelta(days=1)) == 4
    assert goal_month(ENDS, START) == -1
    latest = np.array([2, 4, 6, 8, 10])
    assert share_ready_by(latest, 6) == 0.6 and share_ready_by(latest, -1) == 0.0

    assert areas_first(["a", "b", "c", "d"], ["d", "b"]) == ["b", "d", "a", "c"]
    assert areas_first(["a"], ["z"]) == ["z", "a"]
    km2 = np.array([1.0, 2.0, 0.5])
    before, after = np.array([3, 3, 9]), np.array([1, 5, 10])
    # area 0 moved earlier (not netted), area 1 two months later, area 2 excluded (the settlement's own)
    got = delay_km2_days(km2, before, after, np.array([False, False, True]))
    assert got == pytest.approx(2.0 * 2 * 365.25 / 12)
