"""Synthetic months of reports for the summary tests and benchmark, and an independent count.

``generate`` makes plain records (reports, their cases, what happened to each case and
when), ``insert`` writes them with bulk Core inserts (metadata only: the envelope is filler),
and ``expected`` counts, from the records alone and without any of ``server.summaries``'s
code, what a month's summary of a unit must say.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import ceil

import asyncpg
from sqlalchemy import Dialect, Table, insert, select
from sqlalchemy.engine import make_url

from routing.bodies import BODY_TYPES
from routing.taxonomy import CATEGORY_CODES
from routing.vocabulary import Channel, Concern, RecipientVia, ReporterType, ReportStatus, ReportType, Urgency
from server.db.lifecycle import Database
from server.db.models import (
    Body,
    Institution,
    Outcome,
    Province,
    Report,
    ReportRecipient,
    StatusEvent,
    Triage,
)

HOUR = timedelta(hours=1)
_PROGRESS = [
    ReportStatus.RECEIVED,
    ReportStatus.ACKNOWLEDGED,
    ReportStatus.UNDER_REVIEW,
    ReportStatus.AWAITING_REPORTER,
]
BODY_TYPE_CODES = sorted(b.code for b in BODY_TYPES)


@dataclass
class Case:
    body_id: int
    body_type: str
    via: RecipientVia
    reason: str
    added: datetime
    acknowledge_by: datetime | None  # None: the report's (an initial recipient)
    feedback_by: datetime | None
    acknowledged: datetime | None = None
    closed: datetime | None = None
    under_review: datetime | None = None
    triage: Triage | None = None
    outcome: Outcome | None = None
    from_type: str = ""  # the referring body's type

    @property
    def state(self) -> ReportStatus:
        if self.closed is not None:
            return ReportStatus.CLOSED
        if self.under_review is not None:
            return ReportStatus.UNDER_REVIEW
        return ReportStatus.ACKNOWLEDGED if self.acknowledged is not None else ReportStatus.RECEIVED


@dataclass
class Synthetic:
    id: uuid.UUID
    institution_id: int
    institution: str  # code
    province: str  # code
    report_type: str
    category: str
    concerns: str
    reporter_type: str
    channel: str
    urgency: str
    retaliation: bool
    received: datetime
    acknowledge_by: datetime
    feedback_by: datetime
    cases: list[Case] = field(default_factory=list)


@dataclass(frozen=True)
class World:
    """The demo directory as the generator needs it."""

    institutions: list[tuple[int, str, str]]  # id, code, province code
    bodies: dict[int, list[tuple[int, str, str]]]  # institution id → candidate (body id, type, code)
    codes: dict[str, str]  # body code → body type


async def load_world(database: Database, institutions: int | None = None) -> World:
    async with database.sessions() as session:
        provinces = dict((await session.execute(select(Province.id, Province.code))).all())
        places = [
            (i.id, i.code, provinces[i.province_id], i.province_id)
            for i in await session.scalars(select(Institution).order_by(Institution.id))
        ]
        bodies = list(await session.scalars(select(Body).where(Body.active.is_(True))))
    if institutions is not None:
        places = places[:institutions]
    reach: dict[int, list[tuple[int, str, str]]] = {}
    for place_id, _, _, province_id in places:
        reach[place_id] = [
            (b.id, b.body_type, b.code)
            for b in bodies
            if b.institution_id == place_id
            or (b.institution_id is None and b.province_id in (None, province_id))
        ]
    return World([(p[0], p[1], p[2]) for p in places], reach, {b.code: b.body_type for b in bodies})


def _hours(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(hours=rng.randint(low, high))


def generate(
    world: World, rng: random.Random, *, start: datetime, end: datetime, count: int, now: datetime
) -> list[Synthetic]:
    """``count`` reports received in [start, end) (local-hour starts), with cases acknowledged,
    reviewed, closed, referred and escalated at times up to ``now``."""
    hours = int((end - start) / HOUR)
    categories = sorted(CATEGORY_CODES)
    made = []
    for _ in range(count):
        place_id, place, province = rng.choice(world.institutions)
        received = start + HOUR * rng.randrange(hours)
        category = rng.choice(categories)
        report = Synthetic(
            id=uuid.uuid4(),
            institution_id=place_id,
            institution=place,
            province=province,
            report_type=rng.choice(list(ReportType)).value,
            category=category,
            concerns=rng.choice(list(Concern)).value,
            reporter_type=rng.choice(list(ReporterType)).value,
            channel=rng.choice([Channel.KIOSK, Channel.WEB, Channel.WEB, Channel.BOX]).value,
            urgency=rng.choice([Urgency.NORMAL, Urgency.NORMAL, Urgency.URGENT]).value,
            retaliation=category == "retaliation" or rng.random() < 0.05,
            received=received,
            acknowledge_by=received + _hours(rng, 24, 168),
            feedback_by=received + _hours(rng, 168, 1440),
        )
        candidates = world.bodies[place_id]
        for body_id, body_type, _ in rng.sample(candidates, min(len(candidates), rng.randint(1, 3))):
            case = Case(body_id, body_type, RecipientVia.POLICY, "synthetic", received, None, None)
            _handle(case, report, rng, now)
            report.cases.append(case)
        _join_later(report, world, rng, now)
        made.append(report)
    return made


def _handle(case: Case, report: Synthetic, rng: random.Random, now: datetime) -> None:
    ack_by = case.acknowledge_by or report.acknowledge_by
    if rng.random() < 0.7:
        case.acknowledged = case.added + _hours(rng, 0, int((ack_by - case.added) / HOUR) + 72)
    if case.acknowledged is not None and rng.random() < 0.3:
        case.under_review = case.acknowledged + _hours(rng, 0, 48)
    if case.acknowledged is not None and rng.random() < 0.5:
        case.closed = max(case.acknowledged, case.under_review or case.acknowledged) + _hours(rng, 1, 900)
        case.outcome = rng.choice([o for o in Outcome if o != Outcome.REFERRED])
    if rng.random() < 0.8:
        case.triage = rng.choice(list(Triage))
    for moment in ("acknowledged", "under_review", "closed"):
        if (getattr(case, moment) or now) >= now:  # nothing has happened after now
            setattr(case, moment, None)
    if case.closed is None:
        case.outcome = None


def _join_later(report: Synthetic, world: World, rng: random.Random, now: datetime) -> None:
    """Sometimes a body refers the report on, or a deadline passes and it climbs."""
    holders = {c.body_id for c in report.cases}
    others = [b for b in world.bodies[report.institution_id] if b[0] not in holders]
    if not others or rng.random() > 0.25:
        return
    body_id, body_type, _ = rng.choice(others)
    first = report.cases[0]
    added = report.received + _hours(rng, 1, 600)
    if added >= now:
        return
    code = next(c for b, _, c in world.bodies[report.institution_id] if b == first.body_id)
    if rng.random() < 0.5:
        via, reason = RecipientVia.REFERRAL, f"referral_from:{code}"[:60]  # as the console cuts it
    else:
        via, reason = RecipientVia.POLICY, f"escalation_from:{code}"[:60]
    case = Case(
        body_id,
        body_type,
        via,
        reason,
        added,
        added + HOUR * 72,
        added + HOUR * 720,
        from_type=first.body_type,
    )
    _handle(case, report, rng, now)
    report.cases.append(case)


async def insert_reports(database: Database, reports: Sequence[Synthetic], batch: int = 5_000) -> None:
    for offset in range(0, len(reports), batch):
        rows, cases, events = _rows(reports[offset : offset + batch])
        async with database.write_session() as session:
            await session.execute(insert(Report), rows)
            await session.execute(insert(ReportRecipient), cases)
            await session.execute(insert(StatusEvent), events)
            await session.commit()


Rows = list[dict[str, object]]


def _rows(reports: Iterable[Synthetic]) -> tuple[Rows, Rows, Rows]:
    """The reports', their cases' and their status events' rows, as ``insert_reports`` writes them."""
    rows, cases, events = [], [], []
    for report in reports:
        rows.append(_report_row(report))
        seq = 1
        events.append(
            {
                "id": uuid.uuid4(),
                "report_id": report.id,
                "seq": seq,
                "status": ReportStatus.RECEIVED,
                "body_id": None,
                "at_hour": report.received,
            }
        )
        for case in report.cases:
            cases.append(_case_row(report, case))
            steps = (
                [(ReportStatus.RECEIVED, case.added)]
                if case.via != RecipientVia.POLICY or case.reason != "synthetic"
                else []
            )
            steps += [
                (s, t)
                for s, t in (
                    (ReportStatus.ACKNOWLEDGED, case.acknowledged),
                    (ReportStatus.UNDER_REVIEW, case.under_review),
                    (ReportStatus.CLOSED, case.closed),
                )
                if t is not None
            ]
            for status, at in steps:
                seq += 1
                events.append(
                    {
                        "id": uuid.uuid4(),
                        "report_id": report.id,
                        "seq": seq,
                        "status": status,
                        "body_id": case.body_id,
                        "at_hour": at,
                    }
                )
    return rows, cases, events


