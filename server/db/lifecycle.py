"""The database as the application holds it: one engine, one session factory, per process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server.db.engine import WRITE_OPTIONS, create_engine, is_sqlite, session_factory


class Database:
    """The engine and session factory for one database URL."""

    def __init__(self, url: str) -> None:
        self.engine: AsyncEngine = create_engine(url)
        self.sessions: async_sessionmaker[AsyncSession] = session_factory(self.engine)
        # SQLite has one writer at a time; queueing this process's writers here, first come
        # first served, is fairer than SQLite's sleep-and-retry (whose waits reach seconds).
        self._writers: asyncio.Lock | None = asyncio.Lock() if is_sqlite(url) else None

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def session(self) -> AsyncIterator[AsyncSession]:
        """A read session for one request (a dependency); rolled back unless committed."""
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def write_session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction will write: on SQLite it takes the write lock first.

        Use it for every read-then-write transaction (appending to the audit chain,
        idempotent inserts), so that concurrent writers wait their turn instead of failing.
        """
        if self._writers is None:
            async with self.sessions() as session:
                await session.connection(execution_options=WRITE_OPTIONS)
                yield session
            return
        async with self._writers, self.sessions() as session:
            await session.connection(execution_options=WRITE_OPTIONS)
            yield session
