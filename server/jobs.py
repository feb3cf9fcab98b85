"""Background jobs every server process runs while the application runs (the deadline job,
the summary job): a pass every ``period`` seconds, a failed pass logged and tried again."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any


@asynccontextmanager
async def periodic(
    period: float,
    work: Callable[[], Awaitable[object]],
    *,
    retried: tuple[type[BaseException], ...],
    log: Any,
    failure: str,
) -> AsyncIterator[None]:
    """Run ``work`` every ``period`` seconds (never, for 0) until the context ends; an error of
    a ``retried`` kind is logged as ``failure`` (by name, never its text) and the next pass
    tries again; any other error too, as an error with its type only (a bug in one pass
    should be seen, not silently stop the job in this process)."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(period)
            try:
                await work()
            except retried:
                log.warning(failure)
            except Exception:  # a bug in one pass must not end the job for good
                log.exception(failure)  # the log keeps an exception's type and place, never its text

    task = asyncio.create_task(loop()) if period > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
