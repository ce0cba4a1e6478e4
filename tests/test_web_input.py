"""Bad numbers and malformed bodies are refused with a 4xx naming where, never a 500; a refused
value is never echoed when it cannot be encoded, nor a secret ever logged; the connection
stays usable after a refusal. On both backends."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from landrelease.settings import Settings
from landrelease.web.app import create_app
from tests.web_support import FAST_HASHER, OPERATOR, PASSWORD, live_server, seed

SQUARE = [[[47.0, 39.9], [47.001, 39.9], [47.001, 39.901], [47.0, 39.901], [47.0, 39.9]]]


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, secret_key="k"))
    app.state.auth.hasher = FAST_HASHER
    seed(app.state.register)
    with TestClient(app) as c:
        yield c


def _bearer(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/auth/token", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _send(client: TestClient, method: str, url: str, text: str | bytes, h: dict[str, str] | None = None) -> Any:
    body = text.encode() if isinstance(text, str) else text
    return client.request(method, url, content=body, headers={**(h or {}), "content-type": "application/json"})


def _refused(r: Any, status: int, field: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    fields = [e["field"] for e in body["errors"]]
    assert field in fields, (field, fields)
    return body  # type: ignore[no-any-return]


def _team(client: TestClient, h: dict[str, str]) -> str:
    teams = client.get("/api/teams", headers=h).json()["items"]
    return next(t["code"] for t in teams if t["operator"] == OPERATOR)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_named_422s(client: TestClient, literal: str) -> None:
    ana = _bearer(client, "analyst")
    area = '{"code": "HA-NAN-1", "geometry": {"type": "Polygon", "coordinates": %s}, "slope_deg": %s}'
    _refused(_send(client, "POST", "/api/hazard-areas", area % (json.dumps(SQUARE), literal), ana), 422, "slope_deg")
    prio = '{"code": "HA-NAN-2", "geometry": {"type": "Polygon", "coordinates": %s}, "priority_score": %s}'
    _refused(
        _send(client, "POST", "/api/hazard-areas", prio % (json.dumps(SQUARE), literal), ana), 422, "priority_score"
    )
    coords = json.dumps(SQUARE).replace("47.001", literal, 1)
    geom = '{"code": "HA-NAN-3", "geometry": {"type": "Polygon", "coordinates": COORDS}}'.replace("COORDS", coords)
    _refused(_send(client, "POST", "/api/hazard-areas", geom, ana), 422, "geometry.coordinates.0.1.0")
    op = _bearer(client, "operator")
    report = {"uuid": str(uuid.uuid4()), "team": _team(client, op), "date": "2026-05-04", "m2_processed": 1}
    text = json.dumps({"reports": [report]}).replace('"m2_processed": 1', f'"m2_processed": {literal}')
    _refused(_send(client, "POST", "/api/daily-reports", text, op), 422, "reports.0.m2_processed")
    find = {
        "hazard_code": "HA-X",
        "kind": "eod",
        "start_date": "2026-06-01",
        "end_date": "2026-06-01",
        "finds": [{"eo_type": "uxo", "position": {"type": "Point", "coordinates": [47, 39.9]}, "depth_cm": 1}],
    }
    text = json.dumps(find).replace('"depth_cm": 1', f'"depth_cm": {literal}')
    _refused(_send(client, "POST", "/api/activities", text, ana), 422, "finds.0.depth_cm")
    _refused(
        _send(client, "POST", "/api/auth/token", '{"name": X, "password": "x"}'.replace("X", literal)), 422, "name"
    )
    _refused(
        _send(client, "POST", "/api/auth/login", '{"name": "a", "password": X}'.replace("X", literal)), 422, "password"
    )


def test_secrets_are_neither_echoed_nor_logged(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for body in ('{"name": "admin", "password": 918273645}', '{"name": "admin", "password": ["918273645"]}'):
        r = _send(client, "POST", "/api/auth/token", body)
        _refused(r, 422, "password")
        assert "918273645" not in r.text
    assert "918273645" not in caplog.text


def test_malformed_bodies_say_where(client: TestClient) -> None:
    latin = '{"name": "Zoë", "password": "x"}'.encode("latin-1")
    body = _refused(_send(client, "POST", "/api/auth/token", latin), 422, "body")
    assert "UTF-8" in body["errors"][0]["message"] and "byte 12" in body["errors"][0]["message"]
    body = _refused(_send(client, "POST", "/api/auth/token", '{"name": "a",\n "password": }'), 422, "body")
    assert "line 2" in body["errors"][0]["message"]
    _refused(_send(client, "POST", "/api/hazard-areas", "[" * 200_000 + "]" * 200_000), 422, "body")
    deep = '{"name": "a", "password": "b", "x": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}"
    body = _refused(_send(client, "POST", "/api/auth/token", deep), 422, "x" + ".a" * 32)


def test_coordinates_are_numbers_and_rings_closed(client: TestClient) -> None:
    ana = _bearer(client, "analyst")
    strings = [[[str(x), str(y)] for x, y in SQUARE[0]]]
    r = client.post(
        "/api/hazard-areas",
        json={"code": "HA-S-1", "geometry": {"type": "Polygon", "coordinates": strings}},
        headers=ana,
    )
    body = _refused(r, 422, "geometry")
    assert "not a number" in body["errors"][0]["message"]
    unclosed = [SQUARE[0][:-1]]
    r = client.post(
        "/api/hazard-areas",
        json={"code": "HA-S-2", "geometry": {"type": "Polygon", "coordinates": unclosed}},
        headers=ana,
    )
    body = _refused(r, 422, "geometry")
    assert "coordinates[0] is not closed" in body["errors"][0]["message"]
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE, unclosed]}
    body = _refused(
        client.post("/api/hazard-areas", json={"code": "HA-S-3", "geometry": multi}, headers=ana), 422, "geometry"
    )
    assert "coordinates[1][0] is not closed" in body["errors"][0]["message"]
    point = {"type": "Point", "coordinates": ["47", "39.9"]}
    act = {
        "hazard_code": "HA-X",
        "kind": "eod",
        "start_date": "2026-06-01",
        "end_date": "2026-06-01",
        "finds": [{"eo_type": "uxo", "position": point}],
    }
    _refused(client.post("/api/activities", json=act, headers=ana), 422, "finds.0.position")
    ok = client.post(
        "/api/hazard-areas",
        json={"code": "HA-S-4", "geometry": {"type": "Polygon", "coordinates": SQUARE}},
        headers=ana,
    )
    assert ok.status_code == 201, ok.text


def test_ogc_ids_with_other_digits_are_404(client: TestClient) -> None:
    h = _bearer(client, "viewer")
    for fid in ("²", "hazard-areas.²", "١٢", "evidence-²"):
        for coll in ("hazard-areas", "settlements", "activities", "evidence"):
            r = client.get(f"/ogc/collections/{coll}/items/{fid}", headers=h)
            assert r.status_code == 404, (coll, fid, r.text)


def test_connection_survives_a_refusal(database_url: str) -> None:
    with live_server(database_url) as live, httpx.Client(base_url=live.url, timeout=30) as http:
        for _ in range(3):
            r = http.post(
                "/api/auth/token",
                content=b'{"name": NaN, "password": "x"}',
                headers={"content-type": "application/json"},
            )
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name"
            good = http.post("/api/auth/token", json={"name": "viewer", "password": PASSWORD})
            assert good.status_code == 200, good.text


def test_scalar_bodies_reach_validation(client: TestClient) -> None:
    from landrelease.api.guard import check_json

    for text in (b"null", b"1", b'"x"', b"[]", b"{}", b"true"):
        assert check_json(text) is None
    h = _bearer(client, "admin")
    for text in ("null", "1", '"x"', "[1, [2]]"):
        r = _send(client, "POST", "/api/hazard-areas", text, h)
        assert r.status_code == 422, (text, r.text)
