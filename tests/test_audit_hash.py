"""Row hashes of the audit trail (issue 9, finding 4, follow-up): a documented canonical
encoding (no ``marshal``), the same on SQLite and PostGIS for the same logical row; hashes
an import computes from the values it writes equal those read back; the returns tables are
audited; the migration from ``marshal`` hashes keeps rows changed behind the application's back
flagged."""

from __future__ import annotations

import hashlib
import struct
from datetime import UTC, date, datetime

import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from shapely.geometry import Point

from landrelease.domain.settlement import Settlement
from landrelease.returns.housing import House, Household
from landrelease.samples import generate
from landrelease.services import audit as audit_svc
from landrelease.services import equipment, housing
from landrelease.services.importing import store_scenario
from landrelease.storage import audit, schema
from landrelease.storage import returns as stored
from landrelease.storage.repository import Register

T0 = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)


def _field(name: str, tag: str, payload: bytes) -> bytes:
    n = name.encode()
    return struct.pack(">I", len(n)) + n + tag.encode() + struct.pack(">I", len(payload)) + payload


def test_the_encoding_is_the_documented_one() -> None:
    """Built here by hand from the documented rules: any change to the encoder fails this."""
    poly = shapely.box(47.0, 40.0, 47.001, 40.001)
    row = {
        "id": 7,
        "code": "HA-7é",
        "slope_deg": 3,  # an integer in a float column: the float the database stores
        "machine_accessible": True,
        "eo_types": '["AP", "UXO"]',
        "extra": {"b": 1, "a": [1.5]},
        "geometry": shapely.to_wkb(shapely.set_srid(poly, 4326), include_srid=True),  # EWKB, as PostGIS
        "created_at": "2026-05-01 08:30:00.000000",  # as SQLite returns it
        "updated_at": T0,  # as PostgreSQL returns it
        "priority_score": None,
    }
    by_hand = b"".join(
        [
            _field("code", "t", "HA-7é".encode()),
            _field("created_at", "s", b"2026-05-01T08:30:00.000000"),
            _field("eo_types", "j", b'["AP","UXO"]'),
            _field("extra", "j", b'{"a":[1.5],"b":1}'),
            _field("geometry", "g", shapely.to_wkb(poly, byte_order=1, flavor="iso")),
            _field("id", "i", b"7"),
            _field("machine_accessible", "i", b"1"),
            _field("slope_deg", "f", struct.pack(">d", 3.0)),
            _field("updated_at", "s", b"2026-05-01T08:30:00.000000"),
        ]
    )
    (got,) = audit.hash_columns("hazard_area", {k: [v] for k, v in row.items()}, 1)
    assert got == hashlib.sha256(by_hand).hexdigest()
    # a NULL column is left out: the same as the column not existing
    assert got == audit.hash_columns("hazard_area", {k: [v] for k, v in row.items() if v is not None}, 1)[0]
    assert got != audit.hash_columns("hazard_area", {**{k: [v] for k, v in row.items()}, "priority_score": [0.0]}, 1)[0]


def _frozen_scenario(url: str) -> dict[tuple[str, str], str]:
    reg = Register.open(url)
    try:
        scenario = generate(12, seed=3)
        store_scenario(reg, scenario)
        with reg.unit_of_work() as uow:  # timestamps fixed so both backends hold the same rows
            uow.conn.execute(sa.update(schema.hazard_area).values(created_at=T0, updated_at=T0))
        hashes: dict[tuple[str, str], str] = {}
        with reg.reading() as conn:
            for name in ("hazard_area", "settlement", "evidence", "team"):
                t = schema.metadata.tables[name]
                codes = dict(conn.execute(sa.select(t.c.id, t.c.code)).all())
                for i, h in audit.row_hashes(conn, name):
                    hashes[(name, str(codes[i]))] = h
        return hashes
    finally:
        reg.close()


@pytest.mark.postgis
def test_the_same_register_hashes_the_same_on_sqlite_and_postgis(sqlite_url: str, postgis_url: str) -> None:
    from tests.conftest import _empty_postgis

    _empty_postgis(postgis_url)  # the server's database is shared by the session: start empty
    on_sqlite = _frozen_scenario(sqlite_url)
    on_postgis = _frozen_scenario(postgis_url)
    assert on_sqlite and set(on_sqlite) == set(on_postgis)
    differ = [k for k in on_sqlite if on_sqlite[k] != on_postgis[k]]
    assert differ == []


def test_import_hashes_from_memory_equal_those_read_back(register: Register) -> None:
    geoms = np.array([shapely.box(47 + i / 100, 40, 47 + i / 100 + 0.001, 40.001) for i in range(50)])
    cols = {
        "code": [f"HA-{i:03d}" for i in range(50)],
        "name": "",
        "kind": "SHA",
        "land_use": ["road", "forest"] * 25,
        "eo_types": "[]",
        "machine_accessible": True,
        "slope_deg": 0.0,
        "vegetation": "low",
        "clutter": "low",
        "density": "low",
        "status": "open",
        "operator": ["ANAMA", None] * 25,
        "version": 1,
        "extra": "{}",
    }
    with register.unit_of_work() as uow:
        uow.add_hazard_columns(cols, geoms)
        given = dict(audit._state(uow.conn).known["hazard_area"])
        assert len(given) == 50
        assert dict(audit.row_hashes(uow.conn, "hazard_area", given)) == given
        uow.audit("insert", "hazard_area", None, {"count": 50})
    result = audit_svc.verify(register)
    assert result.findings == [] and result.rows_checked >= 50


