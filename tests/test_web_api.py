"""The REST API on both backends: paging and filters, refusals as problem details, writes that
are all-or-nothing and audited, idempotent daily reports, and every role against every write."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from landrelease.settings import Settings
from landrelease.storage import audit, schema
from landrelease.web.app import create_app
from tests.web_support import FAST_HASHER, OPERATOR, PASSWORD, seed

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[47.0, 39.9], [47.001, 39.9], [47.001, 39.901], [47.0, 39.901], [47.0, 39.9]]],
}


def _client(url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=url, secret_key="k"))
    app.state.auth.hasher = FAST_HASHER
    seed(app.state.register)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    yield from _client(database_url)


@pytest.fixture(scope="module")
def sqlite_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    yield from _client(f"sqlite:///{tmp_path_factory.mktemp('api') / 'r.db'}")


def bearer(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/auth/token", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _count(client: TestClient, table: Any) -> int:
    with client.app.state.register.reading() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _problem(r: Any, status: int, field: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    fields = [e["field"] for e in body.get("errors", [])]
    assert any(f == field or f.startswith(field + ".") for f in fields), (field, fields)
    return body  # type: ignore[no-any-return]


# ---------------------------------------------------------------- reads


def test_paging_and_filters(client: TestClient) -> None:
    h = bearer(client, "viewer")
    first = client.get("/api/hazard-areas?limit=7", headers=h).json()
    assert first["total"] == 60 and len(first["items"]) == 7
    second = client.get("/api/hazard-areas?limit=7&offset=7", headers=h).json()
    assert not {f["id"] for f in first["items"]} & {f["id"] for f in second["items"]}
    everything = client.get("/api/hazard-areas?limit=1000", headers=h).json()["items"]
    # bbox keeps exactly the areas whose geometry intersects it (OGC API – Features: a true
    # intersects test, not the geometry's bounding box)
    box = (47.0, 39.85, 47.1, 39.95)
    window = shapely.box(*box)
    expected = {f["id"] for f in everything if shapely.geometry.shape(f["geometry"]).intersects(window)}
    got = client.get("/api/hazard-areas", params={"bbox": ",".join(map(str, box)), "limit": 1000}, headers=h).json()
    assert {f["id"] for f in got["items"]} == expected and 0 < len(expected) < 60
    ops = client.get("/api/hazard-areas", params={"operator": OPERATOR, "limit": 1000}, headers=h).json()
    assert ops["total"] == sum(1 for f in everything if f["properties"]["operator"] == OPERATOR)
    farm = client.get("/api/hazard-areas", params={"land_use": ["farmland", "forest"], "limit": 1000}, headers=h).json()
    assert farm["total"] == sum(1 for f in everything if f["properties"]["land_use"] in ("farmland", "forest"))
    assert client.get("/api/hazard-areas?status=cleared", headers=h).json()["total"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("offset=-1", "offset"),
        ("limit=abc", "limit"),
        ("bbox=48,39,47,40", "bbox"),
        ("bbox=47,40,48,39", "bbox"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=0,0,200,10", "bbox"),
        ("status=lost", "status"),
        ("land_use=moon", "land_use"),
        ("offset=99999999999999999999", "offset"),
    ],
)
def test_bad_query_is_a_named_400(sqlite_client: TestClient, query: str, field: str) -> None:
    _problem(sqlite_client.get(f"/api/hazard-areas?{query}", headers=bearer(sqlite_client, "viewer")), 400, field)


def test_reads_need_a_signed_in_user(sqlite_client: TestClient) -> None:
    _problem(sqlite_client.get("/api/hazard-areas"), 401, "authorization")
    _problem(
        sqlite_client.get("/api/hazard-areas", headers={"Authorization": "Bearer forged.token"}), 401, "authorization"
    )


def test_viewer_sees_no_personal_data(sqlite_client: TestClient) -> None:
    as_viewer = sqlite_client.get("/api/evidence?limit=5", headers=bearer(sqlite_client, "viewer")).json()
    as_analyst = sqlite_client.get("/api/evidence?limit=5", headers=bearer(sqlite_client, "analyst")).json()
    assert all("source" not in f["properties"] for f in as_viewer["items"])
    assert all("source" in f["properties"] for f in as_analyst["items"])
    _problem(sqlite_client.get("/api/users", headers=bearer(sqlite_client, "viewer")), 403, "role")


# ---------------------------------------------------------------- writes


def test_create_and_update_a_hazard_area(client: TestClient) -> None:
    h = bearer(client, "analyst")
    events = _count(client, schema.audit_event)
    r = client.post(
        "/api/hazard-areas",
        json={"code": "NEW-1", "geometry": SQUARE, "land_use": "farmland", "operator": OPERATOR},
        headers=h,
    )
    assert r.status_code == 201, r.text
    made = r.json()["properties"]
    assert made["version"] == 1 and made["area_m2"] == pytest.approx(85.4 * 111.2 * 1.0e-3 * 1e3, rel=0.05)
    r = client.patch(
        "/api/hazard-areas/NEW-1", json={"version": 1, "land_use": "road", "priority_score": 0.9}, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["land_use"] == "road" and r.json()["properties"]["version"] == 2
    # a stale version is a conflict and changes nothing
    _problem(
        client.patch("/api/hazard-areas/NEW-1", json={"version": 1, "land_use": "rail"}, headers=h), 409, "version"
    )
    assert client.get("/api/hazard-areas/NEW-1", headers=h).json()["properties"]["land_use"] == "road"
    assert _count(client, schema.audit_event) == events + 2
    with client.app.state.register.reading() as conn:  # type: ignore[attr-defined]
        assert audit.verify_chain(conn) == []
        actor = conn.execute(select(schema.audit_event.c.actor).order_by(schema.audit_event.c.id.desc())).scalar()
    assert actor == "analyst"
    _problem(client.patch("/api/hazard-areas/NOPE", json={"version": 1}, headers=h), 404, "code")


BAD_BODIES = [
    ('{"code": "X-1", "geometry": ', "body"),
    ({"code": "X-1", "geometry": SQUARE, "colour": "red"}, "colour"),
    ({"code": "X-1", "geometry": {"type": "Point", "coordinates": [47, 39]}}, "geometry"),
    (
        {"code": "X-1", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}},
        "geometry",
    ),
    ({"code": "X-1", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [400, 0], [0, 1], [0, 0]]]}}, "geometry"),
    ({"code": "X-1", "geometry": {"type": "Polygon", "coordinates": "nonsense"}}, "geometry"),
    ({"code": "X-1"}, "geometry"),
    ({"code": "bad code!", "geometry": SQUARE}, "code"),
    ({"code": "X-1", "geometry": SQUARE, "land_use": "moon"}, "land_use"),
    ({"code": "X-1", "geometry": SQUARE, "slope_deg": 95}, "slope_deg"),
    ({"code": "X-1", "geometry": SQUARE, "status": "released"}, "status"),
    ({"code": "X-1", "geometry": SQUARE, "name": "a\x00b"}, "name"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_bad_hazard_area_is_refused_by_field_and_writes_nothing(
    sqlite_client: TestClient, body: Any, field: str
) -> None:
    h = bearer(sqlite_client, "analyst")
    before = (_count(sqlite_client, schema.hazard_area), _count(sqlite_client, schema.audit_event))
    if isinstance(body, str):
        r = sqlite_client.post("/api/hazard-areas", content=body, headers={**h, "Content-Type": "application/json"})
    else:
        r = sqlite_client.post("/api/hazard-areas", json=body, headers=h)
    _problem(r, 422, field)
    assert (_count(sqlite_client, schema.hazard_area), _count(sqlite_client, schema.audit_event)) == before


def test_duplicate_code_is_a_conflict(sqlite_client: TestClient) -> None:
    h = bearer(sqlite_client, "admin")
    code = sqlite_client.get("/api/hazard-areas?limit=1", headers=h).json()["items"][0]["id"]
    _problem(sqlite_client.post("/api/hazard-areas", json={"code": code, "geometry": SQUARE}, headers=h), 409, "code")


def _team(client: TestClient, h: dict[str, str], own: bool) -> str:
    teams = client.get("/api/teams", headers=h).json()["items"]
    return next(t["code"] for t in teams if (t["operator"] == OPERATOR) == own)


def test_daily_reports_are_idempotent(client: TestClient) -> None:
    h = bearer(client, "operator")
    report = {
        "uuid": str(uuid.uuid4()),
        "team": _team(client, h, True),
        "date": "2026-05-04",
        "m2_processed": 412.5,
        "finds": 2,
        "hours": 7.5,
    }
    first = client.post("/api/daily-reports", json={"reports": [report]}, headers=h)
    assert first.status_code == 201 and first.json() == {
        "received": 1,
        "stored": 1,
        "resubmitted": 0,
        "duplicates": 0,
        "review_state": "submitted",
    }
    again = client.post("/api/daily-reports", json={"reports": [report, report]}, headers=h)
    assert again.status_code == 200 and again.json()["stored"] == 0
    assert _count(client, schema.daily_report) == 1
    listed = client.get("/api/daily-reports?state=submitted", headers=h).json()
    assert listed["total"] == 1 and listed["items"][0]["m2_processed"] == 412.5
    assert client.get("/api/daily-reports", headers=bearer(client, "viewer")).json()["total"] == 0  # not yet approved
    changed = client.post("/api/daily-report", json={**report, "hours": 8.0}, headers=h)
    assert changed.status_code == 409
    assert report["uuid"] in changed.json()["detail"] and changed.json()["errors"][0]["field"] == "hours"


def test_a_bad_report_in_a_batch_writes_none_of_it(sqlite_client: TestClient) -> None:
    h = bearer(sqlite_client, "analyst")
    good = {"uuid": str(uuid.uuid4()), "team": _team(sqlite_client, h, True), "date": "2026-05-04", "m2_processed": 10}
    bad = {**good, "uuid": str(uuid.uuid4()), "team": "NO-SUCH-TEAM"}
    before = _count(sqlite_client, schema.daily_report)
    _problem(sqlite_client.post("/api/daily-reports", json={"reports": [good, bad]}, headers=h), 422, "reports.1.team")
    _problem(
        sqlite_client.post("/api/daily-reports", json={"reports": [{**good, "m2_processed": -3}]}, headers=h),
        422,
        "reports.0.m2_processed",
    )
    _problem(
        sqlite_client.post("/api/daily-reports", json={"reports": [{**good, "uuid": "not-a-uuid"}]}, headers=h),
        422,
        "reports.0.uuid",
    )
    assert _count(sqlite_client, schema.daily_report) == before


# ---------------------------------------------------------------- every role against every write

ROLES = ["admin", "analyst", "operator", "viewer", None]


def _writes(client: TestClient, h: dict[str, str]) -> dict[str, Any]:
    """Each write endpoint as a function of the request headers."""
    reader = bearer(client, "admin")
    own, other = _team(client, reader, True), _team(client, reader, False)
    tasks = client.get("/api/tasks?limit=100", headers=reader).json()["items"]
    own_task = next(t["code"] for t in tasks if t["operator"] == OPERATOR)
    other_task = next(t["code"] for t in tasks if t["operator"] != OPERATOR)
    code = client.get("/api/hazard-areas?limit=1", headers=reader).json()["items"][0]
    new_code = f"M-{uuid.uuid4().hex[:8]}"

    def report(team: str) -> dict[str, Any]:
        return {"reports": [{"uuid": str(uuid.uuid4()), "team": team, "date": "2026-06-01", "m2_processed": 5}]}

    def activity(operator: str, team: str) -> dict[str, Any]:
        opened = client.get("/api/hazard-areas?status=open&limit=1000", headers=reader).json()["items"]
        # the land of the activity's organisation (an operator records only on its own land)
        opened = [f for f in opened if f["properties"]["operator"] == operator] or opened
        target = opened[uuid.uuid4().int % len(opened)]
        return {
            "hazard_code": target["id"],
            "kind": "nts",
            "released": [{"method": "cancelled", "geometry": target["geometry"]}],
            "start_date": "2026-06-01",
            "end_date": "2026-06-02",
            "team": team,
            "operator": operator,
            "area_processed_m2": 100.0,
        }

    return {
        "create hazard area": lambda: client.post(
            "/api/hazard-areas", json={"code": new_code, "geometry": SQUARE}, headers=h
        ),
        "update hazard area": lambda: client.patch(
            f"/api/hazard-areas/{code['id']}",
            json={
                "version": client.get(f"/api/hazard-areas/{code['id']}", headers=reader).json()["properties"][
                    "version"
                ],
                "priority_score": 0.5,
            },
            headers=h,
        ),
        "report, own team": lambda: client.post("/api/daily-reports", json=report(own), headers=h),
        "report, other operator's team": lambda: client.post("/api/daily-reports", json=report(other), headers=h),
        "re-plan own task": lambda: client.patch(
            f"/api/tasks/{own_task}", json={"planned_end": "2027-01-01"}, headers=h
        ),
        "re-plan other operator's task": lambda: client.patch(
            f"/api/tasks/{other_task}", json={"planned_end": "2027-01-01"}, headers=h
        ),
        "move own task to other's team": lambda: client.patch(
            f"/api/tasks/{own_task}", json={"team": other}, headers=h
        ),
        "record activity, own": lambda: client.post("/api/activities", json=activity(OPERATOR, own), headers=h),
        "record activity, other operator's": lambda: client.post(
            "/api/activities", json=activity("Operator C", other), headers=h
        ),
        "add user": lambda: client.post(
            "/api/users",
            json={"name": f"u{uuid.uuid4().hex[:6]}", "role": "viewer", "password": "a long enough password"},
            headers=h,
        ),
    }


EVERY_WRITE = {
    "create hazard area",
    "update hazard area",
    "report, own team",
    "report, other operator's team",
    "re-plan own task",
    "re-plan other operator's task",
    "move own task to other's team",
    "record activity, own",
    "record activity, other operator's",
    "add user",
}
ALLOWED = {
    "admin": EVERY_WRITE,
    "analyst": EVERY_WRITE - {"add user"},
    "operator": {"report, own team", "re-plan own task", "record activity, own"},
    "viewer": set(),
    None: set(),
}
WRITE_NAMES = sorted(ALLOWED["admin"])


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
@pytest.mark.parametrize("write", WRITE_NAMES)
def test_role_matrix(sqlite_client: TestClient, role: str | None, write: str) -> None:
    h = bearer(sqlite_client, role) if role else {}
    events = _count(sqlite_client, schema.audit_event)
    r = _writes(sqlite_client, h)[write]()
    if write in ALLOWED[role]:
        assert r.status_code in (200, 201, 202), r.text  # 202: an operator's activity is held for review
        assert _count(sqlite_client, schema.audit_event) > events
    else:
        assert r.status_code == (401 if role is None else 403), r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert _count(sqlite_client, schema.audit_event) == events


# ---------------------------------------------------------------- sessions and CSRF


def test_cookie_session_needs_csrf_token_and_same_origin() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        app = create_app(Settings(database_url=f"sqlite:///{d}/r.db", secret_key="k"))
        app.state.auth.hasher = FAST_HASHER
        seed(app.state.register)
        with TestClient(app, base_url="http://testserver") as c:
            r = c.post("/api/auth/login", json={"name": "analyst", "password": PASSWORD})
            assert r.status_code == 200
            cookie = r.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=lax" in cookie
            csrf = c.cookies["lr_csrf"]
            body = {"code": "CS-1", "geometry": SQUARE}
            _problem(c.post("/api/hazard-areas", json=body), 403, "x-csrf-token")
            _problem(c.post("/api/hazard-areas", json=body, headers={"X-CSRF-Token": "guess"}), 403, "x-csrf-token")
            _problem(
                c.post("/api/hazard-areas", json=body, headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"}),
                403,
                "origin",
            )
            assert (
                c.post(
                    "/api/hazard-areas", json=body, headers={"X-CSRF-Token": csrf, "Origin": "http://testserver"}
                ).status_code
                == 201
            )
            assert c.get("/api/auth/me").json()["user"]["name"] == "analyst"
            # sign-out ends this session; the user's other sessions and tokens go on …
            token = bearer(c, "analyst")
            assert c.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
            _problem(c.get("/api/auth/me"), 401, "authorization")
            assert c.get("/api/auth/me", headers=token).status_code == 200
            # … until signed out everywhere
            assert c.post("/api/auth/logout?everywhere=true", headers=token).status_code == 200
            _problem(c.get("/api/auth/me", headers=token), 401, "authorization")
            # a wrong password and an unknown name get the same answer
            a = c.post("/api/auth/login", json={"name": "analyst", "password": "nope"})
            b = c.post("/api/auth/login", json={"name": "nobody", "password": "nope"})
            assert a.status_code == b.status_code == 401 and a.json()["detail"] == b.json()["detail"]


def test_stats_say_not_yet_computed(sqlite_client: TestClient) -> None:
    h = bearer(sqlite_client, "viewer")
    released = sqlite_client.get("/api/stats/released", headers=h).json()
    assert released["available"] and "cancelled" in released["methods"] and "2026-01" in released["months"]
    assert sqlite_client.get("/api/stats/scenarios", headers=h).json() == {
        "available": False,
        "message": "not yet computed",
    }
    util = sqlite_client.get("/api/stats/utilisation", headers=h).json()
    assert util["available"] and all(0 <= v <= 1 for s in util["share"].values() for v in s)
    assert sqlite_client.get("/api/hazard-areas/HA-000001/forecast", headers=h).json()["available"] is False
    phases = sqlite_client.get("/api/stats/plan", headers=h).json()
    assert phases["available"] and sum(p["tasks"] for p in phases["phases"]) == 8
    assert [p["phase"] for p in phases["phases"]] == sorted(p["phase"] for p in phases["phases"])


def test_record_an_activity_through_the_api(client: TestClient) -> None:
    h = bearer(client, "operator")
    area = client.get(f"/api/hazard-areas?status=open&operator={OPERATOR}&limit=1", headers=h).json()["items"][0]
    team = _team(client, h, True)
    before = _count(client, schema.activity)
    outside = {"type": "Polygon", "coordinates": [[[10, 10], [10.01, 10], [10.01, 10.01], [10, 10]]]}
    bad = {
        "hazard_code": area["id"],
        "kind": "nts",
        "start_date": "2026-06-01",
        "team": team,
        "released": [{"method": "cancelled", "geometry": outside}],
    }
    assert client.post("/api/activities", json=bad, headers=h).status_code == 422
    assert _count(client, schema.activity) == before
    _problem(client.post("/api/activities", json={**bad, "end_date": "2026-05-01"}, headers=h), 422, "body")
    good = {**bad, "end_date": "2026-06-03", "released": [{"method": "cancelled", "geometry": area["geometry"]}]}
    # The operator's activity is held for review; nothing changes until an analyst approves it.
    held = client.post("/api/activities", json=good, headers=h)
    assert held.status_code == 202 and held.json()["review_state"] == "submitted", held.text
    assert _count(client, schema.activity) == before
    ana = bearer(client, "analyst")
    for action in ("review", "approve"):
        assert client.post(f"/api/review/activity/{held.json()['proposal']}/{action}", headers=ana).status_code == 200
    assert _count(client, schema.activity) == before + 1
    # An analyst records directly.
    area2 = client.get("/api/hazard-areas?status=open&limit=1", headers=h).json()["items"][0]
    good2 = {**good, "hazard_code": area2["id"], "released": [{"method": "cancelled", "geometry": area2["geometry"]}]}
    r = client.post("/api/activities", json=good2, headers=ana)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "cancelled" and r.json()["released"][0]["area_m2"] == pytest.approx(
        area2["properties"]["area_m2"], rel=1e-3
    )
    stats = client.get("/api/stats/released", headers=h).json()
    assert "2026-06" in stats["months"]
    acts = client.get(f"/api/hazard-areas/{area['id']}/activities", headers=h).json()
    assert acts["total"] == 1 and acts["items"][0]["operator"] == OPERATOR
