"""Box weeks: Saturday-to-Friday weeks in Iran time, which boxes had to be opened in, and
which of them were missed. Pure: every moment (``now`` included) is passed in.

A week starts on Saturday at 00:00 Iran time (``routing.deadlines.LOCAL_ZONE``) and lasts
seven days. A box owes an opening for every week it was installed for the whole of: the
first is the week that starts at or after its installation, the last one that ended by the
time it was removed (or by ``now``). A week counts in the Solar Hijri month of its Friday
(docs/BOXES.md): a week that ends on 2 Farvardin belongs to Farvardin, even though it began
in the old year, so a month's summary, made when the month closes, finds all its weeks ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta

import jdatetime

from routing.deadlines import LOCAL_ZONE

WEEK = timedelta(days=7)
_SATURDAY = 5  # date.weekday(): Monday is 0


def week_start(moment: datetime) -> datetime:
    """Saturday 00:00 Iran time of the week ``moment`` (aware) falls in."""
    local = moment.astimezone(LOCAL_ZONE)
    back = (local.weekday() - _SATURDAY) % 7
    return datetime.combine(local.date() - timedelta(days=back), time(), LOCAL_ZONE)


def due_weeks(installed_at: datetime, removed_at: datetime | None, now: datetime) -> list[datetime]:
    """The starts of the whole weeks a box owed an opening in, oldest first."""
    first = week_start(installed_at)
    if first < installed_at:
        first += WEEK
    end = now if removed_at is None else min(now, removed_at)
    weeks: list[datetime] = []
    start = first
    while start + WEEK <= end:
        weeks.append(start)
        start += WEEK
    return weeks


def missed_weeks(
    installed_at: datetime, removed_at: datetime | None, openings: Iterable[datetime], now: datetime
) -> list[datetime]:
    """The due weeks (``due_weeks``) with no opening in them."""
    opened = {week_start(moment) for moment in openings}
    return [start for start in due_weeks(installed_at, removed_at, now) if start not in opened]


def jalali_month(start: datetime) -> tuple[int, int]:
    """The Solar Hijri (year, month) a week counts in: its Friday's, the day it ends on, so
    that every week a month counts has ended when the month has."""
    day = jdatetime.date.fromgregorian(date=(start.astimezone(LOCAL_ZONE) + timedelta(days=6)).date())
    return day.year, day.month


def jalali_date(moment: datetime) -> tuple[int, int, int]:
    """The Solar Hijri (year, month, day) of ``moment`` in Iran time."""
    day = jdatetime.date.fromgregorian(date=moment.astimezone(LOCAL_ZONE).date())
    return day.year, day.month, day.day


def missed_in_month(
    year: int,
    month: int,
    *,
    installed_at: datetime,
    removed_at: datetime | None,
    openings: Iterable[datetime],
    now: datetime,
) -> list[datetime]:
    """The missed weeks that count in Solar Hijri ``year``/``month`` (for the monthly summary)."""
    return [
        start
        for start in missed_weeks(installed_at, removed_at, openings, now)
        if jalali_month(start) == (year, month)
    ]
