"""Rows of the register's tables to and from the domain's records (and nothing else).

Shared by the repository and the modules that write inside its unit of work (recording an
activity, edits), so none of them needs another's internals.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from landrelease.domain.asset import Team
from landrelease.domain.enums import AssetType, EOType, EvidenceKind, HazardKind, HazardStatus, LandUse, Level
from landrelease.domain.evidence import Evidence
from landrelease.domain.geometry import areas_m2
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement


def bbox_columns(geoms: Sequence[BaseGeometry]) -> np.ndarray:
    return shapely.bounds(np.asarray(geoms, dtype=object))


def now_utc() -> datetime:
    return datetime.now(UTC)


def hazard_rows(areas: Sequence[HazardArea], now: datetime | None = None) -> list[dict[str, Any]]:
    """Rows for ``hazard_area``, with bbox and metric area computed in bulk."""
    if not areas:
        return []
    now = now or now_utc()
    geoms = [a.geometry for a in areas]
    bounds = bbox_columns(geoms)
    area = areas_m2(geoms)
    rows = []
    for i, a in enumerate(areas):
        rows.append(
            {
                "code": a.code,
                "name": a.name,
                "kind": a.kind.value,
                "land_use": a.land_use.value,
                "eo_types": [e.value for e in a.eo_types],
                "machine_accessible": a.machine_accessible,
                "slope_deg": a.slope_deg,
                "vegetation": a.vegetation.value,
                "clutter": a.clutter.value,
                "density": a.density.value,
                "status": a.status.value,
                "operator": a.operator,
                "region": a.region,
                "priority_score": a.priority_score,
                "beneficiaries": a.beneficiaries,
                "parent_id": a.parent_id,
                "geometry": a.geometry,
                "minx": bounds[i, 0],
                "miny": bounds[i, 1],
                "maxx": bounds[i, 2],
                "maxy": bounds[i, 3],
                "area_m2": float(area[i]),
                "created_at": a.created_at or now,
                "updated_at": a.updated_at or now,
                "version": a.version,
                "extra": a.extra,
            }
        )
    return rows


def hazard_from_row(r: Any) -> HazardArea:
    return HazardArea(
        id=r.id,
        code=r.code,
        name=r.name,
        kind=HazardKind(r.kind),
        land_use=LandUse(r.land_use),
        eo_types=tuple(EOType(e) for e in (r.eo_types or [])),
        machine_accessible=bool(r.machine_accessible),
        slope_deg=r.slope_deg,
        vegetation=Level(r.vegetation),
        clutter=Level(r.clutter),
        density=Level(r.density),
        status=HazardStatus(r.status),
        operator=r.operator,
        region=r.region,
        priority_score=r.priority_score,
        beneficiaries=r.beneficiaries,
        parent_id=r.parent_id,
        geometry=r.geometry,
        created_at=r.created_at,
        updated_at=r.updated_at,
        version=r.version,
        extra=dict(r.extra or {}),
        area_m2=float(r.area_m2),
    )


def evidence_from_row(r: Any, hazard_code: str | None) -> Evidence:
    return Evidence(
        id=r.id,
        code=r.code,
        hazard_code=hazard_code,
        kind=EvidenceKind(r.kind),
        geometry=r.geometry,
        date=r.date,
        source=r.source,
        reliability=r.reliability,
        confidence=r.confidence,
        eo_type=EOType(r.eo_type) if r.eo_type else None,
        count=r.count,
        positive=bool(r.positive),
    )


def team_from_row(r: Any) -> Team:
    return Team(
        id=r.id,
        code=r.code,
        type=AssetType(r.type),
        size=r.size,
        operator=r.operator,
        base=r.base,
        cost_per_day=r.cost_per_day,
        rate_m2_per_day=r.rate_m2_per_day,
        rate_sigma=r.rate_sigma,
    )


def settlement_from_row(r: Any) -> Settlement:
    return Settlement(
        id=r.id,
        code=r.code,
        name=r.name,
        geometry=r.geometry,
        population=r.population,
        displaced=r.displaced,
        access_routes=r.access_routes,
        region=r.region,
        farmland_ring_m=r.farmland_ring_m,
    )
