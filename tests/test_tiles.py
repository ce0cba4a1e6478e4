"""Vector tiles: PostGIS (ST_AsMVT) and SQLite (Shapely + mapbox_vector_tile) send the same
features with the same properties; the route compresses with gzip when the client asks."""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import numpy as np
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


def test_our_encoder_writes_what_mapbox_vector_tile_reads() -> None:
    """The vectorised encoder: polygons with holes, multipolygons, points, ids and every kind
    of property value come back as they went in (outlines to the vertex, repeated vertices
    dropped, rings closed)."""
    from landrelease.storage import mvt

    square = shapely.Polygon([(0, 0), (0, 10), (10, 10), (10, 0)], [[(2, 2), (5, 2), (5, 5), (2, 5)]])
    multi = shapely.MultiPolygon(
        [shapely.Polygon([(100, 100), (100, 120), (120, 120), (120, 100)]), shapely.box(4000, 4000, 4090, 4090)]
    )
    repeated = shapely.Polygon([(-60, -60), (-60, -50), (-60, -50), (-50, -50), (-50, -60)])
    polys = shapely.orient_polygons(np.array([square, multi, repeated], dtype=object), exterior_cw=False)
    props = [{"code": "HA-1", "n": 3, "neg": -7, "p": 0.25, "ok": True}, {"code": "HA-2", "gone": None}, {}]
    points = mvt.Layer("pts", shapely.points([[32, 96], [4095, 0]]), [7, 2**40], {"n": [1, 70000]})
    columns = {k: [p.get(k) for p in props] for k in ("code", "n", "neg", "p", "ok", "gone")}
    data = mvt.encode(mvt.Layer("areas", polys, [1, 2, 3], columns), points, 4096)
    decoded = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    areas = {f["id"]: f for f in decoded["areas"]["features"]}
    assert set(areas) == {1, 2, 3} and decoded["areas"]["extent"] == 4096
    for fid, want in zip((1, 2, 3), polys, strict=True):
        got = shapely.geometry.shape(areas[fid]["geometry"])
        assert got.equals(want), fid
        assert areas[fid]["properties"] == {k: v for k, v in props[fid - 1].items() if v is not None}
    assert areas[1]["properties"]["ok"] is True and isinstance(areas[1]["properties"]["p"], float)
    pts = {f["id"]: f for f in decoded["pts"]["features"]}
    assert pts[7]["geometry"]["coordinates"] == [32, 96] and pts[7]["properties"] == {"n": 1}
    assert pts[2**40]["geometry"]["coordinates"] == [4095, 0] and pts[2**40]["properties"] == {"n": 70000}


def test_a_write_is_seen_by_the_next_low_zoom_tile(client: tuple[TestClient, dict[str, str], Any]) -> None:
    """Low zooms read an index kept per data version: a write (here an area superseded) must
    show in the very next tile, with no tile cache in front."""
    from sqlalchemy import text, update

    from landrelease.storage import schema

    c, _, _ = client
    register = c.app.state.test_register  # type: ignore[attr-defined]
    with register.reading() as conn:
        lon, lat = conn.execute(text("SELECT avg((minx + maxx) / 2), avg((miny + maxy) / 2) FROM hazard_area")).one()
        n = conn.execute(text("SELECT count(*) FROM hazard_area WHERE status <> 'superseded'")).scalar()
        first = conn.execute(text("SELECT min(id) FROM hazard_area WHERE status <> 'superseded'")).scalar()

    def shown() -> tuple[int, set[int], int]:
        data, version = service.tile(register, None, "hazard-areas", *_tile_of(lon, lat, 6))
        layers = _decoded(data)
        ids = set(layers.get("hazard-areas", {})) | set(layers.get("hazard-points", {}))
        count = len(layers.get("hazard-areas", {})) + sum(p["n"] for p in layers.get("hazard-points", {}).values())
        return count, ids, version

    before, _, v1 = shown()
    assert before == n
    with register.unit_of_work("test") as uow:
        h = schema.hazard_area
        uow.conn.execute(update(h).where(h.c.id == first).values(status="superseded"))
    after, ids, v2 = shown()
    assert v2 > v1 and after == n - 1 and first not in ids


@pytest.mark.postgis
def test_postgis_high_zoom_tiles_use_the_web_mercator_index(both: dict[str, Register]) -> None:
    """A detail tile selects on the stored Web Mercator geometry through its GiST index (the
    query can use it: with sequential scans off, the plan names it) and reprojects nothing."""
    from sqlalchemy import event

    register = both["postgis"]
    with register.reading() as conn:
        from sqlalchemy import text

        lon, lat = conn.execute(text("SELECT (minx + maxx) / 2, (miny + maxy) / 2 FROM hazard_area LIMIT 1")).one()
    seen: list[tuple[str, Any]] = []

    def grab(_c: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(register.engine, "before_cursor_execute", grab)
    try:
        service.tile(register, None, "hazard-areas", *_tile_of(lon, lat, 15))
    finally:
        event.remove(register.engine, "before_cursor_execute", grab)
    statement, parameters = next((s, p) for s, p in seen if "ST_AsMVT" in s)
    assert "st_transform" not in statement.lower()
    with register.reading() as conn:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters).all())
    assert "ix_hazard_area_geom_3857_gist" in plan, plan
