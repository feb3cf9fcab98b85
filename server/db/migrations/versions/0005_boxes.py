"""Suggestion boxes: the registry, openings, their letters, token-slip batches and claims.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 12:55:25.274288
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "slip_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slip_batches")),
    )
    op.create_table(
        "boxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column(
            "state",
            sa.Enum("installed", "removed", name="boxstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_boxes_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boxes")),
        sa.UniqueConstraint("code", name=op.f("uq_boxes_code")),
    )
    with op.batch_alter_table("boxes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_boxes_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "slip_claims",
        sa.Column("claim_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("lookup_verifier", sa.LargeBinary(length=32), nullable=True),
        sa.Column("reporter_key", sa.LargeBinary(length=1216), nullable=True),
        sa.Column("sealed_thread_key", sa.LargeBinary(length=64), nullable=True),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.Column("claimed_hour", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "EXTRACT(MINUTE FROM claimed_hour AT TIME ZONE 'UTC') = 30 AND EXTRACT(SECOND FROM claimed_hour) = 0",
            name=op.f("ck_slip_claims_claimed_hour_on_the_hour_postgresql"),
        ).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(
            "substr(claimed_hour, 15) = '30:00.000000'",
            name=op.f("ck_slip_claims_claimed_hour_on_the_hour_sqlite"),
        ).ddl_if(dialect="sqlite"),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["slip_batches.id"], name=op.f("fk_slip_claims_batch_id_slip_batches")
        ),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_slip_claims_report_id_reports")),
        sa.PrimaryKeyConstraint("claim_id", name=op.f("pk_slip_claims")),
        sa.UniqueConstraint("report_id", name=op.f("uq_slip_claims_report_id")),
    )
    with op.batch_alter_table("slip_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slip_claims_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_slip_claims_lookup_verifier"), ["lookup_verifier"], unique=False)

    op.create_table(
        "box_openings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("box_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("transcriber_id", sa.Integer(), nullable=False),
        sa.Column("witnesses", sa.Text(), nullable=False),
        sa.Column("seal_numbers", sa.Text(), nullable=False),
        sa.Column("letter_count", sa.SmallInteger(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minutes", sa.LargeBinary(), nullable=True),
        sa.Column("minutes_sha256", sa.LargeBinary(length=32), nullable=True),
        sa.CheckConstraint(
            "substr(id, 13, 1) = '4' AND substr(id, 17, 1) IN ('8', '9', 'a', 'b')",
            name=op.f("ck_box_openings_id_is_random_uuid_sqlite"),
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "substr(id::text, 15, 1) = '4' AND substr(id::text, 20, 1) IN ('8', '9', 'a', 'b')",
            name=op.f("ck_box_openings_id_is_random_uuid_postgresql"),
        ).ddl_if(dialect="postgresql"),
        sa.ForeignKeyConstraint(["box_id"], ["boxes.id"], name=op.f("fk_box_openings_box_id_boxes")),
        sa.ForeignKeyConstraint(
            ["transcriber_id"], ["officers.id"], name=op.f("fk_box_openings_transcriber_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_box_openings")),
    )
    with op.batch_alter_table("box_openings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_box_openings_box_id"), ["box_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_box_openings_opened_at"), ["opened_at"], unique=False)

    op.create_table(
        "box_letters",
        sa.Column("opening_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opening_id"],
            ["box_openings.id"],
            name=op.f("fk_box_letters_opening_id_box_openings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_box_letters_report_id_reports")),
        sa.PrimaryKeyConstraint("opening_id", "position", name=op.f("pk_box_letters")),
        sa.UniqueConstraint("report_id", name=op.f("uq_box_letters_report_id")),
    )


def downgrade() -> None:
    op.drop_table("box_letters")
    with op.batch_alter_table("box_openings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_box_openings_opened_at"))
        batch_op.drop_index(batch_op.f("ix_box_openings_box_id"))

    op.drop_table("box_openings")
    with op.batch_alter_table("slip_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slip_claims_lookup_verifier"))
        batch_op.drop_index(batch_op.f("ix_slip_claims_batch_id"))

    op.drop_table("slip_claims")
    with op.batch_alter_table("boxes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_boxes_institution_id"))

    op.drop_table("boxes")
    op.drop_table("slip_batches")
