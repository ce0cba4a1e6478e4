"""import runs: which file, which crosswalk, who, when, what was stored

Revision ID: crosswalk_1
Revises: field_1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "crosswalk_1"
down_revision = "field_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("layer", sa.String(length=255), nullable=True),
        sa.Column("source_bytes", sa.BigInteger(), nullable=True),
        sa.Column("source_sha256", sa.String(length=64), nullable=True),
        sa.Column("crosswalk_file", sa.String(length=255), nullable=True),
        sa.Column("crosswalk", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("read", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("audit_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_run")),
    )
    op.create_index(op.f("ix_import_run_at"), "import_run", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_import_run_at"), table_name="import_run")
    op.drop_table("import_run")
