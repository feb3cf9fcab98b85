"""Engines and sessions for SQLite (the embedded default) and PostgreSQL.

SQLite is set up for durability, not speed: WAL journal with ``synchronous=FULL`` (a commit
that returned survives power loss), foreign keys enforced, and transactions begun by Sedā
itself rather than by the driver (which would start them late, on the first write):

- a read session begins ``DEFERRED``: it sees one snapshot and never blocks a writer;
- a write session (``WRITE_OPTIONS``) begins ``IMMEDIATE``: it takes the write lock at the
  start, waiting up to ``busy_timeout`` for another writer, instead of failing at once with
  "database is locked" when a read-then-write transaction tries to upgrade.
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
    # Deleted content (a purged case, an erased slip record) is overwritten, not left in free
    # pages, whatever the SQLite build's default (Debian's is on; others are off).
    "PRAGMA secure_delete=ON",
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


# How long opening a PostgreSQL connection may take before the request is answered 503.
PG_CONNECT_TIMEOUT_SECONDS = 5.0

# Execution options that mark a transaction as one that will write.
WRITE_OPTIONS = {"seda_write": True}


def _on_sqlite_connect(dbapi_connection: Any, _: Any) -> None:
    # Turn the driver's own transaction handling off; the "begin" hook below emits BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _on_sqlite_begin(connection: Any) -> None:
    writes = connection.get_execution_options().get("seda_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN DEFERRED")


def create_engine(url: str | URL, **options: Any) -> AsyncEngine:
    """An async engine for ``url`` with Sedā's durability settings applied."""
    ensure_sqlite_directory(url)
    # A file cannot drop a connection, so pinging before each use would only cost a round
    # trip to the driver's thread; a PostgreSQL connection can die with a server restart.
    if not is_sqlite(url):
        # A database behind a partition accepts no packets: without a bound, asyncpg waits
        # 60 s for each new connection and every request (a health probe too) waits with it.
        options.setdefault("connect_args", {"timeout": PG_CONNECT_TIMEOUT_SECONDS})
    engine = create_async_engine(url, pool_pre_ping=not is_sqlite(url), **options)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that never lazy-load after commit (no surprise I/O in async code)."""
    return async_sessionmaker(engine, expire_on_commit=False)