async def bulk_insert(url: str, reports: Sequence[Synthetic]) -> None:
    """The rows ``insert_reports`` writes, written without the ORM (for the benchmark's
    million reports): on SQLite with the standard library's ``executemany`` in one
    transaction, on PostgreSQL with ``COPY``. Every value goes through its column type's
    bind processor for the URL's own dialect, so it is stored exactly as the ORM stores it."""
    target = make_url(url)
    dialect = target.get_dialect()()
    loaded = [
        (Report.metadata.tables[name], rows)
        for name, rows in zip(("reports", "report_recipients", "status_events"), _rows(reports), strict=True)
        if rows
    ]
    if target.get_backend_name() == "sqlite":
        tables = [(table.name, list(rows[0]), _records(table, rows, dialect)) for table, rows in loaded]
        _sqlite_insert(str(target.database), tables)
        return
    connection = await asyncpg.connect(
        host=target.host,
        port=target.port,
        user=target.username,
        password=target.password,
        database=target.database,
    )
    try:
        async with connection.transaction():
            for table, rows in loaded:
                records = _records(table, rows, dialect)
                await connection.copy_records_to_table(table.name, records=records, columns=list(rows[0]))
    finally:
        await connection.close()


def _records(table: Table, rows: Rows, dialect: Dialect) -> list[tuple[object, ...]]:
    """``rows`` as the tuples the driver is given (in the first row's column order)."""
    processors = [
        (index, process)
        for index, name in enumerate(rows[0])
        if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    records = []
    for row in rows:
        values = list(row.values())
        for index, process in processors:
            values[index] = process(values[index])
        records.append(tuple(values))
    return records


def _sqlite_insert(path: str, tables: list[tuple[str, list[str], list[tuple[object, ...]]]]) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous=OFF")  # a scratch database: speed over durability
        connection.execute("PRAGMA cache_size=-1000000")  # 1 GB: the indexes' random inserts stay in memory
        connection.execute("BEGIN IMMEDIATE")
        for name, columns, records in tables:
            marks = ", ".join("?" * len(columns))
            connection.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})", records)
        connection.execute("COMMIT")
    finally:
        connection.close()


