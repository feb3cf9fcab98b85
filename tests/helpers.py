"""Small helpers shared by tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from server.db.lifecycle import Database

T = TypeVar("T")


def with_session(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in a session on ``url`` from synchronous test code."""

    async def run() -> T:
        database = Database(url)
        try:
            async with database.sessions() as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(run())
