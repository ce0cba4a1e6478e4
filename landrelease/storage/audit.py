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
import itertools
import json
import numbers
import struct
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
    # returns: who was registered, which house went to which household, consolidations,
    # reconstruction and the booking of shared machinery (row identity: the id; named by ref/code)
    "household",
    "house",
    "allocation",
    "consolidation",
    "consolidation_member",
    "reconstruction_item",
    "equipment",
    "booking",
)
_AUDITED = frozenset(AUDITED_TABLES)
_STATE = "landrelease_audit"
_KEYS: weakref.WeakKeyDictionary[Engine, bytes | None] = weakref.WeakKeyDictionary()
CHUNK = 5000


# ------------------------------------------------------------------ hashing
#
# A row's content hash (ROW_HASH_VERSION 2) is the SHA-256 of its canonical encoding: for every
# column whose value is not NULL, in the bytewise order of the column names,
#
#     u32(len(name)) name  tag  u32(len(value)) value        (u32: 4-byte big-endian unsigned)
#
# with ``name`` in UTF-8 and ``tag`` one byte saying how ``value`` is written:
#
#   i  integer or boolean: decimal ASCII (booleans 0 / 1)
#   f  floating point: IEEE 754 binary64, big-endian (struct ``>d``)
#   t  text: UTF-8
#   b  bytes: as stored
#   g  geometry: ISO WKB, little-endian, without SRID (EWKB from PostGIS and WKB from SQLite
#      give the same bytes); a value already 2-D little-endian WKB is taken as it is
#   j  JSON: UTF-8 of ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
#   d  date: ``YYYY-MM-DD``
#   s  date and time: UTC, without offset, ``YYYY-MM-DDTHH:MM:SS.ffffff``
#
# A NULL column is left out (the name says which column a value belongs to, so nothing is
# ambiguous): a nullable column added by a later migration leaves older rows' hashes as they
# were. The tag comes from the column's type in ``schema.metadata`` (a column unknown to it from
# the value's Python type), so the same logical row hashes the same on SQLite and PostGIS, and
# in any Python version: nothing depends on ``marshal``, ``pickle`` or ``repr``.

ROW_HASH_VERSION = 2
_U32 = struct.Struct(">I")
_F64 = struct.Struct(">d")
_F64_LEN = _U32.pack(8)
_ISO_2D = frozenset(b"\x01" + struct.pack("<I", t) for t in range(1, 8))  # byte order, 2-D type


def _kind(sql_type: Any) -> str | None:
    """The tag of a column type (None: decided value by value)."""
    from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, LargeBinary, Numeric, String

    from landrelease.storage.types import GeometryType

    checks: tuple[tuple[Any, str], ...] = (
        (GeometryType, "g"),
        (JSON, "j"),
        (Boolean, "i"),
        (Integer, "i"),
        (Float, "f"),
        (Numeric, "f"),
        (DateTime, "s"),
        (Date, "d"),
        (String, "t"),
        (LargeBinary, "b"),
    )
    for cls, tag in checks:
        if isinstance(sql_type, cls):
            return tag
    return None


def _utc_text(v: Any) -> str:
    if isinstance(v, str):
        v = datetime.fromisoformat(v)
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            v = v.astimezone(UTC).replace(tzinfo=None)
        return v.isoformat(sep="T", timespec="microseconds")
    return date.fromisoformat(str(v)).isoformat() + "T00:00:00.000000"  # a date in a date-time column


def _date_text(v: Any) -> str:
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return date.fromisoformat(str(v)).isoformat()


def _json_text(v: Any) -> str:
    if isinstance(v, bytes | bytearray | memoryview):
        v = bytes(v).decode()
    if isinstance(v, str):
        v = json.loads(v)
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _by_value(v: Any) -> tuple[str, bytes]:
    """Tag and payload of a value whose column type is unknown."""
    if isinstance(v, bool | numbers.Integral):  # NumPy integers too
        return "i", str(int(v)).encode()
    if isinstance(v, numbers.Real):
        return "f", _F64.pack(float(v))
    if isinstance(v, str):
        return "t", v.encode()
    if isinstance(v, bytes | bytearray | memoryview):
        return "b", bytes(v)
    if isinstance(v, datetime):
        return "s", _utc_text(v).encode()
    if isinstance(v, date):
        return "d", v.isoformat().encode()
    return "j", _json_text(v).encode()


