"""The partitioned contamination grid gives the in-process numbers, on a real LocalCluster."""

from __future__ import annotations

from collections.abc import Iterator

import distributed
import numpy as np
import pytest

from landrelease.model.contamination import assess
from landrelease.model.contamination_dask import assess_partitioned, batches
from landrelease.samples import generate


@pytest.fixture(scope="module")
def cluster_address() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0", memory_limit="1GB"
    ) as cluster:
        yield cluster.scheduler_address


def _same(a: list, b: list) -> None:
    assert [r.code for r in a] == [r.code for r in b]
    for x, y in zip(a, b, strict=True):
        assert x.p_any == y.p_any and x.expected_items == y.expected_items
        assert x.transform == y.transform and x.crs.equals(y.crs)
        np.testing.assert_array_equal(x.p, y.p)
        np.testing.assert_array_equal(x.lam, y.lam)


def test_batches_carry_the_evidence_their_areas_need() -> None:
    scenario = generate(40, seed=3)
    parts = batches(scenario.hazard_areas, scenario.evidence, 7)
    assert sum(len(a) for a, _ in parts) == 40 and len(parts) == 6
    assert sum(len(e) for _, e in parts) == len(scenario.evidence)  # each item is tied to one area
    with pytest.raises(ValueError):
        batches(scenario.hazard_areas, scenario.evidence, 0)


def test_in_process_batches_equal_one_assessment() -> None:
    scenario = generate(40, seed=3)
    _same(
        assess(scenario.hazard_areas, scenario.evidence),
        assess_partitioned(scenario.hazard_areas, scenario.evidence, batch_size=9),
    )


def test_a_local_cluster_gives_the_in_process_numbers(cluster_address: str) -> None:
    scenario = generate(60, seed=11)
    here = assess(scenario.hazard_areas, scenario.evidence)
    there = assess_partitioned(scenario.hazard_areas, scenario.evidence, scheduler=cluster_address, batch_size=15)
    _same(here, there)
