"""Handover of released land (IMAS 08.30, post-clearance documentation and handover).

A certificate per released hazard area says which land (its perimeter and m²), how it was
released (m² cancelled, reduced and cleared, the clearance depth), when the work was done,
who did it, that its post-clearance inspection passed, and who received it on which date.
The rules refuse a certificate for land that is still open, land whose last inspection
failed or is incomplete, and a handover dated before the release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from shapely.geometry.base import BaseGeometry

from landrelease.domain.enums import ReleaseMethod
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.hazard import HazardArea
from landrelease.field.qa import Inspection, InspectionResult


@dataclass(frozen=True, slots=True)
class HandoverCertificate:
    """What the handover certificate states (printed by the reports layer)."""

    number: str
    hazard_code: str
    hazard_name: str
    region: str | None
    land: BaseGeometry
    area_m2: float
    released_m2: Mapping[ReleaseMethod, float]
    clearance_depth_cm: float | None
    work_started: date | None
    work_ended: date | None
    operators: tuple[str, ...]
    inspection: str | None  # the inspection's reference and result
    receiving_authority: str
    received_by: str
    handed_over_on: date
    notes: tuple[str, ...] = field(default_factory=tuple)


def handover_certificate(
    area: HazardArea,
    *,
    number: str,
    land: BaseGeometry,
    area_m2: float,
    released_m2: Mapping[ReleaseMethod, float],
    released_on: date | None,
    work_started: date | None,
    clearance_depth_cm: float | None,
    operators: Sequence[str],
    inspection: Inspection | None,
    receiving_authority: str,
    received_by: str,
    handed_over_on: date,
) -> HandoverCertificate:
    """The certificate of one released area, or a refusal naming the field at fault."""
    rec = area.code
    problems: list[Problem] = []
    if area.is_open:
        problems.append(
            Problem(
                "land that is still open cannot be handed over", record=rec, field="status", found=area.status.value
            )
        )
    if not sum(released_m2.values()) > 0:
        problems.append(Problem("no released land to hand over", record=rec, field="released_m2", found="0 m²"))
    cleared = released_m2.get(ReleaseMethod.CLEARED, 0.0) > 0
    if cleared and inspection is None:
        problems.append(
            Problem(
                "cleared land is handed over after its post-clearance inspection",
                record=rec,
                field="inspection",
                expected="a passed inspection (IMAS 09.20)",
            )
        )
    if inspection is not None and inspection.result is not InspectionResult.PASSED:
        problems.append(
            Problem(
                "the last inspection did not pass",
                record=rec,
                field="inspection",
                found=inspection.result.value,
                expected="passed",
            )
        )
    if released_on is not None and handed_over_on < released_on:
        problems.append(
            Problem(
                "handover dated before the release",
                record=rec,
                field="handed_over_on",
                found=handed_over_on.isoformat(),
                expected=f"on or after {released_on.isoformat()}",
            )
        )
    if not receiving_authority.strip():
        problems.append(Problem("the receiving authority is required", record=rec, field="receiving_authority"))
    if not received_by.strip():
        problems.append(Problem("the person who receives the land is required", record=rec, field="received_by"))
    if problems:
        raise ValidationError(problems, summary="handover refused")
    ref = None
    if inspection is not None:
        ref = (
            f"{inspection.code or 'inspection'} of {inspection.inspected_on.isoformat()} "
            f"by {inspection.inspecting_organisation}: {inspection.result.value}"
        )
    return HandoverCertificate(
        number=number,
        hazard_code=area.code,
        hazard_name=area.name,
        region=area.region,
        land=land,
        area_m2=area_m2,
        released_m2=dict(released_m2),
        clearance_depth_cm=clearance_depth_cm,
        work_started=work_started,
        work_ended=released_on,
        operators=tuple(dict.fromkeys(o for o in operators if o)),
        inspection=ref,
        receiving_authority=receiving_authority.strip(),
        received_by=received_by.strip(),
        handed_over_on=handed_over_on,
    )