def _payload(tag: str, v: Any) -> tuple[str, bytes]:
    """Tag and payload of one non-NULL value of a column of kind ``tag`` (not geometry)."""
    if tag == "i":
        if isinstance(v, bool | numbers.Integral):
            return "i", str(int(v)).encode()
        if isinstance(v, float) and v.is_integer():
            return "i", str(int(v)).encode()
        if isinstance(v, str) and v.strip().lstrip("+-").isdigit():  # SQLite's integer affinity
            return "i", str(int(v)).encode()
        return _by_value(v)
    if tag == "f":
        if isinstance(v, bool | numbers.Real):
            return "f", _F64.pack(float(v))
        return _by_value(v)
    if tag == "t":
        return ("t", v.encode()) if isinstance(v, str) else _by_value(v)
    if tag == "s":
        return "s", _utc_text(v).encode()
    if tag == "d":
        return "d", _date_text(v).encode()
    if tag == "j":
        return "j", _json_text(v).encode()
    if tag == "b":
        return ("b", bytes(v)) if isinstance(v, bytes | bytearray | memoryview) else _by_value(v)
    return _by_value(v)


def _header(name: str, tag: str) -> bytes:
    raw = name.encode()
    return _U32.pack(len(raw)) + raw + tag.encode()


def _field(name: str, tag: str, payload: bytes) -> bytes:
    return _header(name, tag) + _U32.pack(len(payload)) + payload


def _geometry_fields(name: str, values: Sequence[Any]) -> list[bytes]:
    """Geometry values (WKB, EWKB, hex or shapely) as ISO WKB fields, in bulk."""
    import numpy as np
    import shapely

    out = [b""] * len(values)
    head = _header(name, "g")
    pack = _U32.pack
    idx = []
    for i, v in enumerate(values):
        if v is None:
            continue
        if type(v) is bytes and v[:5] in _ISO_2D:  # little-endian 2-D WKB is ISO WKB already
            out[i] = head + pack(len(v)) + v
        else:
            idx.append(i)
    if not idx:
        return out
    raw = [values[i] for i in idx]
    arr = np.empty(len(raw), dtype=object)
    arr[:] = [bytes(v) if isinstance(v, memoryview | bytearray) else v for v in raw]
    geoms = arr if all(isinstance(v, shapely.Geometry) for v in raw) else shapely.from_wkb(arr)
    wkb = shapely.to_wkb(geoms, hex=False, output_dimension=3, byte_order=1, include_srid=False, flavor="iso")
    for i, w in zip(idx, wkb.tolist(), strict=True):
        out[i] = head + _U32.pack(len(w)) + w
    return out


def _column_fields(name: str, tag: str | None, values: Sequence[Any]) -> list[bytes]:
    """The encoded field of one column for every row (``b""`` for NULL), in bulk."""
    if tag == "g":
        return _geometry_fields(name, values)
    if tag == "f":
        head = _header(name, "f") + _F64_LEN
        pack = _F64.pack
        if all(type(v) is float for v in values):
            return [head + pack(v) for v in values]
    if tag == "t" and all(type(v) is str for v in values):
        head = _header(name, "t")
        pack = _U32.pack
        return [head + pack(len(e)) + e for e in (v.encode() for v in values)]
    if tag == "i" and all(type(v) is int for v in values):
        head = _header(name, "i")
        pack = _U32.pack
        return [head + pack(len(e)) + e for e in (str(v).encode() for v in values)]
    memo: dict[Any, bytes] = {}
    out: list[bytes] = []
    append = out.append
    for v in values:
        if v is None:
            append(b"")
            continue
        key = (type(v), v) if isinstance(v, str | int | bytes) else None  # floats: -0.0 == 0.0
        if key is not None:
            hit = memo.get(key)
            if hit is None:
                hit = memo[key] = _field(name, *(_payload(tag, v) if tag else _by_value(v)))
            append(hit)
        else:
            append(_field(name, *(_payload(tag, v) if tag else _by_value(v))))
    return out


def _kinds(name: str, columns: Sequence[str]) -> list[str | None]:
    known = metadata.tables.get(name)
    return [_kind(known.c[c].type) if known is not None and c in known.c else None for c in columns]


def hash_columns(name: str, columns: Mapping[str, Any], n: int) -> list[str]:
    """Content hashes of ``n`` rows of table ``name`` given column by column (a list of ``n``
    values, or one value for every row; absent columns are NULL). The one encoder for rows read
    back from the database and for rows an import holds in memory."""
    order = sorted(columns, key=lambda c: c.encode())
    kinds = _kinds(name, order)
    per_column: list[Any] = []
    constant = b""  # adjacent columns with one value for every row: joined once
    for c, tag in zip(order, kinds, strict=True):
        v = columns[c]
        if isinstance(v, list | tuple):
            if len(v) != n:
                raise ValueError(f"column {c} of {name} has {len(v)} values for {n} rows")
            if constant:
                per_column.append(itertools.repeat(constant, n))
                constant = b""
            per_column.append(_column_fields(c, tag, v))
        else:
            constant += _column_fields(c, tag, [v])[0]
    if constant:
        per_column.append(itertools.repeat(constant, n))
    sha = hashlib.sha256
    join = b"".join
    return [sha(join(parts)).hexdigest() for parts in zip(*per_column, strict=False)] if per_column else [
        sha(b"").hexdigest()
    ] * n


