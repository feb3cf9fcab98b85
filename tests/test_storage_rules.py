"""Storage refuses what the invariants forbid: fine-grained report times, unknown vocabulary."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from routing.vocabulary import Channel, Level, ReporterType, ReportStatus, ReportType, Urgency
from server.db.models import Body, Institution, Province, Report
from server.db.types import MetadataPrecisionError, round_down_to_hour
from tests.helpers import with_session

HOUR = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_round_down_to_hour_keeps_the_utc_hour() -> None:
    tehran = timezone(timedelta(hours=3, minutes=30))
    moment = datetime(2026, 11, 23, 12, 59, 59, 999999, tzinfo=tehran)
    assert round_down_to_hour(moment) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_round_down_to_hour_refuses_naive_times() -> None:
    with pytest.raises(MetadataPrecisionError):
        round_down_to_hour(datetime(2026, 11, 23, 9, 0))  # noqa: DTZ001


async def _province_and_institution(session: AsyncSession) -> int:
    province = Province(code="p", position=1, name_fa="پ", name_en="P")
    session.add(province)
    await session.flush()
    institution = Institution(
        code="i", province_id=province.id, kind="closed_prison", name_fa="ز", name_en="I"
    )
    session.add(institution)
    await session.flush()
    return institution.id


def _report(institution_id: int, received: datetime, **changes: object) -> Report:
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
    return Report(**fields)


def test_a_report_at_hour_precision_is_stored_and_read_back_as_utc(migrated_url: str) -> None:
    async def work(session: AsyncSession) -> datetime:
        institution_id = await _province_and_institution(session)
        report = _report(institution_id, HOUR)
        session.add(report)
        await session.commit()
        stored = await session.scalar(select(Report.received_hour).where(Report.id == report.id))
        assert stored is not None
        return stored

    assert with_session(migrated_url, work) == HOUR


@pytest.mark.parametrize("offset", [timedelta(minutes=1), timedelta(seconds=1), timedelta(microseconds=1)])
def test_a_report_time_finer_than_the_hour_is_refused(migrated_url: str, offset: timedelta) -> None:
    async def work(session: AsyncSession) -> None:
        institution_id = await _province_and_institution(session)
        session.add(_report(institution_id, HOUR + offset))
        await session.commit()

    with pytest.raises(StatementError) as caught:
        with_session(migrated_url, work)
    assert isinstance(caught.value.orig, MetadataPrecisionError)


def test_unknown_vocabulary_is_refused(migrated_url: str) -> None:
    async def work(session: AsyncSession) -> None:
        institution_id = await _province_and_institution(session)
        session.add(_report(institution_id, HOUR, channel="carrier-pigeon"))
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
        session.add(_report(424242, HOUR))
        await session.commit()

    with pytest.raises(IntegrityError):
        with_session(migrated_url, work)
