"""The register on both backends: round trips, transactions, the audit chain, idempotency."""

from __future__ import annotations

from datetime import date

import pytest
import shapely
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError

from landrelease.domain.enums import HazardStatus
from landrelease.domain.geometry import area_m2
from landrelease.domain.task import DailyReport
from landrelease.samples import generate
from landrelease.storage import audit, schema
from landrelease.storage.repository import HazardFilter, Register


def test_scenario_round_trip(register: Register) -> None:
    sc = generate(60, seed=7)
    with register.unit_of_work() as uow:
        uow.add_hazard_areas(sc.hazard_areas)
        uow.add_evidence(sc.evidence)
        uow.add_settlements(sc.settlements)
        uow.add_teams(sc.teams)
    back = register.hazard_areas()
    assert [a.code for a in back] == [a.code for a in sc.hazard_areas]
    for a, b in zip(sc.hazard_areas, back, strict=True):
        assert shapely.equals_exact(a.geometry, b.geometry, tolerance=1e-12)
        assert (a.land_use, a.kind, a.eo_types, a.clutter) == (b.land_use, b.kind, b.eo_types, b.clutter)
    assert len(register.evidence()) == len(sc.evidence)
    assert {e.hazard_code for e in register.evidence()} <= {a.code for a in sc.hazard_areas}
    assert len(register.teams()) == len(sc.teams)
    inv = register.inventory()
    expected_km2 = sum(area_m2(a.geometry) for a in sc.hazard_areas) / 1e6
    assert inv["total_km2"] == pytest.approx(expected_km2, rel=1e-9)
    assert sum(n for n, _ in inv["hazard_areas_by_land_use"].values()) == 60


def test_failed_unit_of_work_writes_nothing(register: Register) -> None:
    sc = generate(20, seed=3)
    dup = [*sc.hazard_areas, sc.hazard_areas[0]]  # duplicate code violates the unique constraint
    with pytest.raises(IntegrityError), register.unit_of_work() as uow:
        uow.add_hazard_areas(dup)
    assert register.count_hazard_areas() == 0
    with register.reading() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar() == 0


def test_bbox_filter_uses_geometry_bounds(register: Register) -> None:
    sc = generate(40, seed=11)
    with register.unit_of_work() as uow:
        uow.add_hazard_areas(sc.hazard_areas)
    target = sc.hazard_areas[5].geometry
    minx, miny, maxx, maxy = target.bounds
    found = register.hazard_areas(HazardFilter(bbox=(minx, miny, maxx, maxy)))
    assert sc.hazard_areas[5].code in {a.code for a in found}
    assert all(shapely.intersects(shapely.box(*a.geometry.bounds), shapely.box(minx, miny, maxx, maxy)) for a in found)


def test_daily_report_sent_twice_counts_once(register: Register) -> None:
    r = DailyReport(
        uuid="6f1c2a52-0000-4000-8000-000000000001", team="MAN-0001", date=date(2026, 5, 1), m2_processed=380.0
    )
    with register.unit_of_work() as uow:
        assert uow.add_daily_reports([r, r]) == 1
    with register.unit_of_work() as uow:
        assert uow.add_daily_reports([r]) == 0
    assert len(register.daily_reports()) == 1


def test_audit_chain_detects_an_edit(register: Register) -> None:
    sc = generate(10, seed=5)
    with register.unit_of_work(actor="analyst") as uow:
        uow.add_hazard_areas(sc.hazard_areas)
        uow.add_teams(sc.teams)
    with register.unit_of_work() as uow:
        assert audit.verify_chain(uow.conn) == []
        first = uow.conn.execute(schema.audit_event.select().order_by(schema.audit_event.c.id)).first()
        uow.conn.execute(update(schema.audit_event).where(schema.audit_event.c.id == first.id).values(actor="someone"))
        assert audit.verify_chain(uow.conn) == [first.id]


def test_superseded_areas_are_not_counted(register: Register) -> None:
    sc = generate(10, seed=9)
    with register.unit_of_work() as uow:
        uow.add_hazard_areas(sc.hazard_areas)
        uow.conn.execute(
            update(schema.hazard_area)
            .where(schema.hazard_area.c.code == sc.hazard_areas[0].code)
            .values(status=HazardStatus.SUPERSEDED.value)
        )
    assert register.count_hazard_areas() == 9
    assert register.inventory()["hazard_areas"] == 9


def test_sqlite_readers_do_not_wait_for_each_other_or_a_writer(sqlite_url: str) -> None:
    """Two open readers and a writer at once: under WAL none of them may block."""
    import time

    reg = Register.open(sqlite_url)
    sc = generate(5, seed=1)
    with reg.unit_of_work() as uow:
        uow.add_hazard_areas(sc.hazard_areas)
    t0 = time.monotonic()
    with reg.reading() as r1, reg.reading() as r2:
        assert r1.execute(text("SELECT count(*) FROM hazard_area")).scalar() == 5
        assert r2.execute(text("SELECT count(*) FROM hazard_area")).scalar() == 5
        with reg.unit_of_work() as uow:
            uow.add_teams(sc.teams)
        # The readers keep their snapshot until they end.
        assert r1.execute(text("SELECT count(*) FROM team")).scalar() == 0
    assert time.monotonic() - t0 < 5
    assert len(reg.teams()) == len(sc.teams)
    reg.close()
