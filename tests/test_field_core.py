"""Field operations' pure rules: daily reports, idempotency, review, QA sampling, handover, casualties, EORE."""

from __future__ import annotations

import doctest
import math
import uuid
from dataclasses import replace
from datetime import date, datetime

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

import landrelease.field.eore
import landrelease.field.personal
import landrelease.field.qa
import landrelease.field.reports
import landrelease.field.review
from landrelease.domain.activity import Find
from landrelease.domain.enums import ActivityKind, EOType, HazardStatus, ReleaseMethod, StoppageReason, WorkMethod
from landrelease.domain.errors import ValidationError
from landrelease.domain.geometry import area_m2
from landrelease.domain.hazard import HazardArea
from landrelease.domain.task import DailyReport, Stoppage
from landrelease.field.casualty import Accident, AgeBand, Sex, accident_evidence
from landrelease.field.eore import EoreMethod, EoreSession, summarise
from landrelease.field.handover import handover_certificate
from landrelease.field.personal import redact
from landrelease.field.qa import (
    Inspection,
    InspectionResult,
    Nonconformity,
    NonconformitySeverity,
    draw_sample,
    p_accept,
    reopened_area,
    sampling_plan,
)
from landrelease.field.reports import (
    ConflictError,
    ReportContext,
    SiteFacts,
    TaskFacts,
    check_reports,
    differing_fields,
    latest_calendar_date,
    reconcile,
)
from landrelease.field.review import (
    REVIEWER_ACTIONS,
    TRANSITIONS,
    ReviewAction,
    ReviewKind,
    ReviewState,
    allowed_actions,
    step,
)

# A 200 m x 200 m square near 40°N 47°E (about 4 ha).
SQUARE = shapely.box(47.0, 40.0, 47.00235, 40.0018)
SQUARE_M2 = area_m2(SQUARE)
TODAY = date(2026, 6, 1)


def ctx(processed: dict[str, float] | None = None) -> ReportContext:
    return ReportContext(
        teams={"MAN-01": "Operator A", "MDD-01": "Operator B"},
        tasks={"T-1": TaskFacts("T-1", "HA-1", ActivityKind.CLEARANCE)},
        sites={"HA-1": SiteFacts("HA-1", SQUARE, SQUARE_M2, processed or {})},
        today=TODAY,
    )


def good(**kw: object) -> DailyReport:
    base: dict[str, object] = {
        "area_by_method": {WorkMethod.CLEARED: 400.0, WorkMethod.TS_SEARCHED: 100.0},
        "items": [
            Find(
                EOType.AP_MINE,
                Point(47.001, 40.001),
                depth_cm=8.0,
                model="PMN-2",
                condition="intact",
                disposal="destroyed_in_situ",
            )
        ],
        "stoppages": [Stoppage(StoppageReason.WEATHER, 1.5)],
        "task": "T-1",
        "hazard_code": "HA-1",
        "hours": 6.0,
        "team_leader": "Team Leader One",
    }
    base.update(kw)
    return DailyReport.detailed(str(uuid.UUID(int=1)), "MAN-01", date(2026, 5, 30), **base)  # type: ignore[arg-type]


def only(problems: list, fld: str) -> None:
    assert problems, "expected a refusal"
    assert any(p.field == fld for p in problems), [str(p) for p in problems]
    assert all(p.record for p in problems)


def test_modules_doctests() -> None:
    for mod in (
        landrelease.field.qa,
        landrelease.field.reports,
        landrelease.field.review,
        landrelease.field.personal,
        landrelease.field.eore,
    ):
        result = doctest.testmod(mod)
        assert result.failed == 0, mod.__name__


def test_a_good_full_report_passes_and_totals_follow_the_detail() -> None:
    r = good()
    assert r.m2_processed == 500.0 and r.finds == 1 and r.stoppage_hours == 1.5
    assert check_reports([r], ctx()) == []


