"""The migration history applies from empty, matches the models, and reverts cleanly."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from server.db import migrate
from server.db.base import Base
from server.db.engine import create_engine


def _with_connection(url: str, work: object) -> object:
    async def run() -> object:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(work)  # type: ignore[arg-type]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def test_migrations_apply_from_empty_and_match_the_models(database_url: str) -> None:
    migrate.upgrade(database_url)
    assert _with_connection(database_url, _differences) == []
    assert _with_connection(database_url, migrate.current_revision) == migrate.head_revision()


def test_migrations_revert_to_empty_and_apply_again(database_url: str) -> None:
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "base")
    assert _with_connection(database_url, _tables) == {"alembic_version"}
    migrate.upgrade(database_url)
    assert set(Base.metadata.tables) <= _with_connection(database_url, _tables)  # type: ignore[operator]


def test_sqlite_is_durable_and_enforces_foreign_keys(sqlite_url: str) -> None:
    def pragmas(connection: Connection) -> tuple[object, ...]:
        return tuple(
            connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys")
        )

    # synchronous=2 is FULL: a commit that returned survives power loss.
    assert _with_connection(sqlite_url, pragmas) == ("wal", 2, 1)
