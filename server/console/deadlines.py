"""The deadline job (docs/CONSOLE.md "Deadlines and escalation").

Every server process runs it; a lock lets one run at a time (SQLite's write lock, and on
PostgreSQL a transaction-scoped advisory lock that the others skip), and each case is
handled once (``escalated``), so running it anywhere, any number of times, is safe.

A body that has not acknowledged a report by ``acknowledge_by``, or not closed it by
``feedback_by``, is marked overdue and routing's ``escalate()`` names the next body up. The
server holds no report key: the job releases the wrap the reporter's device escrowed for that
body at submission (PROTOCOL.md §3.7), or, without one, adds the body waiting for a re-wrap by
an officer of a body that holds the report.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime

from litestar import Litestar
from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from routing.decide import Recipient, escalate
from routing.errors import RoutingError
from routing.vocabulary import RecipientVia, ReportStatus
from server.audit import append_audit
from server.console.cases import joining_deadlines
from server.db.lifecycle import Database
from server.db.models import Body, EscrowWrap, Report, ReportRecipient, StatusEvent
from server.db.types import round_down_to_hour
from server.intake.service import facts_of, next_seq, report_routing
from server.intake.trust import NotPublishedError, Trusted
from server.jobs import periodic
from server.logging import get_logger

_JOB_LOCK = 0x73656462  # "sedb": the deadline job's PostgreSQL advisory lock
BATCH = 500

log = get_logger("seda.deadlines")


async def _overdue(session: AsyncSession, now: datetime) -> list[tuple[ReportRecipient, Report]]:
    acknowledge_by = func.coalesce(ReportRecipient.acknowledge_by, Report.acknowledge_by)
    feedback_by = func.coalesce(ReportRecipient.feedback_by, Report.feedback_by)
    late = or_(and_(ReportRecipient.state == ReportStatus.RECEIVED, acknowledge_by < now), feedback_by < now)
    rows = await session.execute(
        select(ReportRecipient, Report)
        .join(Report, Report.id == ReportRecipient.report_id)
        .where(ReportRecipient.escalated.is_(False), ReportRecipient.state != ReportStatus.CLOSED, late)
        .order_by(Report.received_hour)
        .limit(BATCH)
        # PostgreSQL: a case an officer is acting on right now is left for the next pass, and
        # one they just acknowledged is checked again as committed (SQLite has one writer).
        .with_for_update(skip_locked=True, of=ReportRecipient)
    )
    return [(row, report) for row, report in rows.all()]


async def _escalate_one(
    session: AsyncSession,
    trusted: Trusted,
    *,
    codes: dict[int, str],
    row: ReportRecipient,
    report: Report,
    now: datetime,
) -> str | None:
    """Mark ``row`` overdue and give its report to the next body up; that body's code."""
    row.overdue = True
    row.escalated = True
    holders = list(
        await session.scalars(select(ReportRecipient).where(ReportRecipient.report_id == report.id))
    )
    # Climb as the reporter's device did when it escrowed (routing.escalation_targets): from the
    # bodies that did not join by escalation; a body another late body already escalated to
    # holds the report already.
    current = [
        Recipient(codes[r.body_id], r.via, r.reason)
        for r in holders
        if not r.reason.startswith("escalation_from:")
    ]
    if codes[row.body_id] not in {r.body for r in current}:
        current.append(Recipient(codes[row.body_id], row.via, row.reason))
    facts = facts_of(report_routing(report), report.received_hour, retaliation=report.retaliation)
    try:
        target = escalate(current, facts, trusted.routing, codes[row.body_id])
    except RoutingError:
        target = None  # the body left the directory: nothing to climb from
    if target is None or target.body not in trusted.body_ids:
        return None
    if any(codes[r.body_id] == target.body for r in holders):
        return target.body  # reached already, by another late body's escalation
    body_id = trusted.body_ids[target.body]
    hour = round_down_to_hour(now)
    escrow = await session.get(EscrowWrap, (report.id, body_id))
    released = escrow is not None and escrow.released_hour is None
    if escrow is not None and released:
        escrow.released_hour = hour
    session.add(
        ReportRecipient(
            report_id=report.id,
            body_id=body_id,
            via=RecipientVia.POLICY,
            reason=target.reason[:60],
            wrapped_key=escrow.wrapped_key if escrow is not None and released else None,
            key_id=(escrow.key_id or trusted.key_ids.get(target.body))
            if escrow is not None and released
            else None,
            added_hour=hour,
            state=ReportStatus.RECEIVED,
            **joining_deadlines(report, hour),
        )
    )
    session.add(
        StatusEvent(
            report_id=report.id,
            seq=await next_seq(session, StatusEvent, report.id),
            status=ReportStatus.RECEIVED,
            body_id=body_id,
            at_hour=hour,
        )
    )
    await session.flush()
    return target.body


async def run_deadlines(database: Database, trusted: Trusted, now: datetime) -> int:
    """One pass: every overdue case found is marked and escalated once; how many were handled
    (0 when another process holds the job's lock)."""
    async with database.write_session() as session:
        if session.get_bind().dialect.name == "postgresql":
            locked = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _JOB_LOCK})
            if not locked:
                return 0
        codes = dict((await session.execute(select(Body.id, Body.code))).all())
        handled = 0
        for row, report in await _overdue(session, now):
            reached = await _escalate_one(session, trusted, codes=codes, row=row, report=report, now=now)
            await append_audit(
                session,
                at=now,
                actor="system",
                action="report.overdue",
                subject=f"report:{report.id}",
                details={"body": codes[row.body_id], "escalated_to": reached},
            )
            handled += 1
        await session.commit()
        return handled


def deadline_job(
    database: Database,
    trusted: Callable[[], Awaitable[Trusted]],
    clock: Callable[[], datetime],
    period: float,
) -> contextlib.AbstractAsyncContextManager[None]:
    """Run ``run_deadlines`` every ``period`` seconds while the application runs."""

    async def work() -> None:
        count = await run_deadlines(database, await trusted(), clock())
        if count:
            log.info("deadlines_escalated", count=count)

    return periodic(
        period,
        work,
        retried=(SQLAlchemyError, OSError, NotPublishedError),
        log=log,
        failure="deadline_job_failed",
    )


def lifespan_of(
    database: Database,
    trusted: Callable[[], Awaitable[Trusted]],
    clock: Callable[[], datetime],
    period: float,
) -> Callable[[Litestar], contextlib.AbstractAsyncContextManager[None]]:
    return lambda _app: deadline_job(database, trusted, clock, period)