@pytest.mark.parametrize(
    ("change", "fld"),
    [
        ({"team": "NOPE"}, "team"),
        ({"task": "T-404"}, "task"),
        ({"hazard_code": "HA-404"}, "hazard_code"),
        ({"date": date(2026, 6, 3)}, "date"),
        ({"m2_processed": -1.0, "area_by_method": {}}, "m2_processed"),
        ({"hours": 25.0}, "hours"),
        ({"stoppages": [Stoppage(StoppageReason.MEDICAL, 20.0)]}, "stoppages"),
        ({"finds": 3}, "finds"),
        ({"uuid": "not-a-uuid"}, "uuid"),
    ],
)
def test_each_rule_refuses_naming_the_field(change: dict, fld: str) -> None:
    r = replace(good(), **change)
    only(check_reports([r], ctx()), fld)


def test_negative_area_by_method_is_refused() -> None:
    r = good(area_by_method={WorkMethod.CLEARED: -5.0})
    only(check_reports([r], ctx()), "area_by_method.cleared")


def test_a_find_outside_the_area_is_refused_and_a_swap_is_named() -> None:
    far = good(items=[Find(EOType.UXO, Point(47.01, 40.001))])
    only(check_reports([far], ctx()), "items[0].position")
    swapped = good(items=[Find(EOType.UXO, Point(40.001, 47.001))])
    problems = check_reports([swapped], ctx())
    assert any("swapped" in p.message for p in problems)
    # Within the tolerance (about 10 m outside the east edge) is fine.
    near = good(items=[Find(EOType.UXO, Point(47.00235 + 0.0001, 40.001))])
    assert check_reports([near], ctx()) == []


def test_the_area_left_is_used_up_in_date_order_and_the_crossing_report_is_named() -> None:
    left = SQUARE_M2 - 30_000
    a = replace(
        good(area_by_method={WorkMethod.CLEARED: left / 2}, items=[]), uuid=str(uuid.UUID(int=2)), date=date(2026, 5, 1)
    )
    b = replace(
        good(area_by_method={WorkMethod.CLEARED: left / 2}, items=[]), uuid=str(uuid.UUID(int=3)), date=date(2026, 5, 2)
    )
    c = replace(
        good(area_by_method={WorkMethod.CLEARED: 100.0}, items=[]), uuid=str(uuid.UUID(int=4)), date=date(2026, 5, 3)
    )
    facts = ctx({"cleared": 30_000})
    # Out of order in the batch: still the latest one is refused.
    problems = check_reports([c, b, a], facts)
    assert [p.record for p in problems] == [c.uuid]
    assert problems[0].field == "area_by_method.cleared"
    # Methods are counted apart: TS on the same ground is not cleared ground.
    d = replace(good(area_by_method={WorkMethod.TS_SEARCHED: 1000.0}, items=[]), uuid=str(uuid.UUID(int=5)))
    assert check_reports([a, b, d], facts) == []


def test_a_minimal_report_counts_under_its_tasks_method() -> None:
    r = DailyReport(
        uuid=str(uuid.UUID(int=9)), team="MAN-01", date=date(2026, 5, 1), m2_processed=SQUARE_M2 + 50, task="T-1"
    )
    only(check_reports([r], ctx()), "m2_processed")


def test_latest_calendar_date_is_utc_plus_14() -> None:
    assert latest_calendar_date(datetime(2026, 5, 1, 9, 59)) == date(2026, 5, 1)
    assert latest_calendar_date(datetime(2026, 5, 1, 10, 0)) == date(2026, 5, 2)


# ---------------------------------------------------------------- idempotency


def test_resend_is_a_no_op_and_a_changed_resend_is_refused_naming_fields() -> None:
    r = good()
    stored = {r.uuid: (r, ReviewState.SUBMITTED)}
    again = reconcile([replace(r, source="kobotoolbox")], stored)
    assert again.duplicates == [r.uuid] and again.to_store == []
    changed = replace(r, hours=7.0, hazard_code="HA-1", team_leader="Someone Else")
    with pytest.raises(ConflictError) as err:
        reconcile([changed], stored)
    (p,) = err.value.problems
    assert p.record == r.uuid and p.field == "hours, team_leader"


def test_a_returned_report_may_be_resubmitted_with_new_content() -> None:
    r = good()
    out = reconcile([replace(r, hours=5.0)], {r.uuid: (r, ReviewState.RETURNED)})
    assert [x.uuid for x in out.resubmitted] == [r.uuid]


