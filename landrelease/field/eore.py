"""Explosive ordnance risk education (EORE): sessions and the people they reached.

GICHD's minimum data for risk education: location, date, organisation, method, and the
beneficiaries by sex and age. IMAS 12.10 asks for figures disaggregated by sex and age, so
a session counts its beneficiaries in the cells of sex × age band (girls, boys, women, men,
older women, older men); :func:`summarise` adds them up for a dashboard or a monthly report.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from shapely.geometry.base import BaseGeometry

from landrelease.domain.errors import Problem
from landrelease.field.casualty import AgeBand, Sex


class EoreMethod(StrEnum):
    """How risk education was delivered (IMAS 12.10)."""

    INTERPERSONAL = "interpersonal"  # sessions in person, in schools and villages
    COMMUNITY_LIAISON = "community_liaison"
    MASS_MEDIA = "mass_media"  # radio, television, billboards
    DIGITAL_MEDIA = "digital_media"  # social media, messaging
    TRAINING_OF_TRAINERS = "training_of_trainers"


@dataclass(slots=True)
class EoreSession:
    code: str
    place: BaseGeometry
    place_name: str
    date: date
    organisation: str
    method: EoreMethod
    beneficiaries: dict[tuple[Sex, AgeBand], int] = field(default_factory=dict)
    id: int | None = None

    @property
    def total(self) -> int:
        return sum(self.beneficiaries.values())


def check_session(s: EoreSession, *, today: date) -> list[Problem]:
    out: list[Problem] = []
    p = s.place
    if p is None or p.is_empty or p.geom_type != "Point":
        out.append(Problem("a session needs its place (a point)", record=s.code, field="place"))
    elif not (math.isfinite(p.x) and math.isfinite(p.y) and -180 <= p.x <= 180 and -90 <= p.y <= 90):
        out.append(Problem("place is not a longitude/latitude", record=s.code, field="place", found=f"({p.x}, {p.y})"))
    if s.date > today:
        out.append(Problem("date is in the future", record=s.code, field="date", found=s.date.isoformat()))
    if not s.organisation.strip():
        out.append(Problem("the organisation is required", record=s.code, field="organisation"))
    for (sex, band), n in s.beneficiaries.items():
        if not isinstance(n, int) or n < 0:
            out.append(
                Problem(
                    "a number of people is a whole number, 0 or more",
                    record=s.code,
                    field=f"beneficiaries.{Sex(sex).value}.{AgeBand(band).value}",
                    found=str(n),
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class EoreSummary:
    sessions: int
    total: int
    by_sex_age: Mapping[tuple[Sex, AgeBand], int]
    by_method: Mapping[EoreMethod, int]
    by_organisation: Mapping[str, int]


def summarise(sessions: Iterable[EoreSession], start: date | None = None, end: date | None = None) -> EoreSummary:
    """Sessions and beneficiaries between ``start`` and ``end`` (inclusive), by sex × age, method, organisation."""
    n = total = 0
    cells: dict[tuple[Sex, AgeBand], int] = {}
    methods: dict[EoreMethod, int] = {}
    orgs: dict[str, int] = {}
    for s in sessions:
        if (start and s.date < start) or (end and s.date > end):
            continue
        n += 1
        total += s.total
        for k, v in s.beneficiaries.items():
            cells[k] = cells.get(k, 0) + v
        methods[s.method] = methods.get(s.method, 0) + s.total
        orgs[s.organisation] = orgs.get(s.organisation, 0) + s.total
    return EoreSummary(n, total, cells, methods, orgs)
