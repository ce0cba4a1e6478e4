"""Shared village equipment: machinery owned by the whole settlement, booked by households a
day at a time.

No machine is booked twice for the same day (the database refuses it: one row per machine and
day under a UNIQUE constraint, on both backends). Fair use: a household books at most
``limit`` machine-days per season (spring March–May, summer June–August, autumn
September–November, winter December–February, named by the year it ends in), so that
harvest-time machinery goes round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from landrelease.domain.errors import Problem

KINDS = frozenset({"tractor", "harvester", "seeder", "plough", "trailer", "sprayer", "other"})
DEFAULT_DAYS_PER_SEASON = 6
MAX_DAYS_PER_BOOKING = 31


def season(d: date) -> str:
    """The farming season of a day.

    >>> season(date(2027, 4, 2)), season(date(2027, 12, 5)), season(date(2028, 1, 5))
    ('2027-spring', '2028-winter', '2028-winter')
    """
    m = d.month
    if m in (3, 4, 5):
        return f"{d.year}-spring"
    if m in (6, 7, 8):
        return f"{d.year}-summer"
    if m in (9, 10, 11):
        return f"{d.year}-autumn"
    return f"{d.year + 1 if m == 12 else d.year}-winter"


def days(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive."""
    return [start + timedelta(days=k) for k in range((end - start).days + 1)]


def check_request(
    household: str,
    start: date,
    end: date,
    used: Mapping[str, int],
    limit: int = DEFAULT_DAYS_PER_SEASON,
) -> list[Problem]:
    """What is wrong with a booking request: dates in the wrong order, too long, or more
    machine-days in a season than the household's fair share (``used``: days it already has
    per season)."""
    if end < start:
        return [Problem("the end is before the start", record=household, field="end", found=end.isoformat())]
    wanted = days(start, end)
    if len(wanted) > MAX_DAYS_PER_BOOKING:
        return [
            Problem(
                "booking too long", record=household, field="end", found=f"{len(wanted)} days",
                expected=f"at most {MAX_DAYS_PER_BOOKING}",
            )
        ]  # fmt: skip
    per: dict[str, int] = {}
    for d in wanted:
        per[season(d)] = per.get(season(d), 0) + 1
    return [
        Problem(
            "fair-use limit: too many machine-days this season",
            record=household,
            field="days",
            found=f"{used.get(s, 0)} booked + {n} asked in {s}",
            expected=f"at most {limit} per household per season",
        )
        for s, n in sorted(per.items())
        if used.get(s, 0) + n > limit
    ]


def use_per_machine(rows: Sequence[tuple[str, str, date]]) -> dict[str, dict[str, int]]:
    """Days booked per machine and season, from (machine, household, day) rows."""
    out: dict[str, dict[str, int]] = {}
    for machine, _, d in rows:
        s = season(d)
        out.setdefault(machine, {})[s] = out.setdefault(machine, {}).get(s, 0) + 1
    return out
