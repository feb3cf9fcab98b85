"""The raw counts a month's summaries are made from, per institution (SQL, grouped).

Every query reads routing metadata and case events only (SECURITY.md §4): no envelope,
message or identity column is selected. Each query is bounded by the month through an
indexed time column, so a month's cost follows the month's activity, not the table sizes.
Provinces and the nation are sums of their institutions (``server.summaries.build``).

What counts where (docs/SUMMARIES.md):
- ``received``: reports whose received hour is in the month; their cases (one per body
  holding the report) by body type and by the state they were in when the summary was made.
- ``handled``: cases acknowledged, closed, referred or escalated in the month, and cases
  whose acknowledgement or feedback deadline fell in the month and was missed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from routing.vocabulary import RecipientVia, ReportStatus
from server.boxes import weeks
from server.db.models import Body, Box, BoxOpening, Report, ReportRecipient, StatusEvent

# A deadline falls at most this long after its case began (the longest feedback duration
# in the policy is two months), so the missed-deadline query looks back no further.
DEADLINE_REACH = timedelta(days=100)
ESCALATION = "escalation_from:"
REFERRAL = "referral_from:"

Counts = dict[int, Counter[str]]  # institution id → key → count
# The dimensions a report is counted by when received (each is its own table).
_DIMENSIONS = ("category", "report_type", "concerns", "reporter_type", "channel", "urgency")


def _counts() -> Counts:
    return defaultdict(Counter)


@dataclass
class MonthFigures:
    """What the month's queries found, institution by institution."""

    tables: dict[str, Counts] = field(default_factory=lambda: defaultdict(_counts))
    # Hours from a case's start to its acknowledgement / closure: institution → hours → cases.
    hours: dict[str, dict[int, Counter[int]]] = field(default_factory=lambda: defaultdict(_hours))
    boxes: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # boxes, weeks due, opened

    def add(self, table: str, institution: int, key: str, count: int) -> None:
        self.tables[table][institution][key] += count


def _hours() -> dict[int, Counter[int]]:
    return defaultdict(Counter)


