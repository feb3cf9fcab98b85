"""Alembic environment: runs Sedā's migrations on SQLite or PostgreSQL.

The URL comes from ``server.db.migrate`` (never from a file that could hold a password); an
already open connection can be handed in through ``config.attributes["connection"]``.

On SQLite, foreign keys are switched off for the migration and checked before each commit:
SQLite changes a table by copying it and dropping the old one, and with foreign keys on,
that DROP would cascade and delete every recipient and status event of every report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy.engine import Connection

from server.db import models  # noqa: F401  (registers every table on the metadata)
from server.db.base import Base
from server.db.engine import create_engine, is_sqlite

config = context.config
target_metadata = Base.metadata


class ForeignKeyViolationError(RuntimeError):
    """A migration step left rows that point nowhere; it is rolled back."""


def _check_sqlite_foreign_keys(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    # Runs inside the step's transaction, so raising here rolls the step back.
    del heads, run_args
    if ctx.connection is not None and ctx.connection.dialect.name == "sqlite":
        broken = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise ForeignKeyViolationError(f"migration {step.up_revision_id} broke {len(broken)} references")


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Must happen outside a transaction: SQLite ignores this pragma inside one.
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.close()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
        transaction_per_migration=True,
        # SQLite can roll DDL back too (the engine emits BEGIN itself): a failed migration
        # leaves nothing half-applied on either backend.
        transactional_ddl=True,
        on_version_apply=_check_sqlite_foreign_keys,
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if sqlite:
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()


async def _run_async(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def _run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to the migration environment")
    asyncio.run(_run_async(url))


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=is_sqlite(config.get_main_option("sqlalchemy.url") or "sqlite://"),
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    _run_online()
