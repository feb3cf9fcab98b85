"""Making and keeping the monthly summaries: once per closed month, signed, never changed.

A month's summaries (every institution, province and the nation, in both views) are made in
one go and written in one transaction; the unique key (month, level, unit, view) makes a
second writer's attempt fail harmlessly, so the job may run in every server process, and
again after a crash, without a duplicate or a half-written month. The figures are read
first, in a read transaction, so a slow month never holds SQLite's write lock, and the
summaries are built, encoded and signed on a worker thread: the job runs inside serving
processes, and disclosure control on a sparse month can take many seconds (docs/SUMMARIES.md
§8), which on the event loop would stall every request the process serves.

Months are made oldest first: a month's comparison with the previous month and the month a
year earlier, and its trend, come from those months' stored summaries (the figures that were
published then, with the cells they withheld), never from a recount.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.lifecycle import Database
from server.db.models import Box, Institution, MonthlySummary, Province, Report
from server.i18n import catalogue
from server.intake.abuse import shared_secret
from server.summaries import months, signing
from server.summaries.build import NATION, TOTAL, Country, Earlier, Month, Place, build
from server.summaries.figures import month_figures
from server.summaries.model import (
    ScopeLevel,
    SignedDocument,
    SignedSummary,
    Summary,
    Thresholds,
    Unit,
    View,
    canonical,
)

TREND_MONTHS = 12
# A month is made this long after it closed: writes in flight at midnight, and a few minutes
# between the servers' clocks, land in the month before it is frozen.
GRACE = timedelta(minutes=10)
_decoder = msgspec.json.Decoder(Summary)


class MonthNotClosedError(ValueError):
    """Summaries are made for months that have ended."""


async def load_country(session: AsyncSession) -> Country:
    provinces = list(await session.scalars(select(Province).order_by(Province.position)))
    by_id = {p.id: p.code for p in provinces}
    institutions = await session.scalars(select(Institution).order_by(Institution.code))
    nation = Unit(
        level=ScopeLevel.NATIONAL,
        code=NATION,
        name_fa=catalogue("fa").gettext("console.summary.nation"),
        name_en=catalogue("en").gettext("console.summary.nation"),
    )
    return Country(
        provinces=tuple(
            Unit(level=ScopeLevel.PROVINCE, code=p.code, name_fa=p.name_fa, name_en=p.name_en)
            for p in provinces
        ),
        institutions=tuple(
            Place(
                id=i.id,
                unit=Unit(level=ScopeLevel.INSTITUTION, code=i.code, name_fa=i.name_fa, name_en=i.name_en),
                province=by_id[i.province_id],
            )
            for i in institutions
        ),
        nation=nation,
    )


async def is_made(session: AsyncSession, month: str) -> bool:
    """Whether the month's summaries exist (the nation's is written with all the others)."""
    found = await session.scalar(
        select(MonthlySummary.id).where(
            MonthlySummary.month == month, MonthlySummary.level == ScopeLevel.NATIONAL
        )
    )
    return found is not None


async def _earlier(session: AsyncSession, codes: Sequence[str]) -> Earlier:
    rows = await session.execute(
        select(
            MonthlySummary.month,
            MonthlySummary.view,
            MonthlySummary.level,
            MonthlySummary.unit_code,
            MonthlySummary.document,
        ).where(MonthlySummary.month.in_(codes))
    )
    found: dict[str, dict[tuple[View, str], Summary]] = defaultdict(dict)
    for month, view, level, unit, document in rows:
        found[month][View(view), f"{level}:{unit}"] = _decoder.decode(document)
    return found


async def _trends(
    session: AsyncSession, codes: Sequence[str]
) -> dict[str, dict[tuple[View, str], int | None]]:
    rows = await session.execute(
        select(
            MonthlySummary.month,
            MonthlySummary.view,
            MonthlySummary.level,
            MonthlySummary.unit_code,
            MonthlySummary.reports,
        ).where(MonthlySummary.month.in_(codes))
    )
    found: dict[str, dict[tuple[View, str], int | None]] = defaultdict(dict)
    for month, view, level, unit, reports in rows:
        found[month][View(view), f"{level}:{unit}"] = reports
    return found


async def make_month(
    database: Database, year: int, month: int, *, now: datetime, thresholds: Thresholds
) -> bool:
    """Make and store the month's summaries unless they exist; whether this call made them."""
    start, end = months.window(year, month)
    if end + GRACE > now:
        raise MonthNotClosedError
    code = months.code_of(year, month)
    previous = months.code_of(*months.shift(year, month, -1))
    year_ago = months.code_of(*months.shift(year, month, -12))
    trend = [months.code_of(*months.shift(year, month, -n)) for n in range(TREND_MONTHS, 0, -1)]
    async with database.sessions() as session:
        if await is_made(session, code):
            return False
        figures = await month_figures(session, start, end, now)
        country = await load_country(session)
        earlier = await _earlier(session, [previous, year_ago])
        totals = await _trends(session, trend)
    summaries = await asyncio.to_thread(
        build,
        figures,
        country,
        Month(code=code, starts=start, ends=end, made_at=now),
        thresholds,
        earlier=earlier,
        previous=previous,
        year_ago=year_ago,
        trend=[(m, totals.get(m, {})) for m in trend],
    )
    return await _store(database, summaries, now)


