"""canonical row hashes: audited rows re-hashed with the documented encoding (no ``marshal``);
the returns tables audited

Revision ID: audit_2_1
Revises: items_2_1 (written against sec_a_1; re-chained after main gained tiles_2_1 and items_2_1)
"""

from __future__ import annotations

import os

from alembic import op

revision = "audit_2_1"
down_revision = "items_2_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No schema change: one ``rehash`` audit event records every row's new hash (rows that no
    # longer match their last audited state are left unrecorded, so verify keeps naming them).
    # Run with LANDRELEASE_AUDIT_KEY set on a signed register, or the event is unsigned.
    from landrelease.storage.audit import rehash

    key = os.environ.get("LANDRELEASE_AUDIT_KEY") or None
    rehash(op.get_bind(), key.encode() if key else None)


def downgrade() -> None:
    # The rehash event stays in the chain (the audit trail is append-only); code of sec_a_1
    # would report every row as changed after it, as it would after any Python upgrade.
    pass
