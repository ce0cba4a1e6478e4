"""The public safety map (``LANDRELEASE_PUBLIC_MAP``): off, nothing answers without sign-in; on,
the map page, hazard-area tiles and OGC items of open areas answer anonymous visitors with
code, kind and status only, generalised, and no other field leaks through any anonymous path.
On both backends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import pytest
import shapely
from fastapi.testclient import TestClient
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from landrelease.api.tiles import tile_bounds
from landrelease.settings import Settings
from landrelease.storage import schema
from landrelease.web.app import create_app
from tests.web_support import FAST_HASHER, PASSWORD, seed

PUBLIC = {"code", "kind", "status"}
ANON_GETS = [
    "/",
    "/ogc",
    "/ogc/",
    "/ogc/conformance",
    "/ogc/collections",
    "/ogc/collections/hazard-areas",
    "/ogc/collections/hazard-areas/items?limit=1000",
    "/tiles/hazard-areas/0/0/0.mvt",
]
STILL_CLOSED = [
    "/api/hazard-areas",
    "/api/evidence",
    "/api/activities",
    "/api/settlements",
    "/api/tasks",
    "/api/teams",
    "/api/users",
    "/api/daily-reports",
    "/api/accidents",
    "/api/victims",
    "/api/stats/summary",
    "/api/stats/readiness",
    "/api/auth/me",
    "/ogc/collections/settlements",
    "/ogc/collections/settlements/items",
    "/ogc/collections/evidence/items",
    "/ogc/collections/activities/items",
    "/tiles/settlements/0/0/0.mvt",
    "/dashboard",
    "/review",
    "/import",
]


def _client(database_url: str, public: bool) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, secret_key="k", public_map=public, public_map_precision=3))
    app.state.auth.hasher = FAST_HASHER
    seed(app.state.register)
    h = schema.hazard_area
    with app.state.register.unit_of_work(actor="test") as uow:
        ids = uow.conn.execute(select(h.c.id).order_by(h.c.id.desc()).limit(3)).scalars().all()
        for hid, status in zip(ids, ("cancelled", "cleared", "superseded"), strict=True):
            uow.conn.execute(h.update().where(h.c.id == hid).values(status=status))
    with TestClient(app) as c:
        yield c


@pytest.fixture
def public(database_url: str) -> Iterator[TestClient]:
    yield from _client(database_url, True)


def _areas(client: TestClient) -> list[Any]:
    h = schema.hazard_area
    with client.app.state.register.reading() as conn:  # type: ignore[attr-defined]
        return list(conn.execute(select(h.c.code, h.c.status, h.c.operator, h.c.name, h.c.region)).all())


def test_nothing_is_public_when_the_setting_is_off(database_url: str) -> None:
    for c in _client(database_url, False):
        code = _areas(c)[0].code
        for path in [*ANON_GETS, *STILL_CLOSED, f"/ogc/collections/hazard-areas/items/{code}"]:
            r = c.get(path, follow_redirects=False)
            assert r.status_code in (401, 303), (path, r.status_code)
            if r.status_code == 303:
                assert r.headers["location"].startswith("/login")


def test_anonymous_visitors_see_open_areas_with_public_fields_only(public: TestClient) -> None:
    areas = _areas(public)
    open_codes = {a.code for a in areas if a.status in ("open", "in_progress")}
    closed = [a.code for a in areas if a.status not in ("open", "in_progress")]
    assert open_codes and closed
    bodies: list[str] = []
    for path in ANON_GETS:
        r = public.get(path)
        assert r.status_code == 200, (path, r.text)
        bodies.append(r.text if "mvt" not in path else "")
    items = public.get("/ogc/collections/hazard-areas/items?limit=1000").json()
    assert {f["id"] for f in items["features"]} == open_codes
    assert items["numberMatched"] == len(open_codes)
    for f in items["features"]:
        assert set(f["properties"]) == PUBLIC
        assert set(f) <= {"type", "id", "geometry", "properties"}
        for v in re.findall(r"-?\d+\.\d+", str(f["geometry"]["coordinates"])):
            assert len(v.split(".")[1]) <= 3, v
    # paging and bbox work on the public view too
    page = public.get("/ogc/collections/hazard-areas/items?limit=2&offset=1").json()
    assert page["numberReturned"] == 2 and any(link["rel"] == "next" for link in page["links"])
    one = sorted(open_codes)[0]
    item = public.get(f"/ogc/collections/hazard-areas/items/{one}")
    assert item.status_code == 200 and set(item.json()["properties"]) == PUBLIC
    bodies.append(item.text)
    for code in closed:
        assert public.get(f"/ogc/collections/hazard-areas/items/{code}").status_code == 404
    assert [c["id"] for c in public.get("/ogc/collections").json()["collections"]] == ["hazard-areas"]
    # everything else still needs sign-in
    for path in STILL_CLOSED:
        r = public.get(path, follow_redirects=False)
        assert r.status_code in (401, 303), (path, r.status_code)
    assert public.get("/ogc/collections/hazard-areas/items?datetime=2026-01-01").status_code == 400
    # no non-public value anywhere in what an anonymous visitor got
    text = "\n".join(bodies)
    for a in areas:
        for value in (a.operator, a.region, a.name):
            if value and len(value) > 3:
                assert value not in text, value
    keys = ("operator", "p_any", "forecast", "evidence", "priority", "beneficiar", "team", "version", "victim", "name")
    for word in keys:
        assert f'"{word}' not in text.lower(), word  # never a field of that name


def test_public_tiles_carry_open_areas_and_public_fields_only(public: TestClient) -> None:
    areas = _areas(public)
    open_codes = {a.code for a in areas if a.status in ("open", "in_progress")}
    seen: set[str] = set()
    for z, x, y in [(0, 0, 0), *_tiles_over(public, 8), *_tiles_over(public, 13)]:
        r = public.get(f"/tiles/hazard-areas/{z}/{x}/{y}.mvt")
        assert r.status_code == 200
        for name, layer in mapbox_vector_tile.decode(r.content).items():
            assert name in ("hazard-areas", "hazard-points")
            for f in layer["features"]:
                assert set(f["properties"]) <= PUBLIC | {"n"}, f["properties"]
                assert f["properties"]["status"] in ("open", "in_progress")
                seen.add(f["properties"]["code"])
    assert seen and seen <= open_codes
    # a signed-in user still gets the full tile on the same URL
    token = public.post("/api/auth/token", json={"name": "analyst", "password": PASSWORD}).json()["access_token"]
    full = public.get("/tiles/hazard-areas/0/0/0.mvt", headers={"Authorization": f"Bearer {token}"})
    props = set()
    for layer in mapbox_vector_tile.decode(full.content).values():
        for f in layer["features"]:
            props |= set(f["properties"])
    assert "land_use" in props
    items = public.get(
        "/ogc/collections/hazard-areas/items?limit=5", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert "operator" in items["features"][0]["properties"]


def _tiles_over(client: TestClient, z: int) -> list[tuple[int, int, int]]:
    import math

    e = client.get("/ogc/collections/hazard-areas").json()["extent"]["spatial"]["bbox"][0]
    lon, lat = (e[0] + e[2]) / 2, (e[1] + e[3]) / 2
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    assert tile_bounds(z, x, y)[0] <= lon
    return [(z, x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]


def test_generalising_never_hides_a_small_area() -> None:
    import shapely

    from landrelease.services.public import generalise

    tiny = shapely.box(47.00001, 39.90001, 47.00002, 39.90002)
    g = generalise(tiny, 3)
    assert not g.is_empty and g.area > 0 and g.covers(tiny)
    many = generalise([tiny, shapely.box(47.0, 39.9, 47.01, 39.91)], 3)
    assert all(not x.is_empty for x in many)


def test_the_public_page_asks_for_nothing_else(public: TestClient) -> None:
    html = public.get("/").text
    assert "/static/public-map.js" in html and "/static/map.js" not in html
    js = public.get("/static/public-map.js").text
    assert "/api/" not in js and "/tiles/settlements" not in js
    assert re.search(r'"public": true', html)


@settings(max_examples=200, deadline=None)
@given(
    x=st.floats(46.0, 48.0),
    y=st.floats(39.0, 41.0),
    w=st.floats(1e-6, 0.05),
    h=st.floats(1e-6, 0.05),
    k=st.integers(3, 9),
    seed=st.integers(0, 2**16),
    digits=st.integers(3, 5),
)
def test_generalised_outlines_always_cover_the_surveyed_area(
    x: float, y: float, w: float, h: float, k: int, seed: int, digits: int
) -> None:
    """A published outline pulled inside the surveyed one would show dangerous land as safe:
    whatever the shape (random star polygons, thin strips, slivers), the generalised outline
    covers it."""
    import numpy as np

    from landrelease.services.public import generalise

    rng = np.random.default_rng(seed)
    angles = np.sort(rng.uniform(0, 2 * np.pi, k))
    radii = rng.uniform(0.2, 1.0, k)
    ring = np.column_stack([x + w * radii * np.cos(angles), y + h * radii * np.sin(angles)])
    area = shapely.make_valid(shapely.Polygon(ring))
    assume(not area.is_empty and area.area > 0)
    published = generalise(area, digits)
    assert published.is_valid
    plain = shapely.from_wkb(shapely.to_wkb(published))  # without the grid's precision model
    assert plain.buffer(1e-12).covers(area)
