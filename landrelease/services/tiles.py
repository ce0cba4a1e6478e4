"""Vector tiles of the register for the map: a tile cache in front of the storage's builders.

Tiles are cached per data version (the newest audit event), so any write through a unit of
work makes every cached tile stale at once. What every tile of a version shares (the plan's
phases, the index of the areas' boxes that low zooms read) is kept by storage per version,
with or without this cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from landrelease.services.public import generalise
from landrelease.services.register import Register
from landrelease.storage import tiles as provider
from landrelease.storage.summary import data_version_of
from landrelease.storage.tiles import DETAIL_ZOOM, EXTENT, TILE_COLLECTIONS, tile_bounds

__all__ = ["DETAIL_ZOOM", "EXTENT", "TILE_COLLECTIONS", "TileCache", "tile", "tile_bounds"]


class TileCache:
    """A bounded LRU of encoded tiles keyed by (collection, z, x, y, data version).
    ``max_bytes=0`` keeps no tile (every tile is built)."""

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self._items: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._bytes = 0
        self._max = max_bytes
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: tuple[Any, ...], data: bytes) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = data
            self._bytes += len(data)
            while self._bytes > self._max and self._items:
                _, old = self._items.popitem(last=False)
                self._bytes -= len(old)


def tile(
    register: Register,
    cache: TileCache | None,
    collection: str,
    z: int,
    x: int,
    y: int,
    *,
    public_digits: int | None = None,
) -> tuple[bytes, int]:
    """One tile (Mapbox vector tile bytes) and the data version it shows; ``KeyError`` for a
    collection without tiles. With no cache every call builds the tile. With
    ``public_digits`` the public safety map's tile: open hazard areas, code/kind/status only,
    geometries generalised to that many decimal places."""
    if collection not in TILE_COLLECTIONS:
        raise KeyError(collection)
    with register.reading() as conn:
        version = data_version_of(conn)
        key = (collection, z, x, y, version, public_digits)
        data = cache.get(key) if cache is not None else None
        if data is None:
            context = provider.tile_context(conn, version)  # kept by storage per data version
            if public_digits is None:
                data = provider.build_tile(conn, collection, z, x, y, context)
            else:
                digits = public_digits
                data = provider.build_public_tile(conn, z, x, y, lambda g: generalise(g, digits), version)
            if cache is not None:
                cache.put(key, data)
    return data, version
