"""The returns API on both backends: consolidation proposals (list, accept), reconstruction
programmes (list, import), shared equipment (machines, bookings). Everyone signed in reads,
analysts and administrators write; household names only for roles that see personal data; a
double booking is a 409 naming machine and day, a fair-use refusal a 422 naming household
and limit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import LineString, Point

from landrelease.domain.settlement import Settlement
from landrelease.returns.equipment import DEFAULT_DAYS_PER_SEASON
from landrelease.returns.housing import Household
from landrelease.settings import Settings
from landrelease.storage import returns as stored
from landrelease.web.app import create_app
from tests.web_support import FAST_HASHER, PASSWORD, seed

DAY = date(2027, 9, 1)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, secret_key="k"))
    app.state.auth.hasher = FAST_HASHER
    reg = app.state.register
    seed(reg)
    with reg.unit_of_work() as uow:
        # three villages 1.7 km apart along one road, far from the sample region
        uow.add_settlements(
            [
                Settlement(
                    "RA", "Ra", Point(49.0, 41.0).buffer(0.002), 900, 900, LineString([(49.0, 41.0), (49.02, 41.0)])
                ),
                Settlement(
                    "RB", "Rb", Point(49.02, 41.0).buffer(0.002), 600, 600, LineString([(49.02, 41.0), (49.04, 41.0)])
                ),
                Settlement("RC", "Rc", Point(49.04, 41.0).buffer(0.002), 300, 300),
            ]
        )
        stored.replace_households(
            uow, [Household(f"H{i}", 3, "RA", DAY, name=f"Family {i}", contact=f"+000 {i}") for i in range(3)]
        )
    with TestClient(app) as c:
        yield c


def _h(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/auth/token", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_consolidation_list_and_accept(client: TestClient) -> None:
    viewer, analyst = _h(client, "viewer"), _h(client, "analyst")
    assert client.get("/api/consolidation/proposals").status_code == 401
    r = client.get("/api/consolidation/proposals", headers=viewer)
    assert r.status_code == 200, r.text
    (ours,) = [p for p in r.json()["items"] if set(p["members"]) & {"RA", "RB", "RC"}]
    assert set(ours["members"]) == {"RA", "RB", "RC"} and ours["sites"]
    url = f"/api/consolidation/proposals/{ours['code']}/accept"
    assert client.post(url, json={"name": "New Ra"}, headers=viewer).status_code == 403
    bad = client.post(url, json={"name": "New Ra", "site": "ZZ"}, headers=analyst)
    assert bad.status_code == 422 and any(e["field"] == "site" for e in bad.json()["errors"])
    ok = client.post(url, json={"name": "New Ra", "code": "N-RA"}, headers=analyst)
    assert ok.status_code == 201, ok.text
    assert ok.json()["settlement"] == "N-RA" and sorted(ok.json()["former"]) == ["RA", "RB", "RC"]
    assert ok.json()["population"] == 1800
    after = client.get("/api/consolidation/proposals", headers=viewer).json()
    assert not [p for p in after["items"] if set(p["members"]) & {"RA", "RB", "RC"}]  # consolidated now
    assert [d for d in after["accepted"] if d["settlement"] == "N-RA"]
    gone = client.post(url, json={"name": "Again"}, headers=analyst)
    assert gone.status_code == 422 and any(e["field"] == "proposal" for e in gone.json()["errors"])


def test_reconstruction_list_and_import(client: TestClient) -> None:
    viewer, admin = _h(client, "viewer"), _h(client, "admin")
    plot = client.app.state.register.hazard_areas()[0].code  # type: ignore[attr-defined]
    assert client.get("/api/reconstruction/RA", headers=viewer).json() == {"settlement": "RA", "total": 0, "items": []}
    items = [
        {"code": "road", "kind": "access_road", "duration_months": 2, "plots": [plot]},
        {"code": "power", "kind": "power", "duration_months": 1},
        {"code": "homes", "kind": "houses", "duration_months": 4},
    ]
    assert client.put("/api/reconstruction/RA", json={"items": items}, headers=viewer).status_code == 403
    r = client.put("/api/reconstruction/RA", json={"items": items}, headers=admin)
    assert r.status_code == 200 and r.json()["stored"] == 3, r.text
    got = client.get("/api/reconstruction/RA", headers=viewer).json()
    assert {i["code"]: i["plots"] for i in got["items"]} == {"road": [plot], "power": [], "homes": []}
    # an unknown plot is refused naming the field, and the stored programme stays
    bad = client.put(
        "/api/reconstruction/RA",
        json={"items": [{"code": "x", "kind": "school", "duration_months": 1, "plots": ["NO-SUCH"]}]},
        headers=admin,
    )
    assert bad.status_code == 422 and any(e["field"] == "plots" for e in bad.json()["errors"])
    assert client.get("/api/reconstruction/RA", headers=viewer).json()["total"] == 3
    unknown = client.get("/api/reconstruction/NOWHERE", headers=viewer)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "settlement"


def test_equipment_machines_and_bookings(client: TestClient) -> None:
    viewer, analyst = _h(client, "viewer"), _h(client, "analyst")
    machine = {"code": "TR-1", "settlement": "RA", "kind": "tractor", "name": "the village tractor"}
    assert client.post("/api/equipment/machines", json=machine, headers=viewer).status_code == 403
    assert client.post("/api/equipment/machines", json=machine, headers=analyst).status_code == 201
    again = client.post("/api/equipment/machines", json=machine, headers=analyst)
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "code"
    (m,) = client.get("/api/equipment/machines", headers=viewer).json()["items"]
    assert m["code"] == "TR-1" and m["settlement"] == "RA"
    one = {"machine": "TR-1", "household": "H0", "start": DAY.isoformat()}
    assert client.post("/api/equipment/bookings", json=one, headers=viewer).status_code == 403
    assert client.post("/api/equipment/bookings", json=one, headers=analyst).status_code == 201
    clash = client.post("/api/equipment/bookings", json={**one, "household": "H1"}, headers=analyst)
    assert clash.status_code == 409, clash.text
    body = clash.json()
    assert "TR-1" in body["detail"] and DAY.isoformat() in body["detail"]
    assert body["errors"][0]["field"] == "start"
    long = {"machine": "TR-1", "household": "H2", "start": "2027-09-10", "end": "2027-09-20"}
    fair = client.post("/api/equipment/bookings", json=long, headers=analyst)
    assert fair.status_code == 422, fair.text
    assert "H2" in fair.json()["detail"] and str(DEFAULT_DAYS_PER_SEASON) in fair.json()["detail"]
    assert fair.json()["errors"][0]["field"] == "days"
    # the names of households are personal data: not for viewers
    seen = client.get("/api/equipment/bookings", headers=viewer).json()["items"]
    assert [(b["machine"], b["household"], b["day"]) for b in seen] == [("TR-1", "H0", DAY.isoformat())]
    assert all("name" not in b for b in seen)
    named = client.get("/api/equipment/bookings?machine=TR-1", headers=analyst).json()["items"]
    assert named[0]["name"] == "Family 0"
    (m,) = client.get("/api/equipment/machines", headers=viewer).json()["items"]
    assert m["households"] == 1
