"""Key rotation: a recipient's re-tag for its body's new key (PROTOCOL.md §6.1).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("report_recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rekey_key_id", sa.LargeBinary(length=16), nullable=True))
        batch_op.add_column(sa.Column("rekey_tag", sa.LargeBinary(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report_recipients", schema=None) as batch_op:
        batch_op.drop_column("rekey_tag")
        batch_op.drop_column("rekey_key_id")
