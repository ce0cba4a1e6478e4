"""Reading the formats mine action people exchange, through pyogrio, into EPSG:4326.

GeoPackage (pick the layer with ``layer``), GeoJSON, Shapefile (``.shp`` or a zipped
``.zip``) and CSV (a WKT column, or latitude/longitude columns). Files are streamed in
Arrow batches so that a million polygons never sit in memory at once.

CRS rules: GeoPackage and Shapefile carry their CRS and a file without one (or with one
pyproj cannot use) is refused, unless the caller declares it; GeoJSON is EPSG:4326 by
RFC 7946 (an old-style ``crs`` member is honoured); CSV coordinates are EPSG:4326 unless
declared otherwise.

Broken files are refused before anything is read, each with what is wrong and the way
forward: a missing or empty file, an unsupported suffix, a damaged GeoPackage or zip, a
Shapefile without its .shx or .dbf (GDAL would read the shapes and silently drop every
attribute), a CSV that is not UTF-8 (give its ``encoding``; a UTF-8 byte-order mark is
fine).
"""

from __future__ import annotations

import codecs
import shutil
import tempfile
import warnings
import weakref
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio import raw
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.geometry import WGS84

# Column names (compared after lower-casing) that hold geometry in a CSV file.
WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "shape", "wkt_geometry")
LAT_COLUMNS = ("lat", "latitude", "y", "lat_dd", "latitud", "lat_y", "y_coord", "coord_y")
LON_COLUMNS = ("lon", "lng", "long", "longitude", "x", "lon_dd", "longitud", "lon_x", "x_coord", "coord_x")

SUFFIX_DRIVER = {
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "ESRI Shapefile",
    ".zip": "ESRI Shapefile",
    ".csv": "CSV",
}


FORMAT_NAME = {
    ".gpkg": "GeoPackage",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "Shapefile",
    ".zip": "zipped Shapefile",
    ".csv": "CSV",
}
CONVERT_HINT = (
    "save or convert it as one of these, e.g. `ogr2ogr -f GPKG out.gpkg FILE` for any format GDAL reads; "
    "a spreadsheet as CSV with a WKT column or latitude and longitude columns"
)


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Source:
    """An opened input: what it is, where its geometry comes from, and its CRS."""

    path: Path
    layer: str | None
    driver: str
    crs: CRS
    fields: tuple[str, ...]
    features: int
    record_word: str  # "row" for CSV (data rows from 1), "feature" otherwise (the file's feature id)
    wkt_column: str | None = None
    lat_column: str | None = None
    lon_column: str | None = None
    crs_note: str = ""
    display_name: str | None = None  # the name the user knows (an upload is stored under another)
    read_path: Path | None = None  # a UTF-8 copy of a CSV given in another encoding

    @property
    def name(self) -> str:
        return (self.display_name or self.path.name) + (f" (layer {self.layer})" if self.layer else "")

    @property
    def gdal_path(self) -> Path:
        return self.read_path or self.path


@dataclass(slots=True)
class Chunk:
    """One batch of records: attribute columns, decoded geometry in EPSG:4326, and what went wrong reading it."""

    fids: np.ndarray
    columns: dict[str, np.ndarray]
    geometry: np.ndarray  # shapely geometries in EPSG:4326; None where missing or unreadable
    unreadable: dict[int, tuple[str, str, object]] = field(default_factory=dict)
    # position -> (field, what was found, geometry the reader could salvage, e.g. a ring closed)
    wkb: np.ndarray | None = None  # the file's own WKB of ``geometry`` when no reprojection changed it

    def __len__(self) -> int:
        return len(self.fids)


def _refuse(
    path: Path | str,
    message: str,
    *,
    field: str | None = None,
    found: str | None = None,
    expected: str | None = None,
    check: str = "source",
    record: str | None = None,
) -> ValidationError:
    name = path if isinstance(path, str) else path.name
    return ValidationError(
        [Problem(message, record=record, field=field, found=found, expected=expected, source=name, check=check)],
        f"{name} refused, nothing stored",
    )


def _gdal_message(exc: Exception) -> str:
    text = str(exc).split("; It might help")[0].strip()
    return text[:200]


