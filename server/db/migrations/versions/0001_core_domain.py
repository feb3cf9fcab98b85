"""Core domain: provinces, institutions, bodies, sealed reports, recipients, status events,
officers and the hash-chained audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 12:41:18.263928
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_audit_log_entry_hash")),
    )
    op.create_table(
        "provinces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name_fa", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provinces")),
        sa.UniqueConstraint("code", name=op.f("uq_provinces_code")),
    )
    op.create_table(
        "institutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "closed_prison",
                "semi_open_prison",
                "open_prison",
                "camp",
                "juvenile_centre",
                "detention_centre",
                name="institutionkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name_fa", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["province_id"], ["provinces.id"], name=op.f("fk_institutions_province_id_provinces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
        sa.UniqueConstraint("code", name=op.f("uq_institutions_code")),
    )
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_institutions_province_id"), ["province_id"], unique=False)

    op.create_table(
        "bodies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("body_type", sa.String(length=60), nullable=False),
        sa.Column(
            "level",
            sa.Enum("institution", "province", "national", name="level", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("province_id", sa.Integer(), nullable=True),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("name_fa", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "(level = 'national' AND province_id IS NULL AND institution_id IS NULL) OR (level = 'province' AND province_id IS NOT NULL AND institution_id IS NULL) OR (level = 'institution' AND institution_id IS NOT NULL)",
            name=op.f("ck_bodies_level_matches_jurisdiction"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_bodies_institution_id_institutions")
        ),
        sa.ForeignKeyConstraint(
            ["province_id"], ["provinces.id"], name=op.f("fk_bodies_province_id_provinces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bodies")),
        sa.UniqueConstraint("code", name=op.f("uq_bodies_code")),
    )
    with op.batch_alter_table("bodies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bodies_body_type"), ["body_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_bodies_institution_id"), ["institution_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bodies_province_id"), ["province_id"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("protocol_version", sa.SmallInteger(), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("envelope_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column(
            "report_type",
            sa.Enum(
                "complaint",
                "objection",
                "suggestion",
                "criticism",
                name="reporttype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("concerns", sa.String(length=60), nullable=False),
        sa.Column(
            "reporter_type",
            sa.Enum(
                "prisoner",
                "family",
                "lawyer",
                "staff",
                "citizen",
                "unknown",
                name="reportertype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum("kiosk", "web", "box", name="channel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "urgency",
            sa.Enum("normal", "urgent", name="urgency", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "acknowledged",
                "under_review",
                "awaiting_reporter",
                "closed",
                name="reportstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("retaliation", sa.Boolean(), nullable=False),
        sa.Column("received_hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lookup_verifier", sa.LargeBinary(length=64), nullable=True),
        sa.CheckConstraint(
            "EXTRACT(MINUTE FROM received_hour AT TIME ZONE 'UTC') = 30 AND EXTRACT(SECOND FROM received_hour) = 0",
            name=op.f("ck_reports_received_hour_on_the_hour_postgresql"),
        ).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(
            "substr(received_hour, 15) = '30:00.000000'",
            name=op.f("ck_reports_received_hour_on_the_hour_sqlite"),
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "substr(id::text, 15, 1) = '4' AND substr(id::text, 20, 1) IN ('8', '9', 'a', 'b')",
            name=op.f("ck_reports_id_is_random_uuid_postgresql"),
        ).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(
            "substr(id, 13, 1) = '4' AND substr(id, 17, 1) IN ('8', '9', 'a', 'b')",
            name=op.f("ck_reports_id_is_random_uuid_sqlite"),
        ).ddl_if(dialect="sqlite"),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_reports_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("lookup_verifier", name=op.f("uq_reports_lookup_verifier")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_institution_id"), ["institution_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_received_hour"), ["received_hour"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_status"), ["status"], unique=False)

    op.create_table(
        "officers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "officer",
                "body_admin",
                "box_transcriber",
                "summary_reader",
                "operator",
                name="officerrole",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["body_id"], ["bodies.id"], name=op.f("fk_officers_body_id_bodies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officers")),
        sa.UniqueConstraint("username", name=op.f("uq_officers_username")),
    )
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_officers_body_id"), ["body_id"], unique=False)

    op.create_table(
        "report_recipients",
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column(
            "via",
            sa.Enum(
                "policy", "reporter_choice", "referral", name="recipientvia", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("added_hour", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "EXTRACT(MINUTE FROM added_hour AT TIME ZONE 'UTC') = 30 AND EXTRACT(SECOND FROM added_hour) = 0",
            name=op.f("ck_report_recipients_added_hour_on_the_hour_postgresql"),
        ).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(
            "substr(added_hour, 15) = '30:00.000000'",
            name=op.f("ck_report_recipients_added_hour_on_the_hour_sqlite"),
        ).ddl_if(dialect="sqlite"),
        sa.ForeignKeyConstraint(["body_id"], ["bodies.id"], name=op.f("fk_report_recipients_body_id_bodies")),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_recipients_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "body_id", name=op.f("pk_report_recipients")),
    )
    with op.batch_alter_table("report_recipients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_recipients_body_id"), ["body_id"], unique=False)

    op.create_table(
        "status_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.SmallInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "acknowledged",
                "under_review",
                "awaiting_reporter",
                "closed",
                name="reportstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("body_id", sa.Integer(), nullable=True),
        sa.Column("at_hour", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "EXTRACT(MINUTE FROM at_hour AT TIME ZONE 'UTC') = 30 AND EXTRACT(SECOND FROM at_hour) = 0",
            name=op.f("ck_status_events_at_hour_on_the_hour_postgresql"),
        ).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(
            "substr(at_hour, 15) = '30:00.000000'", name=op.f("ck_status_events_at_hour_on_the_hour_sqlite")
        ).ddl_if(dialect="sqlite"),
        sa.ForeignKeyConstraint(["body_id"], ["bodies.id"], name=op.f("fk_status_events_body_id_bodies")),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_status_events_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_events")),
        sa.UniqueConstraint("report_id", "seq", name=op.f("uq_status_events_report_id_seq")),
    )


def downgrade() -> None:

    op.drop_table("status_events")
    with op.batch_alter_table("report_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_recipients_body_id"))

    op.drop_table("report_recipients")
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officers_body_id"))

    op.drop_table("officers")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_status"))
        batch_op.drop_index(batch_op.f("ix_reports_received_hour"))
        batch_op.drop_index(batch_op.f("ix_reports_institution_id"))

    op.drop_table("reports")
    with op.batch_alter_table("bodies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bodies_province_id"))
        batch_op.drop_index(batch_op.f("ix_bodies_institution_id"))
        batch_op.drop_index(batch_op.f("ix_bodies_body_type"))

    op.drop_table("bodies")
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_institutions_province_id"))

    op.drop_table("institutions")
    op.drop_table("provinces")
    op.drop_table("audit_log")
