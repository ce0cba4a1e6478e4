"""One import: read a file, check every record, store all of it in one unit of work — or none.

The file is streamed batch by batch. Batches are written while no error has been seen;
after the first error the rest of the file is still checked (so the refusal lists every
problem) but nothing more is written, and the unit of work rolls back.
"""

from __future__ import annotations

import json
import operator
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from landrelease.domain.asset import Team
from landrelease.domain.enums import AssetType, EvidenceKind, HazardStatus
from landrelease.domain.errors import Problem, Severity, ValidationError
from landrelease.domain.evidence import Evidence
from landrelease.domain.geometry import areas_m2
from landrelease.domain.settlement import Settlement
from landrelease.io.kinds import HAZARD_AREAS, KINDS, Parsed, json_safe, match_columns, vocabulary_parser
from landrelease.io.readers import Chunk, list_layers, open_source, read_chunks
from landrelease.io.validate import Validator
from landrelease.storage.repository import Register, UnitOfWork

TABLE_OF_KIND = {"hazard-areas": "hazard_area", "evidence": "evidence", "settlements": "settlement", "teams": "team"}
HAZARD_DEFAULTS: dict[str, Any] = {
    "name": "",
    "kind": "SHA",
    "land_use": "other",
    "machine_accessible": True,
    "slope_deg": 0.0,
    "vegetation": "low",
    "clutter": "low",
    "density": "low",
    "status": "open",
    "operator": None,
    "region": None,
    "priority_score": None,
    "beneficiaries": None,
    "version": 1,
}

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    """What an import did: how many records were read and stored, and what was fixed or skipped."""

    source: str
    kind: str
    read: int = 0
    stored: int = 0
    crs_note: str = ""
    derived_codes: int = 0
    code_pattern: str = ""
    fixed: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def count(self, severity: str) -> dict[str, int]:
        return {k.split(":", 1)[1]: n for k, n in self.counts.items() if k.startswith(severity + ":")}


