"""Sample land-release activities on a sample register, for the demo and tests.

A few of each kind, in the published mix: NTS cancels whole SHAs, TS reduces, clearance
clears a CHA and finds items, and one TS releases only part of an area (which splits it).
Dates are drawn (from a seed) in the months before ``today``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import shapely
from shapely.geometry import Point

from landrelease.domain.activity import Activity, Find, ReleasedPart
from landrelease.domain.asset import Team
from landrelease.domain.enums import ActivityKind, AssetType, EOType, HazardKind, ReleaseMethod
from landrelease.domain.hazard import HazardArea


def _team(teams: Sequence[Team], *types: AssetType) -> Team | None:
    for t in types:
        for team in teams:
            if team.type is t:
                return team
    return teams[0] if teams else None


def _points_inside(rng: np.random.Generator, area: shapely.Geometry, n: int) -> list[Point]:
    minx, miny, maxx, maxy = area.bounds
    out: list[Point] = []
    for _ in range(200 * n):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if area.contains(p):
            out.append(p)
            if len(out) == n:
                break
    return out


def western_half(area: shapely.Geometry) -> shapely.Geometry:
    """The part of an area west of its centroid (a stand-in for what a team marked)."""
    minx, miny, _, maxy = area.bounds
    cut = area.centroid.x
    return shapely.intersection(area, shapely.box(minx - 1.0, miny - 1.0, cut, maxy + 1.0))


def sample_activities(areas: Sequence[HazardArea], teams: Sequence[Team], *, seed: int, today: date) -> list[Activity]:
    """Six activities: 2 NTS cancellations, a TS reduction, a clearance with finds, a partial
    TS release and an EOD spot task. Uses distinct open areas; fewer if the register is small."""
    rng = np.random.default_rng(seed)
    open_areas = [a for a in areas if a.is_open and a.geometry.geom_type in ("Polygon", "MultiPolygon")]
    shas = [a for a in open_areas if a.kind is HazardKind.SHA]
    chas = [a for a in open_areas if a.kind is HazardKind.CHA]
    used: set[str] = set()

    def pick(pool: list[HazardArea], largest: bool = False) -> HazardArea | None:
        free = [a for a in pool if a.code not in used] or [a for a in open_areas if a.code not in used]
        if not free:
            return None
        chosen = max(free, key=lambda a: a.geometry.area) if largest else free[int(rng.integers(len(free)))]
        used.add(chosen.code)
        return chosen

    def when(max_days: int = 180, length: int = 20) -> tuple[date, date]:
        start = today - timedelta(days=int(rng.integers(length + 1, max_days)))
        return start, start + timedelta(days=int(rng.integers(1, length)))

    out: list[Activity] = []
    nts_team = _team(teams, AssetType.DRONE_SURVEY, AssetType.MANUAL)
    for _ in range(2):
        a = pick(shas)
        if a is None:
            return out
        start, end = when()
        out.append(
            Activity(
                a.code,
                ActivityKind.NTS,
                start,
                end,
                team=nts_team.code if nts_team else None,
                operator=nts_team.operator if nts_team else a.operator,
                released=[ReleasedPart(ReleaseMethod.CANCELLED, a.geometry)],
            )
        )
    ts_team = _team(teams, AssetType.MDD, AssetType.MECHANICAL)
    a = pick(shas)
    if a is None:
        return out
    start, end = when()
    out.append(
        Activity(
            a.code,
            ActivityKind.TS,
            start,
            end,
            team=ts_team.code if ts_team else None,
            operator=ts_team.operator if ts_team else a.operator,
            released=[ReleasedPart(ReleaseMethod.REDUCED, a.geometry)],
        )
    )
    manual = _team(teams, AssetType.MANUAL)
    a = pick(chas)
    if a is None:
        return out
    start, end = when(length=60)
    finds = [
        Find(a.eo_types[0] if a.eo_types else EOType.AP_MINE, p, depth_cm=float(rng.uniform(5, 20)))
        for p in _points_inside(rng, a.geometry, 3)
    ]
    out.append(
        Activity(
            a.code,
            ActivityKind.CLEARANCE,
            start,
            end,
            team=manual.code if manual else None,
            operator=manual.operator if manual else a.operator,
            clearance_depth_cm=20.0,
            released=[ReleasedPart(ReleaseMethod.CLEARED, a.geometry)],
            finds=finds,
        )
    )
    machine = _team(teams, AssetType.MECHANICAL, AssetType.MDD)
    a = pick(shas, largest=True)
    if a is None:
        return out
    start, end = when()
    out.append(
        Activity(
            a.code,
            ActivityKind.TS,
            start,
            end,
            team=machine.code if machine else None,
            operator=machine.operator if machine else a.operator,
            released=[ReleasedPart(ReleaseMethod.REDUCED, western_half(a.geometry))],
        )
    )
    eod = _team(teams, AssetType.EOD)
    a = pick(chas)
    if a is None:
        return out
    start, _ = when(length=2)
    items = _points_inside(rng, a.geometry, 1)
    out.append(
        Activity(
            a.code,
            ActivityKind.EOD,
            start,
            start,
            team=eod.code if eod else None,
            operator=eod.operator if eod else a.operator,
            finds=[Find(EOType.UXO, p, depth_cm=0.0, condition="surface") for p in items],
        )
    )
    return out