def _hours_between(session: AsyncSession, start: Any, end: Any) -> ColumnElement[int]:
    """Whole hours from ``start`` to ``end`` (both local-hour starts, so exact)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", end - start) / 3600, Integer)
    return cast(func.round((func.julianday(end) - func.julianday(start)) * 24), Integer)


def _in(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    """``column`` (a time column or expression) in [start, end)."""
    return and_(column >= start, column < end)


async def month_figures(session: AsyncSession, start: datetime, end: datetime, now: datetime) -> MonthFigures:
    """Every count the summaries of the month [start, end) need."""
    body_types = dict((await session.execute(select(Body.id, Body.body_type))).all())
    codes = dict((await session.execute(select(Body.code, Body.body_type))).all())
    figures = MonthFigures()
    await _received(session, figures, start, end)
    await _cases(session, figures, body_types, start, end)
    await _closures(session, figures, start, end)
    await _acknowledgements(session, figures, start, end)
    await _joined(session, figures, body_types=body_types, codes=codes, start=start, end=end)
    await _missed(session, figures, start, end)
    await _boxes(session, figures, start, end, now)
    return figures


async def _received(session: AsyncSession, figures: MonthFigures, start: datetime, end: datetime) -> None:
    """The month's reports counted once per dimension. One scan of the month feeds every
    count (a CTE read more than once is materialized, on SQLite as on PostgreSQL); grouping by
    all the dimensions at once would return about one row per report."""
    month = (
        select(Report.institution_id, *(getattr(Report, name) for name in _DIMENSIONS), Report.retaliation)
        .where(_in(Report.received_hour, start, end))
        .cte("month_reports")
    )
    # Category first, with the retaliation flag: the union's columns take its types.
    flagged = (month.c.institution_id, month.c.category, month.c.retaliation)
    arms = [select(literal("category"), *flagged, func.count()).group_by(*flagged)]
    for name in _DIMENSIONS[1:]:
        key = type_coerce(month.c[name], String)  # the stored value, as ``str`` of the enum gives it
        grouped = (month.c.institution_id, key)
        arms.append(select(literal(name), *grouped, null(), func.count()).group_by(*grouped))
    for table, institution, key, retaliation, count in await session.execute(union_all(*arms)):
        figures.add(table, institution, key, count)
        if table != "category":
            continue
        # Retaliation: filed under its category, or raised later in a follow-up.
        if key == "retaliation":
            figures.add("retaliation", institution, "filed", count)
        elif retaliation:
            figures.add("retaliation", institution, "raised_later", count)


async def _cases(
    session: AsyncSession, figures: MonthFigures, body_types: dict[int, str], start: datetime, end: datetime
) -> None:
    rows = await session.execute(
        select(Report.institution_id, ReportRecipient.body_id, ReportRecipient.state, func.count())
        .select_from(ReportRecipient)
        .join(Report, Report.id == ReportRecipient.report_id)
        .where(_in(Report.received_hour, start, end))
        .group_by(Report.institution_id, ReportRecipient.body_id, ReportRecipient.state)
    )
    for institution, body, state, count in rows:
        figures.add("recipient_body", institution, body_types[body], count)
        figures.add("status", institution, str(state), count)


async def _closures(session: AsyncSession, figures: MonthFigures, start: datetime, end: datetime) -> None:
    case = and_(
        ReportRecipient.report_id == StatusEvent.report_id, ReportRecipient.body_id == StatusEvent.body_id
    )
    deadline = func.coalesce(ReportRecipient.feedback_by, Report.feedback_by)
    hours = _hours_between(session, ReportRecipient.added_hour, StatusEvent.at_hour)
    within = StatusEvent.at_hour < deadline
    rows = await session.execute(
        select(
            Report.institution_id,
            ReportRecipient.outcome,
            ReportRecipient.triage,
            hours,
            within,
            func.count(),
        )
        .select_from(StatusEvent)
        .join(ReportRecipient, case)
        .join(Report, Report.id == StatusEvent.report_id)
        .where(StatusEvent.status == ReportStatus.CLOSED, _in(StatusEvent.at_hour, start, end))
        .group_by(Report.institution_id, ReportRecipient.outcome, ReportRecipient.triage, hours, within)
    )
    for institution, outcome, triage, spent, on_time, count in rows:
        figures.add("outcome", institution, str(outcome) if outcome else "none", count)
        figures.add("triage", institution, str(triage) if triage else "untriaged", count)
        figures.add("closure_deadline", institution, "within" if on_time else "late", count)
        figures.hours["closure"][institution][int(spent)] += count


async def _acknowledgements(
    session: AsyncSession, figures: MonthFigures, start: datetime, end: datetime
) -> None:
    row = ReportRecipient
    deadline = func.coalesce(row.acknowledge_by, Report.acknowledge_by)
    hours = _hours_between(session, row.added_hour, row.acknowledged_hour)
    within = row.acknowledged_hour < deadline
    rows = await session.execute(
        select(Report.institution_id, hours, within, func.count())
        .select_from(row)
        .join(Report, Report.id == row.report_id)
        .where(_in(row.acknowledged_hour, start, end))
        .group_by(Report.institution_id, hours, within)
    )
    for institution, spent, on_time, count in rows:
        figures.add("acknowledgement_deadline", institution, "within" if on_time else "late", count)
        figures.hours["acknowledgement"][institution][int(spent)] += count


async def _joined(
    session: AsyncSession,
    figures: MonthFigures,
    *,
    body_types: dict[int, str],
    codes: dict[str, str],
    start: datetime,
    end: datetime,
) -> None:
    """Referrals (by the referring and the receiving body's type) and escalations (by the
    type of the body the case climbed to) made in the month."""
    row = ReportRecipient
    later = or_(row.via == RecipientVia.REFERRAL, row.reason.startswith(ESCALATION, autoescape=True))
    rows = await session.execute(
        select(Report.institution_id, row.body_id, row.via, row.reason, func.count())
        .select_from(row)
        .join(Report, Report.id == row.report_id)
        .where(_in(row.added_hour, start, end), later)
        .group_by(Report.institution_id, row.body_id, row.via, row.reason)
    )
    referring: dict[str, str] = {}  # reason → the referring body's type (a search if cut short)
    for institution, body, via, reason, count in rows:
        to_type = body_types[body]
        if via == RecipientVia.REFERRAL:
            if reason not in referring:
                referring[reason] = referring_type(reason.removeprefix(REFERRAL), codes)
            figures.add("referral", institution, f"{referring[reason]}>{to_type}", count)
        else:
            figures.add("escalation", institution, to_type, count)


def referring_type(code: str, codes: dict[str, str]) -> str:
    """The type of the body a referral came from. The reason column keeps 60 characters, so
    a long body code arrives cut short: then the one code it begins, or else the longest body
    type it begins with (codes are made ``<type>--<place>``)."""
    if code in codes:
        return codes[code]
    starting = {kind for full, kind in codes.items() if full.startswith(code)}
    if len(starting) == 1:
        return starting.pop()
    types = sorted((kind for kind in set(codes.values()) if code.startswith(kind)), key=len)
    return types[-1] if types else "unknown"


async def _missed(session: AsyncSession, figures: MonthFigures, start: datetime, end: datetime) -> None:
    """Cases whose deadline fell in the month and passed with the case not acknowledged (or
    closed) by then, and cases not closed by their feedback deadline: one pass over the cases
    for both deadlines."""
    row = ReportRecipient
    acknowledge_by = func.coalesce(row.acknowledge_by, Report.acknowledge_by)
    feedback_by = func.coalesce(row.feedback_by, Report.feedback_by)
    cases = select(Report.institution_id).select_from(row).join(Report, Report.id == row.report_id)
    cases, open_at = _open_cases(session, cases, end)
    acknowledgement = and_(
        _in(acknowledge_by, start, end),
        or_(row.acknowledged_hour.is_(None), row.acknowledged_hour >= acknowledge_by),
        open_at(acknowledge_by),
    )
    feedback = and_(_in(feedback_by, start, end), open_at(feedback_by))
    rows = await session.execute(
        cases.add_columns(func.count().filter(acknowledgement), func.count().filter(feedback))
        .where(_in(row.added_hour, start - DEADLINE_REACH, end))
        .group_by(Report.institution_id)
    )
    for institution, acknowledgements, feedbacks in rows:
        for key, count in (("acknowledgement", acknowledgements), ("feedback", feedbacks)):
            if count:
                figures.add("missed_deadline", institution, key, count)


OpenAt = Callable[[ColumnElement[datetime]], ColumnElement[bool]]


def _open_cases(session: AsyncSession, cases: Select[Any], end: datetime) -> tuple[Select[Any], OpenAt]:
    """``cases`` (a select from report_recipients) made able to say whether a case was still
    open (not closed) at a deadline before ``end``, and the test that says it."""
    row = ReportRecipient
    if session.get_bind().dialect.name != "postgresql":
        # SQLite, which has no hash join, looks each case's closures up by its report.
        def still_open(deadline: ColumnElement[datetime]) -> ColumnElement[bool]:
            return ~exists().where(
                StatusEvent.report_id == row.report_id,
                StatusEvent.body_id == row.body_id,
                StatusEvent.status == ReportStatus.CLOSED,
                StatusEvent.at_hour < deadline,
            )

        return cases, still_open
    # Each case's first closure, hash-joined: a NOT EXISTS inside a FILTER runs once per case,
    # and PostgreSQL's own anti-join misjudged the number of cases and looped over them anyway.
    # Closures from ``end`` on cannot meet a deadline before it.
    first = (
        select(StatusEvent.report_id, StatusEvent.body_id, func.min(StatusEvent.at_hour).label("at"))
        .where(StatusEvent.status == ReportStatus.CLOSED, StatusEvent.at_hour < end)
        .group_by(StatusEvent.report_id, StatusEvent.body_id)
        .subquery("first_closure")
    )
    joined = cases.outerjoin(first, and_(first.c.report_id == row.report_id, first.c.body_id == row.body_id))
    return joined, lambda deadline: or_(first.c.at.is_(None), first.c.at >= deadline)


async def _boxes(
    session: AsyncSession, figures: MonthFigures, start: datetime, end: datetime, now: datetime
) -> None:
    """Box compliance: weeks counted in the month (their Friday's, so all ended by its end)
    owed and opened."""
    boxes = list(await session.scalars(select(Box).where(Box.installed_at < end)))
    if not boxes:
        return
    # A week counted in the month ends in it and starts at most a week before it.
    openings: dict[int, list[datetime]] = defaultdict(list)
    found = await session.execute(
        select(BoxOpening.box_id, BoxOpening.opened_at).where(
            _in(BoxOpening.opened_at, start - weeks.WEEK, end)
        )
    )
    for box_id, opened_at in found:
        openings[box_id].append(opened_at)
    local = weeks.jalali_month(start)
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for box in boxes:
        due = [
            week
            for week in weeks.due_weeks(box.installed_at, box.removed_at, min(now, end))
            if weeks.jalali_month(week) == local
        ]
        if box.removed_at is not None and box.removed_at < start and not due:
            continue
        opened = {weeks.week_start(moment) for moment in openings[box.id]}
        counts = tally[box.institution_id]
        counts[0] += 1
        counts[1] += len(due)
        counts[2] += sum(1 for week in due if week in opened)
    figures.boxes = {institution: (n, due, opened) for institution, (n, due, opened) in tally.items()}
