"""The audit trail protects the register (issue 9, finding 4), on both backends.

Rows changed behind the application's back (raw UPDATE, INSERT, DELETE) are named by
``audit verify``; deleting the newest events is caught with an exported anchor; editing an
event and recomputing every later hash is caught by the HMAC signatures; ``audit show`` prints
an area's whole history, its remainders included.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from landrelease.cli import app
from landrelease.domain.activity import Activity, ReleasedPart
from landrelease.domain.enums import ActivityKind, ReleaseMethod
from landrelease.samples import generate
from landrelease.services import activity as activities
from landrelease.services import audit as audit_svc
from landrelease.services import records
from landrelease.services.importing import store_scenario
from landrelease.storage import audit, schema
from landrelease.storage.repository import Register

KEY = "a key kept outside the database"


@pytest.fixture
def keyed(database_url: str) -> Register:
    """A register with a small sample region and a partial release, written with an audit key."""
    reg = Register.open(database_url, audit_key=KEY)
    store_scenario(reg, generate(20, seed=5))
    area = next(a for a in reg.hazard_areas() if a.status.value == "open")
    import shapely

    minx, miny, maxx, maxy = shapely.bounds(area.geometry)
    half = shapely.intersection(area.geometry, shapely.box(minx, miny, (minx + maxx) / 2, maxy))
    activities.record_activity(
        reg,
        Activity(
            hazard_code=area.code,
            kind=ActivityKind.TS,
            start_date=date(2026, 3, 1),
            end_date=date(2026, 3, 4),
            released=[ReleasedPart(ReleaseMethod.REDUCED, half)],
        ),
        actor="analyst",
    )
    records.update_hazard_area(reg, f"{area.code}/1", {"priority_score": 0.7}, 2, actor="analyst")
    reg.first_area = area.code  # type: ignore[attr-defined]
    yield reg  # type: ignore[misc]
    reg.close()


def _raw(reg: Register, sql: str, **params: object) -> None:
    """A write behind the application's back: another engine, no audit."""
    engine = sa.create_engine(reg.engine.url)
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)
    engine.dispose()


def _kinds(result: audit.Verification) -> list[str]:
    return [f.kind for f in result.findings]


def test_a_clean_register_verifies(keyed: Register) -> None:
    result = audit_svc.verify(keyed)
    assert result.findings == [], result.findings
    assert result.events >= 3 and result.signed_events == result.events
    assert result.rows_checked > 20


def test_raw_update_insert_and_delete_are_named(keyed: Register) -> None:
    code = keyed.first_area  # type: ignore[attr-defined]
    other = next(a.code for a in keyed.hazard_areas() if a.status.value == "open" and "/" not in a.code)
    _raw(keyed, "UPDATE hazard_area SET status = 'cleared' WHERE code = :c", c=other)
    result = audit_svc.verify(keyed)
    assert _kinds(result) == ["changed"]
    assert result.findings[0].code == other and other in result.findings[0].message
    # a deleted piece of evidence and a team inserted by hand are named as well
    ev = keyed.evidence()[0]
    _raw(keyed, "DELETE FROM evidence WHERE code = :c", c=ev.code)
    _raw(
        keyed,
        "INSERT INTO task (code, hazard_id, method, area_m2) SELECT 'T-HAND', id, 'nts', 1.0 FROM hazard_area "
        "WHERE code = :c",
        c=code,
    )
    result = audit_svc.verify(keyed)
    found = {(f.kind, f.table) for f in result.findings}
    assert found == {("changed", "hazard_area"), ("deleted", "evidence"), ("inserted", "task")}, result.findings
    assert any(f.code == "T-HAND" for f in result.findings)
    # the next audited write does not launder the rows changed behind its back
    records.update_hazard_area(keyed, f"{code}/1", {"priority_score": 0.1}, 3, actor="analyst")
    assert {(f.kind, f.table) for f in audit_svc.verify(keyed).findings} == found


