"""Quality management: post-clearance inspection by sampling, and what a failure does.

The rule (IMAS 09.20, *The inspection of cleared land: guidelines for the use of sampling
procedures*, which bases inspection on acceptance sampling by attributes for isolated lots,
ISO 2859-2, plans indexed by limiting quality). The cleared land of one completed area is
the *lot*; it is divided into *sampling units* of ``unit_m2`` (default 100 m², a 10 × 10 m
box); a unit is nonconforming if it still holds an item (or is not cleared to the required
depth). The national authority sets the *limiting quality* LQ (the share of nonconforming
units that must not pass) and the *confidence* (1 − the consumer's risk). The plan here is
the zero-acceptance plan (c = 0) on the hypergeometric distribution, which is what the
ISO 2859-2 procedure-A tables give for small LQ:

    N = ceil(lot m² / unit m²),  D = ceil(LQ · N) nonconforming units at the limiting quality,
    n = the smallest sample with P(no nonconforming unit in n | N, D) ≤ 1 − confidence,

    P(0 | n) = C(N − D, n) / C(N, n).

For a large lot n tends to ln(1 − confidence) / ln(1 − LQ) (e.g. 45 units = 4,500 m² at
LQ 5 %, 90 %); a small lot needs a larger share of itself. The defaults (100 m², LQ 5 %,
90 %) are this project's illustration, not IMAS figures: each national standard sets its
own, and passes them in. The ISO tables themselves are not reproduced here; the formula is
the exact computation those tables round.

The units to inspect are drawn at random (a seed makes the draw repeatable) from the grid
of whole units inside the area, in its UTM zone.

Acceptance: the lot passes when every unit of the sample was inspected and no *critical*
nonconformity was found (c = 0: a single item left in cleared ground fails the lot).
Nonconformities are graded critical, major or minor (IMAS 07.30/07.40 practice): critical
ones are those that put the land's users at risk (an item missed, ground not cleared to
depth); major ones break a standard without that risk (marking, documentation); minor
ones are observations. A failed lot is reopened: :func:`reopened_area` makes a new
hazard-area record over the land (a CHA — there is now direct evidence), the released
record stays as it was (history is never overwritten), and the next plan sees open land.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from landrelease.domain.enums import EOType, HazardKind, HazardStatus
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.geometry import from_metric, to_metric
from landrelease.domain.hazard import HazardArea

DEFAULT_UNIT_M2 = 100.0
DEFAULT_LIMITING_QUALITY = 0.05
DEFAULT_CONFIDENCE = 0.90


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def p_accept(lot_units: int, defective: int, sample: int) -> float:
    """Probability that a sample of ``sample`` units holds none of ``defective`` units in the lot.

    >>> round(p_accept(100, 5, 37), 3)
    0.093
    >>> p_accept(10, 1, 10)
    0.0
    """
    if defective <= 0:
        return 1.0
    if sample > lot_units - defective:
        return 0.0
    return math.exp(_log_comb(lot_units - defective, sample) - _log_comb(lot_units, sample))


@dataclass(frozen=True, slots=True)
class SamplingPlan:
    """How much of a completed area to inspect, and why (the numbers go on the inspection record)."""

    lot_m2: float
    unit_m2: float
    lot_units: int
    limiting_quality: float
    confidence: float
    sample_units: int
    acceptance_number: int = 0

    @property
    def sample_m2(self) -> float:
        return self.sample_units * self.unit_m2

    @property
    def rule(self) -> str:
        return (
            f"IMAS 09.20 / ISO 2859-2 style zero-acceptance plan: {self.lot_units} units of {self.unit_m2:g} m², "
            f"limiting quality {self.limiting_quality:.1%}, confidence {self.confidence:.0%} → inspect "
            f"{self.sample_units} units ({self.sample_m2:,.0f} m²); accept with 0 critical nonconformities"
        )


def sampling_plan(
    area_m2: float,
    *,
    unit_m2: float = DEFAULT_UNIT_M2,
    limiting_quality: float = DEFAULT_LIMITING_QUALITY,
    confidence: float = DEFAULT_CONFIDENCE,
) -> SamplingPlan:
    """The zero-acceptance hypergeometric plan for a lot of ``area_m2`` (see the module's rule).

    >>> sampling_plan(1_000_000).sample_units   # 10,000 units: close to ln(0.1)/ln(0.95) = 44.9
    45
    >>> sampling_plan(10_000).sample_units      # 100 units, D = 5
    37
    >>> sampling_plan(500).sample_units         # 5 units: inspect them all
    5
    """
    problems = []
    if not (math.isfinite(area_m2) and area_m2 > 0):
        problems.append(Problem("area must be positive", field="area_m2", found=str(area_m2)))
    if not (math.isfinite(unit_m2) and unit_m2 > 0):
        problems.append(Problem("sampling unit must be positive", field="unit_m2", found=str(unit_m2)))
    if not 0 < limiting_quality < 1:
        problems.append(
            Problem(
                "limiting quality is a share",
                field="limiting_quality",
                found=str(limiting_quality),
                expected="between 0 and 1",
            )
        )
    if not 0 < confidence < 1:
        problems.append(
            Problem(
                "confidence is a probability", field="confidence", found=str(confidence), expected="between 0 and 1"
            )
        )
    if problems:
        raise ValidationError(problems, summary="sampling plan refused")
    n_units = max(1, math.ceil(area_m2 / unit_m2 - 1e-9))
    defective = max(1, math.ceil(limiting_quality * n_units - 1e-9))
    risk = 1.0 - confidence
    lo, hi = 1, n_units  # p_accept falls as the sample grows; find the smallest n with p ≤ risk
    if p_accept(n_units, defective, hi) > risk:
        lo = hi
    while lo < hi:
        mid = (lo + hi) // 2
        if p_accept(n_units, defective, mid) <= risk:
            hi = mid
        else:
            lo = mid + 1
    return SamplingPlan(area_m2, unit_m2, n_units, limiting_quality, confidence, lo)


def draw_sample(geometry: BaseGeometry, plan: SamplingPlan, *, seed: int) -> list[BaseGeometry]:
    """The units to inspect: ``plan.sample_units`` squares of the unit grid inside the area, drawn at random.

    The grid is laid in the area's UTM zone; units wholly inside the area are preferred and
    units cut by the boundary fill up the draw only when too few whole ones exist. Returned
    in EPSG:4326.
    """
    (metric,), crs = to_metric([geometry])
    side = math.sqrt(plan.unit_m2)
    minx, miny, maxx, maxy = metric.bounds
    xs = np.arange(math.floor(minx / side) * side, maxx, side)
    ys = np.arange(math.floor(miny / side) * side, maxy, side)
    gx, gy = np.meshgrid(xs, ys)
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + side, gy.ravel() + side)
    shapely.prepare(metric)
    prepared = metric
    whole = boxes[shapely.contains(prepared, boxes)]
    cut = boxes[shapely.intersects(prepared, boxes) & ~shapely.contains(prepared, boxes)]
    rng = np.random.default_rng(seed)
    take = min(plan.sample_units, len(whole))
    chosen = list(rng.choice(whole, size=take, replace=False)) if take else []
    short = plan.sample_units - take
    if short > 0 and len(cut):
        extra = rng.choice(cut, size=min(short, len(cut)), replace=False)
        chosen += list(shapely.intersection(extra, metric))
    return list(from_metric(np.asarray(chosen, dtype=object), crs)) if chosen else []


class NonconformitySeverity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


class InspectionResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True, slots=True)
class Nonconformity:
    """Something the inspectors found wrong (GICHD minimum data: type, severity, measures taken)."""

    severity: NonconformitySeverity
    description: str
    position: BaseGeometry | None = None
    eo_type: EOType | None = None  # when the nonconformity is an item left in the ground
    depth_cm: float | None = None
    corrective_action: str = ""


@dataclass(slots=True)
class Inspection:
    """A post-clearance inspection of one completed hazard area (a QA visit)."""

    hazard_code: str
    plan: SamplingPlan
    inspected_on: date
    inspecting_organisation: str
    inspected_organisation: str | None
    units_inspected: int
    nonconformities: list[Nonconformity] = field(default_factory=list)
    code: str | None = None
    seed: int | None = None
    id: int | None = None

    @property
    def result(self) -> InspectionResult:
        return inspection_result(self.plan, self.units_inspected, self.nonconformities)

    @property
    def critical(self) -> list[Nonconformity]:
        return [n for n in self.nonconformities if n.severity is NonconformitySeverity.CRITICAL]


def inspection_result(plan: SamplingPlan, units_inspected: int, ncs: Sequence[Nonconformity]) -> InspectionResult:
    """Failed on any critical nonconformity; incomplete while fewer units than planned were inspected; else passed.

    >>> plan = sampling_plan(10_000)
    >>> inspection_result(plan, 37, []).value
    'passed'
    >>> inspection_result(plan, 10, [Nonconformity(NonconformitySeverity.CRITICAL, "AP mine at 8 cm")]).value
    'failed'
    """
    if any(n.severity is NonconformitySeverity.CRITICAL for n in ncs):
        return InspectionResult.FAILED
    if units_inspected < plan.sample_units:
        return InspectionResult.INCOMPLETE
    return InspectionResult.PASSED


def check_inspection(insp: Inspection, area: HazardArea | None) -> list[Problem]:
    """Refusals of an inspection record, naming the field."""
    rec = insp.code or insp.hazard_code
    out: list[Problem] = []
    if area is None:
        out.append(Problem(f"no hazard area {insp.hazard_code!r}", record=rec, field="hazard_code"))
    elif area.status not in (
        HazardStatus.CLEARED,
        HazardStatus.REDUCED,
        HazardStatus.RELEASED,
        HazardStatus.SUPERSEDED,
    ):
        out.append(
            Problem(
                "only land that was released can be inspected after clearance",
                record=rec,
                field="hazard_code",
                found=area.status.value,
                expected="cleared, reduced, released (or split by a release)",
            )
        )
    if not 0 <= insp.units_inspected <= insp.plan.lot_units:
        out.append(
            Problem(
                "units inspected out of range",
                record=rec,
                field="units_inspected",
                found=str(insp.units_inspected),
                expected=f"0 to {insp.plan.lot_units}",
            )
        )
    if not insp.inspecting_organisation.strip():
        out.append(Problem("the inspecting organisation is required", record=rec, field="inspecting_organisation"))
    for i, n in enumerate(insp.nonconformities):
        if not n.description.strip():
            out.append(
                Problem("a nonconformity needs a description", record=rec, field=f"nonconformities[{i}].description")
            )
    return out


def reopened_area(released: HazardArea, geometry: BaseGeometry, insp: Inspection, *, code: str) -> HazardArea:
    """A new open record over land that failed its inspection; the released record is left as it was.

    It is a CHA (an item found in cleared ground is direct evidence), holds the device
    categories found, and links to the record it reopens through ``parent_id``.
    """
    found = tuple(dict.fromkeys(n.eo_type for n in insp.critical if n.eo_type is not None))
    return replace(
        released,
        code=code,
        geometry=geometry,
        kind=HazardKind.CHA,
        status=HazardStatus.OPEN,
        eo_types=found or released.eo_types,
        id=None,
        parent_id=released.id,
        created_at=None,
        updated_at=None,
        version=1,
        name=f"{released.name or released.code} (reopened after QA {insp.inspected_on.isoformat()})",
        extra={**released.extra, "reopened_from": released.code, "inspection": insp.code},
    )
