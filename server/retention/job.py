"""The retention job: every server process purges, now and then, the closed cases past the
retention period (``purge.purge``: idempotent, one process at a time on PostgreSQL)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime

from litestar import Litestar
from sqlalchemy.exc import SQLAlchemyError

from server.db.lifecycle import Database
from server.jobs import periodic
from server.logging import get_logger
from server.retention.purge import purge
from server.settings import Settings

log = get_logger("seda.retention")


async def run_retention(database: Database, days: int, now: datetime) -> int:
    """One pass; how many reports it purged (logged as a count, never an id)."""
    count = await purge(database, now=now, days=days)
    if count:
        log.info("reports_purged", count=count)
    return count


def retention_job(
    database: Database, settings: Settings, clock: Callable[[], datetime]
) -> contextlib.AbstractAsyncContextManager[None]:
    """Run ``run_retention`` every ``settings.retention_job_seconds`` (never when retention is off)."""
    period = settings.retention_job_seconds if settings.retention_days > 0 else 0
    return periodic(
        period,
        lambda: run_retention(database, settings.retention_days, clock()),
        retried=(SQLAlchemyError, OSError),
        log=log,
        failure="retention_job_failed",
    )


def lifespan_of(
    database: Database, settings: Settings, clock: Callable[[], datetime]
) -> Callable[[Litestar], contextlib.AbstractAsyncContextManager[None]]:
    return lambda _app: retention_job(database, settings, clock)
