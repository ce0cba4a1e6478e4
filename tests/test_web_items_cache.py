"""The OGC items endpoint serves pages from memory, and a write is visible on the next page read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from landrelease.settings import Settings
from landrelease.web.app import create_app
from tests.web_support import FAST_HASHER, PASSWORD, seed


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", secret_key="k"))
    app.state.auth.hasher = FAST_HASHER
    seed(app.state.register)
    with TestClient(app) as c:
        yield c


def _token(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/auth/token", json={"name": name, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_cached_pages_equal_fresh_ones_and_follow_writes(client: TestClient) -> None:
    h = _token(client, "analyst")
    url = "/ogc/collections/hazard-areas/items?limit=7&offset=3"
    first = client.get(url, headers=h).json()
    again = client.get(url, headers=h).json()  # from memory now
    assert [f["id"] for f in first["features"]] == [f["id"] for f in again["features"]]
    assert first["features"] == again["features"]
    # pages that overlap a cached one agree on the shared features
    wider = client.get("/ogc/collections/hazard-areas/items?limit=12&offset=0", headers=h).json()
    assert wider["features"][3:10] == first["features"]
    code = first["features"][0]["id"]
    one = client.get(f"/api/hazard-areas/{code}", headers=h).json()["properties"]
    r = client.patch(f"/api/hazard-areas/{code}", json={"version": one["version"], "land_use": "cemetery"}, headers=h)
    assert r.status_code == 200, r.text
    after = client.get(url, headers=h).json()
    assert after["features"][0]["properties"]["land_use"] == "cemetery"
    assert after["features"][1:] == first["features"][1:]


def test_personal_data_is_never_served_from_another_role_s_cache(client: TestClient) -> None:
    url = "/ogc/collections/evidence/items?limit=50"
    analyst = client.get(url, headers=_token(client, "analyst")).json()["features"]
    viewer = client.get(url, headers=_token(client, "viewer")).json()["features"]
    assert analyst and len(analyst) == len(viewer)
    assert any("source" in f["properties"] for f in analyst)
    assert all("source" not in f["properties"] for f in viewer)
