"""Checks on imported records: every problem named by file, record, field, found and expected.

The checks are vectorised (Shapely 2, NumPy, pandas) so that a million polygons are
checked in seconds. They run batch by batch and keep what must be seen across the whole
file (codes and geometries already seen, area units) in a :class:`Validator`.

Severities: errors refuse the import unless ``fix`` repairs them; warnings and advisories
(vertices more than 5 km apart, unused columns) never block. With ``fix``:
invalid geometry is repaired by ``shapely.make_valid`` (the change in area and type is
reported), an unclosed ring is closed, records with no geometry left (null, empty,
collapsed) and later copies of a duplicate geometry are skipped — each listed, never
silently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import shapely

from landrelease.domain.errors import Problem, Severity
from landrelease.domain.geometry import EARTH_RADIUS_KM, areas_m2, haversine_radians_km
from landrelease.io.kinds import (
    AREA_UNITS,
    HAZARD_AREAS,
    KindSpec,
    Parsed,
    parse_values,
    split_area,
    unit_of_column,
)

MAX_VERTEX_GAP_KM = 5.0  # GICHD geocheck: consecutive vertices more than 5 km apart (advisory)
MIN_GAP_DEG = 0.999 * MAX_VERTEX_GAP_KM / (EARTH_RADIUS_KM * np.pi / 180.0)  # 5 km is at least this many degrees
POLYGONAL = ("Polygon", "MultiPolygon")
NON_NEGATIVE = (
    "population",
    "displaced",
    "size",
    "beneficiaries",
    "count",
    "cost_per_day",
    "rate_m2_per_day",
    "rate_sigma",
    "slope_deg",
    "priority_score",
)
MAX_KEPT = 10_000  # problems kept per check (the count is always exact)


def vertex_gaps_km(geometry: np.ndarray) -> np.ndarray:
    """The longest great-circle gap (km) between consecutive vertices of each geometry's rings or lines."""
    out = np.zeros(len(geometry))
    if len(geometry) == 0:
        return out
    types = shapely.get_type_id(geometry)
    # a geometry whose bounding box is smaller than 5 km both ways cannot hold a 5 km gap
    bounds = shapely.bounds(geometry)
    wide = (bounds[:, 2] - bounds[:, 0] > MIN_GAP_DEG) | (bounds[:, 3] - bounds[:, 1] > MIN_GAP_DEG)
    polygonal = np.isin(types, (3, 6)) & wide  # Polygon, MultiPolygon
    lines = np.isin(types, (1, 2, 5)) & wide  # LineString, LinearRing, MultiLineString
    parts_owner: list[np.ndarray] = []
    parts: list[np.ndarray] = []
    if polygonal.any():
        rings, owner = shapely.get_rings(geometry[polygonal], return_index=True)
        parts.append(rings)
        parts_owner.append(np.flatnonzero(polygonal)[owner])
    if lines.any():
        ls, owner = shapely.get_parts(geometry[lines], return_index=True)
        parts.append(ls)
        parts_owner.append(np.flatnonzero(lines)[owner])
    if not parts:
        return out
    pieces = np.concatenate(parts)
    owners = np.concatenate(parts_owner)
    xy, piece = shapely.get_coordinates(pieces, return_index=True)
    if len(xy) < 2:
        return out
    same = piece[1:] == piece[:-1]
    lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    cos_lat = np.cos(lat)
    d = haversine_radians_km(lat[:-1], lat[1:], lon[1:] - lon[:-1], cos_lat[:-1], cos_lat[1:])
    d[~same] = 0.0
    np.maximum.at(out, owners[piece[1:]], d)
    return out


def swapped_outliers(centres: np.ndarray) -> np.ndarray:
    """Records whose (lon, lat) sits far from the rest of the data but whose (lat, lon) sits among it."""
    n = len(centres)
    if n < 5:
        return np.zeros(n, dtype=bool)
    med = np.median(centres, axis=0)
    d1 = np.hypot(*(centres - med).T)
    d2 = np.hypot(*(centres[:, ::-1] - med).T)
    typical = float(np.percentile(d1, 80))
    return (d1 > 3.0 * typical + 1.0) & (d2 <= typical + 0.1)


