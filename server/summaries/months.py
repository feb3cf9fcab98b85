"""Solar Hijri months as UTC windows (Iran time, +03:30, where every report hour is kept).

A month runs from its first day at 00:00 Iran time to the next month's first day; report
times are stored as local-hour starts (``server.db.types``), so no stored hour straddles a
month's edge. Pure: no clock is read here.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import jdatetime

from routing.deadlines import LOCAL_ZONE
from server.summaries.model import month_code


def shift(year: int, month: int, months: int) -> tuple[int, int]:
    """The month ``months`` after (before, if negative) ``year``/``month``."""
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def first_moment(year: int, month: int) -> datetime:
    """00:00 Iran time on the first day of the month, in UTC."""
    day = jdatetime.date(year, month, 1).togregorian()
    return datetime.combine(day, time(), LOCAL_ZONE).astimezone(UTC)


def window(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) of the month in UTC."""
    return first_moment(year, month), first_moment(*shift(year, month, 1))


def month_of(moment: datetime) -> tuple[int, int]:
    """The Solar Hijri (year, month) ``moment`` (aware) falls in, in Iran time."""
    local = jdatetime.datetime.fromgregorian(datetime=moment.astimezone(LOCAL_ZONE))
    return local.year, local.month


def last_closed(now: datetime) -> tuple[int, int]:
    """The latest month that has ended by ``now``."""
    return shift(*month_of(now), -1)


def code_of(year: int, month: int) -> str:
    return month_code(year, month)
