"""Field reporting through the services on both backends: intake, idempotency, review, approval effects."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from landrelease.domain.activity import Activity, Find, ReleasedPart
from landrelease.domain.asset import Team
from landrelease.domain.enums import ActivityKind, AssetType, EOType, HazardStatus, ReleaseMethod, WorkMethod
from landrelease.domain.errors import ValidationError
from landrelease.domain.hazard import HazardArea
from landrelease.domain.task import DailyReport, Task
from landrelease.field.reports import ConflictError
from landrelease.field.review import ReviewAction, ReviewKind, ReviewState
from landrelease.services import field_reports as svc
from landrelease.storage.repository import Register

# Each turns a good report into one a rule refuses (the field named).
BREAKERS = {
    "team": lambda r, v: replace(r, team=f"X{v}"),
    "task": lambda r, v: replace(r, task=f"NO-TASK-{v}"),
    "hazard_code": lambda r, v: replace(r, hazard_code=f"HA-X{v}", task=None),
    "date": lambda r, v: replace(r, date=date.fromordinal(NOW.date().toordinal() + 2 + v % 4000)),
    "area": lambda r, v: replace(r, area_by_method={WorkMethod.CLEARED: 40_100.0 + v}, m2_processed=40_100.0 + v),
    "negative": lambda r, v: replace(r, area_by_method={WorkMethod.TS_SEARCHED: -1.0 - v}, m2_processed=-1.0 - v),
    "find": lambda r, v: replace(r, items=[Find(EOType.IED, Point(47.01 + v * 1e-5, 40.0))], finds=1),
    "hours": lambda r, v: replace(r, hours=24.5 + v),
}

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
SQUARE = shapely.box(47.0, 40.0, 47.00235, 40.0018)  # about 4 ha


def seed(register: Register) -> None:
    with register.unit_of_work(actor="setup") as uow:
        uow.add_hazard_areas(
            [
                HazardArea(code="HA-1", geometry=SQUARE, operator="Operator A"),
                HazardArea(code="HA-2", geometry=shapely.box(47.01, 40.0, 47.012, 40.002), operator="Operator B"),
            ]
        )
        uow.add_teams(
            [
                Team("MAN-01", AssetType.MANUAL, Point(47, 40), size=8, operator="Operator A"),
                Team("MDD-01", AssetType.MDD, Point(47, 40), operator="Operator B"),
            ]
        )
        uow.replace_plan([Task("T-1", "HA-1", ActivityKind.CLEARANCE, 40_000.0, team="MAN-01")])


def report(n: int, **kw: object) -> DailyReport:
    base: dict[str, object] = {
        "area_by_method": {WorkMethod.CLEARED: 300.0},
        "items": [],
        "task": "T-1",
        "hazard_code": "HA-1",
        "hours": 6.0,
        "team_leader": "Leader Name",
    }
    base.update(kw)
    return DailyReport.detailed(str(uuid.UUID(int=n)), "MAN-01", date(2026, 5, 1 + n % 28), **base)  # type: ignore[arg-type]


def test_intake_is_idempotent_and_conflicts_name_uuid_and_fields(register: Register) -> None:
    seed(register)
    batch = [report(i) for i in range(1, 6)]
    first = svc.submit_reports(register, batch, actor="op-a", now=NOW)
    assert (first.stored, first.duplicates) == (5, 0)
    again = svc.submit_reports(register, list(reversed(batch)), actor="op-a", now=NOW)
    assert (again.stored, again.duplicates) == (0, 5)
    with pytest.raises(ConflictError) as err:
        svc.submit_reports(register, [batch[0], replace(batch[1], hours=9.0)], actor="op-a", now=NOW)
    (p,) = err.value.problems
    assert p.record == batch[1].uuid and p.field == "hours"
    _, _, total = svc.report_page(register, limit=100, offset=0)
    assert total == 5  # nothing of the refused batch was written
    stored = {r.uuid: r for r in svc.report_page(register, limit=10, offset=0)[0]}
    assert stored[batch[0].uuid].team_leader == "Leader Name"


def test_bad_reports_refuse_the_whole_batch(register: Register) -> None:
    seed(register)
    good, bad = report(1), report(2, items=[Find(EOType.AP_MINE, Point(47.2, 40.0))])
    with pytest.raises(ValidationError) as err:
        svc.submit_reports(register, [good, bad], actor="op-a", now=NOW)
    assert {(p.record, p.field) for p in err.value.problems} == {(bad.uuid, "items[0].position")}
    assert svc.report_page(register, limit=10, offset=0)[2] == 0
    future = report(3, hazard_code="HA-1")
    future = replace(future, date=date(2026, 6, 3))
    with pytest.raises(ValidationError) as err:
        svc.submit_reports(register, [future], actor="op-a", now=NOW)
    assert err.value.problems[0].field == "date"


def test_remaining_area_counts_stored_reports_but_not_returned_ones(register: Register) -> None:
    seed(register)
    big = report(1, area_by_method={WorkMethod.CLEARED: 30_000.0})
    svc.submit_reports(register, [big], actor="op-a", now=NOW)
    more = report(2, area_by_method={WorkMethod.CLEARED: 15_000.0})
    with pytest.raises(ValidationError) as err:
        svc.submit_reports(register, [more], actor="op-a", now=NOW)
    assert err.value.problems[0].field == "area_by_method.cleared"
    svc.review(register, ReviewKind.DAILY_REPORT, big.uuid, ReviewAction.REVIEW, actor="ana", reviewer=True, now=NOW)
    svc.review(
        register,
        ReviewKind.DAILY_REPORT,
        big.uuid,
        ReviewAction.RETURN,
        actor="ana",
        reviewer=True,
        reason="30,000 m² in a day is not plausible for 8 deminers",
        now=NOW,
    )
    assert svc.submit_reports(register, [more], actor="op-a", now=NOW).stored == 1
    # The returned report comes back corrected: a resubmission, not a conflict.
    fixed = replace(big, area_by_method={WorkMethod.CLEARED: 300.0}, m2_processed=300.0)
    out = svc.submit_reports(register, [fixed], actor="op-a", now=NOW)
    assert out.resubmitted == 1
    history = svc.review_history(register, ReviewKind.DAILY_REPORT, big.uuid)
    assert [h["action"] for h in history] == ["review", "return", "resubmit"]
    assert history[1]["reason"].startswith("30,000")


def test_only_approved_reports_count_and_approval_moves_the_area(register: Register) -> None:
    seed(register)
    r1, r2 = (
        report(1),
        report(2, items=[Find(EOType.AP_MINE, Point(47.001, 40.001), 8.0, "PMN-2", "intact", "destroyed_in_situ")]),
    )
    svc.submit_reports(register, [r1, r2], actor="op-a", now=NOW)
    assert register.daily_reports() == []
    queue = svc.review_queue(register)
    assert {q["record"] for q in queue} == {r1.uuid, r2.uuid}
    with pytest.raises(ValidationError) as err:  # four eyes
        svc.review(
            register, ReviewKind.DAILY_REPORT, r1.uuid, ReviewAction.REVIEW, actor="op-a", reviewer=True, now=NOW
        )
    assert err.value.problems[0].check == "review_four_eyes"
    for action in (ReviewAction.REVIEW, ReviewAction.APPROVE):
        svc.review(register, ReviewKind.DAILY_REPORT, r2.uuid, action, actor="ana", reviewer=True, now=NOW)
    (approved,) = register.daily_reports()
    assert approved.uuid == r2.uuid and approved.items[0].model == "PMN-2"
    assert register.hazard_area("HA-1").status is HazardStatus.IN_PROGRESS
    assert [q["record"] for q in svc.review_queue(register)] == [r1.uuid]
    with pytest.raises(svc.NotFound):
        svc.review(register, ReviewKind.DAILY_REPORT, "nope", ReviewAction.REVIEW, actor="ana", reviewer=True)


def test_an_activity_proposal_is_checked_held_and_applied_on_approval(register: Register) -> None:
    seed(register)
    west = shapely.box(47.0, 40.0, 47.001, 40.0018)
    act = Activity(
        "HA-1",
        ActivityKind.CLEARANCE,
        date(2026, 5, 20),
        date(2026, 5, 28),
        team="MAN-01",
        operator="Operator A",
        released=[ReleasedPart(ReleaseMethod.CLEARED, west)],
    )
    code = svc.propose_activity(register, act, actor="op-a", operator="Operator A")
    assert register.activities() == []  # held, not applied
    bad = replace(act, released=[ReleasedPart(ReleaseMethod.CLEARED, shapely.box(48, 41, 48.01, 41.01))])
    with pytest.raises(ValidationError):
        svc.propose_activity(register, bad, actor="op-a", operator="Operator A")
    for action in (ReviewAction.REVIEW, ReviewAction.APPROVE):
        svc.review(register, ReviewKind.ACTIVITY, code, action, actor="ana", reviewer=True)
    assert len(register.activities()) == 1
    assert register.hazard_area("HA-1").status is HazardStatus.SUPERSEDED


def test_a_hazard_change_proposal_is_applied_on_approval(register: Register) -> None:
    seed(register)
    code = svc.propose_hazard_change(register, "HA-2", {"name": "Orchard"}, 1, actor="op-b", operator="Operator B")
    assert register.hazard_area("HA-2").name == ""
    svc.review(register, ReviewKind.HAZARD_CHANGE, code, ReviewAction.REVIEW, actor="ana", reviewer=True)
    svc.review(register, ReviewKind.HAZARD_CHANGE, code, ReviewAction.APPROVE, actor="ana", reviewer=True)
    assert register.hazard_area("HA-2").name == "Orchard"
    assert svc.review_queue(register) == []
    assert svc.review_queue(register, states=[ReviewState.APPROVED])[0]["record"] == code


def test_api_proposals_review_steps_and_operator_scope(database_url: str) -> None:
    from fastapi.testclient import TestClient

    from landrelease.settings import Settings
    from landrelease.web.app import create_app
    from tests.web_support import FAST_HASHER, OPERATOR, PASSWORD
    from tests.web_support import seed as web_seed

    app = create_app(Settings(database_url=database_url, secret_key="k"))
    app.state.auth.hasher = FAST_HASHER
    web_seed(app.state.register)

    with TestClient(app) as client:

        def h(name: str) -> dict[str, str]:
            r = client.post("/api/auth/token", json={"name": name, "password": PASSWORD})
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        op, ana, viewer = h("operator"), h("analyst"), h("viewer")
        areas = client.get("/api/hazard-areas?status=open&limit=1000", headers=ana).json()["items"]
        own = next(a for a in areas if a["properties"]["operator"] == OPERATOR)
        other = next(a for a in areas if a["properties"]["operator"] not in (OPERATOR, None))
        version = client.get(f"/api/hazard-areas/{own['id']}", headers=ana).json()["properties"]["version"]
        r = client.post(
            f"/api/proposals/hazard-areas/{own['id']}", json={"version": version, "name": "Old orchard"}, headers=op
        )
        assert r.status_code == 202, r.text
        code = r.json()["proposal"]
        refused = client.post(
            f"/api/proposals/hazard-areas/{other['id']}", json={"version": 1, "name": "x"}, headers=op
        )
        assert refused.status_code == 403
        queue = client.get("/api/review-queue", headers=op).json()
        assert [i["record"] for i in queue["items"]] == [code]
        assert client.get("/api/review-queue", headers=viewer).status_code == 403
        assert client.post(f"/api/review/hazard_change/{code}/review", headers=op).status_code == 403  # not a reviewer
        assert client.post(f"/api/review/hazard_change/{code}/review", headers=ana).json()["to"] == "under_review"
        bad = client.post(f"/api/review/hazard_change/{code}/return", headers=ana, json={})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "reason"
        ok = client.post(f"/api/review/hazard_change/{code}/approve", headers=ana)
        assert ok.status_code == 200 and ok.json()["to"] == "approved"
        assert client.get(f"/api/hazard-areas/{own['id']}", headers=ana).json()["properties"]["name"] == "Old orchard"
        steps = client.get(f"/api/review/hazard_change/{code}", headers=ana).json()["steps"]
        assert [s["action"] for s in steps] == ["review", "approve"] and steps[0]["actor"] == "analyst"
        assert client.post("/api/review/daily_report/nope/review", headers=ana).status_code == 404


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(which=st.lists(st.sampled_from(sorted(BREAKERS)), min_size=1, max_size=3, unique=True), v=st.integers(0, 10_000))
def test_generated_bad_reports_write_nothing(register: Register, which: list[str], v: int) -> None:
    if register.hazard_area("HA-1") is None:
        seed(register)
    bad = report(99)
    for name in which:
        bad = BREAKERS[name](bad, v)
    with pytest.raises(ValidationError) as err:
        svc.submit_reports(register, [report(1), bad], actor="op-a", now=NOW)
    assert {p.record for p in err.value.problems} == {bad.uuid}
    assert svc.report_page(register, limit=5, offset=0)[2] == 0