@dataclass(slots=True)
class Prepared:
    """A batch that passed (or was fixed): what the writer needs."""

    index: np.ndarray  # positions in the chunk that are kept
    fids: np.ndarray
    geometry: np.ndarray
    codes: list[str]
    values: dict[str, np.ndarray]  # parsed field values (BLANK where missing) for the kept records
    extra: list[dict[str, Any]] | None  # columns no field uses (hazard areas keep them)


@dataclass
class Validator:
    """Runs every check over an input batch by batch; keeps what spans the whole file."""

    source: str
    spec: KindSpec
    record_word: str
    code_column: str | None
    mapping: dict[str, str]
    rest: list[str]
    fix: bool = False
    stored_codes: set[str] = field(default_factory=set)
    known_hazard_codes: set[str] = field(default_factory=set)
    code_prefix: str = "record"
    today: date = field(default_factory=date.today)

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    fixed: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    derived_codes: int = 0
    seen_codes: dict[str, int] = field(default_factory=dict)  # code -> fid of its first record
    seen_geometries: dict[int, int] = field(default_factory=dict)  # hash of normalised WKB -> first fid
    area_units: dict[str, list[str]] = field(default_factory=dict)
    area_unit_counts: Counter[str] = field(default_factory=Counter)

    # ------------------------------------------------------------ reporting

    def label(self, fid: Any) -> str:
        return f"{self.record_word} {fid}"

    def _add(self, bucket: list[Problem], check: str, p: Problem, tally: str | None = None) -> None:
        key = f"{tally or p.severity.value}:{check}"
        self.counts[key] += 1
        if self.counts[key] <= MAX_KEPT:
            bucket.append(p)

    def error(
        self,
        check: str,
        record: str | None,
        fld: str | None,
        message: str,
        found: Any = None,
        expected: str | None = None,
    ) -> None:
        self._add(
            self.errors,
            check,
            Problem(
                message,
                record=record,
                field=fld,
                found=None if found is None else str(found),
                expected=expected,
                source=self.source,
                check=check,
            ),
        )

    def warn(
        self,
        check: str,
        record: str | None,
        fld: str | None,
        message: str,
        found: Any = None,
        expected: str | None = None,
        severity: Severity = Severity.WARNING,
    ) -> None:
        self._add(
            self.warnings,
            check,
            Problem(
                message,
                record=record,
                field=fld,
                found=None if found is None else str(found),
                expected=expected,
                source=self.source,
                severity=severity,
                check=check,
            ),
        )

    def repaired(self, check: str, record: str, fld: str, message: str) -> None:
        self._add(
            self.fixed,
            check,
            Problem(message, record=record, field=fld, source=self.source, severity=Severity.WARNING, check=check),
            tally="fixed",
        )

    def skip(self, check: str, record: str, fld: str, message: str) -> None:
        self._add(
            self.skipped,
            check,
            Problem(message, record=record, field=fld, source=self.source, severity=Severity.WARNING, check=check),
            tally="skipped",
        )

    @staticmethod
    def _drop(keep: np.ndarray, alive: np.ndarray, i: int, skipped: bool) -> None:
        keep[i] = False
        if skipped:
            alive[i] = False

    def refuse_or_skip(
        self, check: str, record: str, fld: str, message: str, expected: str | None = None, found: Any = None
    ) -> bool:
        """An error that --fix resolves by skipping the record. True when the record is skipped."""
        if self.fix:
            self.skip(check, record, fld, f"skipped: {message}")
            return True
        self.error(check, record, fld, message, found=found, expected=expected)
        return False

    @property
    def error_count(self) -> int:
        return sum(n for k, n in self.counts.items() if k.startswith("error:"))

    def file_problems(self) -> None:
        """File-level checks, before any record: required columns present."""
        for f in self.spec.fields:
            if f.required and f.name not in self.mapping:
                self.error(
                    "missing_column",
                    None,
                    f.name,
                    "a required column is missing",
                    found="no such column",
                    expected=f"a column named {' or '.join(f.aliases)}",
                )
        if not self.spec.keeps_extra and self.rest:
            self.warn(
                "unused_columns",
                None,
                ", ".join(self.rest),
                "columns not used by this kind (not stored)",
                expected=self.spec.help(),
            )

    # ------------------------------------------------------------ geometry

    def check_geometry(
        self, fids: np.ndarray, geometry: np.ndarray, unreadable: dict[int, tuple[str, str, object]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Geometry checks with --fix repairs applied: (geometry, passed mask, not-skipped mask)."""
        geometry = geometry.copy()
        n = len(geometry)
        keep = np.ones(n, dtype=bool)  # passed every check so far (to be stored)
        alive = np.ones(n, dtype=bool)  # not skipped by --fix (its attributes are checked)
        lab = self.label
        polygon_kind = self.spec.geometry_types == POLYGONAL

        for i, (fld, found, salvaged) in unreadable.items():
            if self.fix and salvaged is not None and not shapely.is_empty(salvaged):
                geometry[i] = salvaged
                self.repaired("unclosed_ring", lab(fids[i]), fld, "unclosed ring closed")
            elif self.fix:
                keep[i] = alive[i] = False
                self.skip("unreadable_geometry", lab(fids[i]), fld, f"skipped: geometry cannot be read ({found})")
            else:
                keep[i] = False  # nothing further to check on it
                self.error(
                    "unclosed_ring" if salvaged is not None else "unreadable_geometry",
                    lab(fids[i]),
                    fld,
                    "unclosed ring (first and last vertex differ)"
                    if salvaged is not None
                    else "geometry cannot be read",
                    found=found,
                    expected="a closed ring (last vertex equal to the first)"
                    if salvaged is not None
                    else "a readable geometry (WKT, WKB, or numeric latitude and longitude)",
                )

        missing = shapely.is_missing(geometry) & keep
        for i in np.flatnonzero(missing).tolist():
            self._drop(
                keep,
                alive,
                i,
                self.refuse_or_skip(
                    "null_geometry",
                    lab(fids[i]),
                    "geometry",
                    "null geometry",
                    expected="a " + " or ".join(self.spec.geometry_types),
                    found="null",
                ),
            )
        empty = keep & shapely.is_empty(geometry)
        for i in np.flatnonzero(empty).tolist():
            self._drop(
                keep,
                alive,
                i,
                self.refuse_or_skip(
                    "empty_geometry",
                    lab(fids[i]),
                    "geometry",
                    "empty geometry",
                    expected="a " + " or ".join(self.spec.geometry_types),
                    found="EMPTY",
                ),
            )

        idx = np.flatnonzero(keep)
        types = shapely.get_type_id(geometry[idx])
        allowed_ids = [TYPE_IDS[t] for t in self.spec.geometry_types]
        wrong = idx[~np.isin(types, allowed_ids)]
        for i in wrong.tolist():
            g = geometry[i]
            if polygon_kind and self.fix and g.geom_type == "GeometryCollection":
                poly = _polygonal_part(g)
                if poly is not None:
                    geometry[i] = poly
                    self.repaired(
                        "wrong_geometry_type",
                        lab(fids[i]),
                        "geometry",
                        f"GeometryCollection reduced to its {poly.geom_type}",
                    )
                    continue
            keep[i] = False
            self.error(
                "wrong_geometry_type",
                lab(fids[i]),
                "geometry",
                f"wrong geometry type for {self.spec.name}",
                found=g.geom_type,
                expected=" or ".join(self.spec.geometry_types),
            )

        idx = np.flatnonzero(keep)
        bounds = shapely.bounds(geometry[idx])
        finite = np.isfinite(bounds).all(axis=1)
        minx, miny, maxx, maxy = bounds.T
        out = ~finite | (minx < -180) | (maxx > 180) | (miny < -90) | (maxy > 90)
        for j in np.flatnonzero(out).tolist():
            i = idx[j]
            keep[i] = False
            found = f"x {minx[j]:.6g}..{maxx[j]:.6g}, y {miny[j]:.6g}..{maxy[j]:.6g}"
            if not finite[j]:
                self.error(
                    "coordinates_out_of_range",
                    lab(fids[i]),
                    "geometry",
                    "coordinates cannot be placed on the Earth (not finite after reprojection)",
                    found=found,
                    expected="longitude -180..180, latitude -90..90",
                )
            elif minx[j] >= -90 and maxx[j] <= 90 and miny[j] >= -180 and maxy[j] <= 180:
                self.error(
                    "lat_lon_swapped",
                    lab(fids[i]),
                    "geometry",
                    "latitude and longitude look swapped: latitudes beyond ±90 that would fit as longitudes",
                    found=found,
                    expected="x = longitude (-180..180), y = latitude (-90..90)",
                )
            else:
                self.error(
                    "coordinates_out_of_range",
                    lab(fids[i]),
                    "geometry",
                    "coordinates out of range",
                    found=found,
                    expected="longitude -180..180, latitude -90..90",
                )
        idx = np.flatnonzero(keep)
        if len(idx) >= 5:
            b = shapely.bounds(geometry[idx])
            centres = np.column_stack(((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2))
            med = np.median(centres, axis=0)
            for j in np.flatnonzero(swapped_outliers(centres)).tolist():
                i = idx[j]
                keep[i] = False
                self.error(
                    "lat_lon_swapped",
                    lab(fids[i]),
                    "geometry",
                    f"latitude and longitude look swapped: this record lies at ({centres[j, 0]:.4f}, "
                    f"{centres[j, 1]:.4f}), its swap falls among the other records (around lon {med[0]:.4f}, "
                    f"lat {med[1]:.4f})",
                    found=f"lon {centres[j, 0]:.6g}, lat {centres[j, 1]:.6g}",
                    expected=f"lon {centres[j, 1]:.6g}, lat {centres[j, 0]:.6g}?",
                )

        idx = np.flatnonzero(keep)
        valid = shapely.is_valid(geometry[idx])
        bad = idx[~valid]
        if len(bad):
            reasons = shapely.is_valid_reason(geometry[bad])
            if self.fix:
                before = geometry[bad]
                after = shapely.make_valid(before)
                if polygon_kind:
                    after = np.array([_polygonal_part(g) for g in after], dtype=object)
                a0 = areas_m2(before)
                usable = ~shapely.is_missing(after)
                a1 = np.zeros(len(after))
                if usable.any():
                    a1[usable] = areas_m2(after[usable])
                for k, i in enumerate(bad.tolist()):
                    if not usable[k] or (polygon_kind and a1[k] <= 0):
                        keep[i] = alive[i] = False
                        self.skip(
                            "invalid_geometry",
                            lab(fids[i]),
                            "geometry",
                            f"skipped: {reasons[k]}; nothing polygonal is left after make_valid",
                        )
                        continue
                    geometry[i] = after[k]
                    change = f"area {a0[k]:,.1f} m² -> {a1[k]:,.1f} m² ({a1[k] - a0[k]:+,.1f} m²)"
                    if before[k].geom_type != after[k].geom_type:
                        change += f"; type {before[k].geom_type} -> {after[k].geom_type}"
                    self.repaired(
                        "invalid_geometry", lab(fids[i]), "geometry", f"{reasons[k]} repaired by make_valid: {change}"
                    )
            else:
                for k, i in enumerate(bad.tolist()):
                    keep[i] = False
                    self.error(
                        "invalid_geometry",
                        lab(fids[i]),
                        "geometry",
                        "invalid geometry",
                        found=reasons[k],
                        expected="a valid (OGC simple features) geometry; --fix repairs with make_valid",
                    )

        idx = np.flatnonzero(keep)
        if polygon_kind and len(idx):
            zero = idx[shapely.area(geometry[idx]) <= 0]
            for i in zero.tolist():
                self._drop(
                    keep,
                    alive,
                    i,
                    self.refuse_or_skip(
                        "zero_area",
                        lab(fids[i]),
                        "geometry",
                        "polygon of zero area",
                        expected="an area greater than 0 m²",
                        found="0 m²",
                    ),
                )

        idx = np.flatnonzero(keep)
        gaps = vertex_gaps_km(geometry[idx])
        for j in np.flatnonzero(gaps > MAX_VERTEX_GAP_KM).tolist():
            self.warn(
                "vertices_far_apart",
                lab(fids[idx[j]]),
                "geometry",
                "consecutive vertices more than 5 km apart (GICHD geocheck)",
                found=f"{gaps[j]:,.1f} km",
                expected=f"at most {MAX_VERTEX_GAP_KM:g} km",
                severity=Severity.ADVISORY,
            )

        idx = np.flatnonzero(keep)
        if self.spec.unique_geometry and len(idx):
            keys = np.array(
                [hash(k) for k in shapely.to_wkb(shapely.normalize(geometry[idx])).tolist()], dtype=np.int64
            )
            repeated = pd.Series(keys).duplicated(keep="first").to_numpy()
            seen_geoms = self.seen_geometries
            seen_before = np.fromiter((k in seen_geoms for k in keys.tolist()), bool, len(keys))
            for j in np.flatnonzero(repeated | seen_before).tolist():
                i = idx[j]
                first = self.seen_geometries.get(int(keys[j]))
                if first is None:
                    first = int(fids[idx[int(np.flatnonzero(keys == keys[j])[0])]])
                skipped = self.refuse_or_skip(
                    "duplicate_geometry",
                    lab(fids[i]),
                    "geometry",
                    f"same geometry as {lab(first)}",
                    expected="each area recorded once",
                    found=f"a copy of {lab(first)}",
                )
                self._drop(keep, alive, i, skipped)
            fresh = ~(repeated | seen_before)
            self.seen_geometries.update(zip(keys[fresh].tolist(), fids[idx[fresh]].tolist(), strict=True))
        return geometry, keep, alive

    # ------------------------------------------------------------ attributes

    def check_attributes(
        self, fids: np.ndarray, columns: dict[str, np.ndarray], alive: np.ndarray, default_status: str | None = None
    ) -> tuple[np.ndarray, dict[str, Parsed]]:
        """Parse and check every field of the records not skipped; returns (codes, parsed fields)."""
        n = len(fids)
        lab = self.label
        values: dict[str, Parsed] = {}
        for f in self.spec.fields:
            col = self.mapping.get(f.name)
            if col is None:
                values[f.name] = Parsed.empty(n)
                continue
            parsed = parse_values(columns[col], f.parse)
            vocabulary = f.expected.startswith(("one of", "a list of"))
            for i in np.flatnonzero(parsed.bad & alive).tolist():
                self.error(
                    f"unknown_{f.name}" if vocabulary else "bad_value",
                    lab(fids[i]),
                    col,
                    "unknown value" if vocabulary else "cannot be read",
                    found=repr(columns[col][i]),
                    expected=f.expected,
                )
            if f.required:
                for i in np.flatnonzero(parsed.blank & alive).tolist():
                    self.error(
                        "missing_value", lab(fids[i]), col, "a value is required", found="blank", expected=f.expected
                    )
            values[f.name] = parsed
        if default_status is not None and "status" in values:
            values["status"].fill_blanks(default_status)

        for fname in self.spec.date_fields:
            col = self.mapping.get(fname)
            if col is None:
                continue
            p = values[fname]
            for i in np.flatnonzero(alive & ~p.blank & ~p.bad).tolist():
                if p.values[i] > self.today:
                    self.error(
                        "future_date",
                        lab(fids[i]),
                        col,
                        "date in the future",
                        found=p.values[i].isoformat(),
                        expected=f"on or before {self.today.isoformat()}",
                    )

        for fname, low, high, message in (
            ("reliability", 0.0, 1.0, "a probability must lie in 0..1"),
            ("confidence", 0.0, 1.0, "a probability must lie in 0..1"),
            *((f, 0.0, np.inf, "negative value") for f in NON_NEGATIVE),
        ):
            if fname not in self.mapping or fname not in values:
                continue
            p = values[fname]
            numbers = np.array([np.nan if v is None else v for v in p.plain], dtype=float)
            outside = alive & ~np.isnan(numbers) & ((numbers < low) | (numbers > high))
            for i in np.flatnonzero(outside).tolist():
                self.error(
                    "out_of_range" if high < np.inf else "negative_value",
                    lab(fids[i]),
                    self.mapping[fname],
                    message,
                    found=p.plain[i],
                    expected="a number from 0 to 1" if high < np.inf else "0 or more",
                )

        if "hazard_code" in self.mapping:
            p = values["hazard_code"]
            for i in np.flatnonzero(alive & ~p.blank).tolist():
                if p.plain[i] not in self.known_hazard_codes:
                    self.error(
                        "unknown_hazard_code",
                        lab(fids[i]),
                        self.mapping["hazard_code"],
                        "no hazard area with this code in the register",
                        found=p.plain[i],
                        expected="the code of a stored hazard area",
                    )

        if self.spec is HAZARD_AREAS and "area" in self.mapping:
            values["declared_area_m2"] = self._check_declared_area(fids, columns, alive)

        return self._codes(fids, columns, alive), values

    def _codes(self, fids: np.ndarray, columns: dict[str, np.ndarray], alive: np.ndarray) -> np.ndarray:
        """Codes of the batch (derived from the feature id where blank), checked for duplicates."""
        lab = self.label
        if self.code_column is not None:
            codes = np.array(
                ["" if v is None or v != v else str(v).strip() for v in columns[self.code_column].tolist()],
                dtype=object,
            )
            blank = codes == ""
        else:
            codes = np.full(len(fids), None, dtype=object)
            blank = np.ones(len(fids), dtype=bool)
        for i in np.flatnonzero(blank).tolist():
            codes[i] = f"{self.code_prefix}-{fids[i]}"
        self.derived_codes += int((blank & alive).sum())
        where = self.code_column or "code"
        live = np.flatnonzero(alive)
        live_codes = codes[live]
        series = pd.Series(live_codes, dtype=object)
        repeated = series.duplicated(keep="first").to_numpy()
        seen = self.seen_codes
        seen_before = np.fromiter((c in seen for c in live_codes.tolist()), bool, len(live_codes))
        for j in np.flatnonzero(repeated | seen_before).tolist():
            code = codes[live[j]]
            first = self.seen_codes.get(code)
            if first is None:  # first seen earlier in this batch
                first = int(fids[live[int(np.flatnonzero(live_codes == code)[0])]])
            self.error(
                "duplicate_code",
                lab(fids[live[j]]),
                where,
                f"duplicate code: {lab(first)} has it too",
                found=code,
                expected="a code used once",
            )
        fresh = ~(repeated | seen_before)
        self.seen_codes.update(zip(live_codes[fresh].tolist(), fids[live[fresh]].tolist(), strict=True))
        stored = self.stored_codes
        in_store = (
            np.fromiter((c in stored for c in live_codes.tolist()), bool, len(live_codes)) if stored else fresh & False
        )
        for j in np.flatnonzero(in_store & fresh).tolist():
            self.error(
                "duplicate_code",
                lab(fids[live[j]]),
                where,
                "code already in the register",
                found=codes[live[j]],
                expected="a code not yet stored",
            )
        for j in np.flatnonzero(
            np.fromiter((len(c) > 64 for c in live_codes.tolist()), bool, len(live_codes))
        ).tolist():
            self.error(
                "bad_value",
                lab(fids[live[j]]),
                where,
                "code too long",
                found=codes[live[j]][:80],
                expected="at most 64 characters",
            )
        return codes

    def _check_declared_area(self, fids: np.ndarray, columns: dict[str, np.ndarray], keep: np.ndarray) -> Parsed:
        """Check a declared-area column (units, sign); returns the declared areas in m²."""
        declared = Parsed.empty(len(fids))
        col = self.mapping["area"]
        unit_col = self.mapping.get("area_unit")
        named_unit = unit_of_column(col)
        for i in np.flatnonzero(keep).tolist():
            raw = columns[col][i]
            if raw is None or (isinstance(raw, float) and raw != raw) or str(raw).strip() == "":
                continue
            parsed = split_area(raw)
            if parsed is None:
                self.error(
                    "bad_value",
                    self.label(fids[i]),
                    col,
                    "not an area",
                    found=repr(raw),
                    expected="a number, optionally with a unit (m2, ha, km2)",
                )
                continue
            number, unit = parsed
            if unit_col is not None:
                u = columns[unit_col][i]
                if u is not None and str(u).strip():
                    key = str(u).strip().lower().replace(" ", "_")
                    if key not in AREA_UNITS:
                        self.error(
                            "unknown_area_unit",
                            self.label(fids[i]),
                            unit_col,
                            "unknown area unit",
                            found=repr(u),
                            expected=", ".join(sorted(AREA_UNITS)),
                        )
                        continue
                    unit = unit or key
            unit = unit or named_unit
            if number <= 0:
                self.error(
                    "non_positive_area",
                    self.label(fids[i]),
                    col,
                    "area must be greater than zero",
                    found=str(raw),
                    expected="an area > 0",
                )
            key = _canonical_unit(unit)
            self.area_unit_counts[key] += 1
            examples = self.area_units.setdefault(key, [])
            if len(examples) < MAX_KEPT:
                examples.append(self.label(fids[i]))
            declared.values[i] = declared.plain[i] = number * (AREA_UNITS[unit] if unit else 1.0)
            declared.blank[i] = False
        return declared

    def finish(self) -> None:
        """Checks that need the whole file: mixed area units."""
        if len(self.area_unit_counts) > 1:
            col = self.mapping["area"] if self.mapping.get("area_unit") is None else self.mapping["area_unit"]
            majority, _ = self.area_unit_counts.most_common(1)[0]
            summary = ", ".join(f"{u}: {n} record(s)" for u, n in self.area_unit_counts.most_common())
            for unit, labels in self.area_units.items():
                if unit == majority:
                    continue
                for label in labels:
                    self.error(
                        "mixed_area_units",
                        label,
                        col,
                        f"mixed area units in one file ({summary})",
                        found=unit,
                        expected=f"one unit for every record (most use {majority})",
                    )


def _canonical_unit(unit: str | None) -> str:
    if unit is None:
        return "no unit"
    factor = AREA_UNITS[unit]
    return {1.0: "m2", 1e4: "ha", 1e6: "km2"}[factor]


TYPE_IDS = {"Point": 0, "LineString": 1, "Polygon": 3, "MultiPoint": 4, "MultiLineString": 5, "MultiPolygon": 6}


def _polygonal_part(g: Any) -> Any:
    """The polygons of a geometry (a Polygon, a MultiPolygon, or None when there are none)."""
    if g is None:
        return None
    if g.geom_type in POLYGONAL:
        return g if not g.is_empty else None
    parts = [p for p in shapely.get_parts(g) if p.geom_type in POLYGONAL and not p.is_empty]
    polys = [q for p in parts for q in (shapely.get_parts(p) if p.geom_type == "MultiPolygon" else [p])]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
