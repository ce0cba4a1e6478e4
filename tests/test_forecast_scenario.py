"""Scenario files: the examples parse; bad files are refused naming the file, the key, the allowed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from landrelease.domain.enums import AssetType
from landrelease.domain.errors import ValidationError
from landrelease.planning.forecast import AssetCapacity, Capacity
from landrelease.planning.scenario import parse_scenario

EXAMPLES = Path(__file__).resolve().parents[1] / "landrelease" / "samples" / "scenarios"


def test_examples_parse_and_add_to_the_fleet() -> None:
    today = parse_scenario((EXAMPLES / "today.yaml").read_text(), "today.yaml")
    more = parse_scenario((EXAMPLES / "more-deminers-and-dogs.yaml").read_text(), "more.yaml")
    fleet = Capacity({AssetType.MANUAL: AssetCapacity.from_rate(AssetType.MANUAL, 100, 50.0)})
    assert today.build_capacity(fleet) == fleet
    built = more.build_capacity(fleet)
    assert built.units(AssetType.MANUAL) == 300
    assert built.units(AssetType.MDD) == 20
    assert built.get(AssetType.MANUAL).median == fleet.get(AssetType.MANUAL).median  # same rates, more people


def test_toml_and_explicit_teams() -> None:
    spec = parse_scenario(
        'name = "clearance alone"\n[capacity]\nbase = "none"\n[capacity.teams.manual]\ncount = 1500\nrate = 50\n'
        "[assumptions]\nrelease_by_survey = false\nhorizon_years = 2\n",
        "alone.toml",
    )
    cap = spec.build_capacity(Capacity({AssetType.MDD: AssetCapacity.from_rate(AssetType.MDD, 9)}))
    assert set(cap.assets) == {AssetType.MANUAL} and cap.units(AssetType.MANUAL) == 1500
    assert spec.forecast.horizon_years == 2 and not spec.forecast.release_by_survey


BAD = [
    (
        "unknown asset type",
        "name: x\ncapacity:\n  add: {dogs: 20}\n",
        "capacity.add.dogs",
        "manual, mdd, mechanical, drone_survey, eod",
    ),
    ("unknown asset type", "name: x\ncapacity:\n  teams: {robot: {count: 2}}\n", "capacity.teams.robot", "mdd"),
    ("negative capacity", "name: x\ncapacity:\n  teams: {manual: {count: -5}}\n", "capacity.teams.manual.count", "≥ 0"),
    ("negative addition", "name: x\ncapacity:\n  add: {mdd: -1}\n", "capacity.add.mdd", "≥ 0"),
    ("horizon 0", "name: x\ncapacity: {}\nassumptions: {horizon_years: 0}\n", "assumptions.horizon_years", "≥ 1"),
    (
        "reliability > 1",
        "name: x\ncapacity: {}\nassumptions: {record_reliability: 1.2}\n",
        "assumptions.record_reliability",
        "[0, 1]",
    ),
    (
        "reliability < 0",
        "name: x\ncapacity: {}\nassumptions: {record_reliability: -0.1}\n",
        "assumptions.record_reliability",
        "[0, 1]",
    ),
    (
        "availability > 1",
        "name: x\ncapacity:\n  teams: {mdd: {count: 3, availability: 2}}\n",
        "capacity.teams.mdd.availability",
        "[0, 1]",
    ),
    ("missing field", "capacity: {}\n", "name", "a value"),
    ("missing count", "name: x\ncapacity:\n  teams: {manual: {rate: 40}}\n", "capacity.teams.manual.count", "a value"),
    ("missing capacity", "name: x\n", "capacity", "a value"),
    (
        "unknown key",
        "name: x\ncapacity: {}\nassumptions: {horizon: 5}\n",
        "assumptions.horizon",
        "horizon_years, runs, seed",
    ),
    (
        "unknown key in a team",
        "name: x\ncapacity:\n  teams: {manual: {count: 5, speed: 3}}\n",
        "capacity.teams.manual.speed",
        "count, rate, sigma, availability",
    ),
    (
        "mix not adding up",
        "name: x\ncapacity: {}\nassumptions: {release_mix: {cancelled: 0.5, reduced: 0.5, cleared: 0.5}}\n",
        "assumptions.release_mix",
        None,
    ),
]


@pytest.mark.parametrize(("why", "text", "key", "allowed"), BAD, ids=[b[0] for b in BAD])
def test_bad_scenarios_are_refused_by_file_and_key(why: str, text: str, key: str, allowed: str | None) -> None:
    with pytest.raises(ValidationError) as info:
        parse_scenario(text, "bad-scenario.yaml")
    message = str(info.value)
    assert "bad-scenario.yaml" in message
    assert f"field '{key}'" in message
    if allowed:
        assert allowed in message


def test_not_yaml_and_not_a_mapping() -> None:
    with pytest.raises(ValidationError, match=r"broken\.yaml: not valid YAML"):
        parse_scenario("name: [x\n", "broken.yaml")
    with pytest.raises(ValidationError, match=r"list\.toml: not valid TOML"):
        parse_scenario("- a\n", "list.toml")
    with pytest.raises(ValidationError, match="must be a mapping"):
        parse_scenario("- a\n", "list.yaml")


def test_a_pool_without_a_rate_keeps_the_register_rate() -> None:
    fleet = Capacity({AssetType.MANUAL: AssetCapacity.from_rate(AssetType.MANUAL, 100, 20.0, 0.3)})
    spec = parse_scenario("name: x\ncapacity:\n  teams: {manual: {count: 500}, mdd: {count: 4}}\n", "x.yaml")
    cap = spec.build_capacity(fleet)
    assert cap.units(AssetType.MANUAL) == 500
    assert cap.get(AssetType.MANUAL).median == fleet.get(AssetType.MANUAL).median
    assert cap.get(AssetType.MDD).median[0] == 750.0  # no register rate for dogs: the published prior
