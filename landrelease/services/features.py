"""Features: the register's collections as GeoJSON for the REST API, the OGC API and the map.

The provider in :mod:`landrelease.storage.features` does the reading; this is what the API
calls, with plain arguments: a collection, a query, whether the caller may see personal
data. Every read is one snapshot, keyed by the data version (the newest audit event).
"""

from __future__ import annotations

from typing import Any

from landrelease.services.register import Register
from landrelease.storage import features as provider
from landrelease.storage.features import COLLECTIONS, BBox, CollectionSpec, Interval, PageIndex, Query, dumps, loads
from landrelease.storage.summary import data_version_of

__all__ = [
    "COLLECTIONS",
    "BBox",
    "CollectionSpec",
    "Interval",
    "PageIndex",
    "Query",
    "collection",
    "dumps",
    "extents",
    "feature",
    "feature_text",
    "hazard_extent",
    "loads",
    "page",
    "page_texts",
]


def collection(collection_id: str) -> CollectionSpec | None:
    return COLLECTIONS.get(collection_id)


def extents(register: Register, spec: CollectionSpec) -> tuple[BBox | None, tuple[str | None, str | None] | None]:
    """The collection's spatial extent (None if empty) and temporal extent (None if it has none)."""
    with register.reading() as conn:
        return provider.extent(conn, spec), provider.temporal_extent(conn, spec)


def hazard_extent(register: Register) -> BBox | None:
    with register.reading() as conn:
        return provider.extent(conn, COLLECTIONS["hazard-areas"])


def page_texts(
    register: Register, index: PageIndex, spec: CollectionSpec, q: Query, *, personal: bool
) -> tuple[list[str], int]:
    """One page as GeoJSON Feature texts, and the number matched (one snapshot)."""
    with register.reading() as conn:
        return index.page_texts(conn, spec, q, data_version_of(conn), personal=personal)


def page(register: Register, index: PageIndex, spec: CollectionSpec, q: Query, *, personal: bool) -> dict[str, Any]:
    """One page as plain data: ``{total, limit, offset, items}`` (items are GeoJSON Features)."""
    with register.reading() as conn:
        rows, total = index.page(conn, spec, q, data_version_of(conn))
    texts = provider.feature_texts(spec, rows, personal=personal)
    return {"total": total, "limit": q.limit, "offset": q.offset, "items": [loads(t) for t in texts]}


def feature_text(register: Register, spec: CollectionSpec, fid: str, *, personal: bool) -> str | None:
    """One feature as GeoJSON text, or None if the collection has no such feature."""
    with register.reading() as conn:
        row = provider.one(conn, spec, fid)
    return None if row is None else provider.feature_texts(spec, [row], personal=personal)[0]


def feature(register: Register, collection_id: str, fid: str, *, personal: bool) -> dict[str, Any] | None:
    text = feature_text(register, COLLECTIONS[collection_id], fid, personal=personal)
    return None if text is None else loads(text)
