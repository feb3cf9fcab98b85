"""What the review console does to a report that the intake tests need, done straight in the
database: release an escrowed wrap when a deadline passes, add a referred body with its wrap
and tag, record a protection measure (docs/CONSOLE.md)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import crypto
from routing.vocabulary import RecipientVia
from server.db.lifecycle import Database
from server.db.models import (
    Body,
    EscrowWrap,
    Message,
    ProtectionKind,
    ProtectionMeasure,
    ReportRecipient,
)
from server.db.types import round_down_to_hour
from tests.intake_support import run_coroutine


async def _body_id(session: AsyncSession, code: str) -> int:
    found = await session.scalar(select(Body.id).where(Body.code == code))
    assert found is not None, code
    return int(found)


def escrow_of(url: str, report_id: str) -> dict[str, crypto.RecipientWrap]:
    """The report's escrowed wraps by body code."""

    async def work() -> dict[str, crypto.RecipientWrap]:
        database = Database(url)
        try:
            async with database.sessions() as session:
                rows = await session.execute(
                    select(Body.code, EscrowWrap.key_id, EscrowWrap.wrapped_key)
                    .join(Body, Body.id == EscrowWrap.body_id)
                    .where(EscrowWrap.report_id == uuid.UUID(report_id))
                )
                found = {code: (key_id, wrapped) for code, key_id, wrapped in rows}
                assert all(key_id is not None for key_id, _ in found.values())  # stored at submission
                return {
                    code: crypto.RecipientWrap(key_id or b"", wrapped)
                    for code, (key_id, wrapped) in found.items()
                }
        finally:
            await database.dispose()

    return run_coroutine(work())


def last_message(url: str, report_id: str, kind: str) -> tuple[uuid.UUID, crypto.SealedMessage]:
    """The id and sealed message of the report's latest message of ``kind``."""

    async def work() -> tuple[uuid.UUID, bytes]:
        database = Database(url)
        try:
            async with database.sessions() as session:
                found = (
                    await session.execute(
                        select(Message.id, Message.sealed)
                        .where(Message.report_id == uuid.UUID(report_id), Message.kind == kind)
                        .order_by(Message.seq.desc())
                        .limit(1)
                    )
                ).first()
                assert found is not None, f"the report has no {kind}"
                return found[0], found[1]
        finally:
            await database.dispose()

    message_id, sealed = run_coroutine(work())
    return message_id, msgspec.json.decode(sealed, type=crypto.SealedMessage)


def release_escrow(url: str, report_id: str, body: str, from_body: str) -> None:
    """As the deadline job does when ``from_body`` misses a deadline: the escrowed wrap goes
    into ``body``'s inbox."""

    async def work() -> None:
        database = Database(url)
        hour = round_down_to_hour(datetime.now(UTC))
        try:
            async with database.write_session() as session:
                body_id = await _body_id(session, body)
                escrow = await session.get(EscrowWrap, (uuid.UUID(report_id), body_id))
                assert escrow is not None
                escrow.released_hour = hour
                session.add(
                    ReportRecipient(
                        report_id=escrow.report_id,
                        body_id=body_id,
                        via=RecipientVia.POLICY,
                        reason=f"escalation_from:{from_body}",
                        wrapped_key=escrow.wrapped_key,
                        key_id=escrow.key_id,
                        added_hour=hour,
                    )
                )
                await session.commit()
        finally:
            await database.dispose()

    run_coroutine(work())


def add_referral(
    url: str, report_id: str, body: str, *, from_body: str, wrap: crypto.RecipientWrap, tag: bytes | None
) -> None:
    """As the console stores a referral its officer's device made (wrap and referral tag)."""

    async def work() -> None:
        database = Database(url)
        try:
            async with database.write_session() as session:
                session.add(
                    ReportRecipient(
                        report_id=uuid.UUID(report_id),
                        body_id=await _body_id(session, body),
                        via=RecipientVia.REFERRAL,
                        reason=f"referral_from:{from_body}",
                        wrapped_key=wrap.wrapped,
                        key_id=wrap.key_id,
                        added_hour=round_down_to_hour(datetime.now(UTC)),
                        referral_tag=tag,
                    )
                )
                await session.commit()
        finally:
            await database.dispose()

    run_coroutine(work())


def record_measure(url: str, report_id: str, body: str, measure: ProtectionKind) -> None:
    """As the console records a protection measure with the report's latest reply."""
    reply, _ = last_message(url, report_id, "reply")

    async def work() -> None:
        database = Database(url)
        try:
            async with database.write_session() as session:
                session.add(
                    ProtectionMeasure(
                        message_id=reply,
                        report_id=uuid.UUID(report_id),
                        body_id=await _body_id(session, body),
                        measure=measure,
                        at_hour=round_down_to_hour(datetime.now(UTC)),
                    )
                )
                await session.commit()
        finally:
            await database.dispose()

    run_coroutine(work())
