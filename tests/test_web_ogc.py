"""OGC API – Features against a live server, read with OWSLib's ``Features`` client (and plain
HTTP where the standard asks for more than OWSLib checks), plus the vector tiles."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import mapbox_vector_tile
import pytest
from owslib.ogcapi.features import Features
from owslib.util import Authentication

from landrelease.api.features import to_openapi30
from landrelease.api.tiles import tile_bounds
from tests.web_support import PASSWORD, Live, live_server


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('ogc') / 'register.db'}"
    else:
        from tests.conftest import _empty_postgis

        url = request.getfixturevalue("postgis_url")
        _empty_postgis(url)
    with live_server(url, n_areas=60) as server:
        yield server


@pytest.fixture(scope="module")
def api(live: Live) -> Features:
    return Features(f"{live.url}/ogc", headers={"Authorization": f"Bearer {live.token('viewer')}"})


def test_owslib_lists_collections_and_pages_items(live: Live, api: Features) -> None:
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]
    ids = [c["id"] for c in api.collections()["collections"]]
    assert {"hazard-areas", "settlements", "activities"} <= set(ids)
    info = api.collection("hazard-areas")
    minx, miny, maxx, maxy = info["extent"]["spatial"]["bbox"][0]
    assert 46 < minx < maxx < 48 and 39 < miny < maxy < 41
    seen: list[str] = []
    offset = 0
    while True:
        page = api.collection_items("hazard-areas", limit=25, offset=offset)
        assert page["type"] == "FeatureCollection" and page["numberMatched"] == 60
        assert page["numberReturned"] == len(page["features"]) == min(25, 60 - offset)
        seen += [f["id"] for f in page["features"]]
        links = {
            link["rel"]: parse_qs(urlsplit(link["href"]).query) for link in page["links"] if "offset" in link["href"]
        }
        assert links["self"]["offset"] == [str(offset)]
        if offset:  # every page after the first links back to the one before it
            assert links["prev"]["offset"] == [str(offset - 25)] and links["prev"]["limit"] == ["25"]
        else:
            assert "prev" not in links
        if "next" not in links:
            break
        assert links["next"]["offset"] == [str(offset + 25)]
        offset += 25
    assert offset == 50  # pages at 0, 25 and 50; the last has no next link
    assert len(seen) == len(set(seen)) == 60
    one = api.collection_item("hazard-areas", seen[7])
    assert one["id"] == seen[7] and one["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert api.collection_items("settlements", limit=100)["numberReturned"] >= 5
    assert api.collection_items("activities")["features"][0]["properties"]["kind"] == "nts"


def test_owslib_with_http_basic_like_qgis(live: Live) -> None:
    basic = Features(f"{live.url}/ogc", auth=Authentication(username="analyst", password=PASSWORD))
    assert basic.collection_items("hazard-areas", limit=3)["numberReturned"] == 3


def test_items_bbox_datetime_and_links(live: Live, api: Features) -> None:
    h = {"Authorization": f"Bearer {live.token('viewer')}"}
    base = f"{live.url}/ogc/collections/hazard-areas/items"
    r = httpx.get(base, params={"limit": 5}, headers=h)
    assert r.headers["content-type"] == "application/geo+json"
    nxt = next(link["href"] for link in r.json()["links"] if link["rel"] == "next")
    second = httpx.get(nxt, headers=h).json()
    assert "offset=5" in nxt and second["numberReturned"] == 5
    assert {f["id"] for f in second["features"]}.isdisjoint({f["id"] for f in r.json()["features"]})
    everything = httpx.get(base, params={"limit": 1000}, headers=h).json()["features"]
    box = (47.0, 39.88, 47.2, 40.0)
    inside = httpx.get(base, params={"limit": 1000, "bbox": ",".join(map(str, box))}, headers=h).json()
    assert 0 < inside["numberMatched"] < len(everything)
    assert httpx.get(base, params={"datetime": "1999-01-01/2000-01-01"}, headers=h).json()["numberMatched"] == 0
    assert httpx.get(base, params={"datetime": "2000-01-01T00:00:00Z/.."}, headers=h).json()["numberMatched"] == 60
    acts = f"{live.url}/ogc/collections/activities/items"
    assert httpx.get(acts, params={"datetime": "2026-01-07"}, headers=h).json()["numberMatched"] == 1
    assert httpx.get(acts, params={"datetime": "2026-02-01/.."}, headers=h).json()["numberMatched"] == 0
    for params, field in (
        ({"bbox": "48,39,47,40"}, "bbox"),
        ({"limit": 0}, "limit"),
        ({"limit": 10001}, "limit"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"colour": "red"}, "colour"),
        ({"datetime": "2021-01-01/2020-01-01"}, "datetime"),
    ):
        bad = httpx.get(base, params=params, headers=h)
        assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
        assert bad.json()["errors"][0]["field"] == field
    assert httpx.get(f"{live.url}/ogc/collections/nope/items", headers=h).status_code == 404
    assert httpx.get(f"{base}/NO-SUCH", headers=h).status_code == 404
    assert httpx.get(base).status_code == 401


def test_openapi_30_document(live: Live) -> None:
    doc = httpx.get(f"{live.url}/ogc/api").json()
    assert doc["openapi"].startswith("3.0")
    assert "/ogc/collections/{collectionId}/items" in doc["paths"]
    text = str(doc)
    assert "'type': 'null'" not in text
    # the conversion itself: 3.1 null unions and exclusive bounds become 3.0 forms
    assert to_openapi30(
        {"openapi": "3.1.0", "a": {"anyOf": [{"type": "integer"}, {"type": "null"}], "exclusiveMinimum": 0}}
    ) == {"openapi": "3.0.3", "a": {"type": "integer", "nullable": True, "minimum": 0, "exclusiveMinimum": True}}


def test_vector_tiles(live: Live) -> None:
    h = {"Authorization": f"Bearer {live.token('viewer')}"}
    # the tile at zoom 12 that holds the region's first hazard area
    feature = httpx.get(f"{live.url}/ogc/collections/hazard-areas/items", params={"limit": 1}, headers=h).json()
    lon, lat = feature["features"][0]["geometry"]["coordinates"][0][0]
    import math

    z = 12
    x = int((lon + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
    west, south, east, north = tile_bounds(z, x, y)
    assert west <= lon <= east and south <= lat <= north
    r = httpx.get(f"{live.url}/tiles/hazard-areas/{z}/{x}/{y}.mvt", headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layers = mapbox_vector_tile.decode(r.content)
    codes = {f["properties"]["code"] for layer in layers.values() for f in layer["features"]}
    assert feature["features"][0]["id"] in codes
    props = next(f["properties"] for layer in layers.values() for f in layer["features"])
    assert {"code", "status", "land_use"} <= set(props)
    # at low zoom the whole region is in one light tile: small areas become counted points, none is lost
    low = mapbox_vector_tile.decode(
        httpx.get(f"{live.url}/tiles/hazard-areas/6/{x >> 6}/{y >> 6}.mvt", headers=h).content
    )
    polygons = len(low.get("hazard-areas", {}).get("features", []))
    points = sum(f["properties"]["n"] for f in low.get("hazard-points", {}).get("features", []))
    assert polygons + points == 60
    settlements = httpx.get(f"{live.url}/tiles/settlements/6/{x >> 6}/{y >> 6}.mvt", headers=h)
    assert settlements.status_code == 200 and len(settlements.content) > 0
    for path, status in (
        ("/tiles/hazard-areas/30/0/0.mvt", 400),
        ("/tiles/hazard-areas/3/9/0.mvt", 400),
        ("/tiles/nope/1/0/0.mvt", 404),
    ):
        assert httpx.get(live.url + path, headers=h).status_code == status
    assert httpx.get(f"{live.url}/tiles/hazard-areas/{z}/{x}/{y}.mvt").status_code == 401
