"""Which asset types may work which hazard area, at which stage: the one eligibility matrix.

The planner (per task) and the forecast (per area, vectorised) both ask here.

- NTS (IMAS 08.10) is done by survey teams of people: ``drone_survey`` teams, whose whole job
  it is, and manual (multi-task) teams, at the NTS walking rate of people
  (:data:`~landrelease.model.productivity.NTS_PRIORS`). Where the fleet has survey teams they
  do the NTS and manual teams keep to TS and clearance; a fleet of manual teams only does its
  own NTS (:func:`nts_assets`): plan and forecast both ask here.
- TS and clearance are done by manual teams, dogs (MDD) and machines:
  - cemeteries, religious sites and high-density areas: manual only (mined too densely,
    or too sensitive, for dogs and machines — the seed article);
  - dogs not on high-clutter ground (metal and explosive residue everywhere);
  - machines only on machine-accessible ground with a slope of at most 20°
    (:data:`~landrelease.model.productivity.MAX_MACHINE_SLOPE_DEG`).
- EOD teams do spot tasks (single items), not area work; survey teams do not clear.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from landrelease.domain.enums import ActivityKind, AssetType, LandUse, Level
from landrelease.domain.hazard import HazardArea
from landrelease.model.productivity import MAX_MACHINE_SLOPE_DEG

SENSITIVE_USES = frozenset({LandUse.CEMETERY, LandUse.RELIGIOUS_SITE})
"""Mined so densely (and sensitive enough) that only manual clearance works."""
AREA_ASSETS: tuple[AssetType, ...] = (AssetType.MANUAL, AssetType.MDD, AssetType.MECHANICAL)
"""The asset types that do TS and clearance."""
SURVEY_ASSETS: tuple[AssetType, ...] = (AssetType.DRONE_SURVEY, AssetType.MANUAL)
"""The asset types that may do NTS (survey teams first, see :func:`nts_assets`)."""


def nts_assets(fleet: Iterable[AssetType]) -> tuple[AssetType, ...]:
    """Which of the fleet's asset types do its NTS: the survey teams where it has any, else its
    manual (multi-task) teams, else none.

    >>> nts_assets([AssetType.MANUAL, AssetType.DRONE_SURVEY]), nts_assets([AssetType.MANUAL, AssetType.MDD])
    ((<AssetType.DRONE_SURVEY: 'drone_survey'>,), (<AssetType.MANUAL: 'manual'>,))
    >>> nts_assets([AssetType.MDD])
    ()
    """
    have = set(fleet)
    for asset in SURVEY_ASSETS:
        if asset in have:
            return (asset,)
    return ()


def eligible(
    asset: AssetType,
    stage: ActivityKind,
    *,
    manual_only: np.ndarray,
    high_clutter: np.ndarray,
    machine_accessible: np.ndarray,
    slope_deg: np.ndarray,
) -> np.ndarray:
    """Per area, whether ``asset`` may do ``stage`` there (arrays of equal length).

    >>> kw = dict(manual_only=np.array([False, True]), high_clutter=np.array([False, False]),
    ...           machine_accessible=np.array([True, True]), slope_deg=np.array([25.0, 0.0]))
    >>> eligible(AssetType.MECHANICAL, ActivityKind.CLEARANCE, **kw).tolist()
    [False, False]
    >>> eligible(AssetType.MANUAL, ActivityKind.CLEARANCE, **kw).tolist()
    [True, True]
    """
    n = len(np.asarray(manual_only))
    if stage is ActivityKind.NTS:
        return np.full(n, asset in SURVEY_ASSETS)
    if asset not in AREA_ASSETS:
        return np.zeros(n, bool)
    if asset is AssetType.MANUAL:
        return np.ones(n, bool)
    ok = ~np.asarray(manual_only, bool)
    if asset is AssetType.MDD:
        return ok & ~np.asarray(high_clutter, bool)
    return ok & np.asarray(machine_accessible, bool) & (np.asarray(slope_deg, float) <= MAX_MACHINE_SLOPE_DEG)


def manual_only(area: HazardArea) -> bool:
    """A cemetery, a religious site or a high-density area: manual clearance only."""
    return area.land_use in SENSITIVE_USES or area.density is Level.HIGH


def exclusions(area: HazardArea, stage: ActivityKind) -> dict[AssetType, str | None]:
    """For each asset type: None if it may do ``stage`` on ``area``, else the rule that excludes it."""
    kw = {
        "manual_only": np.array([manual_only(area)]),
        "high_clutter": np.array([area.clutter is Level.HIGH]),
        "machine_accessible": np.array([area.machine_accessible]),
        "slope_deg": np.array([area.slope_deg]),
    }
    out: dict[AssetType, str | None] = {}
    for ty in AssetType:
        if bool(eligible(ty, stage, **kw)[0]):
            out[ty] = None
        elif stage is ActivityKind.NTS:
            out[ty] = "NTS is done by survey teams (drone_survey) and manual teams"
        elif ty is AssetType.DRONE_SURVEY:
            out[ty] = "survey teams survey only (NTS)"
        elif ty is AssetType.EOD:
            out[ty] = "EOD teams do spot tasks, not area TS or clearance"
        elif manual_only(area):
            what = area.land_use.value if area.land_use in SENSITIVE_USES else "high density"
            out[ty] = f"dense or sensitive site ({what}): manual only"
        elif ty is AssetType.MDD:
            out[ty] = "dogs not on high-clutter areas"
        elif not area.machine_accessible:
            out[ty] = "machines only on machine-accessible terrain"
        else:
            out[ty] = f"machines not on slopes over {MAX_MACHINE_SLOPE_DEG:g}° (this area: {area.slope_deg:g}°)"
    return out