def _overall(report: Synthetic) -> ReportStatus:
    states = [c.state for c in report.cases]
    if all(s == ReportStatus.CLOSED for s in states):
        return ReportStatus.CLOSED
    return max((s for s in states if s != ReportStatus.CLOSED), key=_PROGRESS.index)


def _report_row(report: Synthetic) -> dict[str, object]:
    envelope = report.id.bytes  # filler: no summary reads it
    return {
        "id": report.id,
        "protocol_version": 1,
        "envelope": envelope,
        "envelope_sha256": hashlib.sha256(envelope).digest(),
        "institution_id": report.institution_id,
        "report_type": report.report_type,
        "category": report.category,
        "concerns": report.concerns,
        "reporter_type": report.reporter_type,
        "channel": report.channel,
        "urgency": report.urgency,
        "status": _overall(report),
        "retaliation": report.retaliation,
        "received_hour": report.received,
        "lookup_verifier": None,
        "directory_serial": 1,
        "policy_version": "synthetic",
        "acknowledge_by": report.acknowledge_by,
        "feedback_by": report.feedback_by,
        "protection_requested": False,
    }


def _case_row(report: Synthetic, case: Case) -> dict[str, object]:
    return {
        "report_id": report.id,
        "body_id": case.body_id,
        "via": case.via,
        "reason": case.reason,
        "wrapped_key": b"\x00" * 32,
        "added_hour": case.added,
        "state": case.state,
        "triage": case.triage,
        "outcome": case.outcome,
        "acknowledged_hour": case.acknowledged,
        "acknowledge_by": case.acknowledge_by,
        "feedback_by": case.feedback_by,
        "overdue": False,
        "escalated": False,
    }