def test_two_reports_with_one_uuid_in_a_batch_are_refused_identical_ones_collapse() -> None:
    r = good()
    out = reconcile([r, replace(r)], {})
    assert len(out.fresh) == 1 and out.duplicates == [r.uuid]
    with pytest.raises(ConflictError) as err:
        reconcile([r, replace(r, area_by_method={WorkMethod.CLEARED: 1.0}, m2_processed=1.0)], {})
    assert "area_by_method" in err.value.problems[0].field


def test_rounding_is_not_a_difference() -> None:
    r = good()
    s = replace(
        r, m2_processed=r.m2_processed + 1e-9, items=[replace(r.items[0], position=Point(47.001 + 1e-10, 40.001))]
    )
    assert differing_fields(r, s) == []


# ---------------------------------------------------------------- hypothesis: bad reports refused


def with_area(r: DailyReport, method: WorkMethod, m2: float) -> DailyReport:
    areas = {**r.area_by_method, method: m2}
    return replace(r, area_by_method=areas, m2_processed=sum(areas.values()))


# Checks that need the hazard area cannot run when the area itself is unknown.
NEEDS_AREA = {"items[0].position", "area_by_method.ts_searched"}

BREAKERS = {
    "team": lambda r, v: replace(r, team=f"X{v}"),
    "task": lambda r, v: replace(r, task=f"NO-TASK-{v}"),
    "hazard_code": lambda r, v: replace(r, hazard_code=f"HA-X{v}", task=None if r.task == "T-1" else r.task),
    "date": lambda r, v: replace(r, date=date.fromordinal(TODAY.toordinal() + 1 + v % 4000)),
    "area_by_method.cleared": lambda r, v: with_area(r, WorkMethod.CLEARED, -1.0 - v),
    "area_by_method.ts_searched": lambda r, v: with_area(r, WorkMethod.TS_SEARCHED, SQUARE_M2 + 10 + v),
    "items[0].position": lambda r, v: replace(r, items=[Find(EOType.IED, Point(47.0 + 0.01 + v * 1e-4, 40.0))]),
    "hours": lambda r, v: replace(r, hours=24.5 + v),
}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.lists(st.sampled_from(sorted(BREAKERS)), min_size=1, max_size=3, unique=True),
    n_good=st.integers(0, 4),
    v=st.integers(0, 10_000),
    at=st.integers(0, 5),
)
def test_generated_bad_reports_are_refused_naming_record_and_field(
    which: list[str], n_good: int, v: int, at: int
) -> None:
    batch = [
        replace(good(area_by_method={WorkMethod.CLEARED: 10.0}), uuid=str(uuid.UUID(int=100 + i)))
        for i in range(n_good)
    ]
    bad = good(area_by_method={WorkMethod.CLEARED: 10.0})
    bad = replace(bad, uuid=str(uuid.UUID(int=99)))
    for name in which:
        bad = BREAKERS[name](bad, v)
    batch.insert(min(at, len(batch)), bad)
    problems = check_reports(batch, ctx())
    assert problems
    assert {p.record for p in problems} == {bad.uuid}
    fields = {p.field for p in problems}
    for name in which:
        if name in NEEDS_AREA and "hazard_code" in which:
            continue
        assert name in fields, (name, fields)
    with pytest.raises(ValidationError):
        landrelease.field.reports.validate_reports(batch, ctx())


# ---------------------------------------------------------------- review


