"""A body's cases: its inbox, one report as its officers see it, and what they do with it.

Only ciphertext passes through here. The officer's device opens the envelope with the wrap
this body holds and seals notes, replies and referral wraps; the server checks what it can
(the message is for this report, sealed to the keys it must be and no others; a referral
keeps routing's always-hold rules), stores it, and appends every read and act to the audit
chain. A body's officer asking about a report the body does not hold is told it does not
exist (the same answer as for no such report), so nothing leaks about other bodies' cases.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

import msgspec
from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

import crypto
from crypto.primitives import key_id
from routing.decide import Recipient, refer
from routing.errors import RoutingError
from routing.vocabulary import RecipientVia, ReportStatus
from server.audit import append_audit
from server.console.accounts import BODY_ROLES, ForbiddenError, actor
from server.console.schemas import (
    AuditItem,
    AuditPage,
    Case,
    CaseEvent,
    CaseMessage,
    CaseRecipient,
    CloseWaiting,
    InboxItem,
    InboxPage,
    Measure,
    ReferralRequest,
    RekeyRequest,
    ReplyRequest,
    RewrapRequest,
)
from server.db.models import (
    AuditEntry,
    Body,
    BodyKeyGrant,
    CloseRequest,
    Institution,
    Message,
    MessageAuthor,
    Officer,
    Outcome,
    ProtectionMeasure,
    Report,
    ReportRecipient,
    StatusEvent,
    Triage,
    Upload,
    UploadChunk,
)
from server.db.types import round_down_to_hour
from server.errors import SedaError
from server.intake.service import (
    ConflictError,
    InvalidEnvelopeError,
    NotFoundError,
    RoutingRefusedError,
    facts_of,
    next_seq,
    report_routing,
)
from server.intake.trust import Trusted

PAGE_SIZE = 50
COUNT_CAP = 1000  # the inbox says "more than 1,000" beyond this
_message_encoder = msgspec.json.Encoder()
_message_decoder = msgspec.json.Decoder(crypto.SealedMessage)
# How far a case has come, for the report's overall status as the reporter sees it.
_PROGRESS = [
    ReportStatus.RECEIVED,
    ReportStatus.ACKNOWLEDGED,
    ReportStatus.UNDER_REVIEW,
    ReportStatus.AWAITING_REPORTER,
]


class Held(msgspec.Struct, frozen=True):
    """A report this officer's body holds, with the body's row."""

    report: Report
    row: ReportRecipient
    body_code: str


@dataclass(frozen=True)
class Act:
    """One officer acting on one case of their body, now, with the trusted directory."""

    session: AsyncSession
    officer: Officer
    found: Held
    trusted: Trusted
    now: datetime


def _body_of(officer: Officer) -> int:
    if officer.role not in BODY_ROLES or officer.body_id is None:
        raise ForbiddenError
    return officer.body_id


async def held(session: AsyncSession, officer: Officer, report_id: uuid.UUID, *, lock: bool = False) -> Held:
    """The report, if the officer's body holds it; ``NotFoundError`` otherwise (also when it
    does not exist), ``ForbiddenError`` for roles that never see reports."""
    body_id = _body_of(officer)
    row = await session.get(ReportRecipient, (report_id, body_id), with_for_update=lock)
    report = await session.get(Report, report_id, with_for_update=lock) if row is not None else None
    if row is None or report is None:
        raise NotFoundError
    body = await session.get_one(Body, body_id)
    return Held(report, row, body.code)


# -- the inbox --------------------------------------------------------------------------
def _cursor(row: ReportRecipient) -> str:
    raw = f"{row.added_hour.isoformat()}|{row.report_id}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def _after(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        hour, _, report_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(hour), uuid.UUID(report_id)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequestError from None


class InvalidRequestError(SedaError):
    """A malformed paging cursor."""

    code = "invalid-request"


async def inbox(
    session: AsyncSession,
    officer: Officer,
    *,
    state: ReportStatus | None = None,
    overdue: bool | None = None,
    category: str | None = None,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> InboxPage:
    """A page of the body's reports, newest first: metadata only, never a wrap or a message.
    Served by the (body, added hour, report) index whatever the filters (keyset pagination)."""
    body_id = _body_of(officer)
    conditions = [ReportRecipient.body_id == body_id]
    if state is not None:
        conditions.append(ReportRecipient.state == state)
    if overdue is not None:
        conditions.append(ReportRecipient.overdue.is_(overdue))
    if category is not None:
        conditions.append(Report.category == category)
    # Counted up to a cap: an exact count of 100,000 joined rows costs more than the page.
    matching = select(ReportRecipient.report_id).join(Report).where(*conditions).limit(COUNT_CAP + 1)
    total = await session.scalar(select(func.count()).select_from(matching.subquery()))
    if cursor is not None:
        conditions.append(
            tuple_(ReportRecipient.added_hour, ReportRecipient.report_id) < tuple_(*_after(cursor))
        )
    rows = (
        await session.execute(
            select(ReportRecipient, Report, Institution.code)
            .join(Report, Report.id == ReportRecipient.report_id)
            .join(Institution, Institution.id == Report.institution_id)
            .where(*conditions)
            .order_by(ReportRecipient.added_hour.desc(), ReportRecipient.report_id.desc())
            .limit(limit + 1)
        )
    ).all()
    items = [_inbox_item(row, report, institution) for row, report, institution in rows[:limit]]
    following = _cursor(rows[limit - 1][0]) if len(rows) > limit else None
    counted = int(total or 0)
    return InboxPage(
        items=items, next_cursor=following, total=min(counted, COUNT_CAP), more=counted > COUNT_CAP
    )


def _inbox_item(row: ReportRecipient, report: Report, institution: str) -> InboxItem:
    return InboxItem(
        report_id=str(report.id),
        institution=institution,
        report_type=report.report_type.value,
        category=report.category,
        concerns=report.concerns,
        reporter_type=report.reporter_type.value,
        channel=report.channel.value,
        urgency=report.urgency.value,
        received_hour=report.received_hour,
        added_hour=row.added_hour,
        via=row.via.value,
        state=row.state.value,
        triage=row.triage.value if row.triage else None,
        overdue=row.overdue,
        escalated=row.escalated,
        retaliation=report.retaliation,
        protection_requested=report.protection_requested,
        awaiting_key=row.wrapped_key is None,
        acknowledge_by=row.acknowledge_by or report.acknowledge_by,
        feedback_by=row.feedback_by or report.feedback_by,
        assigned_to=row.assigned_officer_id,
    )


# -- one case ---------------------------------------------------------------------------
def joining_deadlines(report: Report, joined: datetime) -> dict[str, datetime | None]:
    """The deadlines of a body that joins a report at ``joined``: the policy's durations, from
    then (the report's own deadlines minus its arrival)."""
    return {
        name: None if due is None else joined + (due - report.received_hour)
        for name, due in (("acknowledge_by", report.acknowledge_by), ("feedback_by", report.feedback_by))
    }


def own_wrap(envelope: crypto.ReportEnvelope, row: ReportRecipient) -> crypto.RecipientWrap | None:
    """The wrap this body opens the report with: the envelope's (initial recipients) or the
    one made later (referral, re-wrap, released escrow); none while the body waits for one."""
    if row.wrapped_key is None:
        return None
    if row.key_id is not None:
        return crypto.RecipientWrap(key_id=row.key_id, wrapped=row.wrapped_key)
    return next((wrap for wrap in envelope.recipients if wrap.wrapped == row.wrapped_key), None)


async def case(session: AsyncSession, officer: Officer, report_id: uuid.UUID, now: datetime) -> Case:
    """The report as this body's officer sees it (a view and, with the wrap, a key fetch:
    both audited; the caller commits)."""
    found = await held(session, officer, report_id)
    report, row = found.report, found.row
    envelope = crypto.decode_envelope(report.envelope)
    wrap = own_wrap(envelope, row)
    codes = dict((await session.execute(select(Body.id, Body.code))).all())
    await _audit(session, officer, found, "report.viewed", now)
    if wrap is not None:
        await _audit(session, officer, found, "report.key_fetched", now)
    return Case(
        report_id=str(report.id),
        envelope=msgspec.Raw(report.envelope),
        wrap=wrap,
        body=found.body_code,
        state=row.state.value,
        triage=row.triage.value if row.triage else None,
        outcome=row.outcome.value if row.outcome else None,
        assigned_to=row.assigned_officer_id,
        overdue=row.overdue,
        retaliation=report.retaliation,
        protection_requested=report.protection_requested,
        watch_until=report.watch_until,
        received_hour=report.received_hour,
        acknowledge_by=row.acknowledge_by or report.acknowledge_by,
        feedback_by=row.feedback_by or report.feedback_by,
        attachments=[
            str(i) for i in await session.scalars(select(Upload.id).where(Upload.report_id == report.id))
        ],
        messages=await _messages(session, report.id, row.body_id, codes),
        history=[
            CaseEvent(e.status.value, e.at_hour, codes.get(e.body_id) if e.body_id else None)
            for e in await session.scalars(
                select(StatusEvent).where(StatusEvent.report_id == report.id).order_by(StatusEvent.seq)
            )
        ],
        recipients=[
            CaseRecipient(
                codes[r.body_id],
                r.via.value,
                r.reason,
                r.state.value,
                r.outcome.value if r.outcome else None,
                r.wrapped_key is None,
            )
            for r in await _rows(session, report.id)
        ],
        measures=[
            Measure(m.measure.value, m.at_hour, codes[m.body_id])
            for m in await session.scalars(
                select(ProtectionMeasure).where(ProtectionMeasure.report_id == report.id)
            )
        ],
        close_waiting=await _close_waiting(session, report.id, row.body_id),
        rekey_key_id=row.rekey_key_id,
    )


async def _messages(
    session: AsyncSession, report_id: uuid.UUID, body_id: int, codes: dict[int, str]
) -> list[CaseMessage]:
    """Replies and follow-ups of the report, and this body's own internal notes."""
    found = await session.scalars(select(Message).where(Message.report_id == report_id).order_by(Message.seq))
    return [
        CaseMessage(
            _message_decoder.decode(m.sealed),
            m.kind,
            m.author.value,
            codes.get(m.body_id) if m.body_id else None,
            m.at_hour,
        )
        for m in found
        if m.kind != "note" or m.body_id == body_id
    ]


async def _rows(session: AsyncSession, report_id: uuid.UUID) -> list[ReportRecipient]:
    return list(
        await session.scalars(
            select(ReportRecipient)
            .where(ReportRecipient.report_id == report_id)
            .order_by(ReportRecipient.body_id)
        )
    )


async def _close_waiting(session: AsyncSession, report_id: uuid.UUID, body_id: int) -> CloseWaiting | None:
    waiting = await session.get(CloseRequest, (report_id, body_id))
    if waiting is None:
        return None
    return CloseWaiting(waiting.outcome.value, waiting.requested_by, waiting.requested_at)


async def _audit(
    session: AsyncSession,
    officer: Officer,
    found: Held,
    action: str,
    now: datetime,
    **details: str | int | bool | None,
) -> None:
    await append_audit(
        session,
        at=now,
        actor=actor(officer),
        action=action,
        subject=f"report:{found.report.id}",
        details={"body": found.body_code, **details},
    )


# -- acting on a case -------------------------------------------------------------------
async def _audit_act(act: Act, action: str, **details: str | int | bool | None) -> None:
    await _audit(act.session, act.officer, act.found, action, act.now, **details)


def _still_open(act: Act) -> None:
    """A body that closed its case (or withdrew by referral) no longer acts on it: a reply or a
    status change would reopen it without anyone's approval. Only a re-wrap for a waiting
    body stays possible, so that a body added later is never left without the key."""
    if act.found.row.state == ReportStatus.CLOSED:
        raise ConflictError


async def _event(act: Act, status: ReportStatus) -> None:
    """The body's case moved to ``status``: the reporter's history shows it, and the report's
    overall status is recomputed (closed once every body closed it)."""
    session, found = act.session, act.found
    found.row.state = status
    session.add(
        StatusEvent(
            report_id=found.report.id,
            seq=await next_seq(session, StatusEvent, found.report.id),
            status=status,
            body_id=found.row.body_id,
            at_hour=round_down_to_hour(act.now),
        )
    )
    await session.flush()
    states = [r.state for r in await _rows(session, found.report.id)]
    if all(state == ReportStatus.CLOSED for state in states):
        found.report.status = ReportStatus.CLOSED
    else:
        found.report.status = max((s for s in states if s != ReportStatus.CLOSED), key=_PROGRESS.index)


async def acknowledge(act: Act) -> None:
    row = act.found.row
    if row.state != ReportStatus.RECEIVED:
        raise ConflictError
    row.acknowledged_hour = round_down_to_hour(act.now)
    row.overdue = False
    await _event(act, ReportStatus.ACKNOWLEDGED)
    await _audit_act(act, "report.acknowledged")


async def triage(act: Act, value: Triage) -> None:
    _still_open(act)
    act.found.row.triage = value
    await _audit_act(act, "report.triaged", triage=value.value)


async def assign(act: Act, to: int | None) -> None:
    _still_open(act)
    if to is not None:
        target = await act.session.get(Officer, to)
        if target is None or not target.active or target.body_id != act.found.row.body_id:
            raise ForbiddenError
    act.found.row.assigned_officer_id = to
    await _audit_act(act, "report.assigned", officer_id=to)


async def _holders(act: Act) -> tuple[dict[int, str], list[ReportRecipient]]:
    codes = dict((await act.session.execute(select(Body.id, Body.code))).all())
    return codes, await _rows(act.session, act.found.report.id)


async def _holders_key_ids(act: Act) -> set[bytes]:
    """The key ids of every body that holds the report (the keys its messages may go to)."""
    codes, rows = await _holders(act)
    keys = act.trusted.key_ids
    return {keys[codes[r.body_id]] for r in rows if codes[r.body_id] in keys}


def _sealed_ids(message: crypto.SealedMessage, report_id: uuid.UUID, kind: str) -> set[bytes]:
    if message.kind != kind or message.report_id != str(report_id):
        raise InvalidEnvelopeError
    try:
        message.context()
    except crypto.EnvelopeFormatError:
        raise InvalidEnvelopeError from None
    return {wrap.key_id for wrap in message.recipients}


async def _store_message(act: Act, message: crypto.SealedMessage) -> None:
    session, found = act.session, act.found
    message_id = uuid.UUID(message.message_id)
    if await session.get(Message, message_id) is not None:
        raise ConflictError
    sealed = _message_encoder.encode(message)
    session.add(
        Message(
            id=message_id,
            report_id=found.report.id,
            seq=await next_seq(session, Message, found.report.id),
            kind=message.kind,
            author=MessageAuthor.BODY,
            body_id=found.row.body_id,
            sealed=sealed,
            sealed_sha256=hashlib.sha256(sealed).digest(),
            at_hour=round_down_to_hour(act.now),
        )
    )
    await session.flush()


async def add_note(act: Act, message: crypto.SealedMessage) -> None:
    """An internal note, sealed to this body's key only: never to the reporter or another
    body (a note is the body's own working paper; what another body should know goes in a
    referral's message)."""
    _still_open(act)
    if _sealed_ids(message, act.found.report.id, "note") != {act.trusted.key_ids.get(act.found.body_code)}:
        raise RoutingRefusedError
    await _store_message(act, message)
    await _audit_act(act, "report.note_added")


async def reply(act: Act, request: ReplyRequest) -> None:
    """A reply to the reporter, sealed to the reply key in the envelope and to this body (and
    possibly the other holding bodies); with a status change and a protection measure."""
    _still_open(act)
    found = act.found
    envelope = crypto.decode_envelope(found.report.envelope)
    if envelope.reporter_key is None:
        raise InvalidEnvelopeError  # no token, no reply key: nobody could read a reply
    reporter = key_id(envelope.reporter_key)
    sealed_to = _sealed_ids(request.message, found.report.id, "reply")
    required = {reporter, act.trusted.key_ids.get(found.body_code)}
    if not required <= sealed_to or not sealed_to <= await _holders_key_ids(act) | {reporter}:
        raise RoutingRefusedError
    await _store_message(act, request.message)
    if request.measure is not None:
        act.session.add(
            ProtectionMeasure(
                message_id=uuid.UUID(request.message.message_id),
                report_id=found.report.id,
                body_id=found.row.body_id,
                measure=request.measure,
                at_hour=round_down_to_hour(act.now),
            )
        )
    if request.status is not None:
        await _event(act, ReportStatus(request.status))
    measure = request.measure.value if request.measure else None
    await _audit_act(act, "report.replied", status=request.status, measure=measure)


async def refer_case(act: Act, request: ReferralRequest) -> None:
    """Refer the report to another body with the wrap the officer's device made; routing's
    always-hold rules must hold afterwards (a referral never leaves the report only with the
    bodies it concerns)."""
    _still_open(act)
    found, trusted, target = act.found, act.trusted, request.to_body
    if request.withdraw and in_watch(found.report, act.now):
        raise ConflictError  # withdrawing closes the body's case: in the watch, that needs approval
    if target not in trusted.key_ids or request.wrap.key_id != trusted.key_ids[target]:
        raise RoutingRefusedError
    codes, rows = await _holders(act)
    if any(codes[r.body_id] == target for r in rows):
        raise ConflictError
    report = found.report
    facts = facts_of(report_routing(report), report.received_hour, retaliation=report.retaliation)
    current = [Recipient(codes[r.body_id], r.via, r.reason) for r in rows if r.state != ReportStatus.CLOSED]
    try:
        refer(
            current,
            facts,
            trusted.routing,
            from_body=found.body_code,
            to_body=target,
            withdraw=request.withdraw,
        )
    except RoutingError:
        raise RoutingRefusedError from None
    if request.message is not None:
        await reply(act, ReplyRequest(message=request.message))
    hour = round_down_to_hour(act.now)
    act.session.add(
        ReportRecipient(
            report_id=report.id,
            body_id=trusted.body_ids[target],
            via=RecipientVia.REFERRAL,
            reason=f"referral_from:{found.body_code}"[:60],
            wrapped_key=request.wrap.wrapped,
            key_id=request.wrap.key_id,
            added_hour=hour,
            state=ReportStatus.RECEIVED,
            referral_tag=request.referral_tag,
            **joining_deadlines(report, hour),
        )
    )
    act.session.add(
        StatusEvent(
            report_id=report.id,
            seq=await next_seq(act.session, StatusEvent, report.id),
            status=ReportStatus.RECEIVED,
            body_id=trusted.body_ids[target],
            at_hour=hour,
        )
    )
    await act.session.flush()
    if request.withdraw:
        found.row.outcome = Outcome.REFERRED
        await _event(act, ReportStatus.CLOSED)
    await _audit_act(act, "report.referred", to_body=target, withdraw=request.withdraw)


async def rewrap(act: Act, request: RewrapRequest) -> None:
    """Give a body that waits for the report's key (added by a retaliation follow-up or an
    escalation without escrow) the wrap the officer's device made."""
    target_id = act.trusted.body_ids.get(request.to_body)
    waiting = await act.session.get(ReportRecipient, (act.found.report.id, target_id)) if target_id else None
    if waiting is None or waiting.wrapped_key is not None:
        raise ConflictError
    if request.wrap.key_id != act.trusted.key_ids.get(request.to_body):
        raise RoutingRefusedError
    waiting.wrapped_key = request.wrap.wrapped
    waiting.key_id = request.wrap.key_id
    waiting.referral_tag = request.referral_tag
    await _audit_act(act, "report.rewrapped", to_body=request.to_body)


async def retag(act: Act, request: RekeyRequest) -> None:
    """Keep the re-tag an officer's device made for this body's current directory key after a
    rotation (PROTOCOL.md §6.1), so the reporter's device seals follow-ups to the new key. Only
    for the officer's own body, which holds the report (a device vouches for no other body);
    allowed on a closed case too, since the reporter may still write."""
    row = act.found.row
    current = act.trusted.key_ids.get(act.found.body_code)
    if request.key_id != current:
        raise RoutingRefusedError  # not the key the verified directory names for this body
    envelope = crypto.decode_envelope(act.found.report.envelope)
    if row.wrapped_key is None or current in {wrap.key_id for wrap in envelope.recipients}:
        raise ConflictError  # no key to open the report with, or the thread tag covers the key
    row.rekey_key_id = request.key_id
    row.rekey_tag = request.tag
    await _audit_act(act, "report.retagged")


def in_watch(report: Report, now: datetime) -> bool:
    return report.watch_until is not None and now < report.watch_until


async def close(act: Act, outcome: Outcome, message: crypto.SealedMessage) -> bool:
    """Close the body's case with an outcome and a reply telling the reporter; during a
    retaliation watch the close waits for a second officer (returns False)."""
    found = act.found
    waiting = await act.session.get(CloseRequest, (found.report.id, found.row.body_id))
    if found.row.state == ReportStatus.CLOSED or waiting is not None:
        raise ConflictError
    _sealed_ids(message, found.report.id, "reply")
    if in_watch(found.report, act.now):
        act.session.add(
            CloseRequest(
                report_id=found.report.id,
                body_id=found.row.body_id,
                outcome=outcome,
                requested_by=act.officer.id,
                message=_message_encoder.encode(message),
                requested_at=act.now,
            )
        )
        await _audit_act(act, "report.close_requested", outcome=outcome.value)
        return False
    await _apply_close(act, outcome, message)
    return True


async def approve_close(act: Act) -> None:
    """A second officer of the body approves a close asked for during the retaliation watch."""
    found = act.found
    waiting = await act.session.get(CloseRequest, (found.report.id, found.row.body_id))
    if waiting is None:
        raise NotFoundError
    if waiting.requested_by == act.officer.id or not await _can_approve(act, waiting):
        raise ForbiddenError  # the point is a second pair of eyes
    message = _message_decoder.decode(waiting.message)
    await act.session.delete(waiting)
    await _apply_close(act, waiting.outcome, message)
    await _audit_act(act, "report.close_approved", requested_by=waiting.requested_by)


async def _can_approve(act: Act, waiting: CloseRequest) -> bool:
    """A second officer is one who held the body's key before the close was asked for and has
    opened the report: an account made (or granted) for the occasion cannot approve. One
    administrator who prepared a second account in advance still can (SECURITY.md)."""
    granted = await act.session.scalar(
        select(func.min(BodyKeyGrant.granted_at)).where(
            BodyKeyGrant.officer_id == act.officer.id, BodyKeyGrant.body_id == act.found.row.body_id
        )
    )
    if granted is None or granted > waiting.requested_at:
        return False
    opened = await act.session.scalar(
        select(AuditEntry.seq)
        .where(
            AuditEntry.actor == actor(act.officer),
            AuditEntry.action == "report.key_fetched",
            AuditEntry.subject == f"report:{act.found.report.id}",
        )
        .limit(1)
    )
    return opened is not None


async def _apply_close(act: Act, outcome: Outcome, message: crypto.SealedMessage) -> None:
    await reply(act, ReplyRequest(message=message))
    act.found.row.outcome = outcome
    act.found.row.overdue = False
    await _event(act, ReportStatus.CLOSED)
    await _audit_act(act, "report.closed", outcome=outcome.value)


async def attachment_chunk(
    session: AsyncSession, found: Held, attachment_id: uuid.UUID, position: int
) -> bytes:
    """One sealed chunk of an attachment of a held report (opened on the officer's device)."""
    upload = await session.get(Upload, attachment_id)
    chunk = await session.get(UploadChunk, (attachment_id, position)) if upload else None
    if upload is None or upload.report_id != found.report.id or chunk is None:
        raise NotFoundError
    return chunk.data


AUDIT_PAGE = 100


async def body_audit(session: AsyncSession, body_id: int, before: int | None) -> AuditPage:
    """The audit entries about a body's reports (their details name the body) and officers."""
    code = (await session.get_one(Body, body_id)).code
    officers = [
        f"officer:{i}" for i in await session.scalars(select(Officer.id).where(Officer.body_id == body_id))
    ]
    about = or_(
        AuditEntry.details.contains(f'"body":"{code}"', autoescape=True),
        AuditEntry.subject.in_(officers),
    )
    query = select(AuditEntry).where(about)
    if before is not None:
        query = query.where(AuditEntry.seq < before)
    found = list(await session.scalars(query.order_by(AuditEntry.seq.desc()).limit(AUDIT_PAGE)))
    items = [AuditItem(e.seq, e.at, e.actor, e.action, e.subject, e.details) for e in found]
    return AuditPage(items, found[-1].seq if len(found) == AUDIT_PAGE else None)
