"""The contamination grid of a large region, partitioned by batches of hazard areas on Dask.

Each area's grid depends only on the area, its evidence, the cell size and the metric CRS,
so the region is cut into batches, each batch is assessed on a worker, and the results come
back in the order of the areas: the same numbers as :func:`assess` in one process. The
metric CRS is chosen once for the whole region and evidence is matched to areas once, so
no batch decides anything on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyproj import CRS

from landrelease.domain.evidence import Evidence
from landrelease.domain.geometry import utm_crs_for_geometries
from landrelease.domain.hazard import HazardArea
from landrelease.model.contamination import (
    AreaContamination,
    ContaminationParams,
    assess,
    evidence_by_area,
)


def batches(
    areas: Sequence[HazardArea], evidence: Sequence[Evidence], batch_size: int
) -> list[tuple[list[HazardArea], list[Evidence]]]:
    """Areas cut into batches of ``batch_size``, each with exactly the evidence it needs."""
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    matched = evidence_by_area(areas, evidence)
    out = []
    for start in range(0, len(areas), batch_size):
        stop = min(start + batch_size, len(areas))
        needed = sorted({i for k in range(start, stop) for i in matched[k]})
        out.append((list(areas[start:stop]), [evidence[i] for i in needed]))
    return out


def _assess_batch(
    batch: tuple[list[HazardArea], list[Evidence]], cell_m: float, params: ContaminationParams, crs: CRS
) -> list[AreaContamination]:
    areas, evidence = batch
    return assess(areas, evidence, cell_m=cell_m, params=params, crs=crs)


def assess_partitioned(
    areas: Sequence[HazardArea],
    evidence: Sequence[Evidence],
    *,
    scheduler: Any = None,
    batch_size: int = 2000,
    cell_m: float = 25.0,
    params: ContaminationParams | None = None,
    crs: CRS | None = None,
) -> list[AreaContamination]:
    """:func:`assess` in batches: on the Dask cluster at ``scheduler`` (an address such as
    ``tcp://HOST:PORT`` or a ``distributed.Client``), else in this process."""
    if not areas:
        return []
    params = params or ContaminationParams()
    crs = crs or utm_crs_for_geometries([a.geometry for a in areas])
    parts = batches(areas, evidence, batch_size)
    if scheduler is None:
        return [r for part in parts for r in _assess_batch(part, cell_m, params, crs)]
    from distributed import Client

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = client.map(_assess_batch, parts, cell_m=cell_m, params=params, crs=crs, pure=False)
        done = client.gather(futures)
    finally:
        if client is not scheduler:
            client.close()
    return [r for part in done for r in part]
