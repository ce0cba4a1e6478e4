"""field operations: full daily reports with review, review history, proposals, QA inspections,
handover certificates, accidents, victims, risk education sessions

Daily reports stored before this revision were counted in the register's figures as they
arrived; they are kept as ``approved`` so those figures do not change.

Revision ID: field_1
Revises: typed_results
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "field_1"
down_revision = "typed_results"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("daily_report", schema=None) as b:
        b.add_column(sa.Column("review_state", sa.String(16), nullable=False, server_default="approved"))
        b.add_column(sa.Column("operator", sa.String(120), nullable=True))
        for method in ("nts_walked", "ts_searched", "cleared", "machine_processed"):
            b.add_column(sa.Column(f"{method}_m2", sa.Float(), nullable=False, server_default="0"))
        b.add_column(sa.Column("items", sa.JSON(), nullable=False, server_default="[]"))
        b.add_column(sa.Column("stoppages", sa.JSON(), nullable=False, server_default="[]"))
        b.add_column(sa.Column("team_leader", sa.String(200), nullable=True))
        b.add_column(sa.Column("lon", sa.Float(), nullable=True))
        b.add_column(sa.Column("lat", sa.Float(), nullable=True))
        b.add_column(sa.Column("notes", sa.String(2000), nullable=False, server_default=""))
        b.add_column(sa.Column("source", sa.String(120), nullable=False, server_default=""))
        b.add_column(sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("submitted_by", sa.String(120), nullable=True))
        b.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        b.create_index(b.f("ix_daily_report_review_state"), ["review_state"], unique=False)
        b.create_index(b.f("ix_daily_report_operator"), ["operator"], unique=False)
        b.create_index(b.f("ix_daily_report_hazard_code"), ["hazard_code"], unique=False)

    op.create_table(
        "review_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("record", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_event")),
    )
    op.create_index("ix_review_event_kind_record", "review_event", ["kind", "record"], unique=False)

    op.create_table(
        "proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("hazard_code", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("operator", sa.String(120), nullable=True),
        sa.Column("review_state", sa.String(16), nullable=False),
        sa.Column("submitted_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal")),
        sa.UniqueConstraint("code", name=op.f("uq_proposal_code")),
    )
    op.create_index(op.f("ix_proposal_operator"), "proposal", ["operator"], unique=False)
    op.create_index(op.f("ix_proposal_review_state"), "proposal", ["review_state"], unique=False)

    op.create_table(
        "qa_inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("hazard_code", sa.String(64), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("inspecting_organisation", sa.String(120), nullable=False),
        sa.Column("inspected_organisation", sa.String(120), nullable=True),
        sa.Column("lot_m2", sa.Float(), nullable=False),
        sa.Column("unit_m2", sa.Float(), nullable=False),
        sa.Column("lot_units", sa.Integer(), nullable=False),
        sa.Column("limiting_quality", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("sample_units", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("units_inspected", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("reopened_code", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_inspection")),
        sa.UniqueConstraint("code", name=op.f("uq_qa_inspection_code")),
    )
    op.create_index(op.f("ix_qa_inspection_hazard_code"), "qa_inspection", ["hazard_code"], unique=False)

    op.create_table(
        "qa_nonconformity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("eo_type", sa.String(32), nullable=True),
        sa.Column("depth_cm", sa.Float(), nullable=True),
        sa.Column("corrective_action", sa.String(2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["qa_inspection.id"], name=op.f("fk_qa_nonconformity_inspection_id_qa_inspection")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_nonconformity")),
    )
    op.create_index(op.f("ix_qa_nonconformity_inspection_id"), "qa_nonconformity", ["inspection_id"], unique=False)

    op.create_table(
        "handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("hazard_code", sa.String(64), nullable=False),
        sa.Column("handed_over_on", sa.Date(), nullable=False),
        sa.Column("receiving_authority", sa.String(200), nullable=False),
        sa.Column("certificate", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover")),
        sa.UniqueConstraint("number", name=op.f("uq_handover_number")),
    )
    op.create_index(op.f("ix_handover_hazard_code"), "handover", ["hazard_code"], unique=False)

    op.create_table(
        "accident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("device", sa.String(32), nullable=True),
        sa.Column("demining_accident", sa.Boolean(), nullable=False),
        sa.Column("activity", sa.String(32), nullable=False),
        sa.Column("hazard_code", sa.String(64), nullable=True),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accident")),
        sa.UniqueConstraint("code", name=op.f("uq_accident_code")),
    )
    op.create_index(op.f("ix_accident_date"), "accident", ["date"], unique=False)

    op.create_table(
        "victim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("accident_id", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(16), nullable=False),
        sa.Column("age_band", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("injury", sa.String(500), nullable=False),
        sa.Column("follow_up", sa.String(500), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("contact", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["accident_id"], ["accident.id"], name=op.f("fk_victim_accident_id_accident")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victim")),
        sa.UniqueConstraint("code", name=op.f("uq_victim_code")),
    )
    op.create_index(op.f("ix_victim_accident_id"), "victim", ["accident_id"], unique=False)

    op.create_table(
        "eore_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("place_name", sa.String(200), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("organisation", sa.String(120), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("beneficiaries", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eore_session")),
        sa.UniqueConstraint("code", name=op.f("uq_eore_session_code")),
    )
    op.create_index(op.f("ix_eore_session_date"), "eore_session", ["date"], unique=False)
    op.create_index(op.f("ix_eore_session_organisation"), "eore_session", ["organisation"], unique=False)


def downgrade() -> None:
    for table in ("eore_session", "victim", "accident", "handover", "qa_nonconformity", "qa_inspection", "proposal"):
        op.drop_table(table)
    op.drop_index("ix_review_event_kind_record", table_name="review_event")
    op.drop_table("review_event")
    with op.batch_alter_table("daily_report", schema=None) as b:
        b.drop_index(b.f("ix_daily_report_hazard_code"))
        b.drop_index(b.f("ix_daily_report_operator"))
        b.drop_index(b.f("ix_daily_report_review_state"))
        for col in ("version", "updated_at", "submitted_by", "submitted_at", "source", "notes", "lat", "lon",
                    "team_leader", "stoppages", "items", "machine_processed_m2", "cleared_m2", "ts_searched_m2",
                    "nts_walked_m2", "operator", "review_state"):  # fmt: skip
            b.drop_column(col)
