"""Monthly summaries: the signed documents, and the time indexes their queries use.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 19:06:46.897036
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "monthly_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=100), nullable=False),
        sa.Column("view", sa.String(length=16), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=True),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("document_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_summaries")),
        sa.UniqueConstraint(
            "month",
            "level",
            "unit_code",
            "view",
            name=op.f("uq_monthly_summaries_month_level_unit_code_view"),
        ),
    )
    with op.batch_alter_table("monthly_summaries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_monthly_summaries_month"), ["month"], unique=False)

    with op.batch_alter_table("report_recipients", schema=None) as batch_op:
        batch_op.create_index("ix_report_recipients_acknowledged_hour", ["acknowledged_hour"], unique=False)
        batch_op.create_index("ix_report_recipients_added_hour", ["added_hour"], unique=False)

    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.create_index("ix_status_events_at_hour", ["at_hour"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.drop_index("ix_status_events_at_hour")

    with op.batch_alter_table("report_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_report_recipients_added_hour")
        batch_op.drop_index("ix_report_recipients_acknowledged_hour")

    with op.batch_alter_table("monthly_summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monthly_summaries_month"))

    op.drop_table("monthly_summaries")
