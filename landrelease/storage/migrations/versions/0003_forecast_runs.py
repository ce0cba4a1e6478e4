"""stored forecasts: the register's and scenario comparisons

Revision ID: 0003
Revises: web_1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "web_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forecast_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("batch", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_run")),
    )
    op.create_index(op.f("ix_forecast_run_kind"), "forecast_run", ["kind"], unique=False)
    op.create_index(op.f("ix_forecast_run_batch"), "forecast_run", ["batch"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_forecast_run_batch"), table_name="forecast_run")
    op.drop_index(op.f("ix_forecast_run_kind"), table_name="forecast_run")
    op.drop_table("forecast_run")