def test_review_state_machine() -> None:
    at = datetime(2026, 5, 1, 12)
    s1 = step(
        ReviewKind.DAILY_REPORT,
        "u1",
        ReviewState.SUBMITTED,
        ReviewAction.REVIEW,
        actor="ana",
        at=at,
        reviewer=True,
        submitted_by="op",
    )
    assert s1.to_state is ReviewState.UNDER_REVIEW
    with pytest.raises(ValidationError) as err:
        step(ReviewKind.DAILY_REPORT, "u1", s1.to_state, ReviewAction.RETURN, actor="ana", at=at, reviewer=True)
    assert err.value.problems[0].field == "reason"
    s2 = step(
        ReviewKind.DAILY_REPORT,
        "u1",
        s1.to_state,
        ReviewAction.RETURN,
        actor="ana",
        at=at,
        reviewer=True,
        reason="area too large",
    )
    assert s2.to_state is ReviewState.RETURNED and s2.reason == "area too large"
    with pytest.raises(ValidationError):  # a reviewer does not resubmit for the operator
        step(ReviewKind.DAILY_REPORT, "u1", s2.to_state, ReviewAction.RESUBMIT, actor="ana", at=at, reviewer=True)
    s3 = step(ReviewKind.DAILY_REPORT, "u1", s2.to_state, ReviewAction.RESUBMIT, actor="op", at=at, reviewer=False)
    s4 = step(ReviewKind.DAILY_REPORT, "u1", s3.to_state, ReviewAction.REVIEW, actor="ana", at=at, reviewer=True)
    s5 = step(ReviewKind.DAILY_REPORT, "u1", s4.to_state, ReviewAction.APPROVE, actor="ana", at=at, reviewer=True)
    assert s5.to_state is ReviewState.APPROVED
    assert allowed_actions(ReviewState.APPROVED, reviewer=True) == []
    with pytest.raises(ValidationError) as err:
        step(
            ReviewKind.ACTIVITY,
            "A-1",
            ReviewState.APPROVED,
            ReviewAction.RETURN,
            actor="ana",
            at=at,
            reviewer=True,
            reason="x",
        )
    assert err.value.problems[0].record == "activity A-1"
    with pytest.raises(ValidationError) as err:  # four eyes
        step(
            ReviewKind.HAZARD_CHANGE,
            "HA-1",
            ReviewState.SUBMITTED,
            ReviewAction.REVIEW,
            actor="ana",
            at=at,
            reviewer=True,
            submitted_by="ana",
        )
    assert err.value.problems[0].check == "review_four_eyes"


@given(st.lists(st.tuples(st.sampled_from(list(ReviewAction)), st.booleans()), max_size=12))
def test_only_listed_transitions_happen_and_approved_is_final(actions: list[tuple[ReviewAction, bool]]) -> None:
    state = ReviewState.SUBMITTED
    for action, reviewer in actions:
        before = state
        try:
            state = step(
                ReviewKind.DAILY_REPORT,
                "u",
                state,
                action,
                actor="x",
                at=datetime(2026, 1, 1),
                reviewer=reviewer,
                reason="r",
            ).to_state
        except ValidationError:
            assert state is before
            continue
        assert TRANSITIONS[(before, action)] is state
        assert (action in REVIEWER_ACTIONS) == reviewer
        assert before is not ReviewState.APPROVED


# ---------------------------------------------------------------- QA


@given(area=st.floats(100, 1e8), lq=st.floats(0.005, 0.3), conf=st.floats(0.5, 0.99))
def test_sampling_plan_is_the_smallest_sample_meeting_the_confidence(area: float, lq: float, conf: float) -> None:
    plan = sampling_plan(area, limiting_quality=lq, confidence=conf)
    n_units, d = plan.lot_units, max(1, math.ceil(lq * plan.lot_units - 1e-9))
    assert 1 <= plan.sample_units <= n_units
    if plan.sample_units < n_units:
        assert p_accept(n_units, d, plan.sample_units) <= 1 - conf + 1e-12
    if plan.sample_units > 1:
        assert p_accept(n_units, d, plan.sample_units - 1) > 1 - conf
    # Never more than the binomial (infinite lot) sample size.
    assert plan.sample_units <= math.ceil(math.log(1 - conf) / math.log(1 - lq)) + 1


def test_sample_units_lie_in_the_area_and_the_draw_repeats() -> None:
    plan = sampling_plan(SQUARE_M2)
    units = draw_sample(SQUARE, plan, seed=7)
    assert len(units) == plan.sample_units
    assert all(SQUARE.buffer(1e-7).contains(u) for u in units)
    assert [u.wkt for u in draw_sample(SQUARE, plan, seed=7)] == [u.wkt for u in units]
    assert abs(area_m2(units[0]) - 100.0) < 0.5


