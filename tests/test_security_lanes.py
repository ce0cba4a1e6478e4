"""Operators stay in their lane, and status changes only through the land-release rules
(issue 9, findings 1 and 2), on both backends.

An operator of organisation B must not release, report on or propose changes to land whose
operator is C, through any path; and no PATCH may reopen (or close) a hazard area, nor touch a
superseded or released record.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from landrelease.domain.activity import Activity, ReleasedPart
from landrelease.domain.authority import Forbidden, require_own_land
from landrelease.domain.enums import ActivityKind, ReleaseMethod
from landrelease.domain.errors import ValidationError
from landrelease.domain.user import Role, User
from landrelease.services import activity as activity_svc
from landrelease.services import field_reports
from landrelease.storage import schema
from tests.test_web_api import _client, _team, bearer
from tests.web_support import OPERATOR


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    yield from _client(database_url)


def _count(client: TestClient, table: Any) -> int:
    with client.app.state.register.reading() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _area(client: TestClient, h: dict[str, str], *, own: bool) -> dict[str, Any]:
    items = client.get("/api/hazard-areas?status=open&limit=1000", headers=h).json()["items"]
    return next(f for f in items if (f["properties"]["operator"] == OPERATOR) == own and f["properties"]["operator"])


def _release_all(area: dict[str, Any], team: str) -> dict[str, Any]:
    return {
        "hazard_code": area["id"],
        "kind": "nts",
        "start_date": "2026-06-01",
        "end_date": "2026-06-02",
        "team": team,
        "released": [{"method": "cancelled", "geometry": area["geometry"]}],
    }


def _forbidden(r: Any, code: str, owner: str) -> None:
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert code in body["detail"] and owner in body["detail"], body
    assert any(e["field"] == "hazard_code" or e["field"] == "code" for e in body["errors"]), body


def test_core_rule() -> None:
    op = User("o", Role.OPERATOR, "Org A")
    require_own_land(op, "HA-1", "Org A")
    require_own_land(User("a", Role.ANALYST), "HA-1", "Org B")
    require_own_land(User("d", Role.ADMIN), "HA-1", None)
    for owner in ("Org B", None):
        with pytest.raises(Forbidden) as exc:
            require_own_land(op, "HA-1", owner)
        assert "HA-1" in str(exc.value.summary)
    with pytest.raises(Forbidden):
        require_own_land(User("v", Role.VIEWER), "HA-1", "Org A")
    with pytest.raises(Forbidden):  # an operator user without an organisation owns nothing
        require_own_land(User("o", Role.OPERATOR, None), "HA-1", None)


def test_operator_cannot_release_or_report_on_another_organisations_land(client: TestClient) -> None:
    h = bearer(client, "operator")
    other = _area(client, h, own=False)
    own = _area(client, h, own=True)
    owner = other["properties"]["operator"]
    team = _team(client, h, True)
    before = {t.name: _count(client, t) for t in (schema.activity, schema.proposal, schema.daily_report)}
    events = _count(client, schema.audit_event)

    # finding 1 as reported: POST /api/activities releasing the whole of B's... C's area
    _forbidden(client.post("/api/activities", json=_release_all(other, team), headers=h), other["id"], owner)
    _forbidden(client.post("/api/proposals/activities", json=_release_all(other, team), headers=h), other["id"], owner)
    version = other["properties"]["version"]
    _forbidden(
        client.post(f"/api/proposals/hazard-areas/{other['id']}", json={"version": version, "name": "x"}, headers=h),
        other["id"],
        owner,
    )
    report = {
        "uuid": str(uuid.uuid4()),
        "team": team,
        "date": "2026-06-01",
        "m2_processed": 5,
        "hazard_code": other["id"],
    }
    _forbidden(client.post("/api/daily-reports", json={"reports": [report]}, headers=h), other["id"], owner)

    assert {t.name: _count(client, t) for t in (schema.activity, schema.proposal, schema.daily_report)} == before
    assert _count(client, schema.audit_event) == events
    after = client.get(f"/api/hazard-areas/{other['id']}", headers=h).json()["properties"]
    assert after["status"] == "open" and after["version"] == other["properties"]["version"]

    # its own land: held for review as before
    r = client.post("/api/activities", json=_release_all(own, team), headers=h)
    assert r.status_code == 202, r.text
    ok = {**report, "uuid": str(uuid.uuid4()), "hazard_code": own["id"]}
    assert client.post("/api/daily-reports", json={"reports": [ok]}, headers=h).status_code in (200, 201), ok
    # an analyst records on any organisation's land
    ana = bearer(client, "analyst")
    other_team = _team(client, ana, False)
    r = client.post("/api/activities", json=_release_all(other, other_team), headers=ana)
    assert r.status_code == 201, r.text


def test_services_refuse_for_a_user_of_another_organisation(client: TestClient) -> None:
    """The rule lives below the API: any adapter that names the user gets the same refusal."""
    register = client.app.state.register  # type: ignore[attr-defined]
    h = bearer(client, "admin")
    other = _area(client, h, own=False)
    op = User("operator", Role.OPERATOR, OPERATOR)
    act = Activity(
        hazard_code=other["id"],
        kind=ActivityKind.NTS,
        start_date=date(2026, 6, 1),
        end_date=date(2026, 6, 2),
        released=[ReleasedPart(ReleaseMethod.CANCELLED, register.hazard_area(other["id"]).geometry)],
    )
    with pytest.raises(Forbidden):
        activity_svc.record_activity(register, act, actor="operator", user=op)
    with pytest.raises(Forbidden):
        field_reports.propose_activity(register, act, actor="operator", operator=OPERATOR, user=op)
    with pytest.raises(Forbidden):
        field_reports.propose_hazard_change(
            register, other["id"], {"name": "x"}, 1, actor="o", operator=OPERATOR, user=op
        )
    assert register.hazard_area(other["id"]).status.value == "open"


# ---------------------------------------------------------------- finding 2


def _stored(client: TestClient, code: str) -> Any:
    return client.app.state.register.hazard_area(code)  # type: ignore[attr-defined]


def _patch(client: TestClient, h: dict[str, str], code: str, **changes: Any) -> Any:
    version = _stored(client, code).version
    return client.patch(f"/api/hazard-areas/{code}", json={"version": version, **changes}, headers=h)


def test_status_is_never_patched_and_closed_records_are_read_only(client: TestClient) -> None:
    ana = bearer(client, "analyst")
    area = _area(client, ana, own=True)
    code = area["id"]
    # a plain PATCH of status is refused, naming the field and the way to do it
    for status in ("in_progress", "open", "cleared"):
        r = _patch(client, ana, code, status=status)
        assert r.status_code == 422, r.text
        errs = r.json()["errors"]
        assert any(e["field"] == "status" and "activity" in e["message"] for e in errs), errs

    # split it by a partial release: the original becomes superseded, the remainder CODE/1 is open
    import shapely
    from shapely.geometry import mapping, shape

    geom = shape(area["geometry"])
    minx, miny, maxx, maxy = geom.bounds
    half = geom.intersection(shapely.box(minx, miny, (minx + maxx) / 2, maxy))
    body = {
        **_release_all(area, _team(client, ana, True)),
        "released": [{"method": "cancelled", "geometry": mapping(half)}],
    }
    r = client.post("/api/activities", json=body, headers=ana)
    assert r.status_code == 201, r.text
    remainder = r.json()["remainder_code"]
    assert remainder and _stored(client, code).status.value == "superseded"

    events = _count(client, schema.audit_event)
    # the reproduction: reopening the superseded original
    r = _patch(client, ana, code, status="open")
    assert r.status_code == 422, r.text
    # any edit of the superseded record
    r = _patch(client, ana, code, priority_score=0.9)
    assert r.status_code == 422, r.text
    assert any(e["field"] == "status" and "read-only" in e["message"] for e in r.json()["errors"]), r.text
    assert _count(client, schema.audit_event) == events
    assert _stored(client, code).status.value == "superseded"

    # the open remainder stays editable (through the service: codes with "/" in API paths are
    # another finding of the same issue)
    from landrelease.services import records

    register = client.app.state.register  # type: ignore[attr-defined]
    v = _stored(client, remainder).version
    assert records.update_hazard_area(register, remainder, {"priority_score": 0.9}, v, actor="t").priority_score == 0.9

    # release the remainder completely: cancelled, then read-only as well
    whole = Activity(
        hazard_code=remainder,
        kind=ActivityKind.NTS,
        start_date=date(2026, 6, 3),
        end_date=date(2026, 6, 4),
        released=[ReleasedPart(ReleaseMethod.CANCELLED, _stored(client, remainder).geometry)],
    )
    assert activity_svc.record_activity(register, whole, actor="t").status.value == "cancelled"
    with pytest.raises(ValidationError) as exc:
        records.update_hazard_area(register, remainder, {"name": "reopened by hand"}, v + 1, actor="t")
    assert exc.value.problems[0].field == "status" and "cancelled" in exc.value.problems[0].message


def test_storage_edit_refuses_status_and_closed_records(client: TestClient) -> None:
    """The proposal path (an approved hazard change) and any other caller of the edit."""
    from landrelease.services import records

    register = client.app.state.register  # type: ignore[attr-defined]
    h = bearer(client, "admin")
    area = _area(client, h, own=True)
    with pytest.raises(ValidationError) as exc:
        records.update_hazard_area(
            register, area["id"], {"status": "in_progress"}, area["properties"]["version"], actor="t"
        )
    assert exc.value.problems[0].field == "status"
