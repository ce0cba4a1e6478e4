"""The append-only audit trail, and the state of the register it vouches for.

- Each event stores the hash of the one before it (a chain): editing or deleting a past
  event breaks it.
- Each event also records the content hash of every row of an audited table that the
  application wrote since the event before it, in the same transaction (``audit_row``: table,
  row id, hash after the change; no hash: the row was deleted). The digest of those row hashes
  is part of the event's hash. So the last audited state of every live row is known, and a row
  changed behind the application's back (a raw UPDATE, INSERT or DELETE) no longer matches it.
- With a key (``LANDRELEASE_AUDIT_KEY``), each event also carries an HMAC-SHA256 of its hash:
  rewriting the chain with recomputed hashes needs the key. Deleting the newest events leaves a
  valid shorter chain; an exported anchor (the signed head, :func:`anchor`) detects that.

Which rows a write touched is captured from the statements the application runs through its
engine (:func:`install`; driver-level inserts announce themselves with :func:`note_insert`):
an INSERT notes the table's highest id before it (every row above is new), an UPDATE or DELETE
selects the ids its WHERE clause matches before it runs. Writes made through other connections
are never captured, so nothing done behind the application's back is ever recorded as audited.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import marshal
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, event, func, select, text
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.sql.dml import Delete, Insert, Update
from sqlalchemy.sql.elements import BinaryExpression, BindParameter

from landrelease.storage.schema import audit_event, audit_row, metadata

GENESIS = "0" * 64

# The register's own records: what an audit verification checks row by row. Not the users
# (passwords and session counters change on every sign-out), nor results computed from the
# register (assessments, forecasts), which are recomputed at will.
AUDITED_TABLES: tuple[str, ...] = (
    "hazard_area",
    "evidence",
    "activity",
    "released_part",
    "find",
    "settlement",
    "team",
    "task",
    "daily_report",
    "review_event",
    "proposal",
    "qa_inspection",
    "qa_nonconformity",
    "handover",
    "accident",
    "victim",
    "eore_session",
    "import_run",
)
_AUDITED = frozenset(AUDITED_TABLES)
_STATE = "landrelease_audit"
_KEYS: weakref.WeakKeyDictionary[Engine, bytes | None] = weakref.WeakKeyDictionary()
CHUNK = 5000


# ------------------------------------------------------------------ hashing


def _canon(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _row_hash(values: Sequence[Any], convert: Sequence[int]) -> str:
    """SHA-256 of a row's values in the table's physical column order, as the driver returns them.

    Trailing NULLs are dropped: a nullable column added later (at the end, as migrations add
    columns) leaves old rows' hashes as they were. ``convert``: positions of date/time columns,
    written as ISO text in UTC (a PostgreSQL session's time zone must not change a hash).
    ``marshal`` version 2 is fast and, without back-references, a pure function of the values.
    """
    row = list(values)
    for i in convert:
        v = row[i]
        if v is not None and type(v) is not str:  # SQLite returns date/time as text already
            row[i] = _canon(v)
    while row and row[-1] is None:
        row.pop()
    return hashlib.sha256(marshal.dumps(tuple(row), 2)).hexdigest()


_LAYOUTS: weakref.WeakKeyDictionary[Engine, dict[str, tuple[list[str], list[int]]]] = weakref.WeakKeyDictionary()


def _layout(conn: Connection, name: str, *, cache: bool = True) -> tuple[list[str], list[int]]:
    """The table's columns in their physical order (read from the database) and its date/time columns."""
    known = _LAYOUTS.setdefault(conn.engine, {}) if cache else {}
    if name not in known:
        from sqlalchemy import Date, DateTime, inspect

        cols = inspect(conn).get_columns(name)
        known[name] = (
            [c["name"] for c in cols],
            [i for i, c in enumerate(cols) if isinstance(c["type"], Date | DateTime)],
        )
    return known[name]


def _raw_table(name: str, columns: Sequence[str]) -> Any:
    """The table with untyped columns: values exactly as the driver returns them (no decoding)."""
    return sa_table(name, *[sa_column(c) for c in columns])


def row_hashes(
    conn: Connection, name: str, ids: Iterable[int] | None = None, *, above: int | None = None, reflect: bool = False
) -> Iterator[tuple[int, str]]:
    """(id, content hash) of rows of one table: the given ids, those with an id above ``above``, or every row."""
    columns, convert = _layout(conn, name, cache=not reflect)
    t = _raw_table(name, columns)
    pos = columns.index("id")
    if ids is None:
        q = select(*t.c) if above is None else select(*t.c).where(t.c.id > above)
        for row in conn.execute(q.order_by(t.c.id)):
            yield int(row[pos]), _row_hash(row, convert)
        return
    wanted = sorted(set(ids))
    for i in range(0, len(wanted), CHUNK):
        for row in conn.execute(select(*t.c).where(t.c.id.in_(wanted[i : i + CHUNK]))):
            yield int(row[pos]), _row_hash(row, convert)


def _rows_digest(rows: Sequence[tuple[str, int, str | None]]) -> str:
    body = "\n".join(f"{t}:{i}:{h or '-'}" for t, i, h in sorted(rows))
    return hashlib.sha256(body.encode()).hexdigest()


def _digest(
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    key: str | None,
    payload: Any,
    rows_digest: str | None = None,
) -> str:
    parts: list[Any] = [prev_hash, at.astimezone(UTC).isoformat(), actor, action, entity, key, payload]
    if rows_digest is not None:  # events written before row hashes existed hash as they did
        parts.append(rows_digest)
    body = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def sign(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------ capturing the rows a write touches


@dataclass
class _Touched:
    key: bytes | None = None
    new_above: dict[str, int] = field(default_factory=dict)  # table -> highest id before its first insert
    ids: dict[str, set[int]] = field(default_factory=dict)

    def pending(self) -> bool:
        return bool(self.new_above or self.ids)


def install(engine: Engine, key: str | bytes | None = None) -> None:
    """Capture, on every connection of ``engine``, the audited rows each transaction writes."""
    _KEYS[engine] = key.encode() if isinstance(key, str) else key
    if event.contains(engine, "before_execute", _before_execute):
        return
    event.listen(engine, "begin", _reset)
    event.listen(engine, "commit", _reset)
    event.listen(engine, "rollback", _reset)
    event.listen(engine, "before_execute", _before_execute)


def _reset(conn: Connection) -> None:
    conn.info[_STATE] = _Touched(_KEYS.get(conn.engine))


def _state(conn: Connection) -> _Touched:
    state = conn.info.get(_STATE)
    if state is None:
        state = conn.info[_STATE] = _Touched(_KEYS.get(conn.engine))
    return state


def _max_id(conn: Connection, name: str) -> int:
    t = _raw_table(name, ["id"])
    return int(conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one())


def note_insert(conn: Connection, name: str) -> None:
    """Say that rows are about to be inserted into ``name`` by driver-level SQL
    (``exec_driver_sql``, which the capture does not see): they are recorded by the next event."""
    if name in _AUDITED:
        _state(conn).new_above.setdefault(name, _max_id(conn, name))


def _before_execute(conn: Connection, clause: Any, multiparams: Any, params: Any, execution_options: Any) -> None:
    if not isinstance(clause, Insert | Update | Delete):
        return
    name = getattr(clause.table, "name", None)
    if name not in _AUDITED:
        return
    state = _state(conn)
    if isinstance(clause, Insert):
        state.new_above.setdefault(name, _max_id(conn, name))
        return
    state.ids.setdefault(name, set()).update(_matched_ids(conn, clause, multiparams, params))


def _matched_ids(conn: Connection, clause: Update | Delete, multiparams: Any, params: Any) -> set[int]:
    t = metadata.tables[str(getattr(clause.table, "name", ""))]
    where = clause.whereclause
    param_sets: list[Mapping[str, Any]] = list(multiparams or []) or ([params] if params else [])
    if (
        isinstance(where, BinaryExpression)
        and getattr(where.left, "key", None) == "id"
        and isinstance(where.right, BindParameter)
        and param_sets
        and where.right.key in param_sets[0]
    ):  # UPDATE … WHERE id = :i, executemany: the ids are the parameters
        return {int(p[where.right.key]) for p in param_sets}
    q = select(t.c.id) if where is None else select(t.c.id).where(where)
    if not param_sets:
        return {int(i) for (i,) in conn.execute(q)}
    out: set[int] = set()
    for p in param_sets:
        out.update(int(i) for (i,) in conn.execute(q, dict(p)))
    return out


def pending(conn: Connection) -> bool:
    """Whether this transaction wrote audited rows that no event has recorded yet."""
    state = conn.info.get(_STATE)
    return bool(state and state.pending())


def _drain(conn: Connection) -> list[tuple[str, int, str | None]]:
    state = _state(conn)
    hashes: dict[str, dict[int, str]] = {}
    for name, above in state.new_above.items():  # new rows: one range scan
        hashes[name] = dict(row_hashes(conn, name, above=above))
    touched = {k: set(v) for k, v in state.ids.items()}
    state.ids.clear()
    state.new_above.clear()
    out: list[tuple[str, int, str | None]] = []
    for name in sorted(set(touched) | set(hashes)):
        known = hashes.setdefault(name, {})
        rest = touched.get(name, set()) - known.keys()
        if rest:
            known.update(row_hashes(conn, name, rest))
        out.extend((name, i, known.get(i)) for i in sorted(rest | known.keys()))
    return out


# ------------------------------------------------------------------ writing


def append(conn: Connection, actor: str, action: str, entity: str, key: str | None, payload: Any) -> str:
    """Append one event inside the caller's transaction and return its hash.

    The event records the hash of every audited row this transaction wrote since the last event.
    """
    if not _has_row_table(conn):  # a register not yet migrated to sec_a_1: the chain as before
        _state(conn).ids.clear()
        _state(conn).new_above.clear()
        return _append(conn, actor, action, entity, key, payload, [], None, legacy=True)
    return _append(conn, actor, action, entity, key, payload, _drain(conn), _state(conn).key)


_ROW_TABLE: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def _has_row_table(conn: Connection) -> bool:
    """Whether the schema has ``audit_row`` (remembered once true: migrations only go forward)."""
    if _ROW_TABLE.get(conn.engine):
        return True
    from sqlalchemy import inspect

    found = inspect(conn).has_table("audit_row")
    if found:
        _ROW_TABLE[conn.engine] = True
    return found


def _append(
    conn: Connection,
    actor: str,
    action: str,
    entity: str,
    key: str | None,
    payload: Any,
    rows: Sequence[tuple[str, int, str | None]],
    sign_key: bytes | None,
    *,
    legacy: bool = False,
) -> str:
    if conn.dialect.name == "postgresql":
        # Serialise writers of the chain; released at the end of the transaction.
        conn.execute(text("SELECT pg_advisory_xact_lock(7307)"))
    prev = conn.execute(select(audit_event.c.hash).order_by(audit_event.c.id.desc()).limit(1)).scalar()
    prev_hash = prev or GENESIS
    at = datetime.now(UTC).replace(microsecond=0)
    payload = json.loads(json.dumps(payload, default=str))
    rows_digest = _rows_digest(rows) if rows else None
    digest = _digest(prev_hash, at, actor, action, entity, key, payload, rows_digest)
    result = conn.execute(
        audit_event.insert().values(
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            entity_key=key,
            payload=payload,
            prev_hash=prev_hash,
            hash=digest,
            **(
                {}
                if legacy
                else {"rows_digest": rows_digest, "signature": sign(sign_key, digest) if sign_key else None}
            ),
        )
    )
    event_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    sql = f"INSERT INTO audit_row (event_id, tbl, row_id, hash) VALUES ({mark}, {mark}, {mark}, {mark})"
    values = [(event_id, t, i, h) for t, i, h in rows]
    for i in range(0, len(values), 20000):
        conn.exec_driver_sql(sql, values[i : i + 20000])  # the fast path: no per-row statement objects
    return digest


def baseline(conn: Connection, actor: str = "migration") -> str | None:
    """Record the current state of every audited row as audited (once, when row hashes begin).

    Reads the tables' columns from the database itself, so it works at any later schema too.
    """
    rows: list[tuple[str, int, str | None]] = []
    for name in AUDITED_TABLES:
        rows.extend((name, i, h) for i, h in row_hashes(conn, name, reflect=True))
    if not rows:
        return None
    return _append(conn, actor, "baseline", "register", None, {"rows": len(rows)}, rows, None)


# ------------------------------------------------------------------ verifying


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong: a broken link of the chain, or a row that is not as audited."""

    kind: str  # chain | signature | rows | changed | inserted | deleted | anchor
    message: str
    event: int | None = None
    table: str | None = None
    row_id: int | None = None
    code: str | None = None


@dataclass
class Verification:
    events: int = 0
    signed_events: int = 0
    rows_checked: int = 0
    head: tuple[int, str] | None = None
    first_broken: int | None = None
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _codes(conn: Connection, name: str, ids: Iterable[int]) -> dict[int, str]:
    cols = metadata.tables[name].c
    if "code" not in cols and "uuid" not in cols and "number" not in cols:
        return {}
    label = cols["code"] if "code" in cols else cols["uuid"] if "uuid" in cols else cols["number"]
    wanted = sorted(set(ids))
    out: dict[int, str] = {}
    for i in range(0, len(wanted), CHUNK):
        out.update(
            {
                int(r[0]): str(r[1])
                for r in conn.execute(select(cols["id"], label).where(cols["id"].in_(wanted[i : i + CHUNK])))
                if r[1] is not None
            }
        )
    return out


def verify(conn: Connection, key: bytes | None) -> Verification:
    """Check the chain (links, hashes, signatures, row digests) and every live audited row."""
    out = Verification()
    prev_hash = GENESIS
    first_signed: int | None = None
    rows_by_event: dict[int, list[tuple[str, int, str | None]]] = {}
    expected: dict[tuple[str, int], str | None] = {}
    ar = audit_row
    for r in conn.execute(select(ar.c.event_id, ar.c.tbl, ar.c.row_id, ar.c.hash).order_by(ar.c.event_id, ar.c.id)):
        rows_by_event.setdefault(r.event_id, []).append((r.tbl, r.row_id, r.hash))
        expected[(r.tbl, r.row_id)] = r.hash

    def broken(f: Finding) -> None:
        out.findings.append(f)
        if out.first_broken is None and f.event is not None:
            out.first_broken = f.event

    for row in conn.execute(select(audit_event).order_by(audit_event.c.id)):
        out.events += 1
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
        recomputed = _digest(
            prev_hash, at, row.actor, row.action, row.entity, row.entity_key, row.payload, row.rows_digest
        )
        if row.prev_hash != prev_hash:
            broken(
                Finding(
                    "chain",
                    f"event {row.id} does not follow the event before it (an event was removed or inserted)",
                    row.id,
                )
            )
        elif row.hash != recomputed:
            broken(
                Finding(
                    "chain",
                    f"event {row.id} ({row.action} {row.entity}) was edited: its hash does not match its content",
                    row.id,
                )
            )
        rows = rows_by_event.pop(row.id, [])
        if (row.rows_digest or None) != (_rows_digest(rows) if rows else None):
            broken(Finding("rows", f"the row hashes recorded by event {row.id} were altered", row.id))
        if row.signature is not None:
            out.signed_events += 1
            first_signed = row.id if first_signed is None else first_signed
            if key is None:
                pass
            elif not hmac.compare_digest(row.signature, sign(key, row.hash)):
                broken(
                    Finding(
                        "signature",
                        f"event {row.id} is not signed with this audit key (chain rewritten, or a wrong key)",
                        row.id,
                    )
                )
        elif key is not None and first_signed is not None:
            broken(Finding("signature", f"event {row.id} has no signature although earlier events are signed", row.id))
        prev_hash = row.hash
        out.head = (row.id, row.hash)
    for event_id in sorted(rows_by_event):
        broken(Finding("rows", f"row hashes are recorded for event {event_id}, which is not in the chain", event_id))

    if key is None:
        out.notes.append(
            "the chain is unsigned here (LANDRELEASE_AUDIT_KEY is not set): a chain rewritten with "
            "recomputed hashes, or the newest events deleted, cannot be detected"
        )
    elif out.events and first_signed is None:
        out.notes.append("no event is signed: the events were written without an audit key")
    elif first_signed is not None and first_signed > 1:
        out.notes.append(f"events before {first_signed} were written before the audit key was set (unsigned)")

    for name in AUDITED_TABLES:
        changed: list[int] = []
        inserted: list[int] = []
        seen: set[int] = set()
        for i, h in row_hashes(conn, name):
            out.rows_checked += 1
            seen.add(i)
            if (name, i) not in expected:
                inserted.append(i)
            elif expected[(name, i)] != h:
                changed.append(i)
        deleted = [i for (t, i), h in expected.items() if t == name and h is not None and i not in seen]
        codes = _codes(conn, name, changed + inserted)
        for kind, ids, what in (
            ("changed", changed, "changed since its last audited write"),
            ("inserted", inserted, "inserted without an audited write"),
            ("deleted", deleted, "deleted without an audited write"),
        ):
            for i in ids:
                code = codes.get(i)
                label = f"{name} {code!r} (id {i})" if code else f"{name} id {i}"
                out.findings.append(Finding(kind, f"{label} was {what}", table=name, row_id=i, code=code))
    return out


def head(conn: Connection) -> tuple[int, str] | None:
    """(sequence, hash) of the newest event."""
    r = conn.execute(select(audit_event.c.id, audit_event.c.hash).order_by(audit_event.c.id.desc()).limit(1)).first()
    return (int(r.id), str(r.hash)) if r else None


def event_hash(conn: Connection, sequence: int) -> str | None:
    return conn.execute(select(audit_event.c.hash).where(audit_event.c.id == sequence)).scalar()


def history(conn: Connection, code: str) -> list[dict[str, Any]]:
    """Every event about a hazard area and its remainders (``CODE/n``): by key, by payload, by row."""
    from landrelease.storage.schema import hazard_area

    h, ae = hazard_area, audit_event
    like = code.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
    area_ids = [
        int(i) for (i,) in conn.execute(select(h.c.id).where((h.c.code == code) | h.c.code.like(like, escape="\\")))
    ]
    ids: set[int] = set()
    if area_ids:
        q = select(audit_row.c.event_id).where(audit_row.c.tbl == "hazard_area", audit_row.c.row_id.in_(area_ids))
        ids.update(int(i) for (i,) in conn.execute(q.distinct()))
    q = select(ae.c.id).where((ae.c.entity_key == code) | ae.c.entity_key.like(like, escape="\\"))
    ids.update(int(i) for (i,) in conn.execute(q))
    events = []
    for r in conn.execute(select(ae).where(ae.c.id.in_(sorted(ids))).order_by(ae.c.id)) if ids else []:
        events.append(
            {
                "sequence": r.id,
                "at": (r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC)).isoformat(),
                "actor": r.actor,
                "action": r.action,
                "entity": r.entity,
                "key": r.entity_key,
                "payload": r.payload,
                "hash": r.hash,
            }
        )
    return events


def verify_chain(conn: Connection) -> list[int]:
    """Ids of events whose stored hash does not match their content or predecessor."""
    return sorted({f.event for f in verify_events(conn) if f.event is not None})


def verify_events(conn: Connection) -> list[Finding]:
    """The chain's own findings (links and hashes), without the rows."""
    out: list[Finding] = []
    prev_hash = GENESIS
    for row in conn.execute(select(audit_event).order_by(audit_event.c.id)):
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
        expected = _digest(
            prev_hash, at, row.actor, row.action, row.entity, row.entity_key, row.payload, row.rows_digest
        )
        if row.prev_hash != prev_hash or row.hash != expected:
            out.append(Finding("chain", f"event {row.id} is broken", row.id))
        prev_hash = row.hash
    return out
