"""Deadlines across Solar Hijri month ends, Nowruz, leap years and Saturday-to-Friday weeks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jdatetime
import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.deadlines import LOCAL_ZONE, DurationError, add_jalali_months, due, week_start
from routing.errors import RoutingError


def tehran(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A Solar Hijri local time in Tehran, as an aware datetime."""
    gregorian: datetime = jdatetime.datetime(year, month, day, hour, minute).togregorian()
    return gregorian.replace(tzinfo=LOCAL_ZONE)


def end_of(year: int, month: int, day: int) -> datetime:
    """The instant a Solar Hijri day ends in Tehran (the next local midnight), in UTC."""
    return (tehran(year, month, day, 0) + timedelta(days=1)).astimezone(UTC)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # 31-day month into a 30-day month: clamped to the last day.
        (tehran(1405, 6, 31), "1m", end_of(1405, 7, 30)),
        # Leap Esfand (1403 has a 30 Esfand), and a common one (1404 has 29 days).
        (tehran(1403, 11, 30), "1m", end_of(1403, 12, 30)),
        (tehran(1404, 11, 30), "1m", end_of(1404, 12, 29)),
        (tehran(1403, 12, 30), "12m", end_of(1404, 12, 29)),
        # Across Nowruz.
        (tehran(1404, 12, 29, 22), "1d", end_of(1405, 1, 1)),
        (tehran(1404, 12, 29, 22), "1m", end_of(1405, 1, 29)),
        (tehran(1404, 12, 15), "2m", end_of(1405, 2, 15)),
        # Hours are exact, whatever the calendar.
        (tehran(1404, 12, 29, 23, 30), "24h", tehran(1405, 1, 1, 23, 30).astimezone(UTC)),
    ],
)
def test_due_dates_follow_the_solar_hijri_calendar(
    start: datetime, duration: str, expected: datetime
) -> None:
    assert due(start, duration) == expected


def test_weeks_run_from_saturday_to_friday() -> None:
    friday_night = tehran(1405, 9, 6, 23, 30)  # Friday 6 Azar 1405
    saturday_morning = tehran(1405, 9, 7, 0, 30)  # Saturday 7 Azar 1405
    assert friday_night.weekday() == 4
    assert saturday_morning.weekday() == 5
    assert week_start(friday_night) == tehran(1405, 8, 30).date()
    assert week_start(saturday_morning) == tehran(1405, 9, 7).date()
    # "Within a week": by the end of the following week (a Friday).
    assert due(friday_night, "1w") == end_of(1405, 9, 13)
    assert due(saturday_morning, "1w") == end_of(1405, 9, 20)


def test_month_arithmetic_handles_every_month_length() -> None:
    assert add_jalali_months(tehran(1405, 1, 31).date(), 6) == tehran(1405, 7, 30).date()
    assert add_jalali_months(tehran(1405, 1, 31).date(), -1) == tehran(1404, 12, 29).date()


@given(
    # Hypothesis takes naive bounds and attaches the zone itself.
    start=st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001
        max_value=datetime(2040, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    amount=st.integers(min_value=1, max_value=24),
    unit=st.sampled_from("hdwm"),
)
def test_a_deadline_is_always_later_and_calendar_ones_fall_on_local_midnight(
    start: datetime, amount: int, unit: str
) -> None:
    result = due(start, f"{amount}{unit}")
    assert result > start
    if unit != "h":
        local = result.astimezone(LOCAL_ZONE)
        assert (local.hour, local.minute, local.second) == (0, 0, 0)


@pytest.mark.parametrize("text", ["", "7", "d7", "0d", "7y", "1.5d", "99999d", "7d\n"])
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(DurationError):
        due(datetime(2026, 1, 1, tzinfo=UTC), text)


def test_time_must_be_passed_in_with_its_zone() -> None:
    with pytest.raises(RoutingError):
        due(datetime(2026, 1, 1), "1d")  # noqa: DTZ001
