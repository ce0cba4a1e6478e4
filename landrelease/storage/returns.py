"""Stored returns: households, house stock and the latest allocation; consolidations;
reconstruction programmes; shared equipment and its bookings.

Household names and contacts are personal data: they are stored, never written to the audit
trail (which counts rows only), and the adapters redact them for roles that may not see them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, select

from landrelease.returns.housing import Allocation, House, Household
from landrelease.returns.reconstruction import Item
from landrelease.storage import schema

if TYPE_CHECKING:
    from landrelease.storage.repository import UnitOfWork

CHUNK = 5000


def settlement_ids(conn: Connection) -> dict[str, int]:
    s = schema.settlement
    return {r.code: r.id for r in conn.execute(select(s.c.code, s.c.id))}


def _codes_by_id(conn: Connection) -> dict[int, str]:
    return {v: k for k, v in settlement_ids(conn).items()}


# ---------------------------------------------------------------- households and houses


def replace_households(uow: UnitOfWork, households: Sequence[Household]) -> int:
    """Store the households (replacing those with the same reference); the allocation is
    cleared, since it no longer describes them."""
    ids = settlement_ids(uow.conn)
    t = schema.household
    now = datetime.now(UTC)
    refs = [h.ref for h in households]
    uow.conn.execute(delete(schema.allocation))
    for i in range(0, len(refs), CHUNK):
        uow.conn.execute(delete(t).where(t.c.ref.in_(refs[i : i + CHUNK])))
    rows = [
        {
            "ref": h.ref,
            "size": h.size,
            "origin_id": ids[h.origin],
            "choice_id": ids[h.choice] if h.choice else None,
            "registered": h.registered,
            "special_needs": h.special_needs,
            "name": h.name,
            "contact": h.contact,
            "created_at": now,
        }
        for h in households
    ]
    for i in range(0, len(rows), CHUNK):
        uow.conn.execute(t.insert(), rows[i : i + CHUNK])
    uow.audit("insert", "household", None, {"count": len(rows)})  # no names: personal data
    return len(rows)


def households(conn: Connection) -> list[Household]:
    t = schema.household
    codes = _codes_by_id(conn)
    return [
        Household(
            r.ref,
            r.size,
            codes[r.origin_id],
            r.registered,
            bool(r.special_needs),
            codes[r.choice_id] if r.choice_id is not None else None,
            r.name,
            r.contact,
        )
        for r in conn.execute(select(t).order_by(t.c.id))
    ]


def replace_houses(uow: UnitOfWork, houses: Sequence[House]) -> int:
    """Store the house stock (houses with the same code are replaced); clears the allocation."""
    ids = settlement_ids(uow.conn)
    t = schema.house
    uow.conn.execute(delete(schema.allocation))
    codes = [h.code for h in houses]
    for i in range(0, len(codes), CHUNK):
        uow.conn.execute(delete(t).where(t.c.code.in_(codes[i : i + CHUNK])))
    rows = [
        {
            "code": h.code,
            "settlement_id": ids[h.settlement],
            "house_type": h.house_type,
            "rooms": h.rooms,
            "capacity": h.capacity,
        }
        for h in houses
    ]
    for i in range(0, len(rows), CHUNK):
        uow.conn.execute(t.insert(), rows[i : i + CHUNK])
    uow.audit("insert", "house", None, {"count": len(rows)})
    return len(rows)


def houses(conn: Connection) -> list[House]:
    t = schema.house
    codes = _codes_by_id(conn)
    return [
        House(r.code, codes[r.settlement_id], r.house_type, r.rooms, r.capacity)
        for r in conn.execute(select(t).order_by(t.c.id))
    ]


def save_allocation(uow: UnitOfWork, allocations: Sequence[Allocation]) -> int:
    """Replace the stored allocation as a whole (the database refuses a house given twice)."""
    t = schema.allocation
    ids = settlement_ids(uow.conn)
    hh = {r.ref: r.id for r in uow.conn.execute(select(schema.household.c.ref, schema.household.c.id))}
    ho = {r.code: r.id for r in uow.conn.execute(select(schema.house.c.code, schema.house.c.id))}
    uow.conn.execute(delete(t))
    now = datetime.now(UTC)
    rows = [
        {
            "at": now,
            "household_id": hh[a.household],
            "house_id": ho[a.house] if a.house else None,
            "settlement_id": ids[a.settlement],
            "status": a.status,
            "rank": a.rank,
            "waiting_position": a.waiting_position,
            "explanation": a.explanation,
        }
        for a in allocations
    ]
    for i in range(0, len(rows), CHUNK):
        uow.conn.execute(t.insert(), rows[i : i + CHUNK])
    uow.audit(
        "allocate",
        "allocation",
        None,
        {"households": len(rows), "housed": sum(a.house is not None for a in allocations)},
    )
    return len(rows)


def allocations(conn: Connection) -> list[Allocation]:
    t, hh, ho = schema.allocation, schema.household, schema.house
    codes = _codes_by_id(conn)
    q = (
        select(t, hh.c.ref, ho.c.code.label("house_code"))
        .join(hh, hh.c.id == t.c.household_id)
        .outerjoin(ho, ho.c.id == t.c.house_id)
        .order_by(t.c.rank)
    )
    return [
        Allocation(r.ref, r.status, codes[r.settlement_id], r.house_code, r.rank, r.waiting_position, r.explanation)
        for r in conn.execute(q)
    ]


def household_names(conn: Connection) -> dict[str, dict[str, Any]]:
    """Personal fields by household reference (for roles that may see them)."""
    t = schema.household
    return {r.ref: {"name": r.name, "contact": r.contact} for r in conn.execute(select(t.c.ref, t.c.name, t.c.contact))}


def count(conn: Connection, table: str) -> int:
    t = schema.metadata.tables[table]
    return int(conn.execute(select(func.count()).select_from(t)).scalar_one())


# ---------------------------------------------------------------- consolidations


def consolidation_successors(conn: Connection) -> dict[str, str]:
    """Former settlement code -> code of the new settlement it was consolidated into."""
    c, m = schema.consolidation, schema.consolidation_member
    codes = _codes_by_id(conn)
    q = select(m.c.former_id, c.c.settlement_id).join(c, c.c.id == m.c.consolidation_id)
    return {codes[r.former_id]: codes[r.settlement_id] for r in conn.execute(q)}


def save_consolidation(uow: UnitOfWork, settlement_code: str, former: Sequence[str], details: dict[str, Any]) -> int:
    """Link a new settlement (already stored) to the former ones it replaces; the database
    refuses a former settlement that is already part of another consolidation."""
    ids = settlement_ids(uow.conn)
    c, m = schema.consolidation, schema.consolidation_member
    cid = uow.conn.execute(
        c.insert()
        .values(
            settlement_id=ids[settlement_code],
            accepted_at=datetime.now(UTC),
            accepted_by=uow.actor,
            details=details,
        )
        .returning(c.c.id)
    ).scalar_one()
    uow.conn.execute(m.insert(), [{"consolidation_id": cid, "former_id": ids[f]} for f in former])
    uow.audit("accept", "consolidation", settlement_code, {"former": list(former)})
    return int(cid)


def consolidations(conn: Connection) -> list[dict[str, Any]]:
    """Accepted consolidations: the new settlement, its former ones, when, by whom, details."""
    c, m = schema.consolidation, schema.consolidation_member
    codes = _codes_by_id(conn)
    members: dict[int, list[str]] = {}
    for r in conn.execute(select(m.c.consolidation_id, m.c.former_id).order_by(m.c.id)):
        members.setdefault(r.consolidation_id, []).append(codes[r.former_id])
    return [
        {
            "settlement": codes[r.settlement_id],
            "former": members.get(r.id, []),
            "accepted_at": r.accepted_at,
            "accepted_by": r.accepted_by,
            **dict(r.details or {}),
        }
        for r in conn.execute(select(c).order_by(c.c.id))
    ]


# ---------------------------------------------------------------- reconstruction


def replace_programme(uow: UnitOfWork, settlement_code: str, items: Sequence[Item]) -> int:
    """Replace a settlement's reconstruction programme."""
    sid = settlement_ids(uow.conn)[settlement_code]
    t = schema.reconstruction_item
    uow.conn.execute(delete(t).where(t.c.settlement_id == sid))
    rows = [
        {
            "settlement_id": sid,
            "code": i.code,
            "kind": i.kind,
            "duration_months": i.duration_months,
            "plots": list(i.plots),
            "after": list(i.after),
        }
        for i in items
    ]
    if rows:
        uow.conn.execute(t.insert(), rows)
    uow.audit("replace", "reconstruction_item", settlement_code, {"items": len(rows)})
    return len(rows)


