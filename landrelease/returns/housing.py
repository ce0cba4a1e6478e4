"""Houses for the families who return: who gets which house, in an order anyone can check.

The size of the house follows the size of the family: a household gets a house whose
capacity is at least its size, the smallest such house that is vacant (fewest places, then
fewest rooms), so that larger houses stay for larger families. The order is stated and the
same for all:

1. households with special needs first,
2. then by the date they registered (earlier first),
3. then by their reference (a fixed tie-break, so the result never depends on file order).

Each household is offered a house in the settlement of its choice (its origin unless it
chose another); where that settlement was consolidated into a new one, in its successor.
A household for which no fitting house is vacant when its turn comes joins that
settlement's waiting list, in the same order. Greedy in this order means no household waits
while a house that fits it stays empty: houses are only ever taken, never freed, so a house
that was not vacant for it is not vacant afterwards either.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

ALLOCATED = "allocated"
WAITING = "waiting"
ORDER_RULE = "special needs first, then date registered (earlier first), then household reference"


@dataclass(frozen=True, slots=True)
class Household:
    """A household applying to return. ``name`` and ``contact`` are personal data."""

    ref: str
    size: int
    origin: str  # settlement code
    registered: date
    special_needs: bool = False
    choice: str | None = None  # settlement code of choice (None: its origin)
    name: str | None = None
    contact: str | None = None

    @property
    def wants(self) -> str:
        return self.choice or self.origin


@dataclass(frozen=True, slots=True)
class HouseType:
    code: str
    rooms: int
    capacity: int  # people it houses


@dataclass(frozen=True, slots=True)
class House:
    """One house of the stock, built (or to be built) in a settlement."""

    code: str
    settlement: str
    house_type: str
    rooms: int
    capacity: int


class Allocation:
    """What one household is offered, and why (the explanation is written when first read:
    a national allocation explains 100,000 households only when they are shown or stored)."""

    __slots__ = ("_text", "_why", "house", "household", "rank", "settlement", "status", "waiting_position")

    def __init__(
        self,
        household: str,
        status: str,  # ALLOCATED or WAITING
        settlement: str,  # where the house is (or where it waits)
        house: str | None,
        rank: int,  # its place in the order, from 1
        waiting_position: int | None,
        explanation: str | None = None,
        why: tuple[Any, ...] | None = None,
    ) -> None:
        self.household, self.status, self.settlement, self.house = household, status, settlement, house
        self.rank, self.waiting_position = rank, waiting_position
        self._text, self._why = explanation, why

    @property
    def explanation(self) -> str:
        if self._text is None:
            self._text = _explain(*self._why) if self._why is not None else ""
        return self._text

    def __repr__(self) -> str:
        return f"Allocation({self.household!r}, {self.status!r}, {self.settlement!r}, {self.house!r}, rank={self.rank})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "household": self.household,
            "status": self.status,
            "settlement": self.settlement,
            "house": self.house,
            "rank": self.rank,
            "waiting_position": self.waiting_position,
            "explanation": self.explanation,
        }


def _explain(hh: Household, got: House | None, rank: int, n: int, label: str, via: str, pos: int | None) -> str:
    why_order = (
        f"place {rank} of {n} in the order ({ORDER_RULE}): "
        f"{'special needs, ' if hh.special_needs else ''}registered {hh.registered.isoformat()}"
    )
    if got is not None:
        return (
            f"House {got.code} ({got.rooms} rooms, for {got.capacity}) in {label}{via}: the smallest vacant "
            f"house that fits a household of {hh.size}; {why_order}."
        )
    return (
        f"Waiting list of {label}{via}, position {pos}: no vacant house for {hh.size} or more people "
        f"when its turn came; {why_order}."
    )


def priority_key(h: Household) -> tuple[int, date, str]:
    """The stated order: special needs first, then date registered, then reference."""
    return (0 if h.special_needs else 1, h.registered, h.ref)


def allocate(
    households: Sequence[Household],
    houses: Sequence[House],
    *,
    successor: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[Allocation]:
    """Allocate houses to households in the stated order (see the module text).

    ``successor`` maps a former settlement's code to the new settlement it was consolidated
    into; ``names`` settlement codes to names, for the explanations. Returns one allocation
    per household, in the order of allocation.
    """
    successor = successor or {}
    names = names or {}
    # vacant houses per settlement: capacities sorted, and per capacity a stack of houses
    # (fewest rooms, then code, on top)
    vacant: dict[str, dict[int, list[House]]] = {}
    for h in houses:
        vacant.setdefault(h.settlement, {}).setdefault(h.capacity, []).append(h)
    for by_cap in vacant.values():
        for stack in by_cap.values():
            stack.sort(key=lambda x: (x.rooms, x.code), reverse=True)
    caps: dict[str, list[int]] = {s: sorted(v) for s, v in vacant.items()}
    waiting: dict[str, int] = {}
    out: list[Allocation] = []
    order = sorted(households, key=priority_key)
    n = len(order)
    for rank, hh in enumerate(order, start=1):
        wanted = hh.wants
        nxt = successor.get(wanted)
        places = (wanted,) if nxt is None or nxt == wanted else (wanted, nxt)
        got: House | None = None
        where = places[-1]
        for place in places:
            cs = caps.get(place)
            if not cs:
                continue
            i = bisect.bisect_left(cs, hh.size)
            if i < len(cs):
                cap = cs[i]
                stack = vacant[place][cap]
                got = stack.pop()
                if not stack:
                    del vacant[place][cap]
                    cs.pop(i)
                where = place
                break
        label = names.get(where, where)
        if where != wanted:
            via = f" (the successor of {names.get(wanted, wanted)}, consolidated)"
        else:
            via = " (its choice)" if hh.choice and hh.choice != hh.origin else " (its home settlement)"
        if got is not None:
            out.append(
                Allocation(hh.ref, ALLOCATED, where, got.code, rank, None, None, (hh, got, rank, n, label, via, None))
            )
        else:
            pos = waiting.get(where, 0) + 1
            waiting[where] = pos
            out.append(Allocation(hh.ref, WAITING, where, None, rank, pos, None, (hh, None, rank, n, label, via, pos)))
    return out


def expand_stock(rows: Sequence[tuple[str, HouseType, int]]) -> list[House]:
    """Houses from (settlement, house type, count) rows of a stock table: codes
    ``SETTLEMENT-TYPE-k``, k from 1."""
    out: list[House] = []
    for settlement, t, count in rows:
        out.extend(
            House(f"{settlement}-{t.code}-{k}", settlement, t.code, t.rooms, t.capacity) for k in range(1, count + 1)
        )
    return out
