"""Housing: import households and house stock (all or nothing), allocate houses in the
stated order, and read the allocation back with each household's explanation.

The rule is the core's (:mod:`landrelease.returns.housing`); a household whose settlement was
consolidated is offered a house in the new settlement (the stored consolidations).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from landrelease.domain.errors import Problem, ValidationError
from landrelease.field.personal import may_see
from landrelease.io.housing import read_house_stock, read_households, read_rows
from landrelease.returns.housing import ORDER_RULE, Allocation, House, Household, allocate
from landrelease.services.register import Register
from landrelease.storage import returns as stored

__all__ = [
    "ORDER_RULE",
    "allocate_houses",
    "allocation_csv",
    "current_allocation",
    "import_file",
    "store",
    "successors",
]

HOUSEHOLDS, HOUSES = "households", "houses"


def _kind_of(path: Path) -> str:
    rows = read_rows(path)
    header = set(rows[0][1]) if rows else set()
    if {"capacity", "house_type"} <= header:
        return HOUSES
    if {"size", "origin"} <= header:
        return HOUSEHOLDS
    raise ValidationError(
        [
            Problem(
                "cannot tell households from house stock by the columns",
                record="1",
                field="header",
                found=", ".join(sorted(header)),
                expected="ref, size, origin, registered (households) or settlement, house_type, rooms, capacity",
                source=path.name,
            )
        ],
        f"{path.name} refused, nothing stored",
    )


def import_file(register: Register, path: Path, kind: str | None = None, *, actor: str = "import") -> tuple[str, int]:
    """Store households or house stock from a CSV/XLSX file (kind from its columns unless
    given); refused as a whole, naming row and field, if any row is wrong."""
    kind = kind or _kind_of(path)
    with register.reading() as conn:
        known = set(stored.settlement_ids(conn))
    if kind == HOUSEHOLDS:
        items = read_households(path, known)
        with register.unit_of_work(actor=actor) as uow:
            return kind, stored.replace_households(uow, items)
    if kind == HOUSES:
        stock = read_house_stock(path, known)
        with register.unit_of_work(actor=actor) as uow:
            return kind, stored.replace_houses(uow, stock)
    raise ValueError(f"unknown kind {kind!r}")


def store(
    register: Register,
    households: Sequence[Household] = (),
    houses: Sequence[House] = (),
    *,
    actor: str = "housing",
) -> None:
    """Store households and houses given as objects (the demo, other adapters): refused as a
    whole, naming record and field, when a settlement is unknown or a size is below 1."""
    with register.reading() as conn:
        known = set(stored.settlement_ids(conn))
    problems = []
    for h in households:
        if h.size < 1:
            problems.append(Problem("must be at least 1", record=h.ref, field="size", found=str(h.size)))
        for f, v in (("origin", h.origin), ("choice", h.choice)):
            if v is not None and v not in known:
                problems.append(Problem("unknown settlement", record=h.ref, field=f, found=v))
    for x in houses:
        if x.capacity < 1:
            problems.append(Problem("must be at least 1", record=x.code, field="capacity", found=str(x.capacity)))
        if x.settlement not in known:
            problems.append(Problem("unknown settlement", record=x.code, field="settlement", found=x.settlement))
    if problems:
        raise ValidationError(problems, "households and houses refused, nothing stored")
    with register.unit_of_work(actor=actor) as uow:
        if households:
            stored.replace_households(uow, households)
        if houses:
            stored.replace_houses(uow, houses)


def successors(register: Register) -> dict[str, str]:
    """Former settlement code -> the code of the new settlement it was consolidated into."""
    with register.reading() as conn:
        return stored.consolidation_successors(conn)


def allocate_houses(register: Register, *, actor: str = "housing") -> list[Allocation]:
    """Allocate the stored houses to the stored households and store the result (replacing
    the previous allocation) in one unit of work."""
    with register.reading() as conn:
        hh = stored.households(conn)
        stock = stored.houses(conn)
    if not hh:
        raise ValidationError([Problem("no household is registered", check="housing")], "nothing to allocate")
    names = {s.code: s.name for s in register.settlements()}
    result = allocate(hh, stock, successor=successors(register), names=names)
    with register.unit_of_work(actor=actor) as uow:
        stored.save_allocation(uow, result)
    return result


def current_allocation(register: Register, role: str | None = None) -> list[dict[str, Any]]:
    """The stored allocation as rows; the household's name only for roles that may see
    personal data."""
    with register.reading() as conn:
        rows = [a.as_dict() for a in stored.allocations(conn)]
        personal = stored.household_names(conn) if may_see(role) else {}
    for r in rows:
        if personal:
            r["name"] = personal.get(r["household"], {}).get("name")
    return rows


def allocation_csv(rows: list[dict[str, Any]]) -> str:
    """The allocation as CSV text (the columns of :meth:`Allocation.as_dict`)."""
    buf = io.StringIO()
    cols = ["rank", "household", "status", "settlement", "house", "waiting_position", "explanation"]
    if rows and "name" in rows[0]:
        cols.insert(2, "name")
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
