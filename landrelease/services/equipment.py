"""Shared village equipment: the register of machines per settlement, bookings by households
(no double booking, enforced by the database; fair use per household per season), and the
use of each machine.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError

from landrelease.domain.errors import ConflictError, Problem, ValidationError
from landrelease.returns.equipment import DEFAULT_DAYS_PER_SEASON, KINDS, check_request, days, season, use_per_machine
from landrelease.services.register import Register
from landrelease.storage import returns as stored

__all__ = ["DEFAULT_DAYS_PER_SEASON", "add_machine", "book", "bookings", "machines", "use"]


def add_machine(register: Register, code: str, settlement: str, kind: str, name: str = "") -> None:
    """Register a community-owned machine of a settlement."""
    problems = []
    if kind not in KINDS:
        problems.append(
            Problem("unknown kind", record=code, field="kind", found=kind, expected=", ".join(sorted(KINDS)))
        )
    with register.reading() as conn:
        if settlement not in stored.settlement_ids(conn):
            problems.append(Problem("unknown settlement", record=code, field="settlement", found=settlement))
    if problems:
        raise ValidationError(problems, "machine refused")
    try:
        with register.unit_of_work(actor="equipment") as uow:
            stored.add_equipment(uow, code, settlement, kind, name)
    except IntegrityError:
        raise ValidationError(
            [Problem("a machine with this code exists", record=code, field="code", found=code)], "machine refused"
        ) from None


def machines(register: Register) -> list[dict[str, Any]]:
    with register.reading() as conn:
        return stored.equipment(conn)


def book(
    register: Register,
    machine: str,
    household: str,
    start: date,
    end: date | None = None,
    *,
    limit: int = DEFAULT_DAYS_PER_SEASON,
    actor: str = "equipment",
) -> str:
    """Book a machine for a household from ``start`` to ``end`` (inclusive; default one day).

    All or nothing: refused (naming the field) when a day is taken, the household would pass
    its fair share of the season, the machine belongs to another settlement, or either is
    unknown. Returns the booking's reference.
    """
    end = end or start
    with register.reading() as conn:
        kit = {m["code"]: m for m in stored.equipment(conn)}
        successors = stored.consolidation_successors(conn)
        homes = {h.ref: h for h in stored.households(conn) if h.ref == household}
    if machine not in kit:
        raise ValidationError([Problem("no such machine", field="machine", found=machine)], "booking refused")
    hh = homes.get(household)
    if hh is None:
        raise ValidationError([Problem("no such household", field="household", found=household)], "booking refused")
    mine = {hh.origin, hh.wants}
    mine |= {successors[s] for s in mine if s in successors}
    if kit[machine]["settlement"] not in mine:
        raise ValidationError(
            [
                Problem(
                    "the machine belongs to another settlement",
                    record=household,
                    field="machine",
                    found=f"{machine} of {kit[machine]['settlement']}",
                    expected="a machine of " + ", ".join(sorted(mine)),
                )
            ],
            "booking refused",
        )
    ref = uuid.uuid4().hex[:12]
    try:
        with register.unit_of_work(actor=actor) as uow:
            hid = stored.lock_household(uow, household)
            if hid is None:  # removed since it was read
                raise ValidationError(
                    [Problem("no such household", field="household", found=household)], "booking refused"
                )
            used: dict[str, int] = {}
            for d in stored.household_days(uow.conn, hid):
                used[season(d)] = used.get(season(d), 0) + 1
            problems = check_request(household, start, end, used, limit)
            if problems:
                fair = [p for p in problems if p.field == "days"]
                summary = (
                    f"booking refused: household {household} would pass the fair-use limit of {limit} "
                    "machine-days per season"
                    if fair
                    else "booking refused"
                )
                raise ValidationError(problems, summary)
            stored.insert_booking(uow, ref, machine, hid, [(d, season(d)) for d in days(start, end)])
    except IntegrityError:
        wanted = set(days(start, end))
        with register.reading() as conn:
            taken = sorted({d for _, _, d in stored.bookings(conn, machine) if d in wanted})
        said = ", ".join(d.isoformat() for d in taken) or f"{start.isoformat()}..{end.isoformat()}"
        raise ConflictError(
            [
                Problem(
                    "the machine is already booked on this day",
                    record=household,
                    field="start",
                    found=f"{machine} on {d.isoformat()}",
                )
                for d in taken
            ]
            or [
                Problem("the machine is already booked", record=household, field="start", found=f"{machine} on {said}")
            ],
            f"booking refused: machine {machine} is already booked on {said}",
        ) from None
    return ref


def use(register: Register) -> dict[str, Any]:
    """Per machine: days booked per season, and the households that used it."""
    with register.reading() as conn:
        rows = stored.bookings(conn)
        kit = stored.equipment(conn)
    per = use_per_machine(rows)
    users: dict[str, set[str]] = {}
    for m, h, _ in rows:
        users.setdefault(m, set()).add(h)
    return {
        "machines": [
            {**m, "days_by_season": per.get(m["code"], {}), "households": len(users.get(m["code"], set()))} for m in kit
        ]
    }


def bookings(register: Register, machine: str | None = None, *, personal: bool = False) -> list[dict[str, Any]]:
    """Every booked day (machine, household, day); the household's name only where ``personal``
    (roles that may see personal data)."""
    with register.reading() as conn:
        rows = stored.bookings(conn, machine)
        names = stored.household_names(conn) if personal else {}
    out: list[dict[str, Any]] = []
    for m, h, d in rows:
        row: dict[str, Any] = {"machine": m, "household": h, "day": d.isoformat(), "season": season(d)}
        if personal:
            row["name"] = names.get(h, {}).get("name")
        out.append(row)
    return out