def programmes(conn: Connection) -> dict[str, list[Item]]:
    """Each settlement's reconstruction programme, by settlement code."""
    t = schema.reconstruction_item
    codes = _codes_by_id(conn)
    out: dict[str, list[Item]] = {}
    for r in conn.execute(select(t).order_by(t.c.id)):
        out.setdefault(codes[r.settlement_id], []).append(
            Item(r.code, r.kind, int(r.duration_months), tuple(r.plots or ()), tuple(r.after or ()))
        )
    return out


# ---------------------------------------------------------------- shared equipment


def add_equipment(uow: UnitOfWork, code: str, settlement: str, kind: str, name: str = "") -> int:
    ids = settlement_ids(uow.conn)
    t = schema.equipment
    eid = uow.conn.execute(
        t.insert().values(code=code, settlement_id=ids[settlement], kind=kind, name=name).returning(t.c.id)
    ).scalar_one()
    uow.audit("insert", "equipment", code, {"settlement": settlement, "kind": kind})
    return int(eid)


def equipment(conn: Connection) -> list[dict[str, Any]]:
    t = schema.equipment
    codes = _codes_by_id(conn)
    return [
        {"code": r.code, "settlement": codes[r.settlement_id], "kind": r.kind, "name": r.name}
        for r in conn.execute(select(t).order_by(t.c.id))
    ]