def test_a_critical_nonconformity_fails_and_reopens_the_land_as_a_new_record() -> None:
    released = HazardArea(code="HA-1", geometry=SQUARE, status=HazardStatus.CLEARED, id=11, name="North field")
    plan = sampling_plan(SQUARE_M2)
    insp = Inspection("HA-1", plan, date(2026, 5, 20), "Authority QA", "Operator A", units_inspected=3, code="QA-1")
    assert insp.result is InspectionResult.INCOMPLETE
    insp.nonconformities.append(
        Nonconformity(NonconformitySeverity.CRITICAL, "AP mine at 8 cm", Point(47.001, 40.001), EOType.AP_MINE, 8.0)
    )
    assert insp.result is InspectionResult.FAILED
    new = reopened_area(released, SQUARE, insp, code="HA-1/QA1")
    assert new.status is HazardStatus.OPEN and new.parent_id == 11 and new.eo_types == (EOType.AP_MINE,)
    assert released.status is HazardStatus.CLEARED  # history kept


def test_handover_rules() -> None:
    area = HazardArea(code="HA-1", geometry=SQUARE, status=HazardStatus.CLEARED, name="North field")
    plan = sampling_plan(SQUARE_M2)
    passed = Inspection("HA-1", plan, date(2026, 5, 20), "Authority QA", "Operator A", plan.sample_units, code="QA-1")
    kw = dict(
        number="HO-1",
        land=SQUARE,
        area_m2=SQUARE_M2,
        released_m2={ReleaseMethod.CLEARED: SQUARE_M2},
        released_on=date(2026, 5, 10),
        work_started=date(2026, 4, 1),
        clearance_depth_cm=13.0,
        operators=["Operator A"],
        receiving_authority="Municipality",
        received_by="Head of land office",
        handed_over_on=date(2026, 5, 25),
    )
    cert = handover_certificate(area, inspection=passed, **kw)  # type: ignore[arg-type]
    assert cert.inspection and "passed" in cert.inspection
    with pytest.raises(ValidationError) as err:
        handover_certificate(area, inspection=None, **{**kw, "handed_over_on": date(2026, 5, 1)})  # type: ignore[arg-type]
    assert {p.field for p in err.value.problems} == {"inspection", "handed_over_on"}
    with pytest.raises(ValidationError):
        handover_certificate(replace(area, status=HazardStatus.OPEN), inspection=passed, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- casualties, EORE, personal data


def test_accident_is_evidence_and_victim_personal_fields_are_redacted() -> None:
    a = Accident(
        "ACC-1", Point(47.001, 40.001), date(2026, 3, 1), EOType.AP_MINE, demining_accident=False, hazard_code="HA-1"
    )
    ev = accident_evidence(a)
    assert ev.kind.value == "accident" and ev.eo_type is EOType.AP_MINE and ev.reliability == 0.95
    row = {"sex": "male", "age_band": "0-17", "name": "N", "contact": "C"}
    assert redact("victim", row, "viewer") == {"sex": "male", "age_band": "0-17"}
    assert redact("victim", row, "operator") == {"sex": "male", "age_band": "0-17"}
    assert redact("victim", row, "admin") == row


def test_eore_summary_by_sex_and_age() -> None:
    s1 = EoreSession(
        "E-1",
        Point(47, 40),
        "School 1",
        date(2026, 5, 2),
        "NGO A",
        EoreMethod.INTERPERSONAL,
        {(Sex.FEMALE, AgeBand.CHILD): 20, (Sex.MALE, AgeBand.CHILD): 18},
    )
    s2 = EoreSession(
        "E-2",
        Point(47, 40),
        "Village",
        date(2026, 6, 2),
        "NGO B",
        EoreMethod.MASS_MEDIA,
        {(Sex.FEMALE, AgeBand.ADULT): 5},
    )
    may = summarise([s1, s2], date(2026, 5, 1), date(2026, 5, 31))
    assert may.sessions == 1 and may.total == 38 and may.by_sex_age[(Sex.FEMALE, AgeBand.CHILD)] == 20
    assert summarise([s1, s2]).by_method[EoreMethod.MASS_MEDIA] == 5
