"""Priorities: the field's default order, explainable shares, and refused weights."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import LineString, Point

from landrelease.domain.enums import EvidenceKind, HazardKind, LandUse
from landrelease.domain.errors import ValidationError
from landrelease.domain.evidence import Evidence
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement
from landrelease.io.plan_settings import load_plan_scenario, load_weights
from landrelease.planning.priority import PriorityWeights, prioritise, weights_from_mapping


def _area(code: str, use: LandUse, lon: float, lat: float = 39.9, kind: HazardKind = HazardKind.SHA) -> HazardArea:
    return HazardArea(code=code, geometry=Point(lon, lat).buffer(0.002), land_use=use, kind=kind)


def test_default_weights_follow_the_fields_order() -> None:
    # a village with displaced people; its land (land use settlement) lies next to it, everything else far away
    village = Settlement("S1", "Village", Point(47.0, 39.9).buffer(0.003), population=900, displaced=800)
    uses = [LandUse.ROAD, LandUse.CEMETERY, LandUse.FARMLAND, LandUse.INFRASTRUCTURE, LandUse.FOREST]
    areas = [_area(f"{u.value}", u, 46.0, 38.0 + i * 0.05) for i, u in enumerate(uses)]
    areas.append(_area("settlement", LandUse.SETTLEMENT, 47.004, 39.9))
    sizes = {a.code: 10_000.0 for a in areas}
    # closeness to people is a separate criterion (risk); leave it out to compare land uses alone
    pr = prioritise(areas, [], [village], PriorityWeights(proximity_to_settlements=0), area_m2=sizes)
    order = sorted(pr, key=lambda c: -pr[c].score)
    assert order[:2] == ["road", "cemetery"]
    assert order.index("settlement") < order.index("farmland") < order.index("infrastructure") < order.index("forest")


def test_risk_and_effort_criteria_move_scores_the_right_way() -> None:
    a = _area("A", LandUse.FARMLAND, 46.0)
    b = _area("B", LandUse.FARMLAND, 46.1)
    acc = Evidence(EvidenceKind.ACCIDENT, Point(46.0, 39.9), hazard_code="A", reliability=0.95)
    pr = prioritise([a, b], [acc], [], area_m2={"A": 10_000.0, "B": 10_000.0})
    assert pr["A"].score > pr["B"].score
    assert pr["A"].indicators["accidents"] == pytest.approx(0.5)
    cha = prioritise(
        [_area("C", LandUse.FARMLAND, 46.0, kind=HazardKind.CHA), b], [], [], area_m2={"C": 10_000.0, "B": 10_000.0}
    )
    assert cha["C"].indicators["evidence_strength"] == 1.0 > cha["B"].indicators["evidence_strength"]
    big = prioritise([a, b], [], [], area_m2={"A": 1e6, "B": 1e3})
    assert big["B"].score > big["A"].score  # less effort, more priority, all else equal


def test_shares_sum_to_one_and_match_contributions() -> None:
    village = Settlement(
        "S1",
        "V",
        Point(47.0, 39.9).buffer(0.003),
        displaced=100,
        access_routes=LineString([(46.9, 39.9), (47.0, 39.9)]),
    )
    road = HazardArea(
        code="R", geometry=LineString([(46.95, 39.89), (46.95, 39.91)]).buffer(0.0002), land_use=LandUse.ROAD
    )
    pr = prioritise([road], [], [village])["R"]
    assert pr.indicators["settlements_awaiting_return"] > 0  # it crosses the village's access route
    assert sum(pr.shares().values()) == pytest.approx(1.0)
    w = PriorityWeights().as_dict()
    for c, v in pr.contributions.items():
        assert v == pytest.approx(w[c] * pr.indicators[c])


def test_bad_weights_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="all weights are zero"):
        weights_from_mapping(dict.fromkeys(PriorityWeights().as_dict(), 0))
    with pytest.raises(ValidationError) as err:
        weights_from_mapping({"farmland": -1})
    assert err.value.problems[0].field == "farmland"
    f = tmp_path / "w.yaml"
    f.write_text("farmland: 2\nbeauty: 5\n")
    with pytest.raises(ValidationError) as err:
        load_weights(f)
    assert err.value.problems[0].field == "beauty" and "unknown setting" in str(err.value)
    f.write_text("name: s\ncapacity: {}\nplan:\n  weights:\n    farmland: 9\n  planning:\n    horizon_days: 365\n")
    assert load_weights(f).farmland == 9
    assert load_plan_scenario(f).plan.planning.horizon_days == 365
    f.write_text("name: s\ncapacity: {}\nplan:\n  planning:\n    horizon_days: 365\n    speed: 3\n")
    with pytest.raises(ValidationError, match=r"plan\.planning\.speed"):
        load_plan_scenario(f)
