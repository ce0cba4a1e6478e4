"""Recording activities in the register, on SQLite and PostGIS: history, refusals, audit, summary."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point
from sqlalchemy import func, select

from landrelease.domain.activity import Activity, Find, ReleasedPart
from landrelease.domain.enums import ActivityKind, EOType, EvidenceKind, HazardStatus, ReleaseMethod
from landrelease.domain.errors import ValidationError
from landrelease.domain.evidence import Evidence
from landrelease.domain.geometry import areas_m2
from landrelease.domain.hazard import HazardArea
from landrelease.storage import audit, schema
from landrelease.storage.repository import HazardFilter, Register
from tests.conftest import _empty_postgis
from tests.test_release_rule import box_m, metric_to_wgs, square

TODAY = date(2026, 11, 1)
REDUCE, CLEAR, CANCEL = ReleaseMethod.REDUCED, ReleaseMethod.CLEARED, ReleaseMethod.CANCELLED


def seed(register: Register, *codes: str, operator: str = "Operator A", region: str = "North") -> None:
    areas = [
        HazardArea(code=c, geometry=square(200.0, 47.0 + 0.01 * i, 39.9), operator=operator, region=region)
        for i, c in enumerate(codes)
    ]
    with register.unit_of_work() as uow:
        uow.add_hazard_areas(areas)


def record(register: Register, activity: Activity, actor: str = "tester"):
    with register.unit_of_work(actor=actor) as uow:
        return uow.record_activity(activity, today=TODAY)


def count(register: Register, table) -> int:
    with register.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_partial_release_splits_and_keeps_history(register: Register) -> None:
    seed(register, "HA-1")
    with register.unit_of_work() as uow:  # evidence on both sides of the cut
        uow.add_evidence(
            [
                Evidence(EvidenceKind.INTERVIEW, metric_to_wgs(Point(50, 100), 47.0, 39.9), "HA-1", code="EV-W"),
                Evidence(EvidenceKind.ACCIDENT, metric_to_wgs(Point(150, 100), 47.0, 39.9), "HA-1", code="EV-E"),
            ]
        )
    west = box_m(0, 0, 100, 200)
    out = record(
        register,
        Activity(
            "HA-1",
            ActivityKind.TS,
            date(2026, 5, 1),
            date(2026, 5, 9),
            team="MDD-0007",
            operator="Operator B",
            released=[ReleasedPart(REDUCE, west)],
        ),
    )
    assert out.status is HazardStatus.SUPERSEDED and out.remainder_code == "HA-1/1"
    assert out.released_m2 + out.remainder_m2 == pytest.approx(out.original_m2, abs=1e-3)

    original = register.hazard_area("HA-1")
    child = register.hazard_area("HA-1/1")
    assert original is not None and child is not None
    assert original.status is HazardStatus.SUPERSEDED  # still in the table, for history
    assert child.parent_id == original.id and child.version == original.version + 1
    assert child.status is HazardStatus.OPEN and child.operator == "Operator A"
    released_geom = register.release_history("HA-1")[0]["geometry"]
    assert shapely.symmetric_difference(shapely.union(child.geometry, released_geom), original.geometry).area < 1e-15
    assert shapely.intersection(child.geometry, released_geom).area < 1e-15
    # Live listings show the child, not the superseded parent: no area counts twice.
    assert [a.code for a in register.hazard_areas()] == ["HA-1/1"]
    assert len(register.hazard_areas(HazardFilter(include_superseded=True))) == 2

    (part,) = register.release_history("HA-1")
    assert part["method"] == "reduced" and part["released_on"] == date(2026, 5, 9)
    assert part["team_code"] == "MDD-0007" and part["operator"] == "Operator B"
    assert part["activity_code"] == out.activity_code and part["kind"] == "ts"
    assert part["area_m2"] == pytest.approx(20_000, rel=1e-3)
    # Evidence in the open remainder moved to the child; the rest stays with the history.
    ev = {e.code: e.hazard_code for e in register.evidence()}
    assert ev == {"EV-W": "HA-1", "EV-E": "HA-1/1"}

    # A second partial release on the child numbers the next part from the same root.
    out2 = record(
        register,
        Activity(
            "HA-1/1", ActivityKind.CLEARANCE, date(2026, 6, 1), released=[ReleasedPart(CLEAR, box_m(100, 0, 200, 100))]
        ),
    )
    assert out2.remainder_code == "HA-1/2"
    assert register.hazard_area("HA-1/2").parent_id == child.id  # type: ignore[union-attr]
    # Released + open = the original area, in m², over the whole line.
    s = register.release_summary()
    assert (s.released_km2 + s.open_km2) * 1e6 == pytest.approx(out.original_m2, abs=1e-2)


def test_full_releases_set_the_status(register: Register) -> None:
    seed(register, "HA-1", "HA-2", "HA-3")
    a = record(
        register, Activity("HA-1", ActivityKind.NTS, date(2026, 3, 1), released=[ReleasedPart(CANCEL, square())])
    )
    assert a.status is HazardStatus.CANCELLED and a.remainder_code is None
    g2 = square(200.0, 47.01, 39.9)
    halves = [
        ReleasedPart(REDUCE, shapely.intersection(g2, box_m(-5, -5, 100, 205, 47.01, 39.9))),
        ReleasedPart(CLEAR, shapely.intersection(g2, box_m(100, -5, 205, 205, 47.01, 39.9))),
    ]
    b = record(register, Activity("HA-2", ActivityKind.TS, date(2026, 3, 1), released=halves))
    assert b.status is HazardStatus.RELEASED
    finds = [Find(EOType.AP_MINE, metric_to_wgs(Point(10 + 20 * i, 50), 47.02, 39.9), depth_cm=12.0) for i in range(3)]
    c = record(
        register,
        Activity(
            "HA-3",
            ActivityKind.CLEARANCE,
            date(2026, 3, 1),
            clearance_depth_cm=20.0,
            released=[ReleasedPart(CLEAR, square(200.0, 47.02, 39.9))],
            finds=finds,
        ),
    )
    assert c.status is HazardStatus.CLEARED and c.finds == 3
    assert {a.code: a.status for a in register.hazard_areas()} == {
        "HA-1": HazardStatus.CANCELLED,
        "HA-2": HazardStatus.RELEASED,
        "HA-3": HazardStatus.CLEARED,
    }
    acts = register.activities("HA-3")
    assert len(acts[0].finds) == 3 and acts[0].finds[0].depth_cm == 12.0
    assert register.hazard_area("HA-1").version == 2  # type: ignore[union-attr]


def test_refusals_name_the_record_and_write_nothing(register: Register) -> None:
    seed(register, "HA-1")
    record(register, Activity("HA-1", ActivityKind.NTS, date(2026, 3, 1), released=[ReleasedPart(CANCEL, square())]))
    before = (count(register, schema.activity), count(register, schema.audit_event))
    cases = [
        (Activity("HA-404", ActivityKind.NTS, date(2026, 3, 1), code="ACT-X"), "hazard_code", "no hazard area"),
        (Activity("HA-1", ActivityKind.TS, date(2026, 4, 1)), "hazard_code", "closed"),
    ]
    for act, field, words in cases:
        with pytest.raises(ValidationError) as err:
            record(register, act)
        p = err.value.problems[0]
        assert p.field == field and words in p.message
    assert err.value.problems[0].found == "status cancelled"
    assert (count(register, schema.activity), count(register, schema.audit_event)) == before


def test_bad_parts_and_dates_are_refused_on_the_register(register: Register) -> None:
    seed(register, "HA-1")
    bad = [
        Activity("HA-1", ActivityKind.TS, date(2026, 5, 1), released=[ReleasedPart(REDUCE, box_m(150, 0, 400, 200))]),
        Activity(
            "HA-1",
            ActivityKind.TS,
            date(2026, 5, 1),
            released=[ReleasedPart(REDUCE, box_m(0, 0, 150, 200)), ReleasedPart(CLEAR, box_m(100, 0, 200, 200))],
        ),
        Activity("HA-1", ActivityKind.TS, date(2026, 5, 1), date(2026, 4, 1)),
        Activity("HA-1", ActivityKind.TS, date(2027, 5, 1)),
    ]
    for act in bad:
        with pytest.raises(ValidationError):
            record(register, act)
    assert count(register, schema.activity) == 0 and count(register, schema.released_part) == 0
    assert register.hazard_area("HA-1").status is HazardStatus.OPEN  # type: ignore[union-attr]


def test_every_activity_writes_an_audit_event(register: Register) -> None:
    seed(register, "HA-1", "HA-2")
    record(
        register,
        Activity("HA-1", ActivityKind.TS, date(2026, 5, 1), released=[ReleasedPart(REDUCE, box_m(0, 0, 100, 200))]),
        actor="analyst",
    )
    record(
        register,
        Activity(
            "HA-2",
            ActivityKind.EOD,
            date(2026, 5, 2),
            finds=[Find(EOType.UXO, metric_to_wgs(Point(10, 10), 47.01, 39.9))],
        ),
    )
    with register.reading() as conn:
        ev = conn.execute(
            select(schema.audit_event)
            .where(schema.audit_event.c.entity == "activity")
            .order_by(schema.audit_event.c.id)
        ).all()
        assert audit.verify_chain(conn) == []
    assert len(ev) == 2
    assert ev[0].actor == "analyst" and ev[0].payload["remainder"] == "HA-1/1"
    assert ev[0].payload["released"][0][0] == "reduced"
    assert ev[1].payload["finds"] == 1 and ev[1].payload["status"] == "open"


def test_stored_areas_are_metric_and_summary_adds_up(register: Register) -> None:
    seed(register, "HA-1", "HA-2", operator="Operator A", region="North")
    seed(register, "HB-1", operator="Operator C", region="South")
    record(
        register,
        Activity(
            "HA-1", ActivityKind.NTS, date(2026, 3, 5), operator="Operator B", released=[ReleasedPart(CANCEL, square())]
        ),
    )
    record(
        register,
        Activity(
            "HA-2",
            ActivityKind.TS,
            date(2026, 4, 5),
            released=[ReleasedPart(REDUCE, box_m(0, 0, 50, 200, 47.01, 39.9))],
        ),
    )
    with register.reading() as conn:
        for table in (schema.hazard_area, schema.released_part):
            rows = conn.execute(select(table.c.geometry, table.c.area_m2)).all()
            expected = areas_m2([r.geometry for r in rows])
            np.testing.assert_allclose([r.area_m2 for r in rows], expected, rtol=1e-5)
    s = register.release_summary()
    assert s.by_method["cancelled"] == pytest.approx(0.04, rel=1e-3)
    assert s.by_method["reduced"] == pytest.approx(0.01, rel=1e-3)
    assert s.by_method["cleared"] == 0.0
    assert s.released_km2 == pytest.approx(0.05, rel=1e-3)
    assert s.by_operator["Operator B"]["cancelled"] == pytest.approx(0.04, rel=1e-3)
    assert s.by_operator["Operator A"]["reduced"] == pytest.approx(0.01, rel=1e-3)  # falls back to the area's
    assert set(s.by_region) == {"North"}
    assert set(s.by_month) == {"2026-03", "2026-04"}
    assert s.open_areas == 2  # HA-2/1 and HB-1
    assert s.open_km2 == pytest.approx(0.03 + 0.04, rel=1e-3)
    assert s.open_by_region["South"] == pytest.approx(0.04, rel=1e-3)
    assert s.metric_crs == "EPSG:32638"
    assert s.activities_by_kind == {"nts": 1, "ts": 1}


def test_closed_without_activity_is_reported_apart(register: Register) -> None:
    area = HazardArea(code="OLD-1", geometry=square(), status=HazardStatus.CLEARED)
    with register.unit_of_work() as uow:
        uow.add_hazard_areas([area])
    s = register.release_summary()
    assert s.released_km2 == 0.0
    assert s.closed_without_activity_km2["cleared"] == pytest.approx(0.04, rel=1e-3)


@contextmanager
def fresh_register(backend: str, request: pytest.FixtureRequest) -> Iterator[Register]:
    """An empty register of its own on the backend, so that no example sees another's rows."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            reg = Register.open(f"sqlite:///{Path(folder) / 'register.db'}")
            try:
                yield reg
            finally:
                reg.close()
        return
    url = request.getfixturevalue("postgis_url")  # session-scoped: fails in CI / skips locally without PostGIS
    _empty_postgis(url)
    reg = Register.open(url)
    try:
        yield reg
    finally:
        reg.close()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
