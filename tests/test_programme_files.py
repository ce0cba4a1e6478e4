"""Programme files: the shipped ones load; bad ones are refused naming file, year, key and what is allowed."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from landrelease.domain.enums import AssetType, ReleaseMethod
from landrelease.domain.errors import ValidationError
from landrelease.planning.programme import Release, Source, parse_programme

FOLDER = Path(str(resources.files("landrelease") / "samples" / "programmes"))
SHIPPED = sorted(FOLDER.glob("*.yaml"))

MINIMAL = """
programme: Testland
start_year: 2015
start:
  as_of: end of 2014
  sha_km2: 10
  cha_km2: 5
  source: {publication: Report 2015, section: table 1, year: 2015}
years:
  - year: 2015
    release:
      cancelled_km2: 1
      reduced_km2: 0.5
      cleared_km2: 0.25
      source: {publication: Report 2016, section: summary, year: 2016}
    capacity:
      - {deminers: 100, mdd_teams: 4, basis: average deployed, scope: national,
         source: {publication: Report 2016, section: capacity, year: 2016}}
"""


def _refusal(text: str, name: str = "bad.yaml") -> str:
    with pytest.raises(ValidationError) as info:
        parse_programme(text, name)
    return str(info.value)


def _edit(path: list[str | int], value: object, drop: bool = False) -> str:
    data = yaml.safe_load(MINIMAL)
    node = data
    for p in path[:-1]:
        node = node[p]
    if drop:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return yaml.safe_dump(data)


def test_at_least_five_programmes_are_shipped_and_load() -> None:
    assert len(SHIPPED) >= 5
    names = set()
    for path in SHIPPED:
        prog = parse_programme(path.read_text(encoding="utf-8"), path.name)
        names.add(prog.programme)
        assert prog.start.km2 > 0
        for y in prog.years:
            if y.release is not None:
                assert y.release.source.publication
        assert prog.missing, f"{path.name} must say what is not published"
    assert "Azerbaijan" not in names  # kept aside as an independent check


def test_no_azerbaijan_figures_are_shipped() -> None:
    for path in SHIPPED:
        assert "azerbaijan" not in path.name.lower()


def test_minimal_file_parses_and_totals() -> None:
    prog = parse_programme(MINIMAL, "ok.yaml")
    assert prog.start.split_km2() == (10, 5, "published")
    rel = prog.years[0].release
    assert rel is not None and rel.km2 == pytest.approx(1.75)
    assert prog.years[0].capacity[0].units() == {AssetType.MANUAL: 100, AssetType.MDD: 4}


def test_unknown_key_is_refused_with_the_allowed_keys() -> None:
    msg = _refusal(_edit(["years", 0, "release", "demined_km2"], 3))
    assert "bad.yaml" in msg and "year 2015" in msg
    assert "years.0.release.demined_km2" in msg and "unknown key" in msg
    assert "cancelled_km2" in msg and "reduced_and_cleared_km2" in msg


def test_unknown_top_level_key_is_refused() -> None:
    msg = _refusal(_edit(["country"], "Testland"))
    assert "unknown key" in msg and "start_year" in msg


def test_negative_area_is_refused() -> None:
    msg = _refusal(_edit(["years", 0, "release", "cleared_km2"], -0.5))
    assert "negative area" in msg and "cleared_km2" in msg and "-0.5" in msg and "≥ 0" in msg


def test_negative_start_area_is_refused() -> None:
    msg = _refusal(_edit(["start", "sha_km2"], -1))
    assert "start.sha_km2" in msg and "negative area" in msg


def test_year_without_source_is_refused() -> None:
    msg = _refusal(_edit(["years", 0, "release", "source"], None, drop=True))
    assert "years.0.release.source" in msg and "missing field" in msg and "publication" in msg


def test_capacity_without_source_is_refused() -> None:
    msg = _refusal(_edit(["years", 0, "capacity", 0, "source"], None, drop=True))
    assert "years.0.capacity.0.source" in msg and "year 2015" in msg


def test_start_without_source_is_refused() -> None:
    msg = _refusal(_edit(["start", "source"], None, drop=True))
    assert "start.source" in msg


def test_unknown_scope_names_allowed_values() -> None:
    msg = _refusal(_edit(["years", 0, "capacity", 0, "scope"], "regional"))
    assert "unknown value" in msg and "national" in msg and "operator" in msg


def test_method_counted_twice_is_refused() -> None:
    msg = _refusal(_edit(["years", 0, "release", "survey_km2"], 1.5))
    assert "counted twice" in msg and "survey_km2" in msg


def test_total_that_disagrees_is_refused() -> None:
    msg = _refusal(_edit(["years", 0, "release", "total_km2"], 9))
    assert "add up to 1.75" in msg


def test_years_out_of_order_are_refused() -> None:
    data = yaml.safe_load(MINIMAL)
    data["years"].append(dict(data["years"][0]))
    msg = _refusal(yaml.safe_dump(data))
    assert "increasing order" in msg


def test_not_finite_area_is_refused() -> None:
    msg = _refusal(_edit(["start", "cha_km2"], float("nan")))
    assert "start.cha_km2" in msg


def test_not_a_mapping_is_refused() -> None:
    assert "must be a mapping" in _refusal("- a\n- b\n")


def test_operator_scope_needs_a_name() -> None:
    msg = _refusal(_edit(["years", 0, "capacity", 0, "scope"], "operator"))
    assert "operator's name" in msg


def test_incomplete_release_has_no_total() -> None:
    rel = Release(cleared_km2=0.9, source=Source(publication="Report", section="x", year=2019))
    assert rel.km2 is None
    assert rel.covered() == frozenset({ReleaseMethod.CLEARED})


@given(
    a=st.floats(0, 1e4, allow_nan=False),
    b=st.floats(0, 1e4, allow_nan=False),
    c=st.floats(0, 1e4, allow_nan=False),
    combined=st.booleans(),
)
def test_release_total_is_the_sum_of_its_parts(a: float, b: float, c: float, combined: bool) -> None:
    src = Source(publication="Report", section="x", year=2019)
    rel = (
        Release(cancelled_km2=a, reduced_and_cleared_km2=b + c, source=src)
        if combined
        else Release(cancelled_km2=a, reduced_km2=b, cleared_km2=c, source=src)
    )
    assert rel.km2 == pytest.approx(a + b + c, rel=1e-9, abs=1e-9)
