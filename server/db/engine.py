"""Engines and sessions for SQLite (the embedded default) and PostgreSQL.

SQLite is set up for durability, not speed: WAL journal with ``synchronous=FULL`` (a commit
that returned survives power loss), foreign keys enforced, and an explicit ``BEGIN`` so that
reads inside a transaction see one snapshot (the driver would otherwise start transactions
late, on the first write).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


def is_sqlite(url: str | URL) -> bool:
    """Whether ``url`` names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def backend_name(url: str | URL) -> str:
    """The database product a URL names, without host, user or password (safe to log)."""
    return make_url(url).get_backend_name()


def ensure_sqlite_directory(url: str | URL) -> None:
    """Create the folder an SQLite file lives in, so a first start needs no manual step."""
    parsed = make_url(url)
    if is_sqlite(parsed) and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _on_sqlite_connect(dbapi_connection: Any, _: Any) -> None:
    # Autocommit at the driver level; SQLAlchemy's "begin" hook below emits BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _on_sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def create_engine(url: str | URL, **options: Any) -> AsyncEngine:
    """An async engine for ``url`` with Sedā's durability settings applied."""
    ensure_sqlite_directory(url)
    # A file cannot drop a connection, so pinging before each use would only cost a round
    # trip to the driver's thread; a PostgreSQL connection can die with a server restart.
    engine = create_async_engine(url, pool_pre_ping=not is_sqlite(url), **options)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that never lazy-load after commit (no surprise I/O in async code)."""
    return async_sessionmaker(engine, expire_on_commit=False)
