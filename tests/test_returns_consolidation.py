"""Consolidation (clusters of nearby villages along roads, sites ranked, a proposal accepted) and
reconstruction (plots first, utilities before houses) included in readiness."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point
from typer.testing import CliRunner

from landrelease.cli import app
from landrelease.domain.enums import LandUse
from landrelease.domain.errors import ValidationError
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement
from landrelease.returns.consolidation import propose
from landrelease.returns.housing import House, Household
from landrelease.returns.reconstruction import Item, check, programme_end
from landrelease.services import consolidation, housing
from landrelease.services.readiness import UNKNOWN, WAITING, readiness
from landrelease.storage import forecasts
from landrelease.storage import returns as stored
from landrelease.storage.forecasts import REGISTER, ForecastRecord
from landrelease.storage.repository import Register

START = date(2027, 1, 1)
ENDS = [START + timedelta(days=round((m + 1) * 365.25 / 12)) for m in range(36)]


def villages() -> list[Settlement]:
    """A, B, C along one road 1.7 km apart; D 3.3 km north of A, not on the road; E far away."""

    def v(code: str, x: float, y: float, pop: int, route: LineString | None = None) -> Settlement:
        return Settlement(code, f"Village {code}", Point(x, y).buffer(0.002), pop, pop, route)

    return [
        v("A", 47.00, 40.0, 900, LineString([(47.00, 40.0), (47.02, 40.0)])),
        v("B", 47.02, 40.0, 600, LineString([(47.02, 40.0), (47.04, 40.0)])),
        v("C", 47.04, 40.0, 300),
        v("D", 47.00, 40.03, 400),
        v("E", 48.00, 40.0, 500, LineString([(48.0, 40.0), (48.01, 40.0)])),
    ]


def box(code: str, x: float, y: float) -> HazardArea:
    return HazardArea(
        code=code, geometry=shapely.box(x - 0.0005, y - 0.0005, x + 0.0005, y + 0.0005), land_use=LandUse.OTHER
    )


def test_clusters_follow_roads_and_the_population_limit_and_sites_are_ranked() -> None:
    ready = {"A": (12, "2028-01"), "B": (3, "2027-04"), "C": (3, "2027-04"), "D": (0, "now")}
    (p,) = propose(villages(), [], ready, max_km=5.0, max_population=5000)
    assert p.members == ("A", "B", "C") and p.population == 1800  # D is near but not on the road
    assert p.span_km == pytest.approx(3.4, abs=0.1)
    # B and C are ready first; B is reached along roads by both others, C by one
    assert [s.settlement for s in p.sites] == ["B", "C", "A"]
    assert p.sites[0].reached_by == 2
    # a lower population limit keeps the cluster smaller (grown from the most populous)
    (p,) = propose(villages(), [], ready, max_population=1500)
    assert p.members == ("A", "B")
    assert propose(villages(), [], ready, max_km=1.0) == []  # too far apart


def test_released_land_around_a_site_counts_against_open_areas() -> None:
    ready = {c: (0, "now") for c in "ABC"}
    (p,) = propose(villages(), [box("X", 47.04, 40.003)], ready)  # an open area by C
    by = {s.settlement: s for s in p.sites}
    assert by["C"].released_km2 < by["B"].released_km2


def test_the_programme_runs_plots_first_and_utilities_before_houses() -> None:
    items = [
        Item("road", "access_road", 2, plots=("R",)),
        Item("water", "water", 3),
        Item("power", "power", 1, plots=("P",)),
        Item("homes", "houses", 4),  # no explicit order: still after road and utilities
        Item("school", "school", 6, after=("power",)),
    ]
    check("A", items)
    released = {"R": np.array([0, 5]), "P": np.array([10, 1])}
    total, ends = programme_end(items, released, 2)
    assert ends["road"].tolist() == [2, 7]
    assert ends["water"].tolist() == [5, 10]
    assert ends["power"].tolist() == [11, 8]
    assert ends["homes"].tolist() == [15, 14]  # after the later utility
    assert total.tolist() == [17, 14]  # run 0: the school (11 + 6) is last
    with pytest.raises(ValidationError) as info:
        check("A", [Item("x", "houses", 1, after=("y",)), Item("y", "power", 1, after=("x",))])
    assert info.value.problems[0].field == "after"
    with pytest.raises(ValidationError) as info:
        check("A", [Item("x", "castle", 1)])
    assert (info.value.problems[0].record, info.value.problems[0].field) == ("A/x", "kind")


def test_housing_uses_the_consolidated_successor() -> None:
    from landrelease.returns.housing import allocate

    out = allocate([Household("h", 3, "A", START)], [House("N-1", "N-B", "T4", 3, 4)], successor={"A": "N-B"})
    assert out[0].house == "N-1"


# ----------------------------------------------------------------- through storage


def _store_forecast(register: Register, codes: list[str], months: np.ndarray) -> None:
    q = np.quantile(months, (0.1, 0.5, 0.9), axis=1, method="inverted_cdf").T.astype(int)
    rec = ForecastRecord(
        name="t", seed=1, runs=months.shape[1], start=START, horizon_years=3, month_ends=ENDS, result={},
        codes=codes, area_m2=np.full(len(codes), 1e4), months_q=q, p_released=np.ones(len(codes)),
        run_months=months.astype(np.uint16),
    )  # fmt: skip
    with register.unit_of_work() as uow:
        forecasts.save_forecasts(uow, REGISTER, [rec])


def test_reconstruction_is_in_readiness_and_a_proposal_is_accepted(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register = Register.open(database_url)
    try:
        with register.unit_of_work() as uow:
            uow.add_settlements(villages())
            uow.add_hazard_areas([box("ON-A", 47.0, 40.0), box("PLOT-A", 47.01, 40.01), box("ON-B", 47.02, 40.0)])
        _store_forecast(register, ["ON-A", "PLOT-A", "ON-B"], np.array([[2] * 10, [6] * 10, list(range(10))]))
        before = {r.code: r for r in readiness(register)}
        assert before["A"].months == (2, 4, 8)  # ON-B lies on A's access road: max(2, 0..9) per run
        assert set(before["A"].blocking) == {"ON-A", "ON-B"}
        consolidation.set_programme(
            register, "A", [Item("road", "access_road", 1), Item("homes", "houses", 5, plots=("PLOT-A",))]
        )
        after = {r.code: r for r in readiness(register)}
        assert after["A"].status == WAITING and after["A"].months == (11, 11, 11)  # homes: max(plot 6, road 1) + 5
        assert after["A"].reconstruction_last == 1.0
        with pytest.raises(ValidationError) as info:
            consolidation.set_programme(register, "A", [Item("homes", "houses", 5, plots=("NOPE",))])
        assert info.value.problems[0].field == "plots"
        # proposals use the joint dates; accept the best one
        (p,) = consolidation.proposals(register)
        assert p.members == ("A", "B", "C")
        new = consolidation.accept(register, p.code, name="New Town")
        assert new.code == "N-" + p.sites[0].settlement and new.population == 1800
        (done,) = consolidation.accepted(register)
        assert done["settlement"] == new.code and sorted(done["former"]) == ["A", "B", "C"]
        assert consolidation.proposals(register) == []  # consolidated settlements are not proposed again
        with pytest.raises(ValidationError):
            consolidation.accept(register, p.code, name="Again")
        assert housing.successors(register) == {"A": new.code, "B": new.code, "C": new.code}
        with register.reading() as conn:
            assert {s for s, _ in stored.programmes(conn).items()} == {"A"}
    finally:
        register.close()
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", database_url)
    runner = CliRunner()
    res = runner.invoke(app, ["consolidation", "propose", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout) == {"proposals": []}
    prog = tmp_path / "prog.csv"
    prog.write_text("settlement,code,kind,duration_months,plots,after\nB,road,access_road,2,,\nB,x,castle,1,ZZZ,\n")
    res = runner.invoke(app, ["reconstruction", "import", str(prog)])
    assert res.exit_code == 2 and "kind" in res.output


def test_a_plot_without_run_months_leaves_the_settlement_unknown(register: Register) -> None:
    with register.unit_of_work() as uow:
        uow.add_settlements(villages()[:1])
        uow.add_hazard_areas([box("ON-A", 47.0, 40.0), box("PLOT", 47.01, 40.01)])
    _store_forecast(register, ["ON-A"], np.array([[2] * 4]))
    consolidation.set_programme(register, "A", [Item("homes", "houses", 5, plots=("PLOT",))])
    (r,) = [x for x in readiness(register) if x.code == "A"]
    assert r.status == UNKNOWN and "PLOT" in r.missing
