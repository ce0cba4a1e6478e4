"""One import: read a file, check every record, store all of it in one unit of work — or none.

The file is streamed batch by batch. Batches are written while no error has been seen;
after the first error the rest of the file is still checked (so the refusal lists every
problem) but nothing more is written, and the unit of work rolls back.

How columns become fields is decided once, from the first batch: a crosswalk if one is
given, then column names, then values (:mod:`landrelease.io.crosswalk`). A dry run does
everything but write, and reports what would be stored. Each import that stores is
recorded with its file's SHA-256 and the crosswalk it was read with (``import_run``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import operator
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from landrelease.domain.asset import Team
from landrelease.domain.enums import AssetType, EvidenceKind, HazardStatus
from landrelease.domain.errors import Problem, Severity, ValidationError
from landrelease.domain.evidence import Evidence
from landrelease.domain.geometry import areas_m2
from landrelease.domain.settlement import Settlement
from landrelease.io.crosswalk import ColumnPlan, Crosswalk, load_crosswalk, resolve, write_crosswalk_text
from landrelease.io.kinds import BLANK, HAZARD_AREAS, KINDS, Parsed, json_safe, vocabulary_parser
from landrelease.io.readers import Chunk, Source, list_layers, open_source, read_chunks, value_counts
from landrelease.io.validate import Validator
from landrelease.storage.imports import record_import
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
    dry_run: bool = False
    columns: list[tuple[str, str, str]] = field(default_factory=list)  # (column, field, how it was chosen)
    notes: list[Problem] = field(default_factory=list)  # columns read by their values, not their names
    values: dict[str, Counter[str]] = field(default_factory=dict)  # field -> value -> records (stored or not)
    by_kind_status: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)  # -> (records, m²)
    crosswalk: dict[str, Any] = field(default_factory=dict)  # the column reading used
    source_sha256: str | None = None
    import_id: int | None = None

    def count(self, severity: str) -> dict[str, int]:
        return {k.split(":", 1)[1]: n for k, n in self.counts.items() if k.startswith(severity + ":")}

    @property
    def area_km2(self) -> float:
        """Total area of the hazard areas stored (or, in a dry run, that would be), computed in UTM."""
        return sum(m2 for _, m2 in self.by_kind_status.values()) / 1e6

    def to_json(self) -> dict[str, Any]:
        """The report as plain data (the web upload page shows it)."""
        return {
            "source": self.source,
            "kind": self.kind,
            "dry_run": self.dry_run,
            "read": self.read,
            "stored": self.stored,
            "crs": self.crs_note,
            "derived_codes": self.derived_codes,
            "code_pattern": self.code_pattern,
            "columns": [{"column": c, "field": f, "how": h} for c, f, h in self.columns],
            "notes": [str(p) for p in self.notes],
            "values": {f: dict(c.most_common()) for f, c in self.values.items()},
            "by_kind_status": [
                {"kind": k, "status": st, "records": n, "area_km2": m2 / 1e6}
                for (k, st), (n, m2) in sorted(self.by_kind_status.items())
            ],
            "area_km2": self.area_km2,
            "fixed": {k: n for k, n in self.count("fixed").items()},
            "skipped": {k: n for k, n in self.count("skipped").items()},
            "skipped_records": [p.record for p in self.skipped],
            "warnings": [str(p) for p in self.warnings[:200]],
            "seconds": self.seconds,
            "import_id": self.import_id,
        }


class _Run:
    """The state of one import across its batches (a dry run keeps the tallies and writes nothing)."""

    def __init__(
        self,
        uow: UnitOfWork,
        validator: Validator,
        kind: str,
        fix: bool,
        status: str | None,
        report: ImportReport,
        dry_run: bool = False,
    ) -> None:
        self.uow = uow
        self.v = validator
        self.kind = kind
        self.fix = fix
        self.status = status
        self.report = report
        self.dry_run = dry_run
        self.stored = 0
        self.parents: list[tuple[str, str]] = []
        self.evidence: list[Evidence] = []
        self.settlements: list[Settlement] = []
        self.teams: list[Team] = []

    def _tally(self, fname: str, value: Any, n: int) -> None:
        """Count the values a field gets (one value for all ``n`` records, or a list)."""
        counter = self.report.values.setdefault(fname, Counter())
        if isinstance(value, list):
            for v, k in pd.Series(value, dtype=object).value_counts(dropna=False).items():
                counter[str(v)] += int(k)
        elif n:
            counter[str(value)] += n

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
        self._tally_hazards(cols, eo, area)
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
        if self.dry_run:
            self.stored += len(idx)
            return
        wkb = None
        if chunk.wkb is not None:  # the file's own WKB where the geometry was stored as read (not repaired)
            unchanged = np.frompyfunc(operator.is_, 2, 1)(geometry, chunk.geometry[idx]).astype(bool)
            wkb = chunk.wkb[idx].copy()
            wkb[~unchanged] = None
        self.stored += self.uow.add_hazard_columns(cols, geometry, area_m2=area, wkb=wkb)

    def _tally_hazards(self, cols: dict[str, Any], eo: Parsed, area: np.ndarray) -> None:
        n = len(area)
        for fname in ("kind", "status", "land_use", "vegetation", "clutter", "density"):
            self._tally(fname, cols[fname], n)
        counter = self.report.values.setdefault("eo_types", Counter())
        if eo.blank.all():
            counter["(none)"] += n
        else:
            for value, k in pd.Series(eo.values, dtype=object).value_counts().items():
                for e in () if value is BLANK else value:
                    counter[e.value] += int(k)
                if value is BLANK or not value:
                    counter["(none)"] += int(k)
        kinds, statuses = cols["kind"], cols["status"]
        if not isinstance(kinds, list) and not isinstance(statuses, list):  # one kind and status: no grouping
            groups = [((str(kinds), str(statuses)), n, float(area.sum()))]
        else:
            frame = pd.DataFrame(
                {
                    "kind": kinds if isinstance(kinds, list) else [kinds] * n,
                    "status": statuses if isinstance(statuses, list) else [statuses] * n,
                    "m2": area,
                }
            )
            sums = frame.groupby(["kind", "status"], sort=False)["m2"].agg(["count", "sum"])
            groups = [((str(k), str(st)), int(r["count"]), float(r["sum"])) for (k, st), r in sums.iterrows()]
        for key, records, m2 in groups:
            before_n, before_m2 = self.report.by_kind_status.get(key, (0, 0.0))
            self.report.by_kind_status[key] = (before_n + records, before_m2 + m2)

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

        tallied = {"evidence": ("kind", "eo_type"), "teams": ("type",)}.get(self.kind, ())
        for fname in tallied:
            p = values[fname]
            self._tally(fname, ["(none)" if p.blank[i] else str(p.plain[i]) for i in idx.tolist()], len(idx))
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
        if self.dry_run:
            self.stored += len(self.evidence) + len(self.settlements) + len(self.teams)
        if self.kind == "hazard-areas":
            missing = self._unknown_parents() if self.dry_run else self.uow.link_parents(self.parents)
            for code, parent in missing:
                self.v.error(
                    "unknown_parent",
                    code,
                    self.v.mapping.get("parent_code"),
                    "no hazard area with this parent code",
                    found=parent,
                    expected="the code of a hazard area in the file or the register",
                )
        elif self.dry_run:
            return
        elif self.kind == "evidence":
            self.stored = self.uow.add_evidence(self.evidence, source=source)
        elif self.kind == "settlements":
            self.stored = self.uow.add_settlements(self.settlements, source=source)
        else:
            self.stored = self.uow.add_teams(self.teams, source=source)

    def _unknown_parents(self) -> list[tuple[str, str]]:
        """(code, parent) pairs whose parent is neither in the file nor in the register (dry run)."""
        known = set(self.v.seen_codes) | self.v.stored_codes
        return [(c, p) for c, p in self.parents if p not in known]


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


class _FileHash:
    """The SHA-256 of a file, computed in a thread while the import reads it (hashlib frees the GIL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.hexdigest: str | None = None
        self.size: int | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        digest = hashlib.sha256()
        size = 0
        try:
            with self.path.open("rb") as fh:
                while block := fh.read(1 << 20):
                    digest.update(block)
                    size += len(block)
        except OSError:
            return
        self.hexdigest, self.size = digest.hexdigest(), size

    def result(self) -> tuple[str | None, int | None]:
        self._thread.join()
        return self.hexdigest, self.size


@contextmanager
def _reading_only(register: Register, actor: str) -> Iterator[UnitOfWork]:
    """A unit of work over a read-only connection: a dry run looks up codes and writes nothing."""
    with register.reading() as conn:
        yield UnitOfWork(conn, actor)


@contextmanager
def _no_bulk() -> Iterator[None]:
    yield


def _refused(message: str, fld: str, found: str, expected: str) -> ValidationError:
    return ValidationError([Problem(message, field=fld, found=found, expected=expected)], "import refused")


def _status_value(kind: str, status: str | None) -> str | None:
    if status is None:
        return None
    parsed = vocabulary_parser(HazardStatus)(status)
    if kind != "hazard-areas" or not isinstance(parsed, HazardStatus):
        raise _refused(
            "--status applies to hazard areas and must be a known status",
            "status",
            status,
            ", ".join(HazardStatus.allowed()),
        )
    return parsed.value


def plan_columns(
    source: Source, spec: Any, crosswalk: Crosswalk | None, sample: dict[str, np.ndarray] | None
) -> ColumnPlan:
    """How the import reads this source's columns (everything but its geometry columns)."""
    geometry_columns = {c for c in (source.wkt_column, source.lat_column, source.lon_column) if c}
    columns = tuple(f for f in source.fields if f not in geometry_columns)
    return resolve(columns, spec, crosswalk, sample, source=source.name)


def import_file(
    register: Register,
    path: str | Path,
    *,
    kind: str | None = None,
    layer: str | None = None,
    fix: bool = False,
    status: str | None = None,
    crs: str | None = None,
    mapping: Crosswalk | str | Path | None = None,
    dry_run: bool = False,
    encoding: str | None = None,
    actor: str = "import",
    batch_size: int = 65536,
    today: date | None = None,
    progress: Progress | None = None,
    source_name: str | None = None,
) -> ImportReport:
    """Import one file into the register: all of it, or — on any error not fixed — nothing.

    Raises :class:`ValidationError` listing every problem (file, record, field, found,
    expected). ``status`` is the hazard status of records that give none (e.g. ``cleared``
    for a layer of cleared areas). ``mapping`` is a crosswalk (a ``mapping.yaml`` path or a
    :class:`Crosswalk`); ``dry_run`` checks everything and reports what would be stored,
    writing nothing. ``source_name`` is the name to record for a file uploaded under
    another (temporary) name.
    """
    started = time.perf_counter()
    crosswalk = load_crosswalk(mapping, kind) if isinstance(mapping, str | Path) else mapping
    kind = kind or (crosswalk.kind if crosswalk is not None else None) or "hazard-areas"
    if kind not in KINDS:
        raise _refused("unknown kind", "kind", kind, ", ".join(KINDS))
    if crosswalk is not None and crosswalk.kind not in (None, kind):
        raise _refused(
            "the crosswalk is for another kind of record", "kind", str(crosswalk.kind), f"{kind} (as --kind says)"
        )
    spec = KINDS[kind]
    status_value = _status_value(kind, status)
    if layer is None:
        layer = _layer_of_kind(Path(path), kind)
    source = open_source(path, layer, crs, encoding=encoding, display_name=source_name)
    hashing = None if dry_run else _FileHash(source.path)
    chunks = read_chunks(source, batch_size=batch_size)
    first = next(chunks, None)
    if first is None:
        raise ValidationError(
            [
                Problem(
                    "the file holds no records" + (f" in layer {layer}" if layer else ""),
                    field="file",
                    found="0 records",
                    expected="a file (or --layer) with the records to import; was the export complete?",
                    source=source.name,
                    check="no_records",
                )
            ],
            f"{source.name} refused, nothing stored",
        )
    plan = plan_columns(source, spec, crosswalk, first.columns)
    if plan.problems:
        raise ValidationError(plan.problems + plan.notes, f"{source.name} refused, nothing stored")
    report = ImportReport(source=source.name, kind=kind, crs_note=source.crs_note, dry_run=dry_run)
    report.columns, report.notes, report.crosswalk = plan.uses(), plan.notes, plan.to_json()
    prefix = source.path.stem if source_name is None else Path(source_name).stem
    report.code_pattern = f"{prefix}-<{source.record_word} id>"
    opened = _reading_only(register, actor) if dry_run else register.unit_of_work(actor=actor)
    with opened as uow:
        validator = Validator(
            source=source.name,
            spec=spec,
            record_word=source.record_word,
            code_column=plan.code_column,
            mapping=plan.mapping,
            rest=plan.rest,
            fix=fix,
            stored_codes=uow.stored_codes(TABLE_OF_KIND[kind]),
            code_prefix=prefix,
            known_hazard_codes=uow.stored_codes("hazard_area") if kind == "evidence" else set(),
            today=today or date.today(),
            parsers=plan.parsers,
            explain=plan.explain,
            listed=set(plan.listed),
        )
        validator.file_problems()
        run = _Run(uow, validator, kind, fix, status_value, report, dry_run=dry_run)
        with _no_bulk() if dry_run else uow.bulk_hazard_areas():
            for chunk in itertools.chain([first], chunks):
                chunk.columns = plan.columns(chunk.columns)
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
            hint = _way_forward(validator, source_name or source.path.name, crosswalk)
            raise ValidationError(
                _examples_first(validator.errors) + hint + validator.warnings,
                f"{source.name} refused, nothing stored ({report.read:,} records read)",
            )
        report.stored = run.stored
        if not dry_run:
            assert hashing is not None
            sha256, size = hashing.result()
            report.source_sha256 = sha256
            options = {"fix": fix, "status": status_value, "crs": crs, "layer": layer, "encoding": encoding}
            digest = uow.audit(
                "import",
                TABLE_OF_KIND[kind],
                None,
                {
                    "source": source.name,
                    "sha256": sha256,
                    "kind": kind,
                    "stored": run.stored,
                    "read": report.read,
                    "fix": fix,
                    "fixed": len(report.fixed),
                    "skipped": [p.record for p in report.skipped],
                    "derived_codes": report.derived_codes,
                    "crs": source.crs_note,
                    "crosswalk": plan.origin,
                },
            )
            report.import_id = record_import(
                uow.conn,
                actor=actor,
                kind=kind,
                source=source.name,
                layer=layer,
                source_bytes=size,
                source_sha256=sha256,
                crosswalk_file=plan.origin,
                crosswalk=report.crosswalk,
                options=options,
                read=report.read,
                stored=run.stored,
                audit_hash=digest,
            )
    report.seconds = time.perf_counter() - started
    return report


def starting_crosswalk(
    path: str | Path,
    *,
    kind: str | None = None,
    layer: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    mapping: Crosswalk | str | Path | None = None,
    source_name: str | None = None,
) -> tuple[str, ColumnPlan]:
    """A crosswalk to start from (YAML text) for a file: every column with its guessed field, every
    distinct value of vocabulary columns with its guessed meaning or ``?``. Reads every record's
    attributes, no geometry; writes nothing to the register."""
    crosswalk = load_crosswalk(mapping, kind) if isinstance(mapping, str | Path) else mapping
    kind = kind or (crosswalk.kind if crosswalk is not None else None) or "hazard-areas"
    if kind not in KINDS:
        raise _refused("unknown kind", "kind", kind, ", ".join(KINDS))
    if layer is None:
        layer = _layer_of_kind(Path(path), kind)
    source = open_source(path, layer, crs, encoding=encoding, display_name=source_name)
    geometry_columns = {c for c in (source.wkt_column, source.lat_column, source.lon_column) if c}
    columns = tuple(f for f in source.fields if f not in geometry_columns)
    counts = value_counts(source, list(columns))
    sample = {c: np.array(list(counts[c]), dtype=object) for c in columns}
    plan = resolve(columns, KINDS[kind], crosswalk, sample, source=source.name)
    text = write_crosswalk_text(plan, counts, file_name=source_name or source.path.name, all_columns=columns)
    return text, plan


GEOMETRY_HINT = {
    "hazard-areas": "hazard areas are polygons: import points as --kind evidence (or settlements), or split the "
    "layer by geometry type, e.g. ogr2ogr -where \"OGR_GEOMETRY='POLYGON' OR OGR_GEOMETRY='MULTIPOLYGON'\"",
    "teams": "a team's base is a point: give each team its base as a point (a polygon's centroid will do)",
}


def _way_forward(validator: Validator, source: str, crosswalk: Crosswalk | None) -> list[Problem]:
    """Closing lines that say how to get past unknown values, missing columns or geometry of another type."""
    out = []
    if validator.counts.get("error:wrong_geometry_type"):
        out.append(
            Problem(
                f"records whose geometry is not a {' or '.join(validator.spec.geometry_types)}",
                source=source,
                expected=GEOMETRY_HINT.get(validator.spec.name, "split the layer by geometry type"),
                severity=Severity.ADVISORY,
                check="way_forward",
            )
        )
    unknown = [k for k in validator.counts if k.startswith("error:unknown_") and k != "error:unknown_hazard_code"]
    missing = validator.counts.get("error:missing_column", 0)
    if not unknown and not missing:
        return out
    if crosswalk is not None:
        how = f"edit {crosswalk.origin or 'the crosswalk'} (fields: which column; values: what each value means)"
    else:
        how = (
            f"landrelease import {source} --write-mapping mapping.yaml, edit it, "
            "then import with --mapping mapping.yaml"
        )
    return [
        *out,
        Problem(
            "values or columns this register does not know: a crosswalk says what they mean",
            source=source,
            expected=how,
            severity=Severity.ADVISORY,
            check="way_forward",
        ),
    ]


__all__ = ["HAZARD_AREAS", "ImportReport", "import_file", "plan_columns", "starting_crosswalk"]
