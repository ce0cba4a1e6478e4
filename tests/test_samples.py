"""The sample scenario is a register a data officer would accept: clean and reproducible."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from landrelease.domain.quality import check_polygons
from landrelease.samples import generate


def test_sample_register_passes_the_quality_checks() -> None:
    sc = generate(400, seed=42)
    codes = [a.code for a in sc.hazard_areas]
    problems = check_polygons(codes, [a.geometry for a in sc.hazard_areas])
    assert problems == [], [str(p) for p in problems[:5]]


def test_same_seed_same_region_other_seed_other_region() -> None:
    a, b, c = generate(50, seed=1), generate(50, seed=1), generate(50, seed=2)
    assert all(
        shapely.equals_exact(x.geometry, y.geometry, 0) for x, y in zip(a.hazard_areas, b.hazard_areas, strict=True)
    )
    assert [e.code for e in a.evidence] == [e.code for e in b.evidence]
    assert not all(
        shapely.equals_exact(x.geometry, y.geometry, 1e-9) for x, y in zip(a.hazard_areas, c.hazard_areas, strict=True)
    )


def test_sample_follows_the_published_shape_of_the_problem() -> None:
    sc = generate(600, seed=3)
    shas = [a for a in sc.hazard_areas if a.kind.value == "SHA"]
    mined_sha = sum(a.extra["synthetic"]["mined"] for a in shas) / len(shas)
    assert mined_sha < 0.08  # "less than 5 % of SHAs prove to have any mines", with sampling noise
    records = [e for e in sc.evidence if e.kind.value == "minefield_record"]
    assert records and all(e.reliability == 0.2 for e in records)
    types = {t.type.value for t in sc.teams}
    assert types == {"manual", "mdd", "mechanical", "drone_survey", "eod"}


@pytest.mark.parametrize("seed", [1, 4])
def test_dense_regions_still_place_every_area_without_overlap(seed: int) -> None:
    sc = generate(2000, seed=seed)
    geoms = np.array([a.geometry for a in sc.hazard_areas])
    assert len(geoms) == 2000 and not shapely.is_empty(geoms).any()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="overlaps")
    assert int((left < right).sum()) == 0
