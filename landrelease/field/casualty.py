"""Accidents and victims (GICHD minimum data requirements), and what accidents tell the model.

An *accident* is an explosion of a device that hurt or could have hurt people: where, when,
the device category, whether it happened during demining, and what people were doing. It
is also evidence for the contamination model (an accident is strong local evidence of EO):
:func:`accident_evidence`.

A *victim* record holds the age band, sex, whether the person was killed or injured, the
injury and the outcome; name and contact are **personal data** (see
:mod:`landrelease.field.personal`): only administrators and analysts see them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from shapely.geometry.base import BaseGeometry

from landrelease.domain.enums import EOType, EvidenceKind
from landrelease.domain.errors import Problem
from landrelease.domain.evidence import Evidence

ACCIDENT_RELIABILITY = 0.95
"""An accident's position is where people were hurt: strong, though not perfect, evidence."""


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class AgeBand(StrEnum):
    """Age bands used across the register (children, adults, older people; IMAS 12.10's
    disaggregation by sex and age)."""

    CHILD = "0-17"
    ADULT = "18-59"
    OLDER = "60+"
    UNKNOWN = "unknown"


class ActivityAtTime(StrEnum):
    """What the person was doing (GICHD: activity at the time of the accident)."""

    DEMINING = "demining"
    FARMING = "farming"
    HERDING = "herding"
    COLLECTING = "collecting"  # wood, food, scrap metal
    TRAVELLING = "travelling"
    PLAYING = "playing"
    HANDLING_DEVICE = "handling_device"  # tampering
    HOUSEHOLD = "household"
    OTHER = "other"
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    KILLED = "killed"
    INJURED = "injured"


@dataclass(slots=True)
class Accident:
    code: str
    position: BaseGeometry
    date: date
    device: EOType | None  # None: not known
    demining_accident: bool
    activity: ActivityAtTime = ActivityAtTime.UNKNOWN
    hazard_code: str | None = None
    description: str = ""
    id: int | None = None


@dataclass(slots=True)
class Victim:
    """One person hurt in an accident. ``name`` and ``contact`` are personal data."""

    accident_code: str
    sex: Sex
    age_band: AgeBand
    outcome: Outcome
    injury: str = ""  # e.g. "lower-limb amputation"
    follow_up: str = ""  # e.g. "rehabilitation", "recovered"
    name: str | None = None
    contact: str | None = None
    code: str | None = None
    id: int | None = None


def accident_evidence(a: Accident) -> Evidence:
    """The accident as evidence of contamination where it happened."""
    return Evidence(
        kind=EvidenceKind.ACCIDENT,
        geometry=a.position,
        hazard_code=a.hazard_code,
        code=f"ACC:{a.code}",
        date=a.date,
        source="accident record",
        reliability=ACCIDENT_RELIABILITY,
        eo_type=a.device,
        count=1,
    )


def check_accident(a: Accident, *, today: date) -> list[Problem]:
    out: list[Problem] = []
    p = a.position
    if p is None or p.is_empty or p.geom_type != "Point":
        out.append(Problem("an accident needs its position (a point)", record=a.code, field="position"))
    elif not (math.isfinite(p.x) and math.isfinite(p.y) and -180 <= p.x <= 180 and -90 <= p.y <= 90):
        out.append(
            Problem("position is not a longitude/latitude", record=a.code, field="position", found=f"({p.x}, {p.y})")
        )
    if a.date > today:
        out.append(Problem("date is in the future", record=a.code, field="date", found=a.date.isoformat()))
    return out


def check_victims(victims: Sequence[Victim], accident_codes: set[str]) -> list[Problem]:
    out: list[Problem] = []
    for i, v in enumerate(victims):
        rec = v.code or f"victim {i + 1}"
        if v.accident_code not in accident_codes:
            out.append(
                Problem(f"no accident {v.accident_code!r}", record=rec, field="accident_code", found=v.accident_code)
            )
        for name in ("name", "contact"):
            value = getattr(v, name)
            if value is not None and len(value) > 200:
                out.append(Problem(f"{name} is too long", record=rec, field=name, expected="200 characters at most"))
    return out
