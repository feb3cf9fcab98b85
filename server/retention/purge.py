"""Purging closed cases after the retention period (docs/OPERATIONS.md "Retention").

A report is purged when it is closed by every body that holds it (``reports.status`` and
every recipient's own state: a retaliation follow-up on a closed case adds bodies that hold it
open), nothing has happened to it for ``SEDA_RETENTION_DAYS`` days (no status event, message,
protection measure, body added, acknowledgement or escrowed wrap released), no retaliation
watch runs, no close request waits, its box opening (if it was a letter) is closed, and the monthly
summaries of every month it was active in are stored: the summaries are the statistics that
outlive it, so nothing else of it is kept. Purging deletes the report row (ciphertext, routing
envelope, lookup verifier, tags) and every row that hangs off it: recipients and their wraps,
escrowed wraps, status events, messages, protection measures, close requests, uploads and
their chunks, its box letter entry and its claimed slip. The audit log keeps its entries and
gains one, ``report.purged``, with the report id and the hour it closed.

Each batch is one transaction; on PostgreSQL the pass takes an advisory lock the other
processes skip, and rows an officer is writing are left for the next pass. The candidates are
locked, then checked again in a new statement: under READ COMMITTED that sees every write
committed before the lock, and every writer to a case (a follow-up, a reply, any console
action) takes the report's row lock first, so a follow-up acknowledged while the candidates
were read keeps its case. A purged report is no longer a candidate, so any number of passes,
anywhere, purge each report once. On SQLite the pass ends with a WAL checkpoint that never
waits: one a reader prevents is tried again by every later pass (``_checkpoint``).
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import delete, exists, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from routing.vocabulary import ReportStatus
from server.audit import append_audit
from server.db.lifecycle import Database
from server.db.models import (
    BoxLetter,
    BoxOpening,
    CloseRequest,
    EscrowWrap,
    Message,
    MonthlySummary,
    ProtectionMeasure,
    Report,
    ReportRecipient,
    SlipClaim,
    StatusEvent,
    Upload,
    UploadChunk,
)
from server.logging import get_logger
from server.summaries import months
from server.summaries.model import ScopeLevel, parse_month

log = get_logger("seda.retention")

_JOB_LOCK = 0x73656463  # "sedc": the retention job's PostgreSQL advisory lock
BATCH = 200
# Every table with a report's rows, children before parents (``tests/test_retention.py``
# checks that each table referring to ``reports`` is here).
REPORT_TABLES: tuple[Any, ...] = (
    ProtectionMeasure,
    Message,
    CloseRequest,
    EscrowWrap,
    ReportRecipient,
    StatusEvent,
    BoxLetter,
    SlipClaim,
)


class Purgeable(msgspec.Struct, frozen=True):
    report_id: str
    closed_hour: datetime


async def _summarised_until(session: AsyncSession) -> datetime | None:
    """The end of the newest month whose summaries are stored (months are made oldest first,
    so every month before it has its summaries too); None before the first."""
    newest = await session.scalar(
        select(func.max(MonthlySummary.month)).where(MonthlySummary.level == ScopeLevel.NATIONAL.value)
    )
    return None if newest is None else months.window(*parse_month(newest))[1]


def _later_activity(cutoff: datetime) -> list[Any]:
    """Whatever happened to a report at or after ``cutoff``, each hour column that records it."""
    recipient = ReportRecipient.report_id == Report.id
    return [
        exists().where(StatusEvent.report_id == Report.id, StatusEvent.at_hour >= cutoff),
        exists().where(Message.report_id == Report.id, Message.at_hour >= cutoff),
        exists().where(ProtectionMeasure.report_id == Report.id, ProtectionMeasure.at_hour >= cutoff),
        exists().where(recipient, ReportRecipient.added_hour >= cutoff),
        exists().where(recipient, ReportRecipient.acknowledged_hour >= cutoff),
        exists().where(EscrowWrap.report_id == Report.id, EscrowWrap.released_hour >= cutoff),
    ]


def _candidates(now: datetime, cutoff: datetime) -> Any:
    later_event, later_message, *later_other = _later_activity(cutoff)
    # A body that still holds the case (one added by a retaliation follow-up after closing,
    # waiting for its key) keeps it, whatever ``reports.status`` says.
    held_open = exists().where(
        ReportRecipient.report_id == Report.id, ReportRecipient.state != ReportStatus.CLOSED
    )
    waiting_close = exists().where(CloseRequest.report_id == Report.id)
    open_opening = exists().where(
        BoxLetter.report_id == Report.id,
        BoxOpening.id == BoxLetter.opening_id,
        BoxOpening.closed_at.is_(None),
    )
    return (
        select(Report.id)
        .where(
            Report.status == ReportStatus.CLOSED,
            or_(Report.watch_until.is_(None), Report.watch_until <= now),
            Report.received_hour < cutoff,
            ~later_event,
            ~later_message,
            *(~activity for activity in later_other),
            ~held_open,
            ~waiting_close,
            ~open_opening,
        )
        .order_by(Report.received_hour, Report.id)
    )


async def _cutoff(session: AsyncSession, now: datetime, days: int) -> datetime | None:
    summarised = await _summarised_until(session)
    if summarised is None:
        return None
    return min(now - timedelta(days=days), summarised)


async def _closed_hour(session: AsyncSession, report_id: Any) -> datetime:
    closed = await session.scalar(
        select(func.max(StatusEvent.at_hour)).where(
            StatusEvent.report_id == report_id, StatusEvent.status == ReportStatus.CLOSED
        )
    )
    if closed is None:  # closed without a closing event (imported data): the last event
        closed = await session.scalar(
            select(func.max(StatusEvent.at_hour)).where(StatusEvent.report_id == report_id)
        )
    return closed or datetime.min.replace(tzinfo=UTC)


async def purgeable(database: Database, *, now: datetime, days: int) -> list[Purgeable]:
    """The reports a purge would remove now (for ``--dry-run``); nothing is changed."""
    if days <= 0:
        return []
    async with database.sessions() as session:
        cutoff = await _cutoff(session, now, days)
        if cutoff is None:
            return []
        ids = list(await session.scalars(_candidates(now, cutoff)))
        return [Purgeable(str(i), await _closed_hour(session, i)) for i in ids]


async def _purge_one(session: AsyncSession, report_id: Any, now: datetime) -> None:
    closed = await _closed_hour(session, report_id)
    uploads = select(Upload.id).where(Upload.report_id == report_id)
    await session.execute(delete(UploadChunk).where(UploadChunk.upload_id.in_(uploads)))
    await session.execute(delete(Upload).where(Upload.report_id == report_id))
    for model in REPORT_TABLES:
        await session.execute(delete(model).where(model.report_id == report_id))
    await session.execute(delete(Report).where(Report.id == report_id))
    await append_audit(
        session,
        at=now,
        actor="system",
        action="report.purged",
        subject=f"report:{report_id}",
        details={"closed_hour": closed.isoformat()},
    )


async def _lock(session: AsyncSession, ids: list[Any]) -> list[Any]:
    """PostgreSQL: lock the candidates' report rows, skipping those a writer holds now (the
    next pass takes them). SQLite: the write transaction already excludes every writer."""
    if not ids or session.get_bind().dialect.name != "postgresql":
        return ids
    locked = await session.scalars(
        select(Report.id).where(Report.id.in_(ids)).with_for_update(skip_locked=True)
    )
    return list(locked)


async def _still_candidates(
    session: AsyncSession, now: datetime, cutoff: datetime, ids: list[Any]
) -> list[Any]:
    """The locked reports that still qualify, checked in a statement of its own: its snapshot
    is newer than the lock, so it sees a follow-up that committed before the lock was taken."""
    if not ids:
        return []
    return list(await session.scalars(_candidates(now, cutoff).where(Report.id.in_(ids))))


async def _purge_batch(database: Database, now: datetime, days: int) -> int | None:
    """One transaction: up to ``BATCH`` reports purged; None when another process holds the lock."""
    async with database.write_session() as session:
        postgresql = session.get_bind().dialect.name == "postgresql"
        if postgresql:
            locked = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _JOB_LOCK})
            if not locked:
                return None
        else:
            # Freed pages are overwritten with zeros, so purged ciphertext does not linger in
            # the file (PostgreSQL reuses the space only after VACUUM: docs/OPERATIONS.md).
            await session.execute(text("PRAGMA secure_delete=ON"))
        cutoff = await _cutoff(session, now, days)
        if cutoff is None:
            return 0
        found = list(await session.scalars(_candidates(now, cutoff).limit(BATCH)))
        ids = await _still_candidates(session, now, cutoff, await _lock(session, found))
        for report_id in ids:
            await _purge_one(session, report_id, now)
        await session.commit()
        return len(ids)


# SQLite databases of this process with purged pages not yet checkpointed out of the WAL.
_checkpoint_owed: weakref.WeakSet[Database] = weakref.WeakSet()


async def purge(database: Database, *, now: datetime, days: int) -> int:
    """Purge every report past retention (``days`` 0: none); how many this call purged."""
    if days <= 0:
        return 0
    total = 0
    while (count := await _purge_batch(database, now, days)) is not None:
        total += count
        if count < BATCH:
            break
    if database.engine.dialect.name == "sqlite":
        await _settle_checkpoint(database, owed=bool(total))
    return total


async def _settle_checkpoint(database: Database, *, owed: bool) -> None:
    """Checkpoint on every pass (cheap when there is nothing to copy, and it also completes one
    another process could not); log, by event name only, each pass that a checkpoint owed for
    purged rows could not complete."""
    if owed:
        _checkpoint_owed.add(database)
    if await _checkpoint(database):
        _checkpoint_owed.discard(database)
    elif database in _checkpoint_owed:
        log.warning("retention_checkpoint_busy")


def checkpoint_owed(database: Database) -> bool:
    """Whether purged pages of ``database`` may still be in its files (a reader prevented the
    checkpoint; the next pass tries again)."""
    return database in _checkpoint_owed


async def _checkpoint(database: Database) -> bool:
    """Copy the zeroed pages into the database file and empty the WAL, so the purged bytes
    are gone from both files; False when a reader of an older snapshot or a writer prevented
    it. It never waits (busy_timeout 0 for it alone): a TRUNCATE checkpoint that waits holds
    back every new writer meanwhile."""
    async with database.engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        async with raw.execute("PRAGMA busy_timeout") as cursor:  # type: ignore[union-attr]
            (timeout,) = await cursor.fetchone()
        try:
            await raw.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]
            async with raw.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:  # type: ignore[union-attr]
                busy, _, _ = await cursor.fetchone()
        finally:
            await raw.execute(f"PRAGMA busy_timeout={int(timeout)}")  # type: ignore[union-attr]
    return not busy
