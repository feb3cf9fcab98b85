"""Column types and checks that enforce Sedā's metadata rules at the storage edge."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Dialect, Enum, TypeDecorator
from typing_extensions import override

from routing.deadlines import LOCAL_ZONE

# Report-linked times are kept to the *local* hour of the institutions' time zone (the one
# routing's deadlines use), so an hour bucket never straddles a Solar Hijri day or month
# boundary. Iran's offset is +03:30: a local hour starts at minute 30 of a UTC hour.
REPORTING_ZONE = LOCAL_ZONE
_HOUR_START_MINUTE_UTC = 30


class MetadataPrecisionError(ValueError):
    """A report-linked time was finer than the hour, or a report id carried a timestamp."""


def round_down_to_hour(moment: datetime) -> datetime:
    """The start of the local hour (Iran Standard Time, +03:30) containing ``moment``, in UTC."""
    if moment.tzinfo is None:
        raise MetadataPrecisionError("report-linked times must be timezone-aware")
    local = moment.astimezone(REPORTING_ZONE).replace(minute=0, second=0, microsecond=0)
    return local.astimezone(UTC)


def require_hour_precision(moment: datetime) -> datetime:
    """``moment`` unchanged if it is the start of a local hour; else ``MetadataPrecisionError``.

    Callers round with ``round_down_to_hour`` first; a finer time reaching storage is a bug
    that should fail loudly rather than be rounded silently.
    """
    if moment != round_down_to_hour(moment):
        raise MetadataPrecisionError("report-linked times are stored to the hour only")
    return moment.astimezone(UTC)


def require_random_uuid(value: uuid.UUID) -> uuid.UUID:
    """Report ids must be random (version 4): a version-1 UUID embeds its creation time."""
    if not isinstance(value, uuid.UUID) or value.version != 4:
        raise MetadataPrecisionError("report ids must be random (UUID version 4)")
    return value


def hour_precision_checks(table: str, column: str) -> tuple[CheckConstraint, CheckConstraint]:
    """Database CHECKs that ``column`` holds a local-hour start, whatever wrote it.

    The ORM validates too, but SQL expressions (``func.now()``) bypass the ORM; these do not.
    SQLite stores UTC as ``YYYY-MM-DD HH:MM:SS.ffffff`` text; PostgreSQL as ``timestamptz``.
    """
    name = f"{column}_on_the_hour"
    sqlite = CheckConstraint(
        f"substr({column}, 15) = '{_HOUR_START_MINUTE_UTC}:00.000000'", name=f"{name}_sqlite"
    ).ddl_if(dialect="sqlite")
    postgresql = CheckConstraint(
        f"EXTRACT(MINUTE FROM {column} AT TIME ZONE 'UTC') = {_HOUR_START_MINUTE_UTC}"
        f" AND EXTRACT(SECOND FROM {column}) = 0",
        name=f"{name}_postgresql",
    ).ddl_if(dialect="postgresql")
    del table  # the naming convention adds the table name
    return sqlite, postgresql


def random_uuid_checks(column: str) -> tuple[CheckConstraint, CheckConstraint]:
    """Database CHECKs that ``column`` holds a version-4 (random) UUID, whatever wrote it.

    SQLite stores a UUID as 32 hex digits; PostgreSQL as a native ``uuid``.
    """
    name = f"{column}_is_random_uuid"
    sqlite = CheckConstraint(
        f"substr({column}, 13, 1) = '4' AND substr({column}, 17, 1) IN ('8', '9', 'a', 'b')",
        name=f"{name}_sqlite",
    ).ddl_if(dialect="sqlite")
    postgresql = CheckConstraint(
        f"substr({column}::text, 15, 1) = '4' AND substr({column}::text, 20, 1) IN ('8', '9', 'a', 'b')",
        name=f"{name}_postgresql",
    ).ddl_if(dialect="postgresql")
    return sqlite, postgresql


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
