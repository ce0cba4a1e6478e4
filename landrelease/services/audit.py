"""Use cases of the audit trail: verify the register against it, export a signed anchor, and
show one hazard area's whole history.

The chain is signed with ``LANDRELEASE_AUDIT_KEY`` (HMAC-SHA256) when the register was opened
with a key. An anchor is the signed head of the chain (sequence, hash, time): kept outside the
database (exported periodically), it makes deleting the newest events, or rewriting the chain
with recomputed hashes, detectable by :func:`verify` even by someone who can write the database.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any

from landrelease.services.register import Register
from landrelease.storage import audit as store
from landrelease.storage.audit import Finding, Verification

__all__ = ["Finding", "Verification", "anchor", "history", "verify"]


def _key(register: Register) -> bytes | None:
    key = getattr(register, "audit_key", None)
    return key.encode() if isinstance(key, str) and key else None


def _anchor_message(sequence: int, digest: str, at: str) -> str:
    return f"landrelease-audit-anchor:{sequence}:{digest}:{at}"


def anchor(register: Register) -> dict[str, Any]:
    """The chain's head, signed (when the register has an audit key), to be kept elsewhere."""
    with register.reading() as conn:
        head = store.head(conn)
    if head is None:
        raise ValueError("the audit trail is empty: nothing to anchor")
    sequence, digest = head
    at = datetime.now(UTC).replace(microsecond=0).isoformat()
    key = _key(register)
    return {
        "sequence": sequence,
        "hash": digest,
        "at": at,
        "algorithm": "HMAC-SHA256",
        "signature": store.sign(key, _anchor_message(sequence, digest, at)) if key else None,
    }


def verify(register: Register, anchor_: dict[str, Any] | None = None) -> Verification:
    """Check the chain, its signatures and every audited row; with an anchor, that the chain
    still reaches it unchanged. ``findings`` empty: the register is as audited."""
    key = _key(register)
    with register.reading() as conn:
        result = store.verify(conn, key)
        if anchor_ is not None:
            _check_anchor(conn, anchor_, key, result)
    return result


def _check_anchor(conn: Any, a: dict[str, Any], key: bytes | None, result: Verification) -> None:
    try:
        sequence, digest, at = int(a["sequence"]), str(a["hash"]), str(a["at"])
    except (KeyError, TypeError, ValueError):
        result.findings.append(Finding("anchor", "the anchor file lacks sequence, hash or at"))
        return
    signature = a.get("signature")
    if key is not None and signature:
        if not hmac.compare_digest(str(signature), store.sign(key, _anchor_message(sequence, digest, at))):
            result.findings.append(
                Finding("anchor", f"the anchor of event {sequence} is not signed with this audit key", sequence)
            )
            return
    elif key is not None:
        result.notes.append("the anchor is unsigned: it was exported without an audit key")
    elif signature:
        result.notes.append("the anchor's signature cannot be checked without LANDRELEASE_AUDIT_KEY")
    stored = store.event_hash(conn, sequence)
    ends = f"the chain now ends at event {result.head[0]}" if result.head else "the chain is empty"
    if stored is None:
        result.findings.append(
            Finding(
                "anchor",
                f"event {sequence}, the anchored head of {at}, is missing: events were deleted ({ends})",
                sequence,
            )
        )
    elif stored != digest:
        result.findings.append(
            Finding("anchor", f"event {sequence} is not the event anchored at {at}: the chain was rewritten", sequence)
        )
    if result.first_broken is None and any(f.kind == "anchor" for f in result.findings):
        result.first_broken = sequence


def history(register: Register, code: str) -> list[dict[str, Any]]:
    """Every audited event about a hazard area and its remainders (``CODE/1``, ``CODE/1/2``, …), oldest first."""
    with register.reading() as conn:
        return store.history(conn, code)
