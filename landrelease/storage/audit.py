"""The append-only audit trail: each event stores the hash of the one before it.

Editing or deleting any past event breaks the chain, and :func:`verify_chain` says where.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, text

from landrelease.storage.schema import audit_event

GENESIS = "0" * 64


def _digest(prev_hash: str, at: datetime, actor: str, action: str, entity: str, key: str | None, payload: Any) -> str:
    body = json.dumps(
        [prev_hash, at.astimezone(UTC).isoformat(), actor, action, entity, key, payload],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def append(conn: Connection, actor: str, action: str, entity: str, key: str | None, payload: Any) -> str:
    """Append one event inside the caller's transaction and return its hash."""
    if conn.dialect.name == "postgresql":
        # Serialise writers of the chain; released at the end of the transaction.
        conn.execute(text("SELECT pg_advisory_xact_lock(7307)"))
    prev = conn.execute(select(audit_event.c.hash).order_by(audit_event.c.id.desc()).limit(1)).scalar()
    prev_hash = prev or GENESIS
    at = datetime.now(UTC).replace(microsecond=0)
    payload = json.loads(json.dumps(payload, default=str))
    digest = _digest(prev_hash, at, actor, action, entity, key, payload)
    conn.execute(
        audit_event.insert().values(
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            entity_key=key,
            payload=payload,
            prev_hash=prev_hash,
            hash=digest,
        )
    )
    return digest


def verify_chain(conn: Connection) -> list[int]:
    """Ids of events whose stored hash does not match their content or predecessor."""
    broken: list[int] = []
    prev_hash = GENESIS
    for row in conn.execute(select(audit_event).order_by(audit_event.c.id)):
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
        expected = _digest(prev_hash, at, row.actor, row.action, row.entity, row.entity_key, row.payload)
        if row.prev_hash != prev_hash or row.hash != expected:
            broken.append(row.id)
        prev_hash = row.hash
    return broken
