"""Storage refuses what the invariants forbid: fine-grained report times, timed ids, unknown vocabulary."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from routing.vocabulary import Channel, Level, ReporterType, ReportStatus, ReportType, Urgency
from server.db.models import Body, Institution, Province, Report, StatusEvent
from server.db.types import MetadataPrecisionError, round_down_to_hour
from tests.helpers import with_session

TEHRAN = timezone(timedelta(hours=3, minutes=30))
# 13:00 in Tehran: a local hour starts at minute 30 of a UTC hour.
HOUR = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_round_down_to_hour_keeps_the_local_hour() -> None:
    moment = datetime(2026, 11, 23, 12, 59, 59, 999999, tzinfo=TEHRAN)
    assert round_down_to_hour(moment) == datetime(2026, 11, 23, 12, 0, tzinfo=TEHRAN)
    assert round_down_to_hour(moment) == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


def test_a_local_day_starts_on_an_hour_boundary() -> None:
    # Solar Hijri days start at Tehran midnight; that instant must itself be an hour start.
    midnight = datetime(2026, 11, 23, 0, 0, tzinfo=TEHRAN)
    assert round_down_to_hour(midnight) == midnight


def test_round_down_to_hour_refuses_naive_times() -> None:
    with pytest.raises(MetadataPrecisionError):
        round_down_to_hour(datetime(2026, 11, 23, 9, 0))  # noqa: DTZ001


async def _institution(session: AsyncSession) -> int:
    province = Province(code="p", position=1, name_fa="پ", name_en="P")
    session.add(province)
    await session.flush()
    institution = Institution(
        code="i", province_id=province.id, kind="closed_prison", name_fa="ز", name_en="I"
    )
    session.add(institution)
    await session.flush()
    return institution.id


def _fields(institution_id: int, received: datetime, **changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "protocol_version": 1,
        "envelope": b"\x01sealed",
        "envelope_sha256": bytes(32),
        "institution_id": institution_id,
        "report_type": ReportType.COMPLAINT,
        "category": "health",
        "concerns": "staff_member",
        "reporter_type": ReporterType.PRISONER,
        "channel": Channel.KIOSK,
        "urgency": Urgency.NORMAL,
        "status": ReportStatus.RECEIVED,
        "retaliation": False,
        "received_hour": received,
        "lookup_verifier": None,
    }
    fields.update(changes)
    return fields


def test_a_report_at_hour_precision_is_stored_and_read_back_as_utc(migrated_url: str) -> None:
    async def work(session: AsyncSession) -> datetime:
        report = Report(**_fields(await _institution(session), HOUR))
        session.add(report)
        await session.commit()
        midnight = datetime(2026, 11, 23, 0, 0, tzinfo=TEHRAN)
        # Comparing with any instant is fine: only stored values are checked.
        stored = await session.scalar(select(Report.received_hour).where(Report.received_hour >= midnight))
        assert stored is not None
        return stored

    assert with_session(migrated_url, work) == HOUR


@pytest.mark.parametrize("offset", [timedelta(minutes=1), timedelta(seconds=1), timedelta(microseconds=1)])
def test_a_report_time_finer_than_the_hour_is_refused_by_the_model(offset: timedelta) -> None:
    with pytest.raises(MetadataPrecisionError):
        Report(**_fields(1, HOUR + offset))


@pytest.mark.parametrize("offset", [timedelta(minutes=1), timedelta(microseconds=1), timedelta(minutes=30)])
def test_a_finer_time_written_by_raw_sql_is_refused_by_the_database(
    migrated_url: str, offset: timedelta
) -> None:
    async def work(session: AsyncSession) -> None:
        institution_id = await _institution(session)
        await session.execute(insert(Report).values(**_fields(institution_id, HOUR + offset)))
        await session.commit()

    with pytest.raises(IntegrityError):
        with_session(migrated_url, work)


def test_the_database_clock_cannot_be_written_into_a_report(migrated_url: str) -> None:
    async def work(session: AsyncSession) -> None:
        report = Report(**_fields(await _institution(session), HOUR))
        session.add(report)
        await session.commit()
        await session.execute(update(Report).values(received_hour=func.now()))
        await session.commit()

    with pytest.raises(IntegrityError):
        with_session(migrated_url, work)


def test_a_time_based_report_id_is_refused() -> None:
    with pytest.raises(MetadataPrecisionError):
        Report(**_fields(1, HOUR, id=uuid.uuid1()))


def test_status_events_have_random_ids_and_count_within_their_report(migrated_url: str) -> None:
    async def work(session: AsyncSession) -> list[tuple[int | None, int]]:
        report = Report(**_fields(await _institution(session), HOUR))
        session.add(report)
        await session.flush()
        for seq, status in enumerate((ReportStatus.RECEIVED, ReportStatus.ACKNOWLEDGED), start=1):
            session.add(StatusEvent(report_id=report.id, seq=seq, status=status, at_hour=HOUR))
        await session.commit()
        rows = await session.execute(select(StatusEvent.id, StatusEvent.seq).order_by(StatusEvent.seq))
        return [(event_id.version, seq) for event_id, seq in rows]

    assert with_session(migrated_url, work) == [(4, 1), (4, 2)]


def test_unknown_vocabulary_is_refused(migrated_url: str) -> None:
    async def work(session: AsyncSession) -> None:
        session.add(Report(**_fields(await _institution(session), HOUR, channel="carrier-pigeon")))
        await session.commit()

    with pytest.raises(StatementError):
        with_session(migrated_url, work)


def test_a_body_level_must_match_its_jurisdiction(migrated_url: str) -> None:
    async def work(session: AsyncSession) -> None:
        session.add(
            Body(code="b", body_type="x", level=Level.PROVINCE, name_fa="ب", name_en="B", active=True)
        )
        await session.commit()

    with pytest.raises(IntegrityError):
        with_session(migrated_url, work)


def test_foreign_keys_are_enforced(migrated_url: str) -> None:
    async def work(session: AsyncSession) -> None:
        session.add(Report(**_fields(424242, HOUR)))
        await session.commit()

    with pytest.raises(IntegrityError):
        with_session(migrated_url, work)


def test_a_time_based_report_id_written_by_raw_sql_is_refused_by_the_database(migrated_url: str) -> None:
    async def work(session: AsyncSession) -> None:
        institution_id = await _institution(session)
        await session.execute(insert(Report).values(**_fields(institution_id, HOUR, id=uuid.uuid1())))
        await session.commit()

    with pytest.raises(IntegrityError):
        with_session(migrated_url, work)


def test_a_random_report_id_written_by_raw_sql_is_accepted(migrated_url: str) -> None:
    async def work(session: AsyncSession) -> int:
        institution_id = await _institution(session)
        await session.execute(insert(Report).values(**_fields(institution_id, HOUR)))
        await session.commit()
        return int(await session.scalar(select(func.count()).select_from(Report)) or 0)

    assert with_session(migrated_url, work) == 1
