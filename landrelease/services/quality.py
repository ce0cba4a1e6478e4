"""Quality management of released land: inspection plans, inspections, reopening, handover.

- :func:`inspection_plan`: the IMAS 09.20 sampling plan of a completed area (the land its
  activities released) and the units to inspect, drawn with a seed.
- :func:`record_inspection`: stores the inspection and its nonconformities; a critical one
  fails the lot and reopens the land as a new open record (a CHA, parent = the released
  record, which stays as it was), so the next ``plan`` schedules it.
- :func:`issue_handover`: the handover certificate of a released area (IMAS 08.30), kept as
  issued; :func:`handover_certificate` reads it back for printing.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from landrelease.domain.enums import ReleaseMethod
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.geometry import area_m2
from landrelease.field.handover import HandoverCertificate, handover_certificate
from landrelease.field.qa import (
    DEFAULT_CONFIDENCE,
    DEFAULT_LIMITING_QUALITY,
    DEFAULT_UNIT_M2,
    Inspection,
    InspectionResult,
    SamplingPlan,
    check_inspection,
    draw_sample,
    reopened_area,
    sampling_plan,
)
from landrelease.services.register import Register
from landrelease.storage import field as store

__all__ = ["inspection_plan", "inspections", "issue_handover", "record_inspection", "released_land"]


def released_land(
    register: Register, hazard_code: str
) -> tuple[BaseGeometry | None, dict[ReleaseMethod, float], list[Any]]:
    """The land an area's activities released (union), m² by method, and the activities."""
    acts = register.activities(hazard_code)
    parts = [p for a in acts for p in a.released]
    if not parts:
        return None, {}, acts
    by: dict[ReleaseMethod, float] = {}
    for p in parts:
        by[p.method] = by.get(p.method, 0.0) + area_m2(p.geometry)
    return shapely.union_all([p.geometry for p in parts]), by, acts


def inspection_plan(
    register: Register,
    hazard_code: str,
    *,
    unit_m2: float = DEFAULT_UNIT_M2,
    limiting_quality: float = DEFAULT_LIMITING_QUALITY,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> tuple[SamplingPlan, list[BaseGeometry]]:
    land, by, _ = released_land(register, hazard_code)
    if land is None:
        raise ValidationError(
            [Problem("no released land recorded for this area", record=hazard_code, field="hazard_code")],
            summary="no inspection plan",
        )
    cleared = by.get(ReleaseMethod.CLEARED, 0.0) + by.get(ReleaseMethod.REDUCED, 0.0) or sum(by.values())
    plan = sampling_plan(cleared, unit_m2=unit_m2, limiting_quality=limiting_quality, confidence=confidence)
    return plan, draw_sample(land, plan, seed=seed)


def record_inspection(
    register: Register, insp: Inspection, *, actor: str, now: datetime | None = None
) -> dict[str, Any]:
    """Store an inspection; a failed one reopens the land (see the module). Returns what was done."""
    at = now or datetime.now(UTC)
    area = register.hazard_area(insp.hazard_code)
    problems = check_inspection(insp, area)
    land, _, _ = released_land(register, insp.hazard_code)
    if land is None and area is not None:
        problems.append(
            Problem("no released land recorded for this area", record=insp.hazard_code, field="hazard_code")
        )
    if problems:
        raise ValidationError(problems, summary="inspection refused")
    assert area is not None and land is not None
    reopened = None
    with register.unit_of_work(actor=actor) as uow:
        if insp.code is None:
            insp.code = store.next_code(uow.conn, "qa_inspection", "QA-")
        if insp.result is InspectionResult.FAILED:
            n = 1 + sum(1 for r in store.inspections(uow.conn, insp.hazard_code) if r["reopened_code"])
            reopened = f"{insp.hazard_code}/QA{n}"
            uow.add_hazard_areas([reopened_area(area, land, insp, code=reopened)], source=f"inspection {insp.code}")
        store.add_inspection(uow.conn, insp, reopened_code=reopened, now=at)
        uow.audit(
            "inspect",
            "hazard_area",
            insp.hazard_code,
            {"inspection": insp.code, "result": insp.result.value, "reopened": reopened},
        )
    return {"inspection": insp.code, "result": insp.result.value, "reopened": reopened, "rule": insp.plan.rule}


def inspections(register: Register, hazard_code: str | None = None) -> list[dict[str, Any]]:
    with register.reading() as conn:
        return store.inspections(conn, hazard_code)


def _last_inspection(register: Register, hazard_code: str) -> Inspection | None:
    from landrelease.field.qa import Nonconformity, NonconformitySeverity

    rows = inspections(register, hazard_code)
    if not rows:
        return None
    r = rows[-1]
    plan = SamplingPlan(
        r["lot_m2"], r["unit_m2"], r["lot_units"], r["limiting_quality"], r["confidence"], r["sample_units"]
    )
    ncs = [Nonconformity(NonconformitySeverity(n["severity"]), n["description"]) for n in r["nonconformities"]]
    return Inspection(
        hazard_code,
        plan,
        r["inspected_on"],
        r["inspecting_organisation"],
        r["inspected_organisation"],
        r["units_inspected"],
        ncs,
        r["code"],
    )


def issue_handover(
    register: Register,
    hazard_code: str,
    *,
    receiving_authority: str,
    received_by: str,
    handed_over_on: date,
    actor: str,
    number: str | None = None,
    now: datetime | None = None,
) -> HandoverCertificate:
    """Issue (and keep) the handover certificate of a released area; refused by name otherwise."""
    area = register.hazard_area(hazard_code)
    if area is None:
        raise ValidationError(
            [Problem(f"no hazard area {hazard_code!r}", record=hazard_code, field="hazard_code")],
            summary="handover refused",
        )
    land, by, acts = released_land(register, hazard_code)
    ends = [a.end_date or a.start_date for a in acts if a.released]
    depths = [a.clearance_depth_cm for a in acts if a.clearance_depth_cm is not None]
    with register.unit_of_work(actor=actor) as uow:
        num = number or store.next_code(uow.conn, "handover", "HO-")
        cert = handover_certificate(
            area,
            number=num,
            land=land if land is not None else area.geometry,
            area_m2=sum(by.values()),
            released_m2=by,
            released_on=max(ends) if ends else None,
            work_started=min(a.start_date for a in acts) if acts else None,
            clearance_depth_cm=min(depths) if depths else None,
            operators=[a.operator or "" for a in acts],
            inspection=_last_inspection(register, hazard_code),
            receiving_authority=receiving_authority,
            received_by=received_by,
            handed_over_on=handed_over_on,
        )
        store.add_handover(
            uow.conn,
            num,
            hazard_code,
            handed_over_on,
            cert.receiving_authority,
            certificate_json(cert),
            now or datetime.now(UTC),
        )
        uow.audit(
            "handover", "hazard_area", hazard_code, {"number": num, "receiving_authority": cert.receiving_authority}
        )
    return cert


def certificate_json(c: HandoverCertificate) -> dict[str, Any]:
    d = asdict(c)
    d["land"] = mapping(c.land)
    d["released_m2"] = {m.value: v for m, v in c.released_m2.items()}
    for k in ("work_started", "work_ended", "handed_over_on"):
        d[k] = d[k].isoformat() if d[k] else None
    d["operators"] = list(c.operators)
    d["notes"] = list(c.notes)
    return d


def stored_certificate(register: Register, number: str) -> dict[str, Any] | None:
    with register.reading() as conn:
        row = store.handover(conn, number)
    return None if row is None else dict(row["certificate"])
