"""Assess: where the EO probably is, area by area, from the register's evidence.

Reads the open hazard areas and every piece of evidence (with the items recorded activities
found, placed where they were found), runs the contamination model (on Dask when asked),
and stores each area's assessment (P(any EO), expected items, the model parameters' hash)
in one unit of work.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from landrelease.domain.enums import EvidenceKind
from landrelease.domain.evidence import Evidence
from landrelease.domain.hazard import HazardArea
from landrelease.domain.results import Assessment, params_hash
from landrelease.field.progress import finds_as_evidence as report_finds
from landrelease.field.progress import search_detection
from landrelease.model.contamination import AreaContamination, ContaminationParams, search
from landrelease.model.contamination_dask import assess_partitioned
from landrelease.services.casualties import accidents_as_evidence
from landrelease.services.register import HazardFilter, Register
from landrelease.storage.assessments import save_assessments

LIKELY = 0.5
"""An area is counted as likely contaminated when p_any is at least this."""


class Progress(Protocol):
    """What a use case tells a progress display (rich's ``Progress`` fits)."""

    def add_task(self, description: str, *args: Any, **kwargs: Any) -> Any: ...

    def update(self, task_id: Any, *args: Any, **kwargs: Any) -> None: ...


@dataclass
class ModelRun:
    """The open hazard areas and what the model says of each, in the same order."""

    areas: list[HazardArea]
    results: list[AreaContamination]
    cell_m: float
    params_hash: str = ""

    @property
    def likely(self) -> list[int]:
        return [i for i, r in enumerate(self.results) if r.p_any >= LIKELY]

    def headline(self) -> dict[str, Any]:
        likely = self.likely
        return {
            "areas": len(self.areas),
            "modelled_km2": sum(r.area_m2 for r in self.results) / 1e6,
            "cells": sum(r.n_cells for r in self.results),
            "cell_m": self.cell_m,
            "likely_threshold": LIKELY,
            "likely_contaminated": len(likely),
            "likely_contaminated_km2": sum(self.results[i].area_m2 for i in likely) / 1e6,
            "expected_contaminated_areas": sum(r.p_any for r in self.results),
            "expected_items": sum(r.expected_items for r in self.results),
            "params_hash": self.params_hash,
        }

    def result_rows(self) -> list[dict[str, Any]]:
        """Each area's result as plain data (the command line's ``--json``)."""
        return [
            {
                "code": r.code,
                "kind": a.kind.value,
                "land_use": a.land_use.value,
                "p_any": r.p_any,
                "expected_items": r.expected_items,
                "area_m2": r.area_m2,
                "cells": r.n_cells,
                "evidence": r.evidence_used,
            }
            for a, r in zip(self.areas, self.results, strict=True)
        ]

    def assessments(self, at: datetime | None = None) -> list[Assessment]:
        at = at or datetime.now(UTC)
        return [
            Assessment(r.code, float(r.p_any), float(r.expected_items), self.params_hash, at, self.cell_m)
            for r in self.results
        ]


def model_params_hash(params: ContaminationParams | None, cell_m: float, record_reliability: float | None) -> str:
    """The hash an assessment carries: the model's parameters, the cell size and any
    assumed record reliability (a what-if run is told apart from the register's own)."""
    values = {**asdict(params or ContaminationParams()), "cell_m": cell_m, "record_reliability": record_reliability}
    return params_hash(values)


def finds_as_evidence(register: Register) -> list[Evidence]:
    """Items found by recorded activities, as EO-find evidence placed where they were found.

    They are not tied to an area code: a find counts for the open area it lies in, so an
    item removed from land since released no longer weighs on the remainder.
    """
    out = []
    for activity in register.activities():
        for k, f in enumerate(activity.finds):
            out.append(
                Evidence(
                    kind=EvidenceKind.EO_FIND,
                    geometry=f.position,
                    code=f"{activity.code or activity.hazard_code}/find-{k + 1}",
                    date=activity.end_date or activity.start_date,
                    source=f"{activity.kind.value} activity",
                    eo_type=f.eo_type,
                    count=1,
                )
            )
    return out


def run_model(
    register: Register,
    *,
    cell_m: float = 25.0,
    scheduler: str | None = None,
    params: ContaminationParams | None = None,
    record_reliability: float | None = None,
    progress: Progress | None = None,
) -> ModelRun:
    """Read the open areas and all evidence, and assess them (on Dask if a scheduler is given).

    ``record_reliability`` replaces every minefield record's own (a "what if the records are
    better or worse than stated" question); the register's evidence is not changed.
    """
    step = progress.add_task("reading the register", total=None) if progress else None
    areas = register.hazard_areas(HazardFilter(open_only=True))
    reports = register.daily_reports()  # approved ones only
    evidence = (
        register.evidence() + finds_as_evidence(register) + report_finds(reports) + accidents_as_evidence(register)
    )
    if record_reliability is not None:
        evidence = [
            replace(e, reliability=record_reliability) if e.kind is EvidenceKind.MINEFIELD_RECORD else e
            for e in evidence
        ]
    if progress and step is not None:
        where = f"on {scheduler}" if scheduler else "in process"
        progress.update(step, description=f"modelling {len(areas):,} hazard areas, {cell_m:g} m cells ({where})")
    results = assess_partitioned(areas, evidence, scheduler=scheduler, cell_m=cell_m, params=params)
    # Ground that approved reports processed without a find: the search update (landrelease.field.progress).
    detection = search_detection(reports, {a.code: r.area_m2 for a, r in zip(areas, results, strict=True)})
    results = [search(r, None, detection[r.code]) if r.code in detection else r for r in results]
    if progress and step is not None:
        progress.update(step, description="modelled", completed=1, total=1)
    return ModelRun(areas, results, cell_m, model_params_hash(params, cell_m, record_reliability))


def store_assessments(register: Register, run: ModelRun, *, actor: str = "model") -> int:
    """Store each area's assessment (replacing the one before), in one unit of work."""
    with register.unit_of_work(actor=actor) as uow:
        return save_assessments(uow, run.assessments(), source="landrelease model")


def assess(
    register: Register,
    *,
    cell_m: float = 25.0,
    scheduler: str | None = None,
    params: ContaminationParams | None = None,
    record_reliability: float | None = None,
    progress: Progress | None = None,
    actor: str = "model",
) -> ModelRun:
    """The use case: model the open areas and store their assessments."""
    run = run_model(
        register,
        cell_m=cell_m,
        scheduler=scheduler,
        params=params,
        record_reliability=record_reliability,
        progress=progress,
    )
    if run.results:
        store_assessments(register, run, actor=actor)
    return run


def write_grid(run: ModelRun, geotiff: Path | None = None, cells: Path | None = None) -> dict[str, str]:
    """Write the modelled grid as a GeoTIFF and/or the cells as polygons (GeoPackage)."""
    from landrelease.io.raster import write_cells, write_geotiff

    written: dict[str, str] = {}
    if run.results and geotiff is not None:
        written["geotiff"] = str(write_geotiff(run.results, geotiff))
    if run.results and cells is not None:
        written["cells"] = str(write_cells(run.results, cells))
    return written
