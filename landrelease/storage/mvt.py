"""A Mapbox vector tile encoder for geometries already in tile units, vectorised with NumPy.

The SQLite tile path sends thousands of features per low-zoom tile; ``mapbox_vector_tile``
encodes them one Python call at a time (about a tenth of a millisecond each), which was most
of a tile's time. Here the geometry commands of all features are built and varint-encoded as
arrays, and only the few protobuf fields of each feature are written in Python. The output is a
standard MVT 2.1 tile (``mapbox_vector_tile.decode`` and MapLibre read it; the tests compare it
feature by feature with PostGIS's ``ST_AsMVT``). Geometries must already be snapped to the
integer grid and oriented (exterior rings with a positive surveyor's area in tile units).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

_MOVE_TO, _LINE_TO, _CLOSE = 1, 2, 7
_POINT, _POLYGON = 1, 3


@dataclass
class Layer:
    """One layer: a geometry per feature (Polygon/MultiPolygon or Point, in tile units), its id
    and its properties (a ``None`` value is left out)."""

    name: str
    geometries: np.ndarray
    ids: Sequence[int]
    properties: Sequence[dict[str, Any]]


def _varint(v: int) -> bytes:
    out = bytearray()
    while v > 0x7F:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


_SMALL = [_varint(i) for i in range(1 << 14)]


def _vi(v: int) -> bytes:
    return _SMALL[v] if v < 16384 else _varint(v)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field."""
    return _vi((number << 3) | 2) + _vi(len(payload)) + payload


