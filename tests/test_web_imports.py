"""The upload page's API on both backends: preview (a dry run), a starting crosswalk, the import,
refusals as problem details naming record and field, roles, and the history of imports."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from landrelease.api.auth import Authenticator
from landrelease.settings import Settings
from landrelease.storage import users
from landrelease.web.app import create_app
from tests.web_support import FAST_HASHER, PASSWORD, ROLES

SAMPLES = Path(__file__).resolve().parents[1] / "landrelease" / "samples" / "data" / "dialect"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, secret_key="k"))
    app.state.auth.hasher = FAST_HASHER
    auth = Authenticator(app.state.register, "test", hasher=FAST_HASHER)
    with app.state.register.unit_of_work(actor="test") as uow:
        for name, (role, operator) in ROLES.items():
            users.add_user(uow.conn, "test", name, role, auth.hash_password(PASSWORD), operator)
    with TestClient(app) as c:
        yield c


def bearer(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/auth/token", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def upload(path: Path, **fields: Any) -> dict[str, Any]:
    return {"files": {"file": (path.name, path.read_bytes())}, "data": {k: str(v) for k, v in fields.items()}}


def test_preview_writes_nothing_then_import_stores_and_records(client: TestClient) -> None:
    h = bearer(client, "analyst")
    areas = SAMPLES / "suspect_areas.geojson"
    r = client.post("/api/imports/preview", headers=h, **upload(areas))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dry_run"] is True and body["read"] == 6 and body["stored"] == 6 and body["import_id"] is None
    assert {"column": "hazard_type", "field": "kind", "how": "name"} in body["columns"]
    assert body["values"]["kind"] == {"SHA": 3, "CHA": 3} and body["area_km2"] > 0
    assert client.get("/api/hazard-areas", headers=h).json()["total"] == 0
    r = client.post("/api/imports", headers=h, **upload(areas))
    assert r.status_code == 201, r.text
    done = r.json()
    assert done["stored"] == 6 and done["import_id"] and done["values"] == body["values"]
    assert client.get("/api/hazard-areas", headers=h).json()["total"] == 6
    (run,) = client.get("/api/imports", headers=h).json()
    assert run["actor"] == "analyst" and run["source"] == "suspect_areas.geojson" and run["stored"] == 6
    assert run["source_sha256"] == hashlib.sha256(areas.read_bytes()).hexdigest()


def test_starting_crosswalk_edit_and_import_of_coded_events(client: TestClient) -> None:
    h = bearer(client, "admin")
    events = SAMPLES / "events.csv"
    refused = client.post("/api/imports/preview", headers=h, **upload(events, kind="evidence"))
    assert refused.status_code == 422
    errors = refused.json()["errors"]
    first = next(e for e in errors if e.get("record"))
    assert (first["record"], first["field"], first["found"]) == ("row 1", "TIPO_EVENTO", "'1'")
    assert any("--write-mapping" in (e.get("expected") or "") for e in errors)
    r = client.post("/api/imports/crosswalk", headers=h, **upload(events, kind="evidence"))
    assert r.status_code == 200, r.text
    text = r.json()["crosswalk"]
    assert '"1": "?"' in text
    undecided = client.post("/api/imports/preview", headers=h, **upload(events, kind="evidence", mapping=text))
    assert undecided.status_code == 422 and "undecided" in undecided.text
    edited = (
        text.replace('"1": "?"', '"1": AP mine accident')
        .replace('"2": "?"', '"2": UXO accident')
        .replace('"5": "?"', '"5": seizure')
        .replace('"8": "?"', '"8": suspected minefield')
    )
    ok = client.post("/api/imports/preview", headers=h, **upload(events, mapping=edited))
    assert ok.status_code == 200, ok.text
    assert ok.json()["values"]["kind"] == {"accident": 6, "interview": 4, "eo_find": 2}
    stored = client.post("/api/imports", headers=h, **upload(events, mapping=edited))
    assert stored.status_code == 201, stored.text
    (run,) = client.get("/api/imports", headers=h).json()
    assert run["crosswalk_file"] == "crosswalk (upload page)" and run["kind"] == "evidence"
    assert run["crosswalk"]["fields"]["kind"]["values"]["8"] == "suspected minefield"


def test_broken_uploads_are_problem_details(client: TestClient, tmp_path: Path) -> None:
    h = bearer(client, "analyst")
    kml = tmp_path / "areas.kml"
    kml.write_text("<kml/>")
    r = client.post("/api/imports/preview", headers=h, **upload(kml))
    assert r.status_code == 415 and r.json()["errors"][0]["field"] == "file"
    empty = tmp_path / "empty.gpkg"
    empty.write_bytes(b"")
    r = client.post("/api/imports/preview", headers=h, **upload(empty))
    assert r.status_code == 422 and "empty (0 bytes)" in json.dumps(r.json())
    bad = tmp_path / "a.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    r = client.post("/api/imports/preview", headers=h, **upload(bad, mapping="fields: {colour: X}"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "fields.colour"
    r = client.post("/api/imports/preview", headers=h, **upload(bad, kind="minefields"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind"


@pytest.mark.parametrize("role", ["operator", "viewer"])
def test_only_admins_and_analysts_import(client: TestClient, role: str) -> None:
    h = bearer(client, role)
    areas = SAMPLES / "suspect_areas.geojson"
    for path in ("/api/imports/preview", "/api/imports", "/api/imports/crosswalk"):
        r = client.post(path, headers=h, **upload(areas))
        assert r.status_code == 403, (path, r.text)
    assert client.get("/api/imports", headers=h).status_code == 403
    assert client.post("/api/imports/preview", **upload(areas)).status_code == 401


def test_the_page_needs_a_session_and_shows_the_form_to_analysts(client: TestClient) -> None:
    assert client.get("/import", follow_redirects=False).status_code == 303
    r = client.post("/login", data={"name": "analyst", "password": PASSWORD, "next": "/import"})
    assert r.status_code == 200 and 'id="import-form"' in r.text and 'href="/import"' in r.text
    client.post("/logout", data={"csrf_token": client.cookies.get("lr_csrf", "")})
    client.cookies.clear()
    r = client.post("/login", data={"name": "viewer", "password": PASSWORD, "next": "/import"})
    assert r.status_code == 200 and "Only admins and analysts import" in r.text and 'href="/import"' not in r.text


def test_a_cookie_session_needs_the_csrf_token_to_import(client: TestClient) -> None:
    client.post("/login", data={"name": "analyst", "password": PASSWORD, "next": "/"})
    areas = SAMPLES / "suspect_areas.geojson"
    assert client.post("/api/imports/preview", **upload(areas)).status_code == 403
    token = client.cookies.get("lr_csrf", "")
    r = client.post("/api/imports/preview", headers={"X-CSRF-Token": token}, **upload(areas))
    assert r.status_code == 200, r.text