class _Run:
    """The state of one import across its batches."""

    def __init__(self, uow: UnitOfWork, validator: Validator, kind: str, fix: bool, status: str | None) -> None:
        self.uow = uow
        self.v = validator
        self.kind = kind
        self.fix = fix
        self.status = status
        self.stored = 0
        self.parents: list[tuple[str, str]] = []
        self.evidence: list[Evidence] = []
        self.settlements: list[Settlement] = []
        self.teams: list[Team] = []

    def batch(self, chunk: Chunk) -> None:
        v = self.v
        geometry, keep, alive = v.check_geometry(chunk.fids, chunk.geometry, chunk.unreadable)
        codes, values = v.check_attributes(chunk.fids, chunk.columns, alive, default_status=self.status)
        routes = self._routes(chunk, values["access_routes"], alive) if self.kind == "settlements" else None
        if v.error_count:
            return  # keep checking the rest of the file, write nothing more
        idx = np.flatnonzero(keep)
        if self.kind == "hazard-areas":
            self._hazards(chunk, idx, geometry[idx], codes[idx], {k: p.take(idx) for k, p in values.items()})
        else:
            self._collect(idx, geometry, codes, values, routes)

    def _routes(self, chunk: Chunk, text: Parsed, alive: np.ndarray) -> np.ndarray:
        out = np.full(len(text.plain), None, dtype=object)
        col = self.v.mapping.get("access_routes", "access_routes")
        for i in np.flatnonzero(alive & ~text.blank).tolist():
            g = shapely.from_wkt(text.plain[i], on_invalid="ignore")
            if g is None:
                self.v.error(
                    "bad_value",
                    self.v.label(chunk.fids[i]),
                    col,
                    "cannot be read",
                    found=repr(text.plain[i])[:80],
                    expected="WKT of a line or multiline, e.g. LINESTRING (lon lat, lon lat)",
                )
            else:
                out[i] = g
        return out

    def _hazards(
        self, chunk: Chunk, idx: np.ndarray, geometry: np.ndarray, codes: np.ndarray, values: dict[str, Parsed]
    ) -> None:
        cols: dict[str, Any] = {"code": codes.tolist()}
        for name, default in HAZARD_DEFAULTS.items():
            cols[name] = values[name].driver_values(default)
        eo = values["eo_types"]
        if eo.blank.all():
            cols["eo_types"] = "[]"
        else:
            cache: dict[Any, str] = {}
            cols["eo_types"] = [
                cache[e] if e in cache else cache.setdefault(e, json.dumps([x.value for x in e]))
                for e in (() if b else v for b, v in zip(eo.blank.tolist(), eo.values.tolist(), strict=True))
            ]
        area = areas_m2(geometry)
        rest = self.v.rest
        extra, dates = values["extra"], values["date"]
        declared = self._declared_differs(chunk.fids[idx], area, values.get("declared_area_m2"))
        if rest or not extra.blank.all() or not dates.blank.all() or declared:
            extras = []
            rest_cols = [chunk.columns[c][idx] for c in rest]
            for j in range(len(idx)):
                e: dict[str, Any] = dict(extra.values[j]) if not extra.blank[j] else {}
                if not dates.blank[j]:
                    e["date"] = dates.values[j].isoformat()
                if j in declared:
                    e["declared_area_m2"] = declared[j]
                for c, col in zip(rest, rest_cols, strict=True):
                    val = json_safe(col[j])
                    if val is not None and val != "":
                        e[c] = val
                extras.append(json.dumps(e))
            cols["extra"] = extras
        else:
            cols["extra"] = "{}"
        parents = values["parent_code"]
        self.parents += [(str(codes[j]), str(parents.plain[j])) for j in np.flatnonzero(~parents.blank).tolist()]
        wkb = None
        if chunk.wkb is not None:  # the file's own WKB where the geometry was stored as read (not repaired)
            unchanged = np.frompyfunc(operator.is_, 2, 1)(geometry, chunk.geometry[idx]).astype(bool)
            wkb = chunk.wkb[idx].copy()
            wkb[~unchanged] = None
        self.stored += self.uow.add_hazard_columns(cols, geometry, area_m2=area, wkb=wkb)

    def _declared_differs(self, fids: np.ndarray, area: np.ndarray, declared: Parsed | None) -> dict[int, float]:
        """Declared areas that the polygon does not bear out (kept in ``extra``; advisory when far off).

        A declared area within 0.5 % of the polygon's metric area (an export of ours, say)
        says nothing new and is not stored twice.
        """
        if declared is None:
            return {}
        out: dict[int, float] = {}
        col = self.v.mapping.get("area", "area")
        for j in np.flatnonzero(~declared.blank).tolist():
            d = float(declared.plain[j])
            if abs(d - area[j]) <= 0.005 * max(area[j], 1.0):
                continue
            out[j] = d
            if not 0.5 <= d / max(area[j], 1e-9) <= 2.0:
                self.v.warn(
                    "declared_area_differs",
                    self.v.label(fids[j]),
                    col,
                    "declared area differs from the polygon's area (computed in UTM)",
                    found=f"{d:,.1f} m² declared",
                    expected=f"about {area[j]:,.1f} m²",
                    severity=Severity.ADVISORY,
                )
        return out

    def _collect(
        self,
        idx: np.ndarray,
        geometry: np.ndarray,
        codes: np.ndarray,
        values: dict[str, Parsed],
        routes: np.ndarray | None,
    ) -> None:
        def val(name: str, i: int, default: Any = None) -> Any:
            p = values[name]
            return default if p.blank[i] else p.values[i]

        for i in idx.tolist():
            if self.kind == "evidence":
                self.evidence.append(
                    Evidence(
                        kind=EvidenceKind(val("kind", i)),
                        geometry=geometry[i],
                        hazard_code=val("hazard_code", i),
                        code=codes[i],
                        date=val("date", i),
                        source=val("source", i, ""),
                        reliability=val("reliability", i),
                        confidence=val("confidence", i),
                        eo_type=val("eo_type", i),
                        count=val("count", i),
                        positive=val("positive", i, True),
                    )
                )
            elif self.kind == "settlements":
                assert routes is not None
                self.settlements.append(
                    Settlement(
                        code=codes[i],
                        name=val("name", i, ""),
                        geometry=geometry[i],
                        population=val("population", i, 0),
                        displaced=val("displaced", i, 0),
                        access_routes=routes[i],
                        region=val("region", i),
                    )
                )
            else:
                self.teams.append(
                    Team(
                        code=codes[i],
                        type=AssetType(val("type", i)),
                        base=geometry[i],
                        size=val("size", i, 1),
                        operator=val("operator", i),
                        cost_per_day=val("cost_per_day", i),
                        rate_m2_per_day=val("rate_m2_per_day", i),
                        rate_sigma=val("rate_sigma", i),
                    )
                )

    def finish(self, source: str) -> None:
        if self.kind == "hazard-areas":
            for code, parent in self.uow.link_parents(self.parents):
                self.v.error(
                    "unknown_parent",
                    code,
                    self.v.mapping.get("parent_code"),
                    "no hazard area with this parent code",
                    found=parent,
                    expected="the code of a hazard area in the file or the register",
                )
        elif self.kind == "evidence":
            self.stored = self.uow.add_evidence(self.evidence, source=source)
        elif self.kind == "settlements":
            self.stored = self.uow.add_settlements(self.settlements, source=source)
        else:
            self.stored = self.uow.add_teams(self.teams, source=source)