def _sibling(path: Path, suffix: str) -> Path | None:
    """``a.shp``'s ``.dbf`` (any case), or None."""
    for cand in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if cand.exists():
            return cand
    lowered = path.stem.lower() + suffix
    return next((p for p in path.parent.glob(path.stem + ".*") if p.name.lower() == lowered), None)


def _check_shapefile_parts(path: Path, name: str) -> None:
    """A Shapefile is .shp + .shx + .dbf (+ .prj): without the .dbf, GDAL reads shapes and no attributes."""
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as z:
                members = [m for m in z.namelist() if not m.endswith("/")]
        except (zipfile.BadZipFile, OSError) as exc:
            raise _refuse(
                name,
                f"not a readable zip archive ({exc})",
                field="file",
                expected="an undamaged zip: download or zip the Shapefile again (.shp, .shx, .dbf and .prj)",
            ) from None
        shps = [m for m in members if m.lower().endswith(".shp")]
        if not shps:
            raise _refuse(
                name,
                "the zip holds no Shapefile",
                field="file",
                found=", ".join(members[:10]) or "nothing",
                expected="a zipped Shapefile (.shp, .shx, .dbf and .prj), or unzip it and import its file",
            )
        lower = {m.lower() for m in members}
        for shp in shps:
            stem = shp[:-4].lower()
            for part in (".shx", ".dbf"):
                if stem + part not in lower:
                    raise _refuse(
                        name,
                        f"{shp} has no {part} beside it in the zip"
                        + (": its attributes would be lost" if part == ".dbf" else ""),
                        field="file",
                        found=", ".join(m for m in members if m.lower().startswith(stem)),
                        expected=f"the whole Shapefile in the zip: {shp[:-4]}.shp, .shx, .dbf and .prj",
                    )
        return
    for part in (".shx", ".dbf"):
        if _sibling(path, part) is None:
            raise _refuse(
                name,
                f"the Shapefile has no {part} beside it" + (": its attributes would be lost" if part == ".dbf" else ""),
                field="file",
                found=f"no {path.stem}{part}",
                expected=f"{path.stem}.shp, .shx, .dbf and .prj in one folder (or zipped together)",
            )