def lock_household(uow: UnitOfWork, ref: str) -> int | None:
    """The household's id, its row locked until the unit of work ends (PostgreSQL; SQLite
    writers hold the database's write lock already), so its fair-use count cannot race."""
    t = schema.household
    q = select(t.c.id).where(t.c.ref == ref)
    if uow.conn.dialect.name == "postgresql":
        q = q.with_for_update()
    value = uow.conn.execute(q).scalar()
    return int(value) if value is not None else None


def household_days(conn: Connection, household_id: int) -> list[date]:
    t = schema.booking
    return [r.day for r in conn.execute(select(t.c.day).where(t.c.household_id == household_id))]


def insert_booking(
    uow: UnitOfWork, ref: str, equipment_code: str, household_id: int, booked: Sequence[tuple[date, str]]
) -> None:
    """Insert one row per day; the UNIQUE (machine, day) constraint raises IntegrityError on a
    day already taken (the caller's unit of work then rolls back the whole booking)."""
    e = schema.equipment
    eid = uow.conn.execute(select(e.c.id).where(e.c.code == equipment_code)).scalar_one()
    now = datetime.now(UTC)
    uow.conn.execute(
        schema.booking.insert(),
        [
            {"ref": ref, "equipment_id": eid, "day": d, "household_id": household_id, "season": s, "created_at": now}
            for d, s in booked
        ],
    )
    uow.audit("insert", "booking", ref, {"equipment": equipment_code, "days": len(booked)})


def bookings(conn: Connection, equipment_code: str | None = None) -> list[tuple[str, str, date]]:
    """(machine code, household ref, day) of every booked day."""
    b, e, h = schema.booking, schema.equipment, schema.household
    q = (
        select(e.c.code, h.c.ref, b.c.day)
        .join(e, e.c.id == b.c.equipment_id)
        .join(h, h.c.id == b.c.household_id)
        .order_by(e.c.code, b.c.day)
    )
    if equipment_code is not None:
        q = q.where(e.c.code == equipment_code)
    return [(r[0], r[1], r[2]) for r in conn.execute(q)]
