"""Reading the formats mine action people exchange, through pyogrio, into EPSG:4326.

GeoPackage (pick the layer with ``layer``), GeoJSON, Shapefile (``.shp`` or a zipped
``.zip``) and CSV (a WKT column, or latitude/longitude columns). Files are streamed in
Arrow batches so that a million polygons never sit in memory at once.

CRS rules: GeoPackage and Shapefile carry their CRS and a file without one (or with one
pyproj cannot use) is refused, unless the caller declares it; GeoJSON is EPSG:4326 by
RFC 7946 (an old-style ``crs`` member is honoured); CSV coordinates are EPSG:4326 unless
declared otherwise.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

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
LAT_COLUMNS = ("lat", "latitude", "y", "lat_dd")
LON_COLUMNS = ("lon", "lng", "long", "longitude", "x", "lon_dd")

SUFFIX_DRIVER = {
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "ESRI Shapefile",
    ".zip": "ESRI Shapefile",
    ".csv": "CSV",
}


@dataclass(frozen=True, slots=True)
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

    @property
    def name(self) -> str:
        return self.path.name + (f" (layer {self.layer})" if self.layer else "")


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
    path: Path,
    message: str,
    *,
    field: str | None = None,
    found: str | None = None,
    expected: str | None = None,
    check: str = "source",
) -> ValidationError:
    return ValidationError(
        [Problem(message, field=field, found=found, expected=expected, source=path.name, check=check)],
        f"{path.name} refused",
    )


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


def open_source(path: str | Path, layer: str | None = None, crs: str | None = None) -> Source:
    """Open an input file and check it can be read: layer, CRS, where its geometry is."""
    path = Path(path)
    if not path.exists():
        raise _refuse(path, "no such file", found=str(path), check="source")
    suffix = path.suffix.lower()
    if suffix not in SUFFIX_DRIVER:
        raise _refuse(
            path,
            "unsupported file type",
            field="file",
            found=suffix or "no suffix",
            expected=", ".join(sorted(SUFFIX_DRIVER)),
            check="source",
        )
    try:
        layers = list_layers(path)
    except Exception as exc:
        raise _refuse(path, f"cannot be read ({exc})", check="source") from None
    if layer is not None and layer not in layers:
        raise _refuse(path, "no such layer", field="layer", found=layer, expected=", ".join(layers), check="source")
    if layer is None and len(layers) > 1:
        raise _refuse(
            path,
            "the file holds several layers: choose one with --layer",
            field="layer",
            found=", ".join(layers),
            expected="one of them",
            check="source",
        )
    try:
        info = pyogrio.read_info(path, layer=layer)
    except Exception as exc:
        raise _refuse(path, f"cannot be read ({exc})", check="source") from None
    driver = str(info["driver"])
    is_csv = driver == "CSV"
    fields = tuple(str(f) for f in info["fields"])
    wkt = lat = lon = None
    if is_csv:
        wkt = _pick(fields, WKT_COLUMNS)
        lat, lon = _pick(fields, LAT_COLUMNS), _pick(fields, LON_COLUMNS)
        if wkt is None and (lat is None or lon is None):
            raise _refuse(
                path,
                "a CSV needs a WKT column or latitude and longitude columns",
                field="columns",
                found=", ".join(fields),
                expected=f"one of {', '.join(WKT_COLUMNS)}; or {'/'.join(LAT_COLUMNS)} and {'/'.join(LON_COLUMNS)}",
                check="source",
            )
        if wkt is not None:
            lat = lon = None
    source_crs, note = _resolve_crs(path, driver, info.get("crs"), crs, is_csv)
    return Source(
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
    )


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
    is_csv = source.driver == "CSV"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's "Non closed ring detected": we report it ourselves
        with raw.open_arrow(
            source.path,
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
