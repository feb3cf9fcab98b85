"""The summary job: every server process checks now and then whether a month has closed
without its summaries, and makes them (``store.ensure_months``). Making a month is
idempotent and one transaction, so processes racing for it, or a crash half-way, leave
exactly one set (docs/SUMMARIES.md)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime

from litestar import Litestar
from sqlalchemy.exc import SQLAlchemyError

from server.db.lifecycle import Database
from server.jobs import periodic
from server.logging import get_logger
from server.settings import Settings
from server.summaries.model import Thresholds
from server.summaries.store import ensure_months

log = get_logger("seda.summaries")
SENSITIVE = ("ill_treatment", "restraints", "retaliation")


def thresholds_of(settings: Settings) -> Thresholds:
    return Thresholds(
        default=settings.summary_threshold,
        sensitive=settings.summary_sensitive_threshold,
        sensitive_keys=SENSITIVE,
    )


async def run_summaries(database: Database, settings: Settings, now: datetime) -> list[str]:
    """One pass: the closed months still without summaries, made oldest first."""
    made = await ensure_months(database, now=now, thresholds=thresholds_of(settings))
    if made:
        log.info("summaries_made", months=len(made))
    return made


def summary_job(
    database: Database, settings: Settings, clock: Callable[[], datetime]
) -> contextlib.AbstractAsyncContextManager[None]:
    """Run ``run_summaries`` every ``settings.summary_job_seconds`` while the application runs."""
    return periodic(
        settings.summary_job_seconds,
        lambda: run_summaries(database, settings, clock()),
        retried=(SQLAlchemyError, OSError),
        log=log,
        failure="summary_job_failed",
    )


def lifespan_of(
    database: Database, settings: Settings, clock: Callable[[], datetime]
) -> Callable[[Litestar], contextlib.AbstractAsyncContextManager[None]]:
    return lambda _app: summary_job(database, settings, clock)