_LAYOUTS: weakref.WeakKeyDictionary[Engine, dict[str, list[str]]] = weakref.WeakKeyDictionary()


def _layout(conn: Connection, name: str, *, cache: bool = True) -> list[str]:
    """The table's columns as they are in the database (read from it: any schema version).

    Generated columns (``geom_3857`` on PostGIS, for tiles) are left out: the database derives
    them from columns that are hashed, and a backend-only column would make hashes differ."""
    known = _LAYOUTS.setdefault(conn.engine, {}) if cache else {}
    if name not in known:
        from sqlalchemy import inspect

        known[name] = [c["name"] for c in inspect(conn).get_columns(name) if not c.get("computed")]
    return known[name]


def _raw_table(name: str, columns: Sequence[str]) -> Any:
    """The table with untyped columns: values exactly as the driver returns them (no decoding)."""
    return sa_table(name, *[sa_column(c) for c in columns])


def _raw_select(conn: Connection, name: str, columns: Sequence[str]) -> tuple[Any, Any]:
    """SELECT of every column with values as the driver returns them (no decoding); JSON as its
    stored text on PostgreSQL (the driver would otherwise parse it)."""
    from sqlalchemy import Text, cast

    t = _raw_table(name, columns)
    kinds = _kinds(name, columns)
    pg = conn.dialect.name == "postgresql"
    cols = [cast(t.c[c], Text).label(c) if pg and k == "j" else t.c[c] for c, k in zip(columns, kinds, strict=True)]
    return t, select(*cols)


