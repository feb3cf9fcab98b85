"""Column types that enforce Sedā's metadata rules at the storage edge."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Dialect, Enum, TypeDecorator
from typing_extensions import override


class MetadataPrecisionError(ValueError):
    """A report-linked time was more precise than the hour (DESIGN.md §2, invariant 5)."""


def round_down_to_hour(moment: datetime) -> datetime:
    """The start of the UTC hour that contains ``moment`` (which must be timezone-aware)."""
    if moment.tzinfo is None:
        raise MetadataPrecisionError("report-linked times must be timezone-aware")
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @override
    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return value.astimezone(UTC)

    @override
    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class HourPrecisionDateTime(UTCDateTime):
    """A UTC instant that must fall exactly on the hour.

    Report-linked times are kept at hour precision so that a stored time cannot single out
    the moment a person stood at a kiosk. Storing a finer time is a programming error and
    is refused here, at the last place it could slip through.
    """

    cache_ok = True

    @override
    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        stored = super().process_bind_param(value, dialect)
        if stored is not None and stored != round_down_to_hour(stored):
            raise MetadataPrecisionError("report-linked times are stored to the hour only")
        return stored


def vocabulary(enum: type[StrEnum]) -> Enum:
    """A column type for a ``routing.vocabulary`` enum, stored as its wire string.

    No database CHECK constraint: vocabularies grow (a new channel, a new status) and SQLite
    would need a table rebuild for each. Unknown strings are refused when bound instead.
    """
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        validate_strings=True,
        length=32,
        values_callable=_values,
    )


def _values(enum: Any) -> list[str]:
    return [member.value for member in enum]
