"""Reconstruction: a settlement is ready when its land is released *and* it is rebuilt.

A programme is a list of items (access road, power, water, mobile coverage, school, medical
centre, shops, post office, houses), each with its own plots (hazard areas that must be
released before work starts there), a duration in months and the items it must follow. Some
order is always kept, whatever the programme says: the access road before everything else
that has one, and utilities (power, water, mobile coverage) before houses.

In each forecast run an item starts when its plots are released and the items before it are
finished, and ends ``duration_months`` later; the programme ends with its last item. This is
vectorised over the runs, and readiness takes the later of the land and the programme, run
by run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from landrelease.domain.errors import Problem, ValidationError

ROAD = "access_road"
UTILITIES = frozenset({"power", "water", "mobile"})
PUBLIC = frozenset({"school", "medical_centre", "shops", "post_office"})
HOUSES = "houses"
KINDS = frozenset({ROAD, HOUSES, *UTILITIES, *PUBLIC})


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    kind: str
    duration_months: int
    plots: tuple[str, ...] = ()  # hazard codes released first
    after: tuple[str, ...] = field(default_factory=tuple)  # item codes finished first


def implied_after(items: Sequence[Item]) -> dict[str, set[str]]:
    """Each item's predecessors: its own, the access road (for every other item), and the
    utilities (for houses)."""
    roads = {i.code for i in items if i.kind == ROAD}
    utilities = {i.code for i in items if i.kind in UTILITIES}
    out: dict[str, set[str]] = {}
    for i in items:
        pre = set(i.after)
        if i.kind != ROAD:
            pre |= roads
        if i.kind == HOUSES:
            pre |= utilities
        out[i.code] = pre - {i.code}
    return out


def check(settlement: str, items: Sequence[Item]) -> None:
    """Refuse a programme with unknown kinds, durations below 0, repeated codes, predecessors
    that are not in it, or a cycle — naming the settlement, item and field."""
    problems = []
    codes = [i.code for i in items]
    for i in items:
        rec = f"{settlement}/{i.code}"
        if codes.count(i.code) > 1:
            problems.append(Problem("item code repeated", record=rec, field="code", found=i.code))
        if i.kind not in KINDS:
            problems.append(
                Problem("unknown kind", record=rec, field="kind", found=i.kind, expected=", ".join(sorted(KINDS)))
            )
        if i.duration_months < 0:
            problems.append(
                Problem("negative duration", record=rec, field="duration_months", found=str(i.duration_months))
            )
        for a in i.after:
            if a not in codes:
                problems.append(Problem("no such item in the programme", record=rec, field="after", found=a))
    if not problems and _order(items) is None:
        problems.append(Problem("the items' order has a cycle", record=settlement, field="after"))
    if problems:
        raise ValidationError(problems, f"reconstruction programme of {settlement} refused")


def _order(items: Sequence[Item]) -> list[Item] | None:
    pre = implied_after(items)
    by = {i.code: i for i in items}
    done: list[Item] = []
    seen: set[str] = set()
    left = dict(pre)
    while left:
        ready = sorted(c for c, p in left.items() if p <= seen)
        if not ready:
            return None
        for c in ready:
            done.append(by[c])
            seen.add(c)
            del left[c]
    return done


def programme_end(
    items: Sequence[Item], released: Mapping[str, np.ndarray], runs: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Per run, the month the programme ends, and each item's end month.

    ``released`` maps a plot's hazard code to its release month in each run; a plot it does
    not hold is released already (month 0).
    """
    order = _order(items)
    if order is None:
        raise ValueError("the programme's order has a cycle")
    pre = implied_after(items)
    zero = np.zeros(runs, dtype=np.int64)
    ends: dict[str, np.ndarray] = {}
    for i in order:
        start = zero.copy()
        for p in i.plots:
            if p in released:
                np.maximum(start, released[p].astype(np.int64), out=start)
        for a in pre[i.code]:
            np.maximum(start, ends[a], out=start)
        ends[i.code] = start + int(i.duration_months)
    total = zero.copy()
    for e in ends.values():
        np.maximum(total, e, out=total)
    return total, ends
