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
        self._sqlite = is_sqlite(url)
        self._writers: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def session(self) -> AsyncIterator[AsyncSession]:
        """A read session for one request (a dependency); rolled back unless committed."""
        async with self.sessions() as session:
            yield session

    def _writer_lock(self) -> asyncio.Lock:
        """This event loop's queue of writers (a lock belongs to one loop)."""
        loop = asyncio.get_running_loop()
        if self._writers is None or self._writers[0] is not loop:
            self._writers = (loop, asyncio.Lock())
        return self._writers[1]

    @asynccontextmanager
    async def write_session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction will write: on SQLite it takes the write lock first.

        Use it for every read-then-write transaction (appending to the audit chain,
        idempotent inserts), so that concurrent writers wait their turn instead of failing.
        """
        if not self._sqlite:
            async with self.sessions() as session:
                await session.connection(execution_options=WRITE_OPTIONS)
                yield session
            return
        async with self._writer_lock(), self.sessions() as session:
            await session.connection(execution_options=WRITE_OPTIONS)
            yield session
