"""What a token holder sees: status history, deadlines, recipients and sealed replies."""

from __future__ import annotations

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import crypto
from server.db.models import (
    Body,
    EscrowWrap,
    Message,
    ProtectionMeasure,
    Report,
    ReportRecipient,
    StatusEvent,
)
from server.intake.schemas import HistoryItem, MeasureItem, RecipientItem, ReplyItem, StatusView

_message_decoder = msgspec.json.Decoder(crypto.SealedMessage)


async def status_view(session: AsyncSession, report: Report, known_codes: dict[int, str]) -> StatusView:
    """The reporter's view of ``report``; replies only (never follow-ups or notes).

    Needs no directory: a reporter can follow a report even while none is valid.
    ``known_codes`` caches body codes by id across calls (a body's id never changes code)."""
    events = list(
        await session.scalars(
            select(StatusEvent).where(StatusEvent.report_id == report.id).order_by(StatusEvent.seq)
        )
    )
    recipients = list(
        await session.scalars(
            select(ReportRecipient)
            .where(ReportRecipient.report_id == report.id)
            .order_by(ReportRecipient.body_id)
        )
    )
    replies = list(
        await session.scalars(
            select(Message)
            .where(Message.report_id == report.id, Message.kind == "reply")
            .order_by(Message.seq)
        )
    )
    measures = list(
        await session.scalars(
            select(ProtectionMeasure)
            .where(ProtectionMeasure.report_id == report.id)
            .order_by(ProtectionMeasure.at_hour, ProtectionMeasure.message_id)
        )
    )
    # The key ids the reporter's escrow tag covers, as stored at submission (§3.7): the
    # reporter's device maps them to bodies through its own verified directory.
    escrowed = await session.scalars(
        select(EscrowWrap.key_id).where(EscrowWrap.report_id == report.id).order_by(EscrowWrap.key_id)
    )
    ids = {e.body_id for e in events} | {r.body_id for r in recipients} | {m.body_id for m in replies}
    ids |= {m.body_id for m in measures}
    missing = {body_id for body_id in ids if body_id is not None and body_id not in known_codes}
    if missing:
        known_codes.update(
            (await session.execute(select(Body.id, Body.code).where(Body.id.in_(missing)))).all()
        )
    codes = known_codes
    header = crypto.decode_envelope(report.envelope).header()
    return StatusView(
        report_id=str(report.id),
        header=header,
        thread_tag=report.thread_tag,
        routing=header.routing,
        status=report.status.value,
        retaliation=report.retaliation,
        received_hour=report.received_hour,
        acknowledge_by=report.acknowledge_by,
        feedback_by=report.feedback_by,
        history=[
            HistoryItem(e.status.value, e.at_hour, codes.get(e.body_id) if e.body_id else None)
            for e in events
        ],
        recipients=[
            RecipientItem(
                codes.get(r.body_id, ""),
                r.via.value,
                r.reason,
                r.wrapped_key is None,
                r.referral_tag,
                r.rekey_tag,
            )
            for r in recipients
        ],
        replies=[
            ReplyItem(
                _message_decoder.decode(m.sealed), codes.get(m.body_id) if m.body_id else None, m.at_hour
            )
            for m in replies
        ],
        escrow_key_ids=[key_id for key_id in escrowed if key_id is not None],
        escrow_tag=report.escrow_tag,
        protection_requested=report.protection_requested,
        measures=[MeasureItem(m.measure.value, m.at_hour, codes.get(m.body_id)) for m in measures],
    )