def _rows(summaries: Sequence[Summary], seed: bytes, now: datetime) -> list[MonthlySummary]:
    """Each summary encoded and signed, as the row that keeps it."""
    public = signing.public_key(seed)
    rows = []
    for summary in summaries:
        content = canonical(summary)
        rows.append(
            MonthlySummary(
                month=summary.month,
                level=summary.scope.level.value,
                unit_code=summary.scope.code,
                view=summary.view.value,
                reports=summary.table("report_type").total,
                made_at=now,
                document=content,
                document_sha256=signing.sha256(content),
                signature=signing.sign(seed, content),
                public_key=public,
            )
        )
    return rows


async def _store(database: Database, summaries: Sequence[Summary], now: datetime) -> bool:
    async with database.write_session() as session:
        seed = await shared_secret(session, signing.SECRET_NAME)  # commits if it makes it
    rows = await asyncio.to_thread(_rows, summaries, seed, now)
    async with database.write_session() as session:
        if await is_made(session, summaries[0].month):
            return False
        session.add_all(rows)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()  # another process stored the month first
            return False
    return True


async def first_month(session: AsyncSession) -> tuple[int, int] | None:
    """The month of the earliest report or box: summaries before it would be empty."""
    earliest = [
        await session.scalar(select(func.min(Report.received_hour))),
        await session.scalar(select(func.min(Box.installed_at))),
    ]
    found = [moment for moment in earliest if moment is not None]
    return months.month_of(min(found)) if found else None


async def ensure_months(
    database: Database, *, now: datetime, thresholds: Thresholds, upto: tuple[int, int] | None = None
) -> list[str]:
    """Make every missing month from the first with data to ``upto`` (the last closed month by
    default), oldest first; the months made."""
    last = upto or months.last_closed(now - GRACE)
    async with database.sessions() as session:
        first = await first_month(session)
    if first is None or first > last:
        return []
    made = []
    current = first
    while current <= last:
        if await make_month(database, *current, now=now, thresholds=thresholds):
            made.append(months.code_of(*current))
        current = months.shift(*current, 1)
    return made


async def stored(
    session: AsyncSession, month: str, level: ScopeLevel, code: str, view: View
) -> MonthlySummary | None:
    return await session.scalar(
        select(MonthlySummary).where(
            MonthlySummary.month == month,
            MonthlySummary.level == level.value,
            MonthlySummary.unit_code == code,
            MonthlySummary.view == view.value,
        )
    )


def document(row: MonthlySummary) -> SignedDocument:
    """The stored summary with its signature, its bytes as they were signed."""
    return SignedDocument(
        summary=msgspec.Raw(row.document),
        content_sha256=row.document_sha256.hex(),
        signature=signing.b64(row.signature),
        key_id=signing.key_id(row.public_key),
        public_key=signing.b64(row.public_key),
    )


def signed(row: MonthlySummary) -> SignedSummary:
    """The same, the summary decoded."""
    stored = document(row)
    return SignedSummary(
        summary=_decoder.decode(row.document),
        content_sha256=stored.content_sha256,
        signature=stored.signature,
        key_id=stored.key_id,
        public_key=stored.public_key,
    )


__all__ = ["TOTAL", "MonthNotClosedError", "ensure_months", "make_month", "signed", "stored"]
