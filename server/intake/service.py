"""Intake: store sealed reports exactly once, and answer the holders of tracking tokens.

Every write runs in a ``Database.write_session`` and commits before the caller answers, so a
receipt always means "durably stored". Nothing here sees plaintext: the server reads only
the routing metadata, key ids and sizes, and re-runs ``routing`` to check that a client
sealed the report to exactly the bodies the signed policy requires.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

import msgspec
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

import crypto
from crypto.envelope import encode_envelope
from routing.decide import (
    ReportFacts,
    RoutingDecision,
    escalation_targets,
    facts_from_metadata,
    route,
)
from routing.errors import RoutingError
from routing.taxonomy import CATEGORY_CODES
from routing.vocabulary import Channel, Concern, ReporterType, ReportStatus
from server.db.base import Base
from server.db.models import (
    EscrowWrap,
    Message,
    MessageAuthor,
    Report,
    ReportRecipient,
    StatusEvent,
    Upload,
    UploadChunk,
)
from server.db.types import round_down_to_hour
from server.errors import SedaError
from server.intake.schemas import (
    FollowUpReceipt,
    FollowUpRequest,
    Receipt,
    Submission,
)
from server.intake.trust import Trusted

_message_encoder = msgspec.json.Encoder()
# A report about the institution's staff or management opens a retaliation watch
# (docs/CONSOLE.md): closing it sooner needs a second officer.
WATCH_CONCERNS = frozenset({Concern.STAFF_MEMBER, Concern.INSTITUTION_MANAGEMENT})
WATCH_DAYS = 90


class InvalidEnvelopeError(SedaError):
    code = "invalid-envelope"


class RoutingRefusedError(SedaError):
    code = "routing-refused"


class StaleDirectoryError(SedaError):
    code = "stale-directory"


class ReportIdConflictError(SedaError):
    code = "report-id-conflict"


class UploadIncompleteError(SedaError):
    code = "upload-incomplete"


class NotFoundError(SedaError):
    code = "not-found"


class ConflictError(SedaError):
    code = "conflict"


def facts_of(routing: crypto.RoutingMetadata, received_at: datetime, *, retaliation: bool) -> ReportFacts:
    """The routing facts of an envelope; ``InvalidEnvelopeError`` for codes routing lacks."""
    try:
        ReporterType(routing.reporter_type)
        Channel(routing.channel)
        facts = facts_from_metadata(routing, received_at, retaliation=retaliation)
    except ValueError:
        raise InvalidEnvelopeError from None
    if facts.category not in CATEGORY_CODES:
        raise InvalidEnvelopeError
    return facts


def decide(trusted: Trusted, facts: ReportFacts, choices: list[str]) -> RoutingDecision:
    try:
        return route(facts, trusted.policy, trusted.routing, choices)
    except RoutingError:
        raise RoutingRefusedError from None


def expected_key_ids(trusted: Trusted, bodies: list[str]) -> set[bytes]:
    return {trusted.key_ids[body] for body in bodies if body in trusted.key_ids}


def accepted_keys(trusted: Trusted, body: str, sealed_under: dict[str, bytes] | None) -> set[bytes]:
    """The keys a report may be sealed to for ``body``: its current one, and for a kiosk's
    report sealed under an older, still valid directory, the one that directory named (a key
    rotated since, whose grants the body's officers keep: docs/KEYS.md)."""
    keys = {trusted.key_ids[body]} if body in trusted.key_ids else set()
    if sealed_under is not None and body in sealed_under:
        keys.add(sealed_under[body])
    return keys


def _sealed_keys(
    trusted: Trusted, routed: list[str], wraps: dict[bytes, bytes], sealed_under: dict[str, bytes] | None
) -> dict[str, bytes]:
    """Each routed body's key among the envelope's wraps; ``RoutingRefusedError`` unless every
    routed body has exactly one accepted key there and the envelope has no other wrap."""
    found: dict[str, bytes] = {}
    for body in routed:
        keys = accepted_keys(trusted, body, sealed_under) & set(wraps)
        if len(keys) != 1:
            raise RoutingRefusedError
        found[body] = keys.pop()
    if set(found.values()) != set(wraps) or len(found) != len(wraps):
        raise RoutingRefusedError
    return found


def _receipt(report: Report, recipients: list[str]) -> Receipt:
    return Receipt(
        report_id=str(report.id),
        envelope_sha256=report.envelope_sha256,
        received_hour=report.received_hour,
        acknowledge_by=report.acknowledge_by,
        feedback_by=report.feedback_by,
        recipients=sorted(recipients),
    )


async def existing_receipt(
    session: AsyncSession, trusted: Trusted, report_id: uuid.UUID, digest: bytes
) -> Receipt | None:
    """The receipt of an already stored report with this id (None if there is none);
    ``ReportIdConflictError`` if the id holds a different envelope."""
    report = await session.get(Report, report_id)
    if report is None:
        return None
    if report.envelope_sha256 != digest:
        raise ReportIdConflictError
    # The receipt names the bodies the report was sealed to, not those added since (a
    # retaliation escalation must not show through a replayed submission).
    sealed_to = {wrap.wrapped for wrap in crypto.decode_envelope(report.envelope).recipients}
    codes = {body_id: code for code, body_id in trusted.body_ids.items()}
    rows = await session.execute(
        select(ReportRecipient.body_id, ReportRecipient.wrapped_key).where(
            ReportRecipient.report_id == report_id
        )
    )
    initial = [codes.get(body_id, f"body-{body_id}") for body_id, wrapped in rows if wrapped in sealed_to]
    return _receipt(report, initial)


class Planned(msgspec.Struct, frozen=True):
    """A checked submission, ready to store: built outside the write lock. ``rows()`` makes
    new ORM rows each time, so a batch that failed can be stored again row by row."""

    report: dict[str, Any]
    recipients: list[dict[str, Any]]
    routed: list[str]
    attachments: list[str]
    escrow: list[dict[str, Any]] = []

    @property
    def report_id(self) -> uuid.UUID:
        return cast("uuid.UUID", self.report["id"])

    @property
    def digest(self) -> bytes:
        return cast("bytes", self.report["envelope_sha256"])

    def rows(self) -> list[Base]:
        report = Report(**self.report)
        first = StatusEvent(report_id=report.id, seq=1, status=report.status, at_hour=report.received_hour)
        return [report, *(ReportRecipient(**fields) for fields in self.recipients), first]

    def escrow_rows(self) -> list[EscrowWrap]:
        return [EscrowWrap(**fields) for fields in self.escrow]


async def add_planned(session: AsyncSession, batch: list[Planned]) -> None:
    """Add the rows of planned reports to ``session`` (the caller commits). Without ORM
    relationships SQLAlchemy orders a flush by class name, so the rows that refer to a
    report but sort before it (escrow wraps) are added after a flush of the reports."""
    session.add_all([row for planned in batch for row in planned.rows()])
    await session.flush()
    session.add_all([row for planned in batch for row in planned.escrow_rows()])


def receipt_of(planned: Planned) -> Receipt:
    """The receipt of a planned report once stored."""
    report = planned.report
    return Receipt(
        report_id=str(report["id"]),
        envelope_sha256=report["envelope_sha256"],
        received_hour=report["received_hour"],
        acknowledge_by=report["acknowledge_by"],
        feedback_by=report["feedback_by"],
        recipients=sorted(planned.routed),
    )


def watch_until(concerns: Concern, received_hour: datetime) -> datetime | None:
    """The end of a report's retaliation watch: whole days after ``received_hour`` (so still
    on a local hour), for reports about the institution's staff or management."""
    return received_hour + timedelta(days=WATCH_DAYS) if concerns in WATCH_CONCERNS else None


def plan_escrow(
    trusted: Trusted,
    submission: Submission,
    decision: RoutingDecision,
    facts: ReportFacts,
    sealed_under: dict[str, bytes] | None = None,
) -> list[dict[str, Any]]:
    """The escrow rows of a submission (PROTOCOL.md §3.7): none, or a wrap to exactly each
    escalation target routing names, sealed to its directory key. ``InvalidEnvelopeError``
    unless an escrow tag comes exactly with escrowed wraps and a thread key (a token);
    ``RoutingRefusedError`` for wraps to other bodies or keys."""
    escrow = submission.escrow
    tokened = submission.envelope.reporter_key is not None
    if (submission.escrow_tag is not None) != (bool(escrow) and tokened):
        raise InvalidEnvelopeError
    if not escrow:
        return []  # an older client: a later escalation waits for a re-wrap
    try:
        targets = {t.body for t in escalation_targets(decision.recipients, facts, trusted.routing)}
    except RoutingError:
        raise RoutingRefusedError from None
    wraps = {item.body: item.wrap for item in escrow}
    if len(wraps) != len(escrow) or set(wraps) != targets:
        raise RoutingRefusedError
    if any(wrap.key_id not in accepted_keys(trusted, body, sealed_under) for body, wrap in wraps.items()):
        raise RoutingRefusedError
    report_id = uuid.UUID(submission.envelope.report_id)
    return [
        {
            "report_id": report_id,
            "body_id": trusted.body_ids[body],
            "wrapped_key": wrap.wrapped,
            "key_id": wrap.key_id,
            "released_hour": None,
        }
        for body, wrap in sorted(wraps.items())
    ]


def plan_submission(
    trusted: Trusted,
    submission: Submission,
    now: datetime,
    *,
    forwarded: bool = False,
    sealed_under: dict[str, bytes] | None = None,
) -> Planned:
    """Check a sealed report against the signed policy and directory (no I/O). Raises a
    ``SedaError`` when the envelope, its routing or its token parts do not hold.

    ``forwarded``: an approved kiosk's outbox sends it, sealed maybe days ago under an older
    directory; it cannot seal it again (it keeps no plaintext), so an older serial is taken
    when the recipients it sealed to are still exactly those the current directory and policy
    choose (checked below, as for every report). ``sealed_under``: body → key id of that older
    directory, if it is still valid: a body's key rotated since is then taken too."""
    envelope = submission.envelope
    older = forwarded and submission.directory_serial < trusted.serial
    if submission.directory_serial != trusted.serial and not older:
        raise StaleDirectoryError
    tokened = (envelope.reporter_key, submission.lookup_verifier, submission.thread_tag)
    if any(part is None for part in tokened) and any(part is not None for part in tokened):
        raise InvalidEnvelopeError  # a token gives a reply key, a lookup verifier and a tag
    try:
        envelope.context()  # a version and suite this server knows, distinct recipients
    except crypto.EnvelopeFormatError:
        raise InvalidEnvelopeError from None
    if len(set(submission.attachments)) != len(submission.attachments):
        raise UploadIncompleteError
    hour = round_down_to_hour(now)
    facts = facts_of(envelope.routing, hour, retaliation=False)
    decision = decide(trusted, facts, list(submission.reporter_choices))
    wraps = {wrap.key_id: wrap.wrapped for wrap in envelope.recipients}
    routed = [recipient.body for recipient in decision.recipients]
    if len(wraps) != len(envelope.recipients):
        raise RoutingRefusedError
    older_keys = sealed_under if older else None
    sealed_keys = _sealed_keys(trusted, routed, wraps, older_keys)
    escrow = plan_escrow(trusted, submission, decision, facts, older_keys)
    encoded = encode_envelope(envelope)
    report_id = uuid.UUID(envelope.report_id)
    report: dict[str, Any] = {
        "id": report_id,
        "protocol_version": envelope.version,
        "envelope": encoded,
        "envelope_sha256": hashlib.sha256(encoded).digest(),
        "institution_id": trusted.institution_ids[facts.institution],
        "report_type": facts.report_type,
        "category": facts.category,
        "concerns": facts.concerns.value,
        "reporter_type": ReporterType(envelope.routing.reporter_type),
        "channel": Channel(envelope.routing.channel),
        "urgency": facts.urgency,
        "status": ReportStatus.RECEIVED,
        "retaliation": False,
        "received_hour": hour,
        "lookup_verifier": submission.lookup_verifier,
        "thread_tag": submission.thread_tag,
        "directory_serial": trusted.serial,
        "policy_version": decision.policy_version,
        "acknowledge_by": decision.acknowledge_by,
        "feedback_by": decision.feedback_by,
        "watch_until": watch_until(facts.concerns, hour),
        "escrow_tag": submission.escrow_tag,
    }
    recipients = [
        {
            "report_id": report_id,
            "body_id": trusted.body_ids[recipient.body],
            "via": recipient.via,
            "reason": recipient.reason,
            "wrapped_key": wraps[sealed_keys[recipient.body]],
            "added_hour": hour,
        }
        for recipient in decision.recipients
    ]
    planned = Planned(report, recipients, routed, list(submission.attachments), escrow)
    planned.rows()  # the models' own checks (random id, whole hours) fail here, not in a batch
    planned.escrow_rows()
    return planned


def envelope_digest(envelope: crypto.ReportEnvelope) -> bytes:
    return hashlib.sha256(encode_envelope(envelope)).digest()


async def store_submission(session: AsyncSession, trusted: Trusted, planned: Planned) -> tuple[Receipt, bool]:
    """Store a planned report, its recipients, first status and attachments in one
    transaction; commits before returning. A report already stored under the same id with
    the same envelope is answered with its receipt (``False``: not stored by this call)."""
    try:
        uploads = await complete_uploads(session, planned.attachments)
    except UploadIncompleteError:
        replay = await existing_receipt(session, trusted, planned.report_id, planned.digest)
        if replay is None:
            raise
        return replay, False
    try:
        await add_planned(session, [planned])
        for upload in uploads:
            upload.report_id = planned.report_id
        await session.commit()  # on PostgreSQL a concurrent twin waits here for the first
    except IntegrityError:
        # The same id was stored before or meanwhile: answer as a replay. Anything else
        # unique (a lookup verifier already in use) is a conflict; nothing was stored.
        await session.rollback()
        replay = await existing_receipt(session, trusted, planned.report_id, planned.digest)
        if replay is None:
            raise ConflictError from None
        return replay, False
    return receipt_of(planned), True


async def complete_uploads(session: AsyncSession, attachment_ids: list[str]) -> list[Upload]:
    uploads: list[Upload] = []
    for attachment_id in attachment_ids:
        # Locked (PostgreSQL) so that two reports listing one upload cannot both take it.
        upload = await session.get(Upload, uuid.UUID(attachment_id), with_for_update=True)
        if upload is None or upload.report_id is not None:
            raise UploadIncompleteError
        chunks = list(
            await session.scalars(
                select(UploadChunk.data)
                .where(UploadChunk.upload_id == upload.id)
                .order_by(UploadChunk.position)
            )
        )
        # Hashing up to 10 MiB is done off the event loop, which other requests share.
        if (
            len(chunks) != upload.chunks
            or await asyncio.to_thread(crypto.stream_digest, chunks) != upload.sha256
        ):
            raise UploadIncompleteError
        uploads.append(upload)
    return uploads


async def report_by_secret(session: AsyncSession, lookup_secret: bytes) -> Report | None:
    verifier = crypto.lookup_verifier(lookup_secret)
    return await session.scalar(select(Report).where(Report.lookup_verifier == verifier))


async def next_seq(
    session: AsyncSession, model: type[Message] | type[StatusEvent], report_id: uuid.UUID
) -> int:
    found = await session.scalar(select(func.max(model.seq)).where(model.report_id == report_id))
    return int(found or 0) + 1


async def follow_up(
    session: AsyncSession, trusted: Trusted, report: Report, request: FollowUpRequest, now: datetime
) -> FollowUpReceipt:
    """Store a reporter's follow-up (commits); with ``retaliation`` mark the report and add
    the bodies routing requires for retaliation, which wait for a re-wrap of the report; with
    ``protection`` mark that the reporter asks for protection."""
    message = request.message
    if message.kind != "follow-up" or message.report_id != str(report.id):
        raise InvalidEnvelopeError
    try:
        message.context()
    except crypto.EnvelopeFormatError:
        raise InvalidEnvelopeError from None
    # One writer per report at a time (PostgreSQL): message numbers and the retaliation mark.
    await session.refresh(report, with_for_update=True)
    message_id = uuid.UUID(message.message_id)
    sealed = _message_encoder.encode(message)
    digest = hashlib.sha256(sealed).digest()
    stored = await session.get(Message, message_id)
    if stored is not None:
        if stored.sealed_sha256 != digest or stored.report_id != report.id:
            raise ConflictError
        return FollowUpReceipt(str(message_id), stored.at_hour, report.retaliation, [])
    if request.directory_serial != trusted.serial:
        raise StaleDirectoryError
    hour = round_down_to_hour(now)
    current = await _recipient_codes(session, trusted, report.id)
    added: list[str] = []
    if request.retaliation and not report.retaliation:
        facts = facts_of(report_routing(report), report.received_hour, retaliation=True)
        decision = decide(trusted, facts, [])
        added = [r.body for r in decision.recipients if r.body not in current]
        for recipient in decision.recipients:
            if recipient.body in added:
                session.add(
                    ReportRecipient(
                        report_id=report.id,
                        body_id=trusted.body_ids[recipient.body],
                        via=recipient.via,
                        reason=recipient.reason,
                        wrapped_key=None,
                        added_hour=hour,
                    )
                )
        report.retaliation = True
    if request.protection:
        report.protection_requested = True
    sealed_to = {wrap.key_id for wrap in message.recipients}
    if len(sealed_to) != len(message.recipients) or sealed_to != expected_key_ids(trusted, current + added):
        raise RoutingRefusedError
    session.add(
        Message(
            id=message_id,
            report_id=report.id,
            seq=await next_seq(session, Message, report.id),
            kind="follow-up",
            author=MessageAuthor.REPORTER,
            body_id=None,
            sealed=sealed,
            sealed_sha256=digest,
            at_hour=hour,
        )
    )
    await session.commit()
    return FollowUpReceipt(str(message_id), hour, report.retaliation, sorted(added))


def report_routing(report: Report) -> crypto.RoutingMetadata:
    """The routing metadata as sealed (read back from the stored envelope)."""
    return crypto.decode_envelope(report.envelope).routing


async def _recipient_codes(session: AsyncSession, trusted: Trusted, report_id: uuid.UUID) -> list[str]:
    codes = {body_id: code for code, body_id in trusted.body_ids.items()}
    ids = await session.scalars(select(ReportRecipient.body_id).where(ReportRecipient.report_id == report_id))
    return sorted(codes.get(body_id, f"body-{body_id}") for body_id in ids)


async def post_reply(
    session: AsyncSession, report_id: uuid.UUID, body_id: int, message: crypto.SealedMessage, now: datetime
) -> None:
    """Store an officer's sealed reply to the reporter (the console's path; commits).

    The reply must be sealed to the reporter's key from the envelope; authenticity is the
    reporter's device's check (``auth`` with the thread key), which the server cannot forge.
    """
    if message.kind != "reply" or message.report_id != str(report_id):
        raise InvalidEnvelopeError
    try:
        message.context()
    except crypto.EnvelopeFormatError:
        raise InvalidEnvelopeError from None
    await session.get(Report, report_id, with_for_update=True)  # one writer per report
    sealed = _message_encoder.encode(message)
    session.add(
        Message(
            id=uuid.UUID(message.message_id),
            report_id=report_id,
            seq=await next_seq(session, Message, report_id),
            kind="reply",
            author=MessageAuthor.BODY,
            body_id=body_id,
            sealed=sealed,
            sealed_sha256=hashlib.sha256(sealed).digest(),
            at_hour=round_down_to_hour(now),
        )
    )
    await session.commit()
