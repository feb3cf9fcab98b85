"""Intake: messages, attachment uploads, published signed documents, server secrets;
reports keep the directory, policy and deadlines they were routed with.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:46:50.632400
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "published_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signed", sa.LargeBinary(), nullable=False),
        sa.Column("root_public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_documents")),
        sa.UniqueConstraint("kind", "serial", name=op.f("uq_published_documents_kind_serial")),
        sa.UniqueConstraint("sha256", name=op.f("uq_published_documents_sha256")),
    )
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_secrets")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "author",
            sa.Enum("reporter", "body", name="messageauthor", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("body_id", sa.Integer(), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("at_hour", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "EXTRACT(MINUTE FROM at_hour AT TIME ZONE 'UTC') = 30 AND EXTRACT(SECOND FROM at_hour) = 0",
            name=op.f("ck_messages_at_hour_on_the_hour_postgresql"),
        ).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(
            "substr(at_hour, 15) = '30:00.000000'", name=op.f("ck_messages_at_hour_on_the_hour_sqlite")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "substr(id, 13, 1) = '4' AND substr(id, 17, 1) IN ('8', '9', 'a', 'b')",
            name=op.f("ck_messages_id_is_random_uuid_sqlite"),
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "substr(id::text, 15, 1) = '4' AND substr(id::text, 20, 1) IN ('8', '9', 'a', 'b')",
            name=op.f("ck_messages_id_is_random_uuid_postgresql"),
        ).ddl_if(dialect="postgresql"),
        sa.ForeignKeyConstraint(["body_id"], ["bodies.id"], name=op.f("fk_messages_body_id_bodies")),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_messages_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("report_id", "seq", name=op.f("uq_messages_report_id_seq")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_report_id"), ["report_id"], unique=False)

    op.create_table(
        "uploads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("chunk_digests", sa.LargeBinary(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.Column("created_hour", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "EXTRACT(MINUTE FROM created_hour AT TIME ZONE 'UTC') = 30 AND EXTRACT(SECOND FROM created_hour) = 0",
            name=op.f("ck_uploads_created_hour_on_the_hour_postgresql"),
        ).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(
            "substr(created_hour, 15) = '30:00.000000'",
            name=op.f("ck_uploads_created_hour_on_the_hour_sqlite"),
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "substr(id, 13, 1) = '4' AND substr(id, 17, 1) IN ('8', '9', 'a', 'b')",
            name=op.f("ck_uploads_id_is_random_uuid_sqlite"),
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "substr(id::text, 15, 1) = '4' AND substr(id::text, 20, 1) IN ('8', '9', 'a', 'b')",
            name=op.f("ck_uploads_id_is_random_uuid_postgresql"),
        ).ddl_if(dialect="postgresql"),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_uploads_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uploads_created_hour"), ["created_hour"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_report_id"), ["report_id"], unique=False)

    op.create_table(
        "upload_chunks",
        sa.Column("upload_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"], ["uploads.id"], name=op.f("fk_upload_chunks_upload_id_uploads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("upload_id", "position", name=op.f("pk_upload_chunks")),
    )
    with op.batch_alter_table("report_recipients", schema=None) as batch_op:
        batch_op.alter_column("wrapped_key", existing_type=sa.LargeBinary(), nullable=True)

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("directory_serial", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("policy_version", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("acknowledge_by", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("feedback_by", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("thread_tag", sa.LargeBinary(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("thread_tag")
        batch_op.drop_column("feedback_by")
        batch_op.drop_column("acknowledge_by")
        batch_op.drop_column("policy_version")
        batch_op.drop_column("directory_serial")

    with op.batch_alter_table("report_recipients", schema=None) as batch_op:
        batch_op.alter_column("wrapped_key", existing_type=sa.LargeBinary(), nullable=False)

    op.drop_table("upload_chunks")
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uploads_report_id"))
        batch_op.drop_index(batch_op.f("ix_uploads_created_hour"))

    op.drop_table("uploads")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_report_id"))

    op.drop_table("messages")
    op.drop_table("server_secrets")
    op.drop_table("published_documents")