@settings(max_examples=6, deadline=None)
@given(st.lists(st.floats(10, 190), min_size=1, max_size=3, unique=True), st.integers(0, 10_000))
def test_released_plus_open_is_the_original_on_the_register(
    backend: str, request: pytest.FixtureRequest, cuts: list[float], n: int
) -> None:
    """Random vertical strips released from a fresh area, each example on an empty register of
    its own: stored m² always add up."""
    with fresh_register(backend, request) as register:
        _released_plus_open(register, cuts, n)


def _released_plus_open(register: Register, cuts: list[float], n: int) -> None:
    code = "HP-1"
    assert register.count_hazard_areas() == 0
    lon = 47.0 + (n % 100) * 0.01
    with register.unit_of_work() as uow:
        uow.add_hazard_areas([HazardArea(code=code, geometry=square(200.0, lon, 40.5))])
    xs = sorted(cuts)
    parts = [
        ReleasedPart(REDUCE if i % 2 else CLEAR, box_m(x0, 0, x1, 200, lon, 40.5))
        for i, (x0, x1) in enumerate(zip([0.0, *xs][::2], xs[::2], strict=False))
    ]
    out = record(register, Activity(code, ActivityKind.TS, date(2026, 5, 1), released=parts))
    parent = register.hazard_area(code)
    assert parent is not None
    with register.reading() as conn:
        rp, h = schema.released_part, schema.hazard_area
        released = conn.execute(select(func.sum(rp.c.area_m2)).where(rp.c.activity_id == out.activity_id)).scalar()
        rest = conn.execute(
            select(func.coalesce(func.sum(h.c.area_m2), 0.0)).where(h.c.parent_id == parent.id)
        ).scalar()
    assert float(released) + float(rest) == pytest.approx(out.original_m2, abs=1e-3)
    assert out.original_m2 == pytest.approx(40_000, rel=1e-3)


def test_generated_activity_codes_never_collide_with_given_ones(register: Register) -> None:
    seed(register, "HA-1", "HA-2")
    first = record(register, Activity("HA-1", ActivityKind.EOD, date(2026, 5, 1), code="ACT-0000002"))
    second = record(register, Activity("HA-2", ActivityKind.EOD, date(2026, 5, 1)))
    assert first.activity_code == "ACT-0000002"
    assert second.activity_code == "ACT-0000002-1"
    with pytest.raises(ValidationError) as err:
        record(register, Activity("HA-2", ActivityKind.EOD, date(2026, 5, 1), code="ACT-0000002"))
    assert err.value.problems[0].field == "code"
