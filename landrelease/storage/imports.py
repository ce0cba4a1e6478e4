"""The history of imports: one row per file imported, with the crosswalk it was read with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from landrelease.storage.schema import import_run


@dataclass(frozen=True, slots=True)
class ImportRun:
    """One import: which file, which crosswalk, who, when, and what it stored."""

    id: int
    at: datetime
    actor: str
    kind: str
    source: str
    layer: str | None
    source_bytes: int | None
    source_sha256: str | None
    crosswalk_file: str | None
    crosswalk: dict[str, Any]
    options: dict[str, Any]
    read: int
    stored: int
    audit_hash: str | None

    def to_json(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__slots__}
        out["at"] = self.at.isoformat()
        return out


def record_import(conn: Connection, **values: Any) -> int:
    """Store one import's record inside the caller's transaction; returns its id."""
    values.setdefault("at", datetime.now(UTC).replace(microsecond=0))
    result = conn.execute(import_run.insert().values(**values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def import_runs(conn: Connection, limit: int | None = None) -> list[ImportRun]:
    """The imports, newest first."""
    q = select(import_run).order_by(import_run.c.id.desc())
    if limit is not None:
        q = q.limit(limit)
    out = []
    for r in conn.execute(q):
        at = r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC)
        out.append(
            ImportRun(
                id=r.id,
                at=at,
                actor=r.actor,
                kind=r.kind,
                source=r.source,
                layer=r.layer,
                source_bytes=r.source_bytes,
                source_sha256=r.source_sha256,
                crosswalk_file=r.crosswalk_file,
                crosswalk=r.crosswalk,
                options=r.options,
                read=r.read,
                stored=r.stored,
                audit_hash=r.audit_hash,
            )
        )
    return out
