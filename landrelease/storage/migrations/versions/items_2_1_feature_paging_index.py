"""feature paging: a covering (id, status) index on hazard_area

Revision ID: items_2_1
Revises: tiles_2_1 (the head on main when merged)
"""

from __future__ import annotations

from alembic import op

revision = "items_2_1"
down_revision = "tiles_2_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_hazard_area_id_status", "hazard_area", ["id", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_hazard_area_id_status", table_name="hazard_area")