def _utf8_copy(path: Path, name: str, encoding: str | None) -> Path | None:
    """Check a CSV is UTF-8 (a byte-order mark is fine); with ``encoding``, a UTF-8 copy to read instead."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise _refuse(
                name, "unknown text encoding", field="encoding", found=encoding, expected="e.g. utf-8, cp1252, latin-1"
            ) from None
        if codecs.lookup(encoding).name == "utf-8":
            encoding = None
    decoder = codecs.getincrementaldecoder(encoding or "utf-8")()
    folder = Path(tempfile.mkdtemp(prefix="landrelease-csv-")) if encoding else None
    out = (folder / path.name) if folder else None
    line, offset = 1, 0
    try:
        with path.open("rb") as fh, out.open("w", encoding="utf-8", newline="") if out else _nothing() as sink:
            while block := fh.read(1 << 22):
                try:
                    text = decoder.decode(block)
                except UnicodeDecodeError as exc:
                    at = block[: exc.start]
                    line += at.count(b"\n")
                    col = len(at) - (at.rfind(b"\n") + 1) + 1
                    raise _refuse(
                        name,
                        f"the file is not UTF-8 text (line {line}, byte {col}: {block[exc.start : exc.end]!r})"
                        if encoding is None
                        else f"the file is not {encoding} text (line {line}, byte {col})",
                        field="encoding",
                        record=f"line {line}",
                        found=encoding or "bytes that are not UTF-8",
                        expected="its encoding given with --encoding (e.g. cp1252 for Excel in Western Europe, "
                        "latin-1, cp1251), or the file saved as CSV UTF-8",
                    ) from None
                line += block.count(b"\n")
                offset += len(block)
                if sink is not None:
                    sink.write(text)
            if sink is not None:
                sink.write(decoder.decode(b"", final=True))
    except BaseException:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return out


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def _pick(fields: tuple[str, ...], names: tuple[str, ...]) -> str | None:
    lower = {f.lower(): f for f in fields}
    return next((lower[n] for n in names if n in lower), None)


def _resolve_crs(path: Path, driver: str, found: str | None, declared: str | None, is_csv: bool) -> tuple[CRS, str]:
    """The CRS of the input, or a refusal that says why it cannot be trusted."""
    text = declared or found
    if text is None:
        if is_csv:
            return WGS84, "CSV coordinates taken as EPSG:4326 (longitude, latitude)"
        if driver == "GeoJSON":
            return WGS84, "GeoJSON is EPSG:4326 by RFC 7946"
        raise _refuse(
            path,
            "the file declares no coordinate reference system",
            field="crs",
            found="none",
            expected="a CRS in the file (.prj for a Shapefile) or --crs EPSG:xxxx",
            check="crs",
        )
    try:
        crs = CRS.from_user_input(text)
    except CRSError as exc:
        raise _refuse(
            path,
            f"unknown coordinate reference system ({exc})",
            field="crs",
            found=str(text)[:120],
            expected="a CRS pyproj knows, e.g. EPSG:4326 or EPSG:32638",
            check="crs",
        ) from None
    if not (crs.is_geographic or crs.is_projected):
        raise _refuse(
            path,
            "the coordinate reference system is neither geographic nor projected",
            field="crs",
            found=crs.name,
            expected="a geographic or projected CRS",
            check="crs",
        )
    return crs, ("declared " if declared else "") + f"CRS {crs.to_string()}"


def list_layers(path: Path) -> list[str]:
    return [str(name) for name, _ in pyogrio.list_layers(path)]


def open_source(
    path: str | Path,
    layer: str | None = None,
    crs: str | None = None,
    *,
    encoding: str | None = None,
    display_name: str | None = None,
) -> Source:
    """Open an input file and check it can be read: layer, CRS, where its geometry is.

    ``encoding`` is the text encoding of a CSV that is not UTF-8; ``display_name`` the name
    to show for a file stored under another (an upload).
    """
    path = Path(path)
    name = display_name or path.name
    suffix = Path(name).suffix.lower() if display_name else path.suffix.lower()
    if not path.exists():
        raise _refuse(
            name,
            "no such file",
            field="file",
            found=str(path),
            expected="an existing file: check the folder and the spelling of the name",
        )
    if path.is_dir():
        raise _refuse(name, "a folder, not a file", field="file", found=str(path), expected="one file in it")
    if suffix not in SUFFIX_DRIVER:
        raise _refuse(
            name,
            "unsupported file type",
            field="file",
            found=suffix or "no suffix",
            expected=", ".join(sorted(SUFFIX_DRIVER)) + "; " + CONVERT_HINT,
        )
    kind_of_file = FORMAT_NAME[suffix]
    if path.stat().st_size == 0:
        raise _refuse(
            name,
            "the file is empty (0 bytes)",
            field="file",
            found="0 bytes",
            expected=f"a {kind_of_file} with records: the copy or download may have failed, make it again",
        )
    if suffix in (".shp", ".zip"):
        _check_shapefile_parts(path, name)
    read_path = _utf8_copy(path, name, encoding) if suffix == ".csv" else None
    gdal_path = read_path or path
    try:
        layers = list_layers(gdal_path)
    except Exception as exc:
        raise _refuse(
            name,
            f"cannot be read as a {kind_of_file} ({_gdal_message(exc)})",
            field="file",
            expected=f"an undamaged {kind_of_file}: the file may be truncated or damaged, export or download it again",
        ) from None
    if layer is not None and layer not in layers:
        raise _refuse(name, "no such layer", field="layer", found=layer, expected=", ".join(layers), check="source")
    if layer is None and len(layers) > 1:
        raise _refuse(
            name,
            "the file holds several layers: choose one with --layer",
            field="layer",
            found=", ".join(layers),
            expected="one of them",
            check="source",
        )
    try:
        info = pyogrio.read_info(gdal_path, layer=layer)
    except Exception as exc:
        raise _refuse(
            name,
            f"cannot be read as a {kind_of_file} ({_gdal_message(exc)})",
            field="file",
            expected=f"an undamaged {kind_of_file}: the file may be truncated or damaged, export or download it again",
        ) from None
    driver = str(info["driver"])
    is_csv = driver == "CSV"
    fields = tuple(str(f) for f in info["fields"])
    wkt = lat = lon = None
    if is_csv:
        wkt = _pick(fields, WKT_COLUMNS)
        lat, lon = _pick(fields, LAT_COLUMNS), _pick(fields, LON_COLUMNS)
        if wkt is None and (lat is None or lon is None):
            raise _refuse(
                name,
                "a CSV needs a WKT column or latitude and longitude columns",
                field="columns",
                found=", ".join(fields),
                expected=f"one of {', '.join(WKT_COLUMNS)}; or {'/'.join(LAT_COLUMNS)} and {'/'.join(LON_COLUMNS)}",
                check="source",
            )
        if wkt is not None:
            lat = lon = None
    source_crs, note = _resolve_crs(Path(name), driver, info.get("crs"), crs, is_csv)
    if encoding is not None and read_path is not None:
        note += f"; read as {encoding} text"
    source = Source(
        path=path,
        layer=layer,
        driver=driver,
        crs=source_crs,
        fields=fields,
        features=int(info["features"]),
        record_word="row" if is_csv else "feature",
        wkt_column=wkt,
        lat_column=lat,
        lon_column=lon,
        crs_note=note,
        display_name=display_name,
        read_path=read_path,
    )
    if read_path is not None:
        weakref.finalize(source, shutil.rmtree, read_path.parent, True)
    return source


def to_wgs84(geometry: np.ndarray, crs: CRS) -> np.ndarray:
    """Reproject to EPSG:4326 (longitude, latitude order); a no-op for data already there."""
    if crs.equals(WGS84, ignore_axis_order=True):
        return geometry
    transformer = Transformer.from_crs(crs, WGS84, always_xy=True)
    with np.errstate(invalid="ignore"):
        return shapely.transform(geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def _decode_wkb(wkb: np.ndarray, unreadable: dict[int, tuple[str, str, object]]) -> np.ndarray:
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    bad = np.flatnonzero(shapely.is_missing(geoms) & pd.notna(wkb))
    if len(bad):
        salvaged = shapely.from_wkb(wkb[bad], on_invalid="fix")
        for i, g in zip(bad.tolist(), salvaged, strict=True):
            unreadable[i] = ("geometry", "an unclosed ring or unreadable geometry", g)
    return geoms


def _decode_csv(
    source: Source,
    columns: dict[str, np.ndarray],
    unreadable: dict[int, tuple[str, str, object]],
) -> np.ndarray:
    if source.wkt_column is not None:
        text = pd.Series(columns[source.wkt_column], dtype=object)
        text = text.where(text.str.strip().astype(bool).fillna(False), None)
        values = text.to_numpy(dtype=object)
        geoms = shapely.from_wkt(values, on_invalid="ignore")
        bad = np.flatnonzero(shapely.is_missing(geoms) & pd.notna(values))
        if len(bad):
            salvaged = shapely.from_wkt(values[bad], on_invalid="fix")
            for i, g in zip(bad.tolist(), salvaged, strict=True):
                unreadable[i] = (source.wkt_column, repr(str(values[i])[:60]), g)
        return geoms
    assert source.lat_column is not None and source.lon_column is not None
    lat_raw = pd.Series(columns[source.lat_column], dtype=object)
    lon_raw = pd.Series(columns[source.lon_column], dtype=object)
    lat = pd.to_numeric(lat_raw, errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(lon_raw, errors="coerce").to_numpy(dtype=float)
    for name, raw_values, parsed in ((source.lat_column, lat_raw, lat), (source.lon_column, lon_raw, lon)):
        blank = raw_values.isna() | (raw_values.astype(str).str.strip() == "")
        for i in np.flatnonzero(np.isnan(parsed) & ~blank.to_numpy()).tolist():
            unreadable[i] = (name, repr(raw_values.iloc[i]), None)
    ok = ~(np.isnan(lat) | np.isnan(lon))
    geoms = np.full(len(lat), None, dtype=object)
    geoms[ok] = shapely.points(lon[ok], lat[ok])
    return geoms


def read_chunks(source: Source, batch_size: int = 65536) -> Iterator[Chunk]:
    """Stream the records of a source as chunks, geometry decoded and reprojected to EPSG:4326."""
    done = 0
    try:
        for chunk in _chunks(source, batch_size):
            done += len(chunk)
            yield chunk
    except ValidationError:
        raise
    except Exception as exc:  # GDAL or Arrow gave up part-way: a truncated or damaged file
        raise _refuse(
            source.display_name or source.path.name,
            f"cannot be read past its first {done:,} records ({type(exc).__name__}: {_gdal_message(exc)})",
            field="file",
            expected="an undamaged file: it may be truncated or damaged, export or download it again",
        ) from None


def _chunks(source: Source, batch_size: int) -> Iterator[Chunk]:
    is_csv = source.driver == "CSV"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's "Non closed ring detected": we report it ourselves
        with raw.open_arrow(
            source.gdal_path,
            layer=source.layer,
            return_fids=True,
            use_pyarrow=True,
            read_geometry=not is_csv,
            batch_size=batch_size,
        ) as (meta, reader):
            fid_name = meta["fid_column"] or "OGC_FID"
            geom_name = (meta["geometry_name"] or "wkb_geometry") if not is_csv else None
            for batch in reader:
                names = batch.schema.names
                fids = batch.column(names.index(fid_name)).to_numpy(zero_copy_only=False)
                columns = {
                    n: batch.column(i).to_numpy(zero_copy_only=False)
                    for i, n in enumerate(names)
                    if n not in (fid_name, geom_name)
                }
                unreadable: dict[int, tuple[str, str, object]] = {}
                wkb = None
                if is_csv:
                    geoms = _decode_csv(source, columns, unreadable)
                else:
                    assert geom_name is not None
                    wkb = np.asarray(batch.column(names.index(geom_name)).to_numpy(zero_copy_only=False), dtype=object)
                    geoms = _decode_wkb(wkb, unreadable)
                if not source.crs.equals(WGS84, ignore_axis_order=True):
                    geoms, wkb = to_wgs84(geoms, source.crs), None
                for i, (fld, found, salvaged) in list(unreadable.items()):
                    if salvaged is not None:
                        salvaged = to_wgs84(np.array([salvaged], dtype=object), source.crs)[0]
                    unreadable[i] = (fld, found, salvaged)
                yield Chunk(
                    fids=np.asarray(fids, dtype=np.int64),
                    columns=columns,
                    geometry=geoms,
                    unreadable=unreadable,
                    wkb=wkb,
                )


def value_counts(source: Source, columns: list[str], limit: int = 500) -> dict[str, Counter[Any]]:
    """Every distinct value of some columns and how many records hold it (no geometry is read).

    A column with more than ``limit`` distinct values is no vocabulary column: its counter is
    cut to the ``limit`` most common.
    """
    out: dict[str, Counter[Any]] = {c: Counter() for c in columns}
    if not columns:
        return out
    try:
        with raw.open_arrow(
            source.gdal_path, layer=source.layer, columns=columns, read_geometry=False, use_pyarrow=True
        ) as (_, reader):
            for batch in reader:
                for c in columns:
                    if c not in batch.schema.names:
                        continue
                    try:
                        counts = batch.column(batch.schema.names.index(c)).value_counts().to_pylist()
                    except (TypeError, ValueError, NotImplementedError):  # a type Arrow cannot count: no terms
                        continue
                    for item in counts:
                        if item["values"] is not None:
                            out[c][item["values"]] += item["counts"]
    except Exception as exc:
        raise _refuse(
            source.display_name or source.path.name,
            f"cannot be read to the end ({type(exc).__name__}: {_gdal_message(exc)})",
            field="file",
            expected="an undamaged file: it may be truncated or damaged, export or download it again",
        ) from None
    return {c: Counter(dict(v.most_common(limit))) if len(v) > limit else v for c, v in out.items()}
