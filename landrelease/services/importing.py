"""Import and export: files in and out of the register, and the sample region of the demo.

A thin layer over :mod:`landrelease.io` (readers, validation, writers), which does the work;
an import is one transaction, every record or none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from landrelease.io.importer import ImportReport
from landrelease.io.importer import import_file as _import_file
from landrelease.io.writers import export as _export
from landrelease.samples import Scenario
from landrelease.services.register import Register

__all__ = ["ImportReport", "export", "import_file", "store_scenario"]


def import_file(register: Register, path: Path, **options: Any) -> ImportReport:
    """Check and store a file's records in one transaction; ``options`` are those of
    :func:`landrelease.io.importer.import_file` (kind, layer, fix, status, crs, progress …)."""
    return _import_file(register, path, **options)


def export(register: Register, out: Path, kind: str | None = None, *, overwrite: bool = False) -> dict[str, int]:
    """Write what the register holds (EPSG:4326, the columns ``import`` reads back); records by layer."""
    return _export(register, out, kind, overwrite=overwrite)


def store_scenario(register: Register, scenario: Scenario, *, actor: str = "demo") -> None:
    """Write a generated sample region in one unit of work (all or nothing)."""
    with register.unit_of_work(actor=actor) as uow:
        uow.add_hazard_areas(scenario.hazard_areas, source=f"sample scenario seed={scenario.seed}")
        uow.add_evidence(scenario.evidence, source="sample scenario")
        uow.add_settlements(scenario.settlements, source="sample scenario")
        uow.add_teams(scenario.teams, source="sample scenario")
