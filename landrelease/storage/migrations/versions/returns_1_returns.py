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


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def upgrade() -> None:
    op.add_column("settlement", sa.Column("farmland_ring_m", sa.Float(), nullable=True))
    op.create_table(
        "household",
        _id(),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("origin_id", sa.Integer(), nullable=False),
        sa.Column("choice_id", sa.Integer(), nullable=True),
        sa.Column("registered", sa.Date(), nullable=False),
        sa.Column("special_needs", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["origin_id"], ["settlement.id"], name=op.f("fk_household_origin_id_settlement")),
        sa.ForeignKeyConstraint(["choice_id"], ["settlement.id"], name=op.f("fk_household_choice_id_settlement")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("ref", name=op.f("uq_household_ref")),
    )
    op.create_index(op.f("ix_household_origin_id"), "household", ["origin_id"], unique=False)
    op.create_table(
        "house",
        _id(),
        sa.Column("code", sa.String(length=96), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("house_type", sa.String(length=64), nullable=False),
        sa.Column("rooms", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["settlement_id"], ["settlement.id"], name=op.f("fk_house_settlement_id_settlement")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_house")),
        sa.UniqueConstraint("code", name=op.f("uq_house_code")),
    )
    op.create_index(op.f("ix_house_settlement_id"), "house", ["settlement_id"], unique=False)
    op.create_table(
        "allocation",
        _id(),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=True),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("waiting_position", sa.Integer(), nullable=True),
        sa.Column("explanation", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"], name=op.f("fk_allocation_household_id_household")),
        sa.ForeignKeyConstraint(["house_id"], ["house.id"], name=op.f("fk_allocation_house_id_house")),
        sa.ForeignKeyConstraint(
            ["settlement_id"], ["settlement.id"], name=op.f("fk_allocation_settlement_id_settlement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation")),
        sa.UniqueConstraint("household_id", name=op.f("uq_allocation_household_id")),
        sa.UniqueConstraint("house_id", name=op.f("uq_allocation_house_id")),
    )
    op.create_table(
        "consolidation",
        _id(),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_by", sa.String(length=120), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["settlement_id"], ["settlement.id"], name=op.f("fk_consolidation_settlement_id_settlement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consolidation")),
        sa.UniqueConstraint("settlement_id", name=op.f("uq_consolidation_settlement_id")),
    )
    op.create_table(
        "consolidation_member",
        _id(),
        sa.Column("consolidation_id", sa.Integer(), nullable=False),
        sa.Column("former_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consolidation_id"],
            ["consolidation.id"],
            name=op.f("fk_consolidation_member_consolidation_id_consolidation"),
        ),
        sa.ForeignKeyConstraint(
            ["former_id"], ["settlement.id"], name=op.f("fk_consolidation_member_former_id_settlement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consolidation_member")),
        sa.UniqueConstraint("former_id", name=op.f("uq_consolidation_member_former_id")),
    )
    op.create_index(
        op.f("ix_consolidation_member_consolidation_id"), "consolidation_member", ["consolidation_id"], unique=False
    )
    op.create_table(
        "reconstruction_item",
        _id(),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("duration_months", sa.Integer(), nullable=False),
        sa.Column("plots", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["settlement_id"], ["settlement.id"], name=op.f("fk_reconstruction_item_settlement_id_settlement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconstruction_item")),
        sa.UniqueConstraint("settlement_id", "code", name=op.f("uq_reconstruction_item_settlement_id_code")),
    )
    op.create_index(
        op.f("ix_reconstruction_item_settlement_id"), "reconstruction_item", ["settlement_id"], unique=False
    )
    op.create_table(
        "equipment",
        _id(),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["settlement_id"], ["settlement.id"], name=op.f("fk_equipment_settlement_id_settlement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment")),
        sa.UniqueConstraint("code", name=op.f("uq_equipment_code")),
    )
    op.create_index(op.f("ix_equipment_settlement_id"), "equipment", ["settlement_id"], unique=False)
    op.create_table(
        "booking",
        _id(),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("season", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["equipment_id"], ["equipment.id"], name=op.f("fk_booking_equipment_id_equipment")),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"], name=op.f("fk_booking_household_id_household")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking")),
        sa.UniqueConstraint("equipment_id", "day", name=op.f("uq_booking_equipment_id_day")),
    )
    op.create_index(op.f("ix_booking_ref"), "booking", ["ref"], unique=False)
    op.create_index(op.f("ix_booking_household_id"), "booking", ["household_id"], unique=False)


def downgrade() -> None:
    for table in (
        "booking",
        "equipment",
        "reconstruction_item",
        "consolidation_member",
        "consolidation",
        "allocation",
        "house",
        "household",
    ):
        op.drop_table(table)
    # plain ALTER (SQLite >= 3.35 and PostgreSQL): a batch copy would lose the R*Tree triggers
    op.execute("ALTER TABLE settlement DROP COLUMN farmland_ring_m")
