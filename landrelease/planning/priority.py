"""Which land first: a score per hazard area from weighted criteria, and its explanation.

The criteria follow the order the field uses — roads and railways (nobody returns without
them), cemeteries and religious sites (people go there first), settlements awaiting return
(by displaced population), farmland (food security), infrastructure, the rest — plus risk
to people (accidents, strength of evidence, proximity to settlements) and cost (expected
effort: cheaper areas come first, all else equal). Each criterion gives an indicator in
[0, 1]; the score is Σ weight × indicator, and each criterion's share of the score is what
``landrelease priorities --explain CODE`` shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from landrelease.domain.enums import EvidenceKind, HazardKind, LandUse, Level
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.evidence import Evidence
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement
from landrelease.planning.settlement_links import SettlementLinks, link_settlements

CRITERIA: dict[str, str] = {
    "roads_and_railways": "a road or railway: nobody returns without them",
    "cemeteries_and_religious_sites": "a cemetery or religious site: people go there first",
    "settlements_awaiting_return": "holds up the return of displaced people (by their number)",
    "farmland": "farmland: food security",
    "infrastructure": "infrastructure",
    "other_land": "other land (forest and the rest)",
    "accidents": "accidents recorded in the area",
    "evidence_strength": "strength of the evidence of EO",
    "proximity_to_settlements": "closeness to where people live",
    "expected_effort": "cost: less effort scores higher",
}


class PriorityWeights(BaseModel):
    """Weights of the criteria (a settings or scenario file); defaults in the order the field uses."""

    model_config = ConfigDict(extra="forbid")

    roads_and_railways: float = Field(default=6.0, description=CRITERIA["roads_and_railways"])
    cemeteries_and_religious_sites: float = Field(default=5.0, description=CRITERIA["cemeteries_and_religious_sites"])
    settlements_awaiting_return: float = Field(default=4.0, description=CRITERIA["settlements_awaiting_return"])
    farmland: float = Field(default=3.0, description=CRITERIA["farmland"])
    infrastructure: float = Field(default=2.0, description=CRITERIA["infrastructure"])
    other_land: float = Field(default=1.0, description=CRITERIA["other_land"])
    accidents: float = Field(default=3.0, description=CRITERIA["accidents"])
    evidence_strength: float = Field(default=1.5, description=CRITERIA["evidence_strength"])
    proximity_to_settlements: float = Field(default=1.5, description=CRITERIA["proximity_to_settlements"])
    expected_effort: float = Field(default=1.0, description=CRITERIA["expected_effort"])
    proximity_scale_km: float = Field(default=2.0, gt=0, description="distance at which closeness falls to 1/e")

    def as_dict(self) -> dict[str, float]:
        return {c: float(getattr(self, c)) for c in CRITERIA}

    def problems(self, source: str | None = None) -> list[Problem]:
        """Weights must be finite and ≥ 0, and at least one must be positive."""
        out = []
        for c, w in self.as_dict().items():
            if not math.isfinite(w) or w < 0:
                out.append(
                    Problem(
                        "a weight must be a finite number ≥ 0",
                        record="weights",
                        field=c,
                        found=repr(w),
                        source=source,
                        check="priority_weights",
                    )
                )
        if not out and not any(w > 0 for w in self.as_dict().values()):
            out.append(
                Problem(
                    "all weights are zero: nothing would rank above anything else",
                    record="weights",
                    field=", ".join(CRITERIA),
                    found="0",
                    expected="at least one weight > 0",
                    source=source,
                    check="priority_weights",
                )
            )
        return out


def weights_from_mapping(data: object, source: str | None = None) -> PriorityWeights:
    """Validated weights from a parsed file; refuses unknown criteria and bad values by name."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError(
            [
                Problem(
                    "weights must be a mapping of criterion → weight",
                    record="weights",
                    found=type(data).__name__,
                    source=source,
                )
            ],
            "weights refused",
        )
    try:
        w = PriorityWeights.model_validate(data)
    except PydanticError as exc:
        raise ValidationError(pydantic_problems(exc, "weights", source), "weights refused") from None
    problems = w.problems(source)
    if problems:
        raise ValidationError(problems, "weights refused")
    return w


