"""audit rows: each audited write records the content hash of the rows it changed; signed events;
sessions ended one at a time

Revision ID: sec_a_1
Revises: returns_1 (written against crosswalk_1; re-chained after main gained returns_1)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sec_a_1"
down_revision = "returns_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("rows_digest", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("signature", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("tbl", sa.String(length=32), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["audit_event.id"], name=op.f("fk_audit_row_event_id_audit_event")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_row")),
    )
    op.create_index(op.f("ix_audit_row_event_id"), "audit_row", ["event_id"], unique=False)
    op.create_index("ix_audit_row_tbl_row_id", "audit_row", ["tbl", "row_id"], unique=False)
    op.create_table(
        "ended_session",
        sa.Column("sid", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_ended_session_user_id_app_user")),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_ended_session")),
    )
    op.create_index(op.f("ix_ended_session_user_id"), "ended_session", ["user_id"], unique=False)
    # A register that already holds records: their present state becomes the audited one.
    from landrelease.storage.audit import baseline

    baseline(op.get_bind())


def downgrade() -> None:
    op.drop_index(op.f("ix_ended_session_user_id"), table_name="ended_session")
    op.drop_table("ended_session")
    op.drop_index("ix_audit_row_tbl_row_id", table_name="audit_row")
    op.drop_index(op.f("ix_audit_row_event_id"), table_name="audit_row")
    op.drop_table("audit_row")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("signature")
        batch.drop_column("rows_digest")