def _hash_rows(name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[tuple[int, str]]:
    if not rows:
        return []
    pos = list(columns).index("id")
    by_column = {c: [r[k] for r in rows] for k, c in enumerate(columns)}
    hashes = hash_columns(name, by_column, len(rows))
    return [(int(r[pos]), h) for r, h in zip(rows, hashes, strict=True)]


def row_hashes(
    conn: Connection, name: str, ids: Iterable[int] | None = None, *, above: int | None = None, reflect: bool = False
) -> Iterator[tuple[int, str]]:
    """(id, content hash) of rows of one table: the given ids, those with an id above ``above``, or every row."""
    columns = _layout(conn, name, cache=not reflect)
    t, q = _raw_select(conn, name, columns)
    if ids is None:
        q = q if above is None else q.where(t.c.id > above)
        result = conn.execute(q.order_by(t.c.id))
        while batch := result.fetchmany(CHUNK):
            yield from _hash_rows(name, columns, batch)
        return
    wanted = sorted(set(ids))
    for i in range(0, len(wanted), CHUNK):
        yield from _hash_rows(name, columns, conn.execute(q.where(t.c.id.in_(wanted[i : i + CHUNK]))).fetchall())


def legacy_row_hash(values: Sequence[Any], convert: Sequence[int]) -> str:
    """The row hash of ``sec_a_1`` (``marshal`` version 2 of the values in physical column
    order): kept only so the ``audit_2_1`` migration can check rows against it once."""
    import marshal

    row = list(values)
    for i in convert:
        v = row[i]
        if v is not None and type(v) is not str:
            row[i] = (v.astimezone(UTC) if isinstance(v, datetime) and v.tzinfo else v).isoformat()
    while row and row[-1] is None:
        row.pop()
    return hashlib.sha256(marshal.dumps(tuple(row), 2)).hexdigest()


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
    known: dict[str, dict[int, str]] = field(default_factory=dict)  # hashes computed from the values written

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


def note_hashes(conn: Connection, name: str, ids: Sequence[int], hashes: Sequence[str]) -> None:
    """Give the content hashes of rows just inserted by driver-level SQL, computed from the values
    written (:func:`hash_columns`), so the next event need not read them back. A sample of them is
    read back and checked when the event is written; any difference and every row is read back."""
    if name in _AUDITED:
        _state(conn).known.setdefault(name, {}).update(zip(ids, hashes, strict=True))


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


SAMPLE = 64


def _new_rows(conn: Connection, name: str, above: int, known: dict[int, str]) -> dict[int, str]:
    """Hashes of the rows above ``above``: those given by :func:`note_hashes` once a sample of
    them, read back, matches; the others (or all, on a mismatch) read back from the database."""
    if not known:
        return dict(row_hashes(conn, name, above=above))
    t = _raw_table(name, ["id"])
    new_ids = [int(i) for (i,) in conn.execute(select(t.c.id).where(t.c.id > above).order_by(t.c.id))]
    given = [i for i in new_ids if i in known]
    if given:
        step = max(1, len(given) // SAMPLE)
        sample = sorted(set(given[::step]) | {given[-1]})
        if any(known[i] != h for i, h in row_hashes(conn, name, sample)):
            given = []  # the values written are not what the database returns: trust only the database
    out = {i: known[i] for i in given}
    missing = [i for i in new_ids if i not in out]
    if len(missing) == len(new_ids):
        out.update(row_hashes(conn, name, above=above))
    elif missing:
        out.update(row_hashes(conn, name, missing))
    return out


def _drain(conn: Connection) -> list[tuple[str, int, str | None]]:
    state = _state(conn)
    hashes: dict[str, dict[int, str]] = {}
    for name, above in state.new_above.items():  # new rows: one range scan, or the hashes given
        hashes[name] = _new_rows(conn, name, above, state.known.get(name, {}))
    touched = {k: set(v) for k, v in state.ids.items()}
    state.ids.clear()
    state.new_above.clear()
    state.known.clear()
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
        _state(conn).known.clear()
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
    raw = conn.connection.driver_connection
    if raw is not None and conn.dialect.name == "postgresql" and len(values) > 1000:
        with raw.cursor() as cur, cur.copy("COPY audit_row (event_id, tbl, row_id, hash) FROM STDIN") as copy:
            for v in values:  # COPY: the bulk path of PostgreSQL
                copy.write_row(v)
        return digest
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
    names = [n for n in ("code", "ref", "uuid", "number") if n in cols]
    if not names:
        return {}
    label = cols[names[0]]
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


# ------------------------------------------------------------------ re-hashing (migration audit_2_1)


OLD_AUDITED = frozenset(AUDITED_TABLES[: AUDITED_TABLES.index("import_run") + 1])


def rehash(conn: Connection, key: bytes | None = None, actor: str = "migration") -> dict[str, Any] | None:
    """Move the register from ``marshal`` row hashes (``sec_a_1``) to the canonical encoding,
    recorded as one audit event (``rehash``).

    A row whose present content still has its last audited ``marshal`` hash gets its new hash
    recorded: it is the same content. A row that no longer matches (changed, or inserted, behind
    the application's back before this migration) is *not* re-recorded, so ``audit verify``
    keeps naming it. Rows of tables audited from now on (the returns tables) are recorded as
    they are, as ``sec_a_1`` did for the others. The payload counts each case and lists the
    rows left unmatched.
    """
    from sqlalchemy import Date, DateTime, inspect

    if not inspect(conn).has_table("audit_row"):
        return None
    expected: dict[tuple[str, int], str | None] = {}
    ar = audit_row
    for r in conn.execute(select(ar.c.tbl, ar.c.row_id, ar.c.hash).order_by(ar.c.event_id, ar.c.id)):
        expected[(r.tbl, int(r.row_id))] = r.hash
    rows: list[tuple[str, int, str | None]] = []
    rehashed, baselined, current = 0, 0, 0
    unmatched: list[str] = []
    for name in AUDITED_TABLES:
        if not inspect(conn).has_table(name):
            continue
        cols = inspect(conn).get_columns(name)
        columns = [c["name"] for c in cols]
        convert = [i for i, c in enumerate(cols) if isinstance(c["type"], Date | DateTime)]
        plain = [k for k, c in enumerate(cols) if not c.get("computed")]
        plain_convert = [j for j, k in enumerate(plain) if k in convert]
        new = dict(row_hashes(conn, name, reflect=True))
        if name not in OLD_AUDITED:
            rows.extend((name, i, h) for i, h in new.items())
            baselined += len(new)
            continue
        pos = columns.index("id")
        t = _raw_table(name, columns)
        for r in conn.execute(select(*t.c).order_by(t.c.id)):
            i = int(r[pos])
            old = expected.get((name, i))
            if old is not None and old == new.get(i):
                current += 1  # already hashed canonically (baselined by sec_a_1 with this code)
            elif old is not None and old in (
                legacy_row_hash(r, convert),
                legacy_row_hash([r[k] for k in plain], plain_convert),  # hashed before a generated column came
            ):
                rows.append((name, i, new[i]))
                rehashed += 1
            else:
                unmatched.append(f"{name}:{i}")
    if not rows and not unmatched:
        return None
    payload = {
        "row_hash_version": ROW_HASH_VERSION,
        "rehashed": rehashed,
        "baselined": baselined,
        "current": current,
        "unmatched": len(unmatched),
        "unmatched_rows": unmatched[:1000],
    }
    _append(conn, actor, "rehash", "register", None, payload, rows, key)
    return payload