def test_a_wrong_hash_from_memory_is_not_trusted(register: Register) -> None:
    geoms = np.array([shapely.box(47, 40, 47.001, 40.001)])
    cols = {
        "code": ["HA-1"], "name": "", "kind": "SHA", "land_use": "road", "eo_types": "[]",
        "machine_accessible": True, "slope_deg": 0.0, "vegetation": "low", "clutter": "low",
        "density": "low", "status": "open", "version": 1, "extra": "{}",
    }  # fmt: skip
    with register.unit_of_work() as uow:
        uow.add_hazard_columns(cols, geoms)
        (i,) = audit._state(uow.conn).known["hazard_area"]
        audit.note_hashes(uow.conn, "hazard_area", [i], ["0" * 64])  # what a bug in the encoder would give
        uow.audit("insert", "hazard_area", None, {"count": 1})
    assert audit_svc.verify(register).findings == []  # the sample check read the row back instead


def _returns(register: Register) -> None:
    with register.unit_of_work() as uow:
        uow.add_settlements([Settlement("A", "Alpha", Point(47.0, 40.0).buffer(0.002))])
        stored.replace_households(uow, [Household(f"H{i}", 3, "A", date(2027, 1, 1 + i)) for i in range(3)])
        stored.replace_houses(uow, [House("A-1", "A", "T3", 2, 3), House("A-2", "A", "T3", 2, 3)])
    housing.allocate_houses(register)
    equipment.add_machine(register, "TR-1", "A", "tractor", "the village tractor")
    equipment.book(register, "TR-1", "H0", date(2027, 9, 1))


def _raw(register: Register, sql: str) -> None:
    with register.engine.connect() as conn:  # behind the application's back: the capture never sees it
        conn.exec_driver_sql(sql)
        conn.commit()


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ("UPDATE allocation SET status = 'waiting' WHERE id = (SELECT min(id) FROM allocation)", "allocation"),
        ("UPDATE booking SET household_id = (SELECT max(id) FROM household)", "booking"),
        ("UPDATE household SET size = 9 WHERE ref = 'H2'", "household"),
        ("UPDATE house SET capacity = 8 WHERE code = 'A-1'", "house"),
        ("DELETE FROM booking", "booking"),
        ("UPDATE equipment SET settlement_id = settlement_id + 0, kind = 'plough'", "equipment"),
    ],
)
def test_a_raw_write_to_the_returns_tables_is_caught(register: Register, sql: str, table: str) -> None:
    _returns(register)
    assert audit_svc.verify(register).findings == []
    _raw(register, sql)
    found = [f for f in audit_svc.verify(register).findings if f.table == table]
    assert found and all(f.kind in {"changed", "deleted"} for f in found)


def test_the_migration_rehashes_matching_rows_and_keeps_tampered_ones_flagged(register: Register) -> None:
    store_scenario(register, generate(8, seed=2))
    _returns(register)
    with register.engine.begin() as conn:  # the register as sec_a_1 left it: marshal hashes of every row
        legacy: list[tuple[str, int, str | None]] = []
        for name in audit.OLD_AUDITED:
            cols = sa.inspect(conn).get_columns(name)
            convert = [k for k, c in enumerate(cols) if isinstance(c["type"], sa.Date | sa.DateTime)]
            t = audit._raw_table(name, [c["name"] for c in cols])
            pos = [c["name"] for c in cols].index("id")
            legacy += [(name, int(r[pos]), audit.legacy_row_hash(r, convert)) for r in conn.execute(sa.select(*t.c))]
        audit._append(conn, "test", "legacy", "register", None, {}, legacy, None)
    assert audit_svc.verify(register).findings  # canonical hashes differ from the marshal ones
    _raw(register, "UPDATE hazard_area SET status = 'cleared' WHERE id = (SELECT min(id) FROM hazard_area)")
    _raw(register, "UPDATE booking SET season = 'x'")  # before the returns tables were audited: not knowable
    with register.engine.begin() as conn:
        payload = audit.rehash(conn)
    assert payload is not None and payload["unmatched"] == 1 and payload["row_hash_version"] == 2
    findings = audit_svc.verify(register).findings
    assert [(f.kind, f.table) for f in findings] == [("changed", "hazard_area")]


def test_numpy_numbers_hash_as_the_numbers_the_database_returns() -> None:
    plain = audit.hash_columns("hazard_area", {"id": [3], "slope_deg": [2.5], "beneficiaries": [40]}, 1)
    numpy = audit.hash_columns(
        "hazard_area", {"id": [np.int64(3)], "slope_deg": [np.float32(2.5)], "beneficiaries": [np.int32(40)]}, 1
    )
    assert plain == numpy
