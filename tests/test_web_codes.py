"""Codes with "/" (a remainder ``HA-…/1``, a task ``HA-…/clearance/3``) reach every item route of
the REST and OGC APIs, written plainly or with the slash encoded (``%2F``), on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
import shapely
import shapely.geometry
from fastapi.testclient import TestClient
from sqlalchemy import select

from landrelease.settings import Settings
from landrelease.storage import schema
from landrelease.web.app import create_app
from tests.web_support import FAST_HASHER, PASSWORD, seed

TASK_CODE = "HA-000001/clearance/3"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, secret_key="k"))
    app.state.auth.hasher = FAST_HASHER
    seed(app.state.register)
    with app.state.register.unit_of_work(actor="test") as uow:
        t = schema.task
        first = uow.conn.execute(select(t.c.id).order_by(t.c.id).limit(1)).scalar_one()
        uow.conn.execute(t.update().where(t.c.id == first).values(code=TASK_CODE))
    with TestClient(app) as c:
        yield c


def _bearer(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/auth/token", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _remainder(client: TestClient, h: dict[str, str]) -> str:
    """Release the western half of an open area; the register names the rest ``CODE/1``."""
    area = client.get("/api/hazard-areas?status=open&limit=1", headers=h).json()["items"][0]
    geom = shapely.geometry.shape(area["geometry"])
    minx, miny, maxx, maxy = geom.bounds
    half = geom.intersection(shapely.box(minx, miny, (minx + maxx) / 2, maxy))
    half = max(getattr(half, "geoms", [half]), key=lambda g: g.area)
    body = {
        "hazard_code": area["id"],
        "kind": "nts",
        "start_date": "2026-06-01",
        "end_date": "2026-06-03",
        "released": [{"method": "cancelled", "geometry": shapely.geometry.mapping(half)}],
    }
    r = client.post("/api/activities", json=body, headers=h)
    assert r.status_code == 201, r.text
    code = r.json()["remainder_code"]
    assert code == f"{area['id']}/1"
    return str(code)


@pytest.mark.parametrize("encode", [False, True], ids=["plain", "encoded"])
def test_every_item_route_reaches_codes_with_slashes(client: TestClient, encode: bool) -> None:
    h = _bearer(client, "analyst")
    code = _remainder(client, h)

    def p(c: str) -> str:
        return quote(c, safe="") if encode else c

    one = client.get(f"/api/hazard-areas/{p(code)}", headers=h)
    assert one.status_code == 200, one.text
    assert one.json()["id"] == code
    version = one.json()["properties"]["version"]
    for sub in ("evidence", "activities", "forecast"):
        r = client.get(f"/api/hazard-areas/{p(code)}/{sub}", headers=h)
        assert r.status_code == 200, (sub, r.text)
    r = client.patch(f"/api/hazard-areas/{p(code)}", json={"version": version, "name": "remainder"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == code and r.json()["properties"]["name"] == "remainder"

    ogc = client.get(f"/ogc/collections/hazard-areas/items/{p(code)}", headers=h)
    assert ogc.status_code == 200, ogc.text
    feature = ogc.json()
    assert feature["id"] == code
    self_link = next(link["href"] for link in feature["links"] if link["rel"] == "self")
    assert client.get(self_link, headers=h).json()["id"] == code

    r = client.post(
        f"/api/proposals/hazard-areas/{p(code)}", json={"version": version + 1, "name": "proposed"}, headers=h
    )
    assert r.status_code == 202, r.text
    assert client.get(f"/api/review/hazard_change/{p(code)}", headers=h).status_code == 200

    task = client.patch(f"/api/tasks/{p(TASK_CODE)}", json={"planned_end": "2027-01-31"}, headers=h)
    assert task.status_code == 200, task.text
    assert task.json()["code"] == TASK_CODE and task.json()["planned_end"] == "2027-01-31"

    # filters by a derived code
    tasks = client.get("/api/tasks", params={"hazard": code.split("/")[0]}, headers=h)
    assert tasks.status_code == 200
    ev = client.get("/api/evidence", params={"hazard": code}, headers=h)
    assert ev.status_code == 200, ev.text
    # a missing derived code is still a named 404
    r = client.get(f"/api/hazard-areas/{p(code + '9')}", headers=h)
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "code"
    r = client.patch(f"/api/tasks/{p('HA-000001/clearance/99')}", json={"planned_end": "2027-01-31"}, headers=h)
    assert r.status_code == 404


def test_bad_codes_are_404_not_500(client: TestClient) -> None:
    h = _bearer(client, "viewer")
    for bad in ("a//b", "/x", "x/", "x/" + "y" * 80, "HA-²"):
        r = client.get(f"/api/hazard-areas/{quote(bad, safe='/')}", headers=h)
        assert r.status_code in (404, 307), (bad, r.status_code, r.text)
    for fid in ("hazard-areas-²", "²", "settlements-٣"):
        for coll in ("hazard-areas", "settlements", "activities", "evidence"):
            r = client.get(f"/ogc/collections/{coll}/items/{quote(fid)}", headers=h)
            assert r.status_code == 404, (coll, fid, r.status_code, r.text)


def test_405_lists_every_allowed_method(client: TestClient) -> None:
    h = _bearer(client, "analyst")
    code = client.get("/api/hazard-areas?limit=1", headers=h).json()["items"][0]["id"]
    for path, expected in (
        (f"/api/hazard-areas/{code}", {"GET", "HEAD", "PATCH"}),
        (f"/api/hazard-areas/{quote(code + '/1', safe='')}", {"GET", "HEAD", "PATCH"}),
        ("/api/hazard-areas", {"GET", "HEAD", "POST"}),
        (f"/api/tasks/{quote(TASK_CODE, safe='')}", {"PATCH"}),
    ):
        r = client.put(path, json={}, headers=h)
        assert r.status_code == 405, (path, r.text)
        assert {m.strip() for m in r.headers["allow"].split(",")} == expected, (path, r.headers["allow"])
        assert r.headers["content-type"].startswith("application/problem+json")
