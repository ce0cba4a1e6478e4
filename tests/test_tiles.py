"""Vector tiles: PostGIS (ST_AsMVT) and SQLite (Shapely + mapbox_vector_tile) send the same
features with the same properties; the route compresses with gzip when the client asks."""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import pytest
import shapely
from fastapi.testclient import TestClient

from landrelease.api.tiles import accepts_gzip
from landrelease.services import tiles as service
from landrelease.services.assess import assess
from landrelease.settings import Settings
from landrelease.storage.repository import Register
from landrelease.web.app import create_app
from tests.web_support import FAST_HASHER, PASSWORD, seed

N_AREAS = 150


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    return z, int((lon + 180.0) / 360.0 * n), int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)


def _seeded(url: str) -> Register:
    register = Register.open(url)
    seed(register, N_AREAS)
    assess(register, cell_m=50.0)
    return register


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[dict[str, Register]]:
    """The same seeded, modelled and planned register on SQLite and on PostGIS."""
    from tests.conftest import _empty_postgis

    pg_url = request.getfixturevalue("postgis_url")
    _empty_postgis(pg_url)
    registers = {
        "sqlite": _seeded(f"sqlite:///{tmp_path_factory.mktemp('tiles') / 'register.db'}"),
        "postgis": _seeded(pg_url),
    }
    yield registers
    for r in registers.values():
        r.close()


def _tiles(register: Register) -> list[tuple[str, int, int, int]]:
    """Tiles at every kind of zoom over the region: the whole region, a dense corner, single areas."""
    with register.reading() as conn:
        from sqlalchemy import text

        rows = conn.execute(text("SELECT minx, miny, maxx, maxy FROM hazard_area ORDER BY id")).all()
        towns = conn.execute(text("SELECT minx, miny FROM settlement ORDER BY id")).all()
    out: set[tuple[str, int, int, int]] = set()
    for i, (minx, miny, maxx, maxy) in enumerate(rows[:: max(1, len(rows) // 6)]):
        lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
        for z in (6, 9, 11, 12, 13, 14) if i < 3 else (10, 13):
            out.add(("hazard-areas", *_tile_of(lon, lat, z)))
    for lon, lat in towns[:2]:
        for z in (8, 14):
            out.add(("settlements", *_tile_of(lon, lat, z)))
    return sorted(out)


def _decoded(data: bytes) -> dict[str, dict[int, dict[str, Any]]]:
    """layer → feature id → properties, and the geometry as ``_type`` and ``_area`` (tile units²)."""
    out: dict[str, dict[int, dict[str, Any]]] = {}
    for name, layer in mapbox_vector_tile.decode(data, default_options={"y_coord_down": True}).items():
        if not layer["features"]:
            continue
        feats: dict[int, dict[str, Any]] = {}
        for f in layer["features"]:
            geom = shapely.geometry.shape(f["geometry"])
            feats[f["id"]] = {
                **f["properties"],
                "_type": geom.geom_type.replace("Multi", ""),
                "_area": geom.area,
                "_len": geom.length,
            }
        out[name] = feats
    return out


@pytest.mark.postgis
def test_postgis_and_sqlite_send_the_same_features(both: dict[str, Register]) -> None:
    tiles = _tiles(both["sqlite"])
    assert len(tiles) >= 12
    seen = {"polygons": 0, "points": 0, "phase": 0, "p_any": 0}
    for collection, z, x, y in tiles:
        lite, _ = service.tile(both["sqlite"], None, collection, z, x, y)
        pg, _ = service.tile(both["postgis"], None, collection, z, x, y)
        a, b = _decoded(lite), _decoded(pg)
        where = f"{collection} {z}/{x}/{y}"
        assert a.keys() == b.keys(), where
        for layer in a:
            assert a[layer].keys() == b[layer].keys(), f"{where} {layer}"
            for fid, pa in a[layer].items():
                pb = b[layer][fid]
                assert pa.keys() == pb.keys(), f"{where} {layer} feature {fid}"
                for k, v in pa.items():
                    if k == "_len":
                        continue
                    if k == "_area":
                        # the same outline within the simplification (two tile units) along it
                        slack = 2.0 * max(pa["_len"], pb["_len"]) + 2.0
                        assert v == pytest.approx(pb[k], abs=slack), f"{where} feature {fid}"
                    elif isinstance(v, float):
                        assert v == pytest.approx(pb[k], rel=1e-9), f"{where} feature {fid} {k}"
                    else:
                        assert v == pb[k], f"{where} feature {fid} {k}"
                seen["polygons" if pa["_type"] == "Polygon" else "points"] += 1
                seen["phase"] += "phase" in pa
                seen["p_any"] += "p_any" in pa
    # the comparison covered polygons, counted points, plan phases and modelled P(any EO)
    assert all(v > 0 for v in seen.values()), seen


@pytest.mark.postgis
def test_low_zoom_points_count_every_area(both: dict[str, Register]) -> None:
    with both["sqlite"].reading() as conn:
        from sqlalchemy import text

        lon, lat = conn.execute(text("SELECT avg((minx + maxx) / 2), avg((miny + maxy) / 2) FROM hazard_area")).one()
    for register in both.values():
        layers = _decoded(service.tile(register, None, "hazard-areas", *_tile_of(lon, lat, 6))[0])
        polygons = len(layers.get("hazard-areas", {}))
        points = sum(p["n"] for p in layers.get("hazard-points", {}).values())
        assert polygons + points == N_AREAS  # nothing hidden (no area is superseded in the sample)


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str], tuple[int, int, int]]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('gz') / 'register.db'}"
    else:
        from tests.conftest import _empty_postgis

        url = request.getfixturevalue("postgis_url")
        _empty_postgis(url)
    register = Register.open(url)
    seed(register, 40)
    app = create_app(Settings(database_url=url, secret_key="k"), register)
    app.state.auth.hasher = FAST_HASHER
    with register.reading() as conn:
        from sqlalchemy import text

        lon, lat = conn.execute(text("SELECT minx, miny FROM hazard_area ORDER BY id LIMIT 1")).one()
    with TestClient(app) as c:
        token = c.post("/api/auth/token", json={"name": "viewer", "password": PASSWORD}).json()["access_token"]
        c.app.state.test_register = register  # type: ignore[attr-defined]
        yield c, {"Authorization": f"Bearer {token}"}, _tile_of(lon, lat, 12)
    register.close()