def _varints(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """All ``values`` (uint32) varint-encoded back to back, and each value's byte count."""
    v = values.astype(np.uint64)
    nbytes = 1 + (v >= 1 << 7).astype(np.int64) + (v >= 1 << 14) + (v >= 1 << 21) + (v >= 1 << 28)
    total = int(nbytes.sum())
    if total == 0:
        return b"", nbytes
    owner = np.repeat(np.arange(len(v)), nbytes)
    start = np.cumsum(nbytes) - nbytes
    k = np.arange(total) - np.repeat(start, nbytes)  # which byte of its value
    byte = (v[owner] >> (7 * k).astype(np.uint64)) & 0x7F
    more = k < nbytes[owner] - 1
    byte = byte | (more.astype(np.uint64) << 7)
    return byte.astype(np.uint8).tobytes(), nbytes


def _zigzag(d: np.ndarray) -> np.ndarray:
    d = d.astype(np.int64)
    return ((d << 1) ^ (d >> 63)).astype(np.uint64)


def _polygon_commands(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The command integers of every feature, concatenated, and which feature each belongs to."""
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    n_ring = np.bincount(coord_ring, minlength=len(rings))
    keep = np.ones(len(coords), dtype=bool)
    keep[np.cumsum(n_ring) - 1] = False  # the closing point: ClosePath stands for it
    xy = np.rint(coords[keep]).astype(np.int64)
    coord_ring = coord_ring[keep]
    # a point repeating the one before it in its ring is left out (MVT forbids a zero LineTo)
    same = np.zeros(len(xy), dtype=bool)
    same[1:] = (coord_ring[1:] == coord_ring[:-1]) & (xy[1:] == xy[:-1]).all(axis=1)
    xy, coord_ring = xy[~same], coord_ring[~same]
    m = np.bincount(coord_ring, minlength=len(rings))  # points sent per ring
    ring_feature = part_of[ring_part]
    feature = ring_feature[coord_ring]
    d = np.diff(xy, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    first = np.ones(len(xy), dtype=bool)
    first[1:] = feature[1:] != feature[:-1]
    d[first] = xy[first]  # the cursor starts at (0, 0) in each feature
    # Each ring: MoveTo(1) x y, LineTo(m-1) (x y)*(m-1), ClosePath: 2m + 3 integers.
    size = 2 * m + 3
    out = np.empty(int(size.sum()), dtype=np.uint64)
    start = np.cumsum(size) - size
    out[start] = (1 << 3) | _MOVE_TO
    out[start + 3] = ((m - 1).astype(np.uint64) << np.uint64(3)) | np.uint64(_LINE_TO)
    out[start + size - 1] = (1 << 3) | _CLOSE
    # coordinate slots: the first point at start+1, the others after the LineTo command
    ring_start = np.cumsum(m) - m
    k = np.arange(len(xy)) - np.repeat(ring_start, m)  # index of the point within its ring
    slot = np.repeat(start, m) + 1 + 2 * k + (k > 0)
    zz = _zigzag(d)
    out[slot] = zz[:, 0]
    out[slot + 1] = zz[:, 1]
    return out, np.repeat(ring_feature, size)


def _point_commands(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xy = np.rint(shapely.get_coordinates(geoms)).astype(np.int64)
    zz = _zigzag(xy)
    out = np.empty((len(xy), 3), dtype=np.uint64)
    out[:, 0] = (1 << 3) | _MOVE_TO
    out[:, 1:] = zz
    return out.ravel(), np.repeat(np.arange(len(xy)), 3)


def _value(v: Any) -> bytes:
    if isinstance(v, bool):
        return _vi((7 << 3) | 0) + _vi(int(v))
    if isinstance(v, str):
        return _field(1, v.encode())
    if isinstance(v, int):
        if v >= 0:
            return _vi((5 << 3) | 0) + _varint(v)  # uint_value
        return _vi((6 << 3) | 0) + _varint((v << 1) ^ (v >> 63))  # sint_value
    if isinstance(v, float):
        return _vi((3 << 3) | 1) + struct.pack("<d", v)
    raise TypeError(f"cannot put {type(v).__name__} in a vector tile")


def _layer(layer: Layer, kind: int, extent: int) -> bytes:
    if kind == _POINT:
        commands, owner = _point_commands(layer.geometries)
    else:
        commands, owner = _polygon_commands(layer.geometries)
    stream, nbytes = _varints(commands)
    per_feature = np.bincount(owner, weights=nbytes, minlength=len(layer.ids)).astype(np.int64)
    ends = np.cumsum(per_feature).tolist()
    keys: dict[str, int] = {}
    values: dict[tuple[type, Any], int] = {}
    value_bytes: list[bytes] = []
    out = [_vi((15 << 3) | 0), _vi(2), _field(1, layer.name.encode())]
    kind_field = _vi((3 << 3) | 0) + _vi(kind)
    begin = 0
    for fid, props, end in zip(layer.ids, layer.properties, ends, strict=True):
        tags = bytearray()
        for k, v in props.items():
            if v is None:
                continue
            ki = keys.setdefault(k, len(keys))
            vk = (type(v), v)
            vi = values.get(vk)
            if vi is None:
                vi = values[vk] = len(value_bytes)
                value_bytes.append(_value(v))
            tags += _vi(ki) + _vi(vi)
        geometry = _field(4, stream[begin:end])
        body = _vi((1 << 3) | 0) + _varint(int(fid)) + _field(2, bytes(tags)) + kind_field + geometry
        begin = end
        out.append(_field(2, body))
    out.extend(_field(3, k.encode()) for k in keys)
    out.extend(_field(4, v) for v in value_bytes)
    out.append(_vi((5 << 3) | 0) + _vi(extent))
    return b"".join(out)


def encode(polygons: Layer | None, points: Layer | None, extent: int) -> bytes:
    """The tile's bytes: a polygon layer and a point layer (either may be absent or empty; an
    empty polygon layer is still written, as ``mapbox_vector_tile`` did)."""
    out = []
    if polygons is not None:
        out.append(_field(3, _layer(polygons, _POLYGON, extent)))
    if points is not None and len(points.ids):
        out.append(_field(3, _layer(points, _POINT, extent)))
    return b"".join(out)