def test_deleting_the_newest_events_is_caught_by_the_anchor(keyed: Register, tmp_path: Path) -> None:
    anchor = audit_svc.anchor(keyed)
    assert anchor["signature"] and anchor["sequence"] >= 3
    assert audit_svc.verify(keyed, anchor).findings == []
    # delete the newest events (and their row records): the rest of the chain is still valid…
    newest = anchor["sequence"]
    _raw(keyed, "DELETE FROM audit_row WHERE event_id >= :n", n=newest - 1)
    _raw(keyed, "DELETE FROM audit_event WHERE id >= :n", n=newest - 1)
    result = audit_svc.verify(keyed)
    assert not any(f.kind in ("chain", "signature") for f in result.findings)
    # … but the anchor names the missing head
    result = audit_svc.verify(keyed, anchor)
    assert any(f.kind == "anchor" and "missing" in f.message for f in result.findings), result.findings
    assert result.first_broken == newest


def test_an_edited_event_with_recomputed_hashes_is_caught_by_the_signatures(keyed: Register) -> None:
    """Rewrite event 2's payload and recompute every later hash, as someone who read this code would."""
    engine = sa.create_engine(keyed.engine.url)
    ae = schema.audit_event
    with engine.begin() as conn:
        rows = conn.execute(sa.select(ae).order_by(ae.c.id)).all()
        prev = rows[0].hash
        for i, r in enumerate(rows[1:], start=1):
            payload = {"forged": True} if i == 1 else r.payload
            at = r.at if r.at.tzinfo else r.at.replace(tzinfo=__import__("datetime").UTC)
            digest = audit._digest(prev, at, r.actor, r.action, r.entity, r.entity_key, payload, r.rows_digest)
            conn.execute(sa.update(ae).where(ae.c.id == r.id).values(payload=payload, prev_hash=prev, hash=digest))
            prev = digest
        # plain SHA-256 sees nothing wrong
        assert audit.verify_chain(conn) == []
    engine.dispose()
    result = audit_svc.verify(keyed)
    assert {f.kind for f in result.findings} == {"signature"}
    assert result.first_broken == rows[1].id
    # without the key the rewrite is invisible, and verify says so
    unkeyed = Register(keyed.engine, audit_key=None)
    plain = audit_svc.verify(unkeyed)
    assert plain.findings == [] and any("unsigned" in n for n in plain.notes)


def test_row_records_cannot_be_edited_either(keyed: Register) -> None:
    """Making a raw change look audited (rewriting its audit_row hash) breaks the event instead."""
    other = next(a for a in keyed.hazard_areas() if a.status.value == "open" and "/" not in a.code)
    _raw(keyed, "UPDATE hazard_area SET status = 'cleared' WHERE code = :c", c=other.code)
    with keyed.reading() as conn:
        live = dict(audit.row_hashes(conn, "hazard_area", [other.id]))[other.id]
    _raw(keyed, "UPDATE audit_row SET hash = :h WHERE tbl = 'hazard_area' AND row_id = :i", h=live, i=other.id)
    result = audit_svc.verify(keyed)
    assert _kinds(result) == ["rows"], result.findings


def test_cli_verify_anchor_and_show(keyed: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", keyed.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LANDRELEASE_AUDIT_KEY", KEY)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "0 findings" in ok.output, ok.output
    out = tmp_path / "anchor.json"
    assert runner.invoke(app, ["audit", "anchor", "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text())["signature"]
    code = keyed.first_area  # type: ignore[attr-defined]
    shown = runner.invoke(app, ["audit", "show", code])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "baseline" not in text and "record activity" in text and f"{code}/1" in text  # the remainder's edit
    assert "insert hazard_area" in text  # the import that created it
    _raw(keyed, "UPDATE hazard_area SET status = 'cleared' WHERE code = :c", c=f"{code}/1")
    bad = runner.invoke(app, ["audit", "verify", "--anchor", str(out)])
    assert bad.exit_code == 1 and f"{code}/1" in bad.output, bad.output
    monkeypatch.delenv("LANDRELEASE_AUDIT_KEY")
    unsigned = runner.invoke(app, ["audit", "verify"])
    assert "unsigned" in " ".join(unsigned.output.split())
