"""Shared village equipment: no machine booked twice for a day (a database constraint, under 20
concurrent bookings on both backends), fair use per household per season, use per machine."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from landrelease.domain.errors import ValidationError
from landrelease.domain.settlement import Settlement
from landrelease.returns.equipment import check_request, season
from landrelease.returns.housing import Household
from landrelease.services import equipment
from landrelease.storage import returns as stored
from landrelease.storage import schema
from landrelease.storage.repository import Register

DAY = date(2027, 9, 1)


def _setup(register: Register, households: int = 20) -> None:
    with register.unit_of_work() as uow:
        uow.add_settlements(
            [
                Settlement("A", "Alpha", Point(47.0, 40.0).buffer(0.002)),
                Settlement("B", "Beta", Point(47.1, 40.0).buffer(0.002)),
            ]
        )
        stored.replace_households(uow, [Household(f"H{i}", 3, "A", DAY) for i in range(households)])
    equipment.add_machine(register, "TR-1", "A", "tractor", "the village tractor")
    equipment.add_machine(register, "HV-B", "B", "harvester")


def _count(register: Register) -> int:
    with register.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.booking)).scalar_one())


def test_fair_use_and_seasons() -> None:
    assert season(date(2027, 11, 30)) == "2027-autumn" and season(date(2027, 12, 1)) == "2028-winter"
    assert check_request("H", DAY, DAY + timedelta(days=2), {"2027-autumn": 3}, limit=6) == []
    (p,) = check_request("H", DAY, DAY + timedelta(days=3), {"2027-autumn": 3}, limit=6)
    assert p.field == "days" and "2027-autumn" in (p.found or "")
    (p,) = check_request("H", DAY, DAY - timedelta(days=1), {})
    assert p.field == "end"


def test_twenty_concurrent_bookings_of_one_day_give_one_booking(register: Register) -> None:
    _setup(register)

    def attempt(i: int) -> bool:
        try:
            equipment.book(register, "TR-1", f"H{i}", DAY)
            return True
        except ValidationError as exc:
            assert exc.problems[0].field == "start"
            return False

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(20)))
    assert sum(results) == 1 and _count(register) == 1


def test_the_database_itself_refuses_a_second_row_for_a_machine_and_day(register: Register) -> None:
    _setup(register, households=2)
    equipment.book(register, "TR-1", "H0", DAY)
    with register.reading() as conn:
        hid = conn.execute(select(schema.household.c.id).where(schema.household.c.ref == "H1")).scalar_one()
    with pytest.raises(IntegrityError), register.unit_of_work() as uow:  # around the service's checks
        stored.insert_booking(uow, "x", "TR-1", hid, [(DAY, season(DAY))])
    assert _count(register) == 1


def test_fair_use_holds_under_concurrent_bookings_of_one_household(register: Register) -> None:
    _setup(register, households=1)

    def attempt(k: int) -> bool:
        try:
            equipment.book(register, "TR-1", "H0", DAY + timedelta(days=k), limit=5)
            return True
        except ValidationError as exc:
            assert exc.problems[0].field == "days"
            return False

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(20)))
    assert sum(results) == 5 and _count(register) == 5


def test_bookings_are_all_or_nothing_and_only_for_the_households_settlement(register: Register) -> None:
    _setup(register, households=2)
    equipment.book(register, "TR-1", "H0", DAY + timedelta(days=2))
    with pytest.raises(ValidationError):  # days 1..3 overlap day 2: nothing of it is stored
        equipment.book(register, "TR-1", "H1", DAY + timedelta(days=1), DAY + timedelta(days=3))
    assert _count(register) == 1
    with pytest.raises(ValidationError) as info:
        equipment.book(register, "HV-B", "H0", DAY)
    assert info.value.problems[0].field == "machine"
    with pytest.raises(ValidationError) as info:
        equipment.add_machine(register, "TR-1", "A", "tractor")
    assert info.value.problems[0].field == "code"
    equipment.book(register, "TR-1", "H1", DAY + timedelta(days=3), DAY + timedelta(days=4))
    use = {m["code"]: m for m in equipment.use(register)["machines"]}
    assert use["TR-1"]["days_by_season"] == {"2027-autumn": 3} and use["TR-1"]["households"] == 2
    assert use["HV-B"]["days_by_season"] == {}


def test_equipment_commands(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from landrelease.cli import app

    register = Register.open(database_url)
    try:
        with register.unit_of_work() as uow:
            uow.add_settlements([Settlement("A", "Alpha", Point(47.0, 40.0).buffer(0.002))])
            stored.replace_households(uow, [Household("H0", 3, "A", DAY)])
    finally:
        register.close()
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", database_url)
    runner = CliRunner()
    assert runner.invoke(app, ["equipment", "add", "TR-1", "--settlement", "A", "--kind", "tractor"]).exit_code == 0
    ok = runner.invoke(app, ["equipment", "book", "TR-1", "--household", "H0", "--start", "2027-09-01"])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(app, ["equipment", "book", "TR-1", "--household", "H0", "--start", "2027-09-01"])
    assert again.exit_code == 2 and "already booked" in again.output
    use = runner.invoke(app, ["equipment", "use"])
    assert use.exit_code == 0 and "2027-autumn: 1" in use.output
