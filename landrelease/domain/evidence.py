"""Evidence of contamination: what the contamination model learns from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shapely.geometry.base import BaseGeometry

from landrelease.domain.enums import EOType, EvidenceKind

DEFAULT_RECORD_RELIABILITY = 0.2
"""Minefield records handed over after the 2020 war were found ~20 % accurate."""


@dataclass(slots=True)
class Evidence:
    """A piece of evidence about EO, tied to a hazard area when one is known.

    ``reliability`` is the probability that the evidence is right where it says
    (minefield records, interviews); ``confidence`` is a sensor's own score (drones).
    ``positive`` is False for an interview that says "no mines here".
    """

    kind: EvidenceKind
    geometry: BaseGeometry
    hazard_code: str | None = None
    code: str | None = None
    date: date | None = None
    source: str = ""
    reliability: float | None = None
    confidence: float | None = None
    eo_type: EOType | None = None
    count: int | None = None
    positive: bool = True
    id: int | None = None

    def effective_reliability(self) -> float:
        if self.reliability is not None:
            return self.reliability
        if self.kind is EvidenceKind.MINEFIELD_RECORD:
            return DEFAULT_RECORD_RELIABILITY
        if self.kind in (EvidenceKind.ACCIDENT, EvidenceKind.EO_FIND):
            return 0.95
        if self.kind is EvidenceKind.DRONE_DETECTION:
            return self.confidence if self.confidence is not None else 0.5
        return 0.3