# -- the independent count ---------------------------------------------------------------
def _nearest_rank(values: list[int], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(1, ceil(fraction * len(ordered))) - 1])


@dataclass
class _Count:
    """The independent count's running tallies."""

    start: datetime
    end: datetime
    tables: dict[str, Counter[str]] = field(default_factory=dict)
    ack_hours: list[int] = field(default_factory=list)
    close_hours: list[int] = field(default_factory=list)

    def add(self, table: str, key: str) -> None:
        self.tables.setdefault(table, Counter())[key] += 1

    def inside(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end

    def received(self, report: Synthetic) -> None:
        for table in ("report_type", "category", "concerns", "reporter_type", "channel", "urgency"):
            self.add(table, getattr(report, table))
        if report.category == "retaliation":
            self.add("retaliation", "filed")
        elif report.retaliation:
            self.add("retaliation", "raised_later")
        for case in report.cases:
            self.add("recipient_body", case.body_type)
            self.add("status", case.state.value)

    def handled(self, report: Synthetic, case: Case) -> None:
        ack_by = case.acknowledge_by or report.acknowledge_by
        feedback_by = case.feedback_by or report.feedback_by
        if case.acknowledged is not None and self.inside(case.acknowledged):
            self.add("acknowledgement_deadline", "within" if case.acknowledged < ack_by else "late")
            self.ack_hours.append(int((case.acknowledged - case.added) / HOUR))
        if case.closed is not None and self.inside(case.closed):
            self.add("outcome", case.outcome.value if case.outcome else "none")
            self.add("triage", case.triage.value if case.triage else "untriaged")
            self.add("closure_deadline", "within" if case.closed < feedback_by else "late")
            self.close_hours.append(int((case.closed - case.added) / HOUR))
        if self.inside(case.added) and case.reason.startswith("referral_from:"):
            self.add("referral", f"{case.from_type}>{case.body_type}")
        if self.inside(case.added) and case.reason.startswith("escalation_from:"):
            self.add("escalation", case.body_type)
        closed_in_time = case.closed is not None and case.closed < ack_by
        acknowledged_in_time = case.acknowledged is not None and case.acknowledged < ack_by
        if self.inside(ack_by) and not acknowledged_in_time and not closed_in_time:
            self.add("missed_deadline", "acknowledgement")
        if self.inside(feedback_by) and not (case.closed is not None and case.closed < feedback_by):
            self.add("missed_deadline", "feedback")


def expected(reports: Iterable[Synthetic], start: datetime, end: datetime) -> dict[str, object]:
    """What a unit's full-view summary of the month [start, end) must say, for the reports of
    that unit (the caller filters them): tables as {table: Counter}, timings as tuples."""
    count = _Count(start, end)
    for report in reports:
        if count.inside(report.received):
            count.received(report)
        for case in report.cases:
            count.handled(report, case)
    ack, close = count.ack_hours, count.close_hours
    timings = {
        "acknowledgement": (len(ack), _nearest_rank(ack, 0.5), _nearest_rank(ack, 0.9)),
        "closure": (len(close), _nearest_rank(close, 0.5), _nearest_rank(close, 0.9)),
    }
    return {"tables": count.tables, "timings": timings}