def _layer_of_kind(path: Path, kind: str) -> str | None:
    """In a file of several layers, the one named after the kind (as ``landrelease export`` writes them)."""
    try:
        layers = list_layers(path)
    except Exception:  # open_source says what is wrong with the file
        return None
    wanted = kind.replace("-", "_")
    return wanted if len(layers) > 1 and wanted in layers else None


def _examples_first(problems: list[Problem], per_check: int = 5) -> list[Problem]:
    """A few of each kind of problem first, so that a refusal's opening lines show every kind."""
    seen: Counter[str | None] = Counter()
    head: list[Problem] = []
    tail: list[Problem] = []
    for p in problems:
        seen[p.check] += 1
        (head if seen[p.check] <= per_check else tail).append(p)
    return head + tail


def import_file(
    register: Register,
    path: str | Path,
    *,
    kind: str = "hazard-areas",
    layer: str | None = None,
    fix: bool = False,
    status: str | None = None,
    crs: str | None = None,
    actor: str = "import",
    batch_size: int = 65536,
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one file into the register: all of it, or — on any error not fixed — nothing.

    Raises :class:`ValidationError` listing every problem (file, record, field, found,
    expected). ``status`` is the hazard status of records that give none (e.g. ``cleared``
    for a layer of cleared areas).
    """
    started = time.perf_counter()
    if kind not in KINDS:
        raise ValidationError(
            [Problem("unknown kind", field="kind", found=kind, expected=", ".join(KINDS))], "import refused"
        )
    spec = KINDS[kind]
    status_value: str | None = None
    if status is not None:
        parsed = vocabulary_parser(HazardStatus)(status)
        if kind != "hazard-areas" or not isinstance(parsed, HazardStatus):
            raise ValidationError(
                [
                    Problem(
                        "--status applies to hazard areas and must be a known status",
                        field="status",
                        found=status,
                        expected=", ".join(HazardStatus.allowed()),
                    )
                ],
                "import refused",
            )
        status_value = parsed.value
    if layer is None:
        layer = _layer_of_kind(Path(path), kind)
    source = open_source(path, layer, crs)
    geometry_columns = {c for c in (source.wkt_column, source.lat_column, source.lon_column) if c}
    code_col, mapping, rest = match_columns(tuple(f for f in source.fields if f not in geometry_columns), spec)
    report = ImportReport(source=source.name, kind=kind, crs_note=source.crs_note)
    prefix = source.path.stem
    report.code_pattern = f"{prefix}-<{source.record_word} id>"
    with register.unit_of_work(actor=actor) as uow:
        validator = Validator(
            source=source.name,
            spec=spec,
            record_word=source.record_word,
            code_column=code_col,
            mapping=mapping,
            rest=rest,
            fix=fix,
            stored_codes=uow.stored_codes(TABLE_OF_KIND[kind]),
            code_prefix=prefix,
            known_hazard_codes=uow.stored_codes("hazard_area") if kind == "evidence" else set(),
            today=today or date.today(),
        )
        validator.file_problems()
        run = _Run(uow, validator, kind, fix, status_value)
        with uow.bulk_hazard_areas():
            for chunk in read_chunks(source, batch_size=batch_size):
                run.batch(chunk)
                report.read += len(chunk)
                if progress is not None:
                    progress(report.read, source.features)
            validator.finish()
            if not validator.error_count:
                run.finish(source.name)
        report.fixed, report.skipped, report.warnings = validator.fixed, validator.skipped, validator.warnings
        report.counts, report.derived_codes = validator.counts, validator.derived_codes
        if validator.error_count:
            raise ValidationError(
                _examples_first(validator.errors) + validator.warnings,
                f"{source.name} refused, nothing stored ({report.read:,} records read)",
            )
        report.stored = run.stored
        uow.audit(
            "import",
            TABLE_OF_KIND[kind],
            None,
            {
                "source": source.name,
                "kind": kind,
                "stored": run.stored,
                "read": report.read,
                "fix": fix,
                "fixed": len(report.fixed),
                "skipped": [p.record for p in report.skipped],
                "derived_codes": report.derived_codes,
                "crs": source.crs_note,
            },
        )
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["HAZARD_AREAS", "ImportReport", "import_file"]
