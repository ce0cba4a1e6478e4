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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

_MOVE_TO, _LINE_TO, _CLOSE = 1, 2, 7
_POINT, _POLYGON = 1, 3


@dataclass
class Layer:
    """One layer: a geometry per feature (Polygon/MultiPolygon or Point, in tile units), its id,
    and its properties as columns (property → one value per feature; ``None`` is left out)."""

    name: str
    geometries: np.ndarray
    ids: Sequence[int]
    properties: Mapping[str, Sequence[Any]]


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


def _varints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All ``values`` (unsigned, up to 64 bits) varint-encoded back to back (as uint8), and
    each value's byte count."""
    v = np.asarray(values).astype(np.uint64)
    nbytes = np.ones(len(v), dtype=np.int64)
    for g in range(1, 10):
        nbytes += v >= np.uint64(1 << (7 * g))
    total = int(nbytes.sum())
    if total == 0:
        return np.zeros(0, dtype=np.uint8), nbytes
    owner = np.repeat(np.arange(len(v)), nbytes)
    start = np.cumsum(nbytes) - nbytes
    k = np.arange(total) - np.repeat(start, nbytes)  # which byte of its value
    byte = (v[owner] >> (7 * k).astype(np.uint64)) & np.uint64(0x7F)
    more = k < nbytes[owner] - 1
    byte = byte | (more.astype(np.uint64) << np.uint64(7))
    return byte.astype(np.uint8), nbytes


def _interleave(segments: list[tuple[np.ndarray, np.ndarray]]) -> bytes:
    """Byte streams cut into one chunk per feature (each given with its chunks' lengths),
    written feature by feature: f0's chunks in segment order, then f1's, …"""
    lengths = np.column_stack([n for _, n in segments])
    out_start = (np.cumsum(lengths.ravel()) - lengths.ravel()).reshape(lengths.shape)
    out = np.empty(int(lengths.sum()), dtype=np.uint8)
    features = np.arange(len(lengths))
    for s, (stream, n) in enumerate(segments):
        if not len(stream):
            continue
        owner = np.repeat(features, n)
        within = np.arange(len(stream)) - np.repeat(np.cumsum(n) - n, n)
        out[out_start[owner, s] + within] = stream
    return out.tobytes()


def _zigzag(d: np.ndarray) -> np.ndarray:
    d = d.astype(np.int64)
    return ((d << 1) ^ (d >> 63)).astype(np.uint64)


def _rings(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ring's coordinates back to back, each ring's point count, and its feature (from
    Shapely's ragged arrays: one call, no ring objects)."""
    try:
        kind, coords, offsets = shapely.to_ragged_array(geoms)
    except ValueError:  # not only polygons (a collection the snapping left): ring by ring
        parts, part_of = shapely.get_parts(geoms, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        return coords, np.bincount(coord_ring, minlength=len(rings)), part_of[ring_part]
    ring_off = offsets[0]
    ring_owner = np.repeat(np.arange(len(offsets[1]) - 1), np.diff(offsets[1]))
    if kind == shapely.GeometryType.MULTIPOLYGON:
        ring_owner = np.repeat(np.arange(len(offsets[2]) - 1), np.diff(offsets[2]))[ring_owner]
    return coords, np.diff(ring_off), ring_owner


def _polygon_commands(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The command integers of every feature, concatenated, and which feature each belongs to."""
    coords, n_ring, ring_feature = _rings(geoms)
    coord_ring = np.repeat(np.arange(len(n_ring)), n_ring)
    keep = np.ones(len(coords), dtype=bool)
    keep[np.cumsum(n_ring) - 1] = False  # the closing point: ClosePath stands for it
    xy = np.rint(coords[keep]).astype(np.int64)
    coord_ring = coord_ring[keep]
    # a point repeating the one before it in its ring is left out (MVT forbids a zero LineTo)
    same = np.zeros(len(xy), dtype=bool)
    same[1:] = (coord_ring[1:] == coord_ring[:-1]) & (xy[1:] == xy[:-1]).all(axis=1)
    xy, coord_ring = xy[~same], coord_ring[~same]
    m = np.bincount(coord_ring, minlength=len(n_ring))  # points sent per ring
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
    """A Value message (string, double, unsigned or signed integer, bool)."""
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
    f = len(layer.ids)
    if kind == _POINT:
        commands, owner = _point_commands(layer.geometries)
    else:
        commands, owner = _polygon_commands(layer.geometries)
    geometry, nbytes = _varints(commands)
    geometry_len = np.bincount(owner, weights=nbytes, minlength=f).astype(np.int64)
    # Tags: (key index, value index) per property present; one value table for all keys.
    keys = list(layer.properties)
    table: dict[tuple[type, Any], int] = {}
    index = np.full((f, len(keys)), -1, dtype=np.int64)
    for j, k in enumerate(keys):
        index[:, j] = [-1 if v is None else table.setdefault((type(v), v), len(table)) for v in layer.properties[k]]
    present = index >= 0
    pairs = np.stack([np.broadcast_to(np.arange(len(keys)), index.shape), index], axis=2)[present].ravel()
    tags, tag_bytes = _varints(pairs)
    owner = np.repeat(np.repeat(np.arange(f), len(keys))[present.ravel()], 2)
    tags_len = np.bincount(owner, weights=tag_bytes, minlength=f).astype(np.int64)
    # Feature: id (1), tags (2, packed), type (3), geometry (4, packed), inside a layer's field 2.
    ids = np.asarray(layer.ids, dtype=np.uint64)
    id_len = _varints(ids)[1]
    body = 1 + id_len + 1 + _varints(tags_len)[1] + tags_len + 2 + 1 + _varints(geometry_len)[1] + geometry_len
    const = lambda v: np.full(f, v, np.uint64)  # noqa: E731
    u = lambda a: np.asarray(a).astype(np.uint64)  # noqa: E731  (int64 beside uint64 would become float)
    head_ints = np.column_stack([const(0x12), u(body), const(0x08), ids, const(0x12), u(tags_len)]).ravel()
    head, head_bytes = _varints(head_ints)
    mid_ints = np.column_stack([const(0x18), const(kind), const(0x22), u(geometry_len)]).ravel()
    mid, mid_bytes = _varints(mid_ints)
    features = _interleave(
        [
            (head, head_bytes.reshape(f, 6).sum(axis=1)),
            (tags, tags_len),
            (mid, mid_bytes.reshape(f, 4).sum(axis=1)),
            (geometry, geometry_len),
        ]
    )
    out = [_vi((15 << 3) | 0), _vi(2), _field(1, layer.name.encode()), features]
    out.extend(_field(3, k.encode()) for k in keys)
    out.extend(_field(4, _value(v)) for _, v in table)
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