def test_tiles_are_gzipped_when_the_client_accepts_it(client: tuple[TestClient, dict[str, str], Any]) -> None:
    c, h, (z, x, y) = client
    path = f"/tiles/hazard-areas/{z}/{x}/{y}.mvt"
    # httpx decodes gzip itself; read the raw bytes to see what was sent
    with c.stream("GET", path, headers={**h, "Accept-Encoding": "gzip, deflate"}) as r:
        raw = b"".join(r.iter_raw())
        assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
        assert "Accept-Encoding" in r.headers["vary"] and r.headers["etag"].endswith('-gz"')
    plain = c.get(path, headers={**h, "Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert gzip.decompress(raw) == plain.content and len(raw) < len(plain.content)
    assert plain.headers["etag"] != r.headers["etag"]
    assert "hazard-areas" in mapbox_vector_tile.decode(plain.content)
    refused = c.get(path, headers={**h, "Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers and refused.content == plain.content


def test_accept_encoding_is_read_as_http_says() -> None:
    assert accepts_gzip("gzip") and accepts_gzip("br, gzip;q=0.5") and accepts_gzip("*")
    assert not accepts_gzip("") and not accepts_gzip("identity") and not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("br, deflate") and not accepts_gzip("gzip;q=zero")


def test_caches_off_serves_the_same_pages_and_tiles(client: tuple[TestClient, dict[str, str], Any]) -> None:
    """``LANDRELEASE_CACHES=false`` (the benchmark's uncached run) keeps nothing, and answers the same."""
    c, _, (z, x, y) = client
    register = c.app.state.test_register  # type: ignore[attr-defined]
    off = create_app(Settings(database_url=str(register.engine.url), secret_key="k", caches=False), register)
    off.state.auth.hasher = FAST_HASHER
    with TestClient(off) as o:
        token = o.post("/api/auth/token", json={"name": "viewer", "password": PASSWORD}).json()["access_token"]
        h2 = {"Authorization": f"Bearer {token}"}
        for _ in range(2):
            page = o.get("/ogc/collections/hazard-areas/items?limit=5&offset=3", headers=h2).json()
            tile = o.get(f"/tiles/hazard-areas/{z}/{x}/{y}.mvt", headers=h2).content
        assert off.state.tile_cache._bytes == 0  # nothing kept
    viewer = c.post("/api/auth/token", json={"name": "viewer", "password": PASSWORD}).json()["access_token"]
    h1 = {"Authorization": f"Bearer {viewer}"}
    cached = c.get("/ogc/collections/hazard-areas/items?limit=5&offset=3", headers=h1).json()
    assert [f["id"] for f in page["features"]] == [f["id"] for f in cached["features"]] and len(page["features"]) == 5
    assert tile == c.get(f"/tiles/hazard-areas/{z}/{x}/{y}.mvt", headers=h1).content
