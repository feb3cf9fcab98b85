"""Console: officer keys, second factor, sessions, body-key grants, case handling per body,
escrowed escalation wraps, close approvals, protection measures.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:58:21.511463
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def _hour_checks(batch_op: Any, table: str, column: str) -> None:
    """The CHECKs of server.db.types.hour_precision_checks for a column added to a table."""
    if op.get_bind().dialect.name == "sqlite":
        batch_op.create_check_constraint(
            op.f(f"ck_{table}_{column}_on_the_hour_sqlite"), f"substr({column}, 15) = '30:00.000000'"
        )
    else:
        batch_op.create_check_constraint(
            op.f(f"ck_{table}_{column}_on_the_hour_postgresql"),
            f"EXTRACT(MINUTE FROM {column} AT TIME ZONE 'UTC') = 30 AND EXTRACT(SECOND FROM {column}) = 0",
        )


def _drop_hour_checks(batch_op: Any, table: str, column: str) -> None:
    suffix = "sqlite" if op.get_bind().dialect.name == "sqlite" else "postgresql"
    batch_op.drop_constraint(op.f(f"ck_{table}_{column}_on_the_hour_{suffix}"), type_="check")


def upgrade() -> None:
    op.create_table(
        "escrow_wraps",
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.LargeBinary(length=16), nullable=True),
        sa.Column("released_hour", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "EXTRACT(MINUTE FROM released_hour AT TIME ZONE 'UTC') = 30 AND EXTRACT(SECOND FROM released_hour) = 0",
            name=op.f("ck_escrow_wraps_released_hour_on_the_hour_postgresql"),
        ).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(
            "substr(released_hour, 15) = '30:00.000000'",
            name=op.f("ck_escrow_wraps_released_hour_on_the_hour_sqlite"),
        ).ddl_if(dialect="sqlite"),
        sa.ForeignKeyConstraint(["body_id"], ["bodies.id"], name=op.f("fk_escrow_wraps_body_id_bodies")),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_escrow_wraps_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("report_id", "body_id", name=op.f("pk_escrow_wraps")),
    )
    op.create_table(
        "body_key_grants",
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("body_key_id", sa.LargeBinary(length=16), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("grant", sa.LargeBinary(), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["body_id"], ["bodies.id"], name=op.f("fk_body_key_grants_body_id_bodies")),
        sa.ForeignKeyConstraint(
            ["granted_by"], ["officers.id"], name=op.f("fk_body_key_grants_granted_by_officers")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["officers.id"],
            name=op.f("fk_body_key_grants_officer_id_officers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("officer_id", "body_key_id", name=op.f("pk_body_key_grants")),
    )
    with op.batch_alter_table("body_key_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_body_key_grants_body_id"), ["body_id"], unique=False)

    op.create_table(
        "close_requests",
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "substantiated",
                "partly_substantiated",
                "not_substantiated",
                "not_acted_upon",
                "resolved_by_mediation",
                "referred",
                name="outcome",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["body_id"], ["bodies.id"], name=op.f("fk_close_requests_body_id_bodies")),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_close_requests_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["officers.id"], name=op.f("fk_close_requests_requested_by_officers")
        ),
        sa.PrimaryKeyConstraint("report_id", "body_id", name=op.f("pk_close_requests")),
    )
    op.create_table(
        "officer_sessions",
        sa.Column("cookie_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("csrf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["officers.id"],
            name=op.f("fk_officer_sessions_officer_id_officers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cookie_hash", name=op.f("pk_officer_sessions")),
    )
    with op.batch_alter_table("officer_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_officer_sessions_officer_id"), ["officer_id"], unique=False)

    op.create_table(
        "protection_measures",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column(
            "measure",
            sa.Enum(
                "separation",
                "transfer",
                "legal_support",
                "judge_informed",
                "medical_care",
                "monitoring",
                "other",
                name="protectionkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("at_hour", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "EXTRACT(MINUTE FROM at_hour AT TIME ZONE 'UTC') = 30 AND EXTRACT(SECOND FROM at_hour) = 0",
            name=op.f("ck_protection_measures_at_hour_on_the_hour_postgresql"),
        ).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(
            "substr(at_hour, 15) = '30:00.000000'",
            name=op.f("ck_protection_measures_at_hour_on_the_hour_sqlite"),
        ).ddl_if(dialect="sqlite"),
        sa.ForeignKeyConstraint(
            ["body_id"], ["bodies.id"], name=op.f("fk_protection_measures_body_id_bodies")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_protection_measures_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_protection_measures_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_protection_measures")),
    )
    with op.batch_alter_table("protection_measures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_protection_measures_report_id"), ["report_id"], unique=False)

    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enrolment_code_hash", sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column("enrolment_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("key_salt", sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column("public_key", sa.LargeBinary(length=1216), nullable=True))
        batch_op.add_column(sa.Column("key_id", sa.LargeBinary(length=16), nullable=True))
        batch_op.add_column(sa.Column("protected_seed", sa.LargeBinary(length=128), nullable=True))
        batch_op.add_column(sa.Column("totp_secret", sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("failed_signins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_officers_key_id"), ["key_id"])

    with op.batch_alter_table("report_recipients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "state",
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
                server_default="received",
            )
        )
        batch_op.add_column(
            sa.Column(
                "triage",
                sa.Enum(
                    "acted_upon",
                    "not_acted_upon",
                    "important_with_indications",
                    name="triage",
                    native_enum=False,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("assigned_officer_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "outcome",
                sa.Enum(
                    "substantiated",
                    "partly_substantiated",
                    "not_substantiated",
                    "not_acted_upon",
                    "resolved_by_mediation",
                    "referred",
                    name="outcome",
                    native_enum=False,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("acknowledged_hour", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("overdue", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("escalated", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("referral_tag", sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column("key_id", sa.LargeBinary(length=16), nullable=True))
        batch_op.add_column(sa.Column("acknowledge_by", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("feedback_by", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_report_recipients_inbox", ["body_id", "added_hour", "report_id"], unique=False
        )
        _hour_checks(batch_op, "report_recipients", "acknowledged_hour")
        batch_op.create_foreign_key(
            batch_op.f("fk_report_recipients_assigned_officer_id_officers"),
            "officers",
            ["assigned_officer_id"],
            ["id"],
        )

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("protection_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("watch_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escrow_tag", sa.LargeBinary(length=32), nullable=True))
        _hour_checks(batch_op, "reports", "watch_until")


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        _drop_hour_checks(batch_op, "reports", "watch_until")
        batch_op.drop_column("escrow_tag")
        batch_op.drop_column("watch_until")
        batch_op.drop_column("protection_requested")

    with op.batch_alter_table("report_recipients", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_report_recipients_assigned_officer_id_officers"), type_="foreignkey"
        )
        batch_op.drop_index("ix_report_recipients_inbox")
        _drop_hour_checks(batch_op, "report_recipients", "acknowledged_hour")
        batch_op.drop_column("feedback_by")
        batch_op.drop_column("acknowledge_by")
        batch_op.drop_column("key_id")
        batch_op.drop_column("referral_tag")
        batch_op.drop_column("escalated")
        batch_op.drop_column("overdue")
        batch_op.drop_column("acknowledged_hour")
        batch_op.drop_column("outcome")
        batch_op.drop_column("assigned_officer_id")
        batch_op.drop_column("triage")
        batch_op.drop_column("state")

    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_officers_key_id"), type_="unique")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_signins")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("protected_seed")
        batch_op.drop_column("key_id")
        batch_op.drop_column("public_key")
        batch_op.drop_column("key_salt")
        batch_op.drop_column("enrolled_at")
        batch_op.drop_column("enrolment_expires_at")
        batch_op.drop_column("enrolment_code_hash")

    with op.batch_alter_table("protection_measures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_protection_measures_report_id"))

    op.drop_table("protection_measures")
    with op.batch_alter_table("officer_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_sessions_officer_id"))

    op.drop_table("officer_sessions")
    op.drop_table("close_requests")
    with op.batch_alter_table("body_key_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_body_key_grants_body_id"))

    op.drop_table("body_key_grants")
    op.drop_table("escrow_wraps")
