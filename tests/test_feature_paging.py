"""Paging with the caches on and off gives the same pages, and a bbox is a true intersects test.

With caches on, the ids of a filter are kept and sliced; with caches off, the database pages
(``ORDER BY`` id, ``LIMIT``/``OFFSET``, the spatial index for the bbox). Both must give the same
features in the same order, the same ``numberMatched``/``numberReturned`` and the same links.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from landrelease.services import features as fc
from landrelease.settings import Settings
from landrelease.storage.repository import Register
from landrelease.web.app import create_app
from tests.web_support import FAST_HASHER, PASSWORD, seed

N_AREAS = 60


@pytest.fixture
def seeded(register: Register) -> Register:
    seed(register, N_AREAS)
    return register


def _region(register: Register) -> tuple[float, float, float, float]:
    box = fc.hazard_extent(register)
    assert box is not None
    return box


def _boxes(register: Register) -> list[tuple[float, float, float, float] | None]:
    """No bbox, the whole region, a quarter, a thin strip, a window off the region, and boxes
    at the corners of areas' bounding boxes (where an envelope test and an intersects test differ)."""
    west, south, east, north = _region(register)
    w, h = east - west, north - south
    boxes: list[tuple[float, float, float, float] | None] = [
        None,
        (west, south, east, north),
        (west, south, west + w / 2, south + h / 2),
        (west + 0.3 * w, south, west + 0.36 * w, north),
        (east + 1.0, north + 1.0, east + 2.0, north + 2.0),
    ]
    return boxes + _corner_boxes(register, 3)


def _corner_boxes(register: Register, n: int) -> list[tuple[float, float, float, float] | None]:
    """Small boxes that touch an area's bounding box but not the area itself."""
    page = fc.page(register, fc.PageIndex(), fc.COLLECTIONS["hazard-areas"], fc.Query(limit=1000), personal=True)
    out: list[tuple[float, float, float, float] | None] = []
    for feat in page["items"]:
        geom = shape(feat["geometry"])
        minx, miny, maxx, maxy = geom.bounds
        d = min(maxx - minx, maxy - miny) / 20
        corner = (maxx - d, maxy - d, maxx + d / 10, maxy + d / 10)
        if not geom.intersects(shapely.box(*corner)):
            out.append(corner)
        if len(out) == n:
            break
    assert out, "the sample has no area that leaves a corner of its bounding box empty"
    return out


def _all(register: Register, index: fc.PageIndex, spec: fc.CollectionSpec, q: fc.Query) -> dict[str, Any]:
    return fc.page(register, index, spec, q, personal=True)


def test_cached_and_uncached_pages_are_the_same(seeded: Register) -> None:
    kept, fresh = fc.PageIndex(), fc.PageIndex(max_entries=0, max_features=0)
    assert kept.keeps and not fresh.keeps
    combos = 0
    for collection in ("hazard-areas", "activities", "evidence", "settlements"):
        spec = fc.COLLECTIONS[collection]
        equals: list[dict[str, Any]] = [{}]
        if collection == "hazard-areas":
            equals += [{"status": ["sha", "cha"]}, {"kind": "cha"}]
        for bbox, equal, offset, limit in itertools.product(
            _boxes(seeded), equals, (0, 3, 25, 59, 60, 500), (1, 7, 100)
        ):
            q = fc.Query(bbox=bbox, limit=limit, offset=offset, equals=equal)
            a = _all(seeded, kept, spec, q)
            b = _all(seeded, fresh, spec, q)
            assert a == b, (collection, bbox, equal, offset, limit)
            combos += 1
    assert combos > 300


def test_bbox_is_a_true_intersects_test(seeded: Register) -> None:
    """Against Shapely on every feature: an area whose bounding box meets the query box but whose
    polygon does not is left out, on both paths and both backends."""
    spec = fc.COLLECTIONS["hazard-areas"]
    everything = _all(seeded, fc.PageIndex(), spec, fc.Query(limit=1000))["items"]
    assert len(everything) == N_AREAS
    left_out = 0
    for bbox in _boxes(seeded)[1:]:
        assert bbox is not None
        window = shapely.box(*bbox)
        expected = [f["id"] for f in everything if shape(f["geometry"]).intersects(window)]
        by_envelope = [f["id"] for f in everything if shapely.box(*shape(f["geometry"]).bounds).intersects(window)]
        left_out += len(by_envelope) - len(expected)
        for index in (fc.PageIndex(), fc.PageIndex(max_entries=0, max_features=0)):
            got = _all(seeded, index, spec, fc.Query(bbox=bbox, limit=1000))
            assert [f["id"] for f in got["items"]] == expected and got["total"] == len(expected), bbox
    assert left_out >= 3  # the corner boxes: an envelope test would have let these through


@pytest.fixture
def two_apps(seeded: Register) -> Iterator[tuple[TestClient, TestClient, dict[str, str]]]:
    url = str(seeded.engine.url.render_as_string(hide_password=False))
    apps = [create_app(Settings(database_url=url, secret_key="k", caches=on), seeded) for on in (True, False)]
    for app in apps:
        app.state.auth.hasher = FAST_HASHER
    with TestClient(apps[0]) as on, TestClient(apps[1]) as off:
        token = on.post("/api/auth/token", json={"name": "viewer", "password": PASSWORD}).json()["access_token"]
        yield on, off, {"Authorization": f"Bearer {token}"}


def test_ogc_items_are_the_same_with_caches_off(seeded: Register, two_apps: tuple[TestClient, TestClient, Any]) -> None:
    """Features, order, numberMatched/numberReturned and next/prev links, over HTTP."""
    on, off, h = two_apps
    assert on.app.state.page_index.keeps and not off.app.state.page_index.keeps  # type: ignore[attr-defined]
    west, south, east, north = _region(seeded)
    boxes = [None, f"{west},{south},{east},{north}", f"{west},{south},{(west + east) / 2},{(south + north) / 2}"]
    for collection, bbox, offset, limit in itertools.product(
        ("hazard-areas", "evidence", "activities"), boxes, (0, 5, 30, 59, 61), (4, 25)
    ):
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if bbox:
            params["bbox"] = bbox
        a = on.get(f"/ogc/collections/{collection}/items", params=params, headers=h)
        b = off.get(f"/ogc/collections/{collection}/items", params=params, headers=h)
        assert a.status_code == b.status_code == 200
        ja, jb = a.json(), b.json()
        ja.pop("timeStamp"), jb.pop("timeStamp")
        assert ja == jb, (collection, params)
        rels = {link["rel"] for link in ja["links"]}
        assert ("prev" in rels) == (offset > 0)
        assert ("next" in rels) == (offset + ja["numberReturned"] < ja["numberMatched"])
    # the datetime filter too
    for interval in ("2000-01-01T00:00:00Z/..", "../2000-01-01T00:00:00Z"):
        params = {"limit": 10, "offset": 2, "datetime": interval}
        a = on.get("/ogc/collections/hazard-areas/items", params=params, headers=h).json()
        b = off.get("/ogc/collections/hazard-areas/items", params=params, headers=h).json()
        a.pop("timeStamp"), b.pop("timeStamp")
        assert a == b
