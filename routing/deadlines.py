"""Deadlines: durations, due instants in local time, and the Solar Hijri calendar.

Durations are written ``24h`` (hours), ``7d`` (days, due at the end of the local day),
``2w`` (weeks of Saturday to Friday, due at the end of the N-th week after the week of
receipt) and ``1m`` (Solar Hijri months, due at the end of the same day of the month N months
later, or of the month's last day when it is shorter). Time is always passed in.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

import jdatetime

from routing.errors import RoutingError

# Iran Standard Time, fixed: Iran has kept +03:30 all year since 2022. A fixed offset, not
# the machine's time-zone database, so that a kiosk and the server always compute the same
# deadlines (a stale database on one of them would shift them by an hour).
LOCAL_ZONE = timezone(timedelta(hours=3, minutes=30), "IRST")
_DURATION = re.compile(r"^([1-9][0-9]{0,3})([hdwm])\Z")
_SATURDAY = 5  # date.weekday(): Monday is 0
# The Solar Hijri months' names, for printed dates (Persian; English transliteration).
JALALI_MONTHS = {
    "fa": (
        "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
        "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
    ),
    "en": (
        "Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar",
        "Mehr", "Aban", "Azar", "Dey", "Bahman", "Esfand",
    ),
}  # fmt: skip


class DurationError(RoutingError):
    """A duration is not of the form ``<number><h|d|w|m>``."""


def parse_duration(text: str) -> tuple[int, str]:
    """``"7d"`` → ``(7, "d")``; ``DurationError`` for anything else."""
    match = _DURATION.match(text)
    if match is None:
        raise DurationError(f"durations look like 24h, 7d, 2w or 1m, not {text!r}")
    return int(match.group(1)), match.group(2)


def add_jalali_months(day: date, months: int) -> date:
    """The same Solar Hijri day ``months`` later, clamped to the last day of a shorter month."""
    jalali = jdatetime.date.fromgregorian(date=day)
    index = jalali.year * 12 + (jalali.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = 31 if month <= 6 else 30 if month <= 11 else (30 if jdatetime.date(year, 12, 1).isleap() else 29)
    result: date = jdatetime.date(year, month, min(jalali.day, last)).togregorian()
    return result


def _local_midnight(day: date, zone: timezone) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def week_start(moment: datetime, zone: timezone = LOCAL_ZONE) -> date:
    """The Saturday that starts the local week containing ``moment``."""
    local = moment.astimezone(zone).date()
    return local - timedelta(days=(local.weekday() - _SATURDAY) % 7)


def due(start: datetime, duration: str, zone: timezone = LOCAL_ZONE) -> datetime:
    """The instant (UTC) by which something started at ``start`` is due."""
    if start.tzinfo is None:
        raise RoutingError("times must be timezone-aware")
    amount, unit = parse_duration(duration)
    local_day = start.astimezone(zone).date()
    if unit == "h":
        return start.astimezone(UTC) + timedelta(hours=amount)
    if unit == "d":
        return _local_midnight(local_day + timedelta(days=amount + 1), zone)
    if unit == "w":
        return _local_midnight(week_start(start, zone) + timedelta(days=7 * (amount + 1)), zone)
    return _local_midnight(add_jalali_months(local_day, amount) + timedelta(days=1), zone)