def pydantic_problems(exc: PydanticError, record: str, source: str | None) -> list[Problem]:
    out = []
    for e in exc.errors():
        loc = ".".join(str(x) for x in e["loc"])
        msg = "unknown setting" if e["type"] == "extra_forbidden" else e["msg"]
        expected = None
        if e["type"] == "extra_forbidden" and len(e["loc"]) == 1 and record == "weights":
            expected = ", ".join([*CRITERIA, "proximity_scale_km"])
        if e["type"] == "extra_forbidden" and loc == "settlement_radius_km":
            msg = (
                "no longer a setting: what holds a settlement up is its footprint, its access routes "
                "and its farmland ring (per settlement), the rule readiness uses"
            )
        out.append(
            Problem(
                msg,
                record=record,
                field=loc,
                found=repr(e.get("input")),
                expected=expected,
                source=source,
                check="settings",
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Priority:
    """An area's score, with what each criterion contributed (weight × indicator)."""

    code: str
    score: float
    indicators: dict[str, float]
    contributions: dict[str, float]

    def shares(self) -> dict[str, float]:
        """Each criterion's share of the score (sums to 1 when the score is positive)."""
        if self.score <= 0:
            return dict.fromkeys(self.contributions, 0.0)
        return {c: v / self.score for c, v in self.contributions.items()}


LAND_USE_CRITERION = {
    LandUse.ROAD: "roads_and_railways",
    LandUse.RAIL: "roads_and_railways",
    LandUse.CEMETERY: "cemeteries_and_religious_sites",
    LandUse.RELIGIOUS_SITE: "cemeteries_and_religious_sites",
    LandUse.FARMLAND: "farmland",
    LandUse.INFRASTRUCTURE: "infrastructure",
    LandUse.FOREST: "other_land",
    LandUse.OTHER: "other_land",
}
DENSITY_EFFORT = {Level.LOW: 1.0, Level.MEDIUM: 1.5, Level.HIGH: 3.0}


def prioritise(
    areas: Sequence[HazardArea],
    evidence: Sequence[Evidence],
    settlements: Sequence[Settlement],
    weights: PriorityWeights | None = None,
    *,
    area_m2: dict[str, float] | None = None,
    links: SettlementLinks | None = None,
) -> dict[str, Priority]:
    """Score every area. ``area_m2`` (metric areas by code) saves recomputing them when known."""
    weights = weights or PriorityWeights()
    problems = weights.problems()
    if problems:
        raise ValidationError(problems, "weights refused")
    if links is None:
        links = link_settlements(areas, settlements)
    if area_m2 is None:
        from landrelease.domain.geometry import areas_m2

        sizes = areas_m2([a.geometry for a in areas]).tolist() if areas else []
        area_m2 = {a.code: float(s) for a, s in zip(areas, sizes, strict=True)}
    displaced = {s.code: max(0, s.displaced) for s in settlements}
    served = links.settlements_served()
    held = {a.code: sum(displaced.get(s, 0) for s in served.get(a.code, ())) for a in areas}
    max_held = max(held.values(), default=0) or 1
    accidents: dict[str, int] = {}
    pos: dict[str, list[float]] = {}
    neg: dict[str, list[float]] = {}
    for e in evidence:
        if not e.hazard_code:
            continue
        if e.kind is EvidenceKind.ACCIDENT:
            accidents[e.hazard_code] = accidents.get(e.hazard_code, 0) + 1
        (pos if e.positive else neg).setdefault(e.hazard_code, []).append(min(max(e.effective_reliability(), 0.0), 1.0))
    effort = {a.code: area_m2.get(a.code, 0.0) * DENSITY_EFFORT[a.density] for a in areas}
    max_effort_log = math.log1p(max(effort.values(), default=0.0)) or 1.0
    w = weights.as_dict()
    out: dict[str, Priority] = {}
    for a in areas:
        ind = dict.fromkeys(CRITERIA, 0.0)
        crit = LAND_USE_CRITERION.get(a.land_use)
        if crit:
            ind[crit] = 1.0
        if held[a.code] > 0:
            ind["settlements_awaiting_return"] = 0.75 + 0.25 * held[a.code] / max_held
        ind["accidents"] = 1.0 - 0.5 ** accidents.get(a.code, 0)
        if a.kind is HazardKind.CHA:
            strength = 1.0
        else:
            strength = 1.0 - math.prod(1.0 - r for r in pos.get(a.code, []))
            strength *= math.prod(1.0 - 0.5 * r for r in neg.get(a.code, []))
        ind["evidence_strength"] = min(max(strength, 0.0), 1.0)
        ind["proximity_to_settlements"] = math.exp(-links.nearest_km.get(a.code, math.inf) / weights.proximity_scale_km)
        ind["expected_effort"] = 1.0 - math.log1p(effort[a.code]) / max_effort_log
        contrib = {c: w[c] * v for c, v in ind.items()}
        out[a.code] = Priority(a.code, math.fsum(contrib.values()), ind, contrib)
    return out
