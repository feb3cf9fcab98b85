"""The migration history applies from empty, matches the models, and reverts cleanly."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
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


REBUILD_REPORTS = '''"""Test only: rebuild the reports table the way SQLite batch migrations do."""
from alembic import op

revision = "9001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports", recreate="always"):
        pass


def downgrade() -> None:
    pass
'''

BREAK_REFERENCES = '''"""Test only: a faulty migration that leaves reports without their institution."""
from alembic import op

revision = "9002"
down_revision = "9001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM institutions")


def downgrade() -> None:
    pass
'''


def _scripts_with_test_revisions(tmp_path: Path) -> Path:
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9001_rebuild_reports.py").write_text(REBUILD_REPORTS)
    (scripts / "versions" / "9002_break_references.py").write_text(BREAK_REFERENCES)
    return scripts


REPORT_HEX = "a" * 12 + "4" + "a" * 3 + "8" + "a" * 15  # a version-4 UUID as SQLite stores it


def _seed_one_report(connection: Connection) -> None:
    hour = "2026-11-23 09:30:00.000000"
    for statement in (
        "INSERT INTO provinces (id, code, position, name_fa, name_en) VALUES (1, 'p', 1, 'p', 'p')",
        (
            "INSERT INTO institutions (id, code, province_id, kind, name_fa, name_en, active)"
            " VALUES (1, 'i', 1, 'closed_prison', 'i', 'i', 1)"
        ),
        (
            "INSERT INTO bodies (id, code, body_type, level, name_fa, name_en, active)"
            " VALUES (1, 'b', 't', 'national', 'b', 'b', 1)"
        ),
        (
            "INSERT INTO reports (id, protocol_version, envelope, envelope_sha256, institution_id,"
            " report_type, category, concerns, reporter_type, channel, urgency, status, retaliation,"
            f" received_hour) VALUES ('{REPORT_HEX}', 1, x'00', x'00', 1, 'complaint', 'c', 'c', 'prisoner',"
            f" 'kiosk', 'normal', 'received', 0, '{hour}')"
        ),
        (
            "INSERT INTO report_recipients (report_id, body_id, via, reason, wrapped_key, added_hour)"
            f" VALUES ('{REPORT_HEX}', 1, 'policy', 'r', x'00', '{hour}')"
        ),
        (
            "INSERT INTO status_events (id, report_id, seq, status, at_hour)"
            f" VALUES ('{'b' * 32}', '{REPORT_HEX}', 1, 'received', '{hour}')"
        ),
    ):
        connection.exec_driver_sql(statement)
    connection.commit()


def _child_rows(connection: Connection) -> tuple[object, ...]:
    return tuple(
        connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
        for table in ("reports", "report_recipients", "status_events", "institutions")
    )


def test_rebuilding_a_table_on_sqlite_keeps_every_child_row(sqlite_url: str, tmp_path: Path) -> None:
    scripts = _scripts_with_test_revisions(tmp_path)
    migrate.upgrade(sqlite_url, "0001", scripts=scripts)
    _with_connection(sqlite_url, _seed_one_report)
    migrate.upgrade(sqlite_url, "9001", scripts=scripts)
    assert _with_connection(sqlite_url, _child_rows) == (1, 1, 1, 1)


def test_a_migration_that_breaks_references_is_rolled_back(sqlite_url: str, tmp_path: Path) -> None:
    scripts = _scripts_with_test_revisions(tmp_path)
    migrate.upgrade(sqlite_url, "9001", scripts=scripts)
    _with_connection(sqlite_url, _seed_one_report)
    with pytest.raises(RuntimeError, match="broke"):
        migrate.upgrade(sqlite_url, "9002", scripts=scripts)
    assert _with_connection(sqlite_url, _child_rows) == (1, 1, 1, 1)
    assert _with_connection(sqlite_url, migrate.current_revision) == "9001"
