"""Alembic environment: runs Sedā's migrations on SQLite or PostgreSQL.

The URL comes from ``server.db.migrate`` (never from a file that could hold a password); an
already open connection can be handed in through ``config.attributes["connection"]``.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from server.db import models  # noqa: F401  (registers every table on the metadata)
from server.db.base import Base
from server.db.engine import create_engine, is_sqlite

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        transaction_per_migration=True,
        # SQLite can roll DDL back too (the engine emits BEGIN itself): a failed migration
        # leaves nothing half-applied on either backend.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


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
