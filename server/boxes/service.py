"""Suggestion boxes: the registry, openings and their letters, minutes, slips, missed weeks.

Who may do what (docs/BOXES.md): a *box transcriber* account records openings and letters
for the boxes of its body's reach (an institution-level body: its institution; a provincial
one: the province's; a national one: every box). Officers of the bodies that oversee boxes
(the institution's inspection representative and management, the provincial directorate-
general, the Organization's inspection unit) see the boxes, missed weeks and minutes of their
reach, read-only. Operators register and remove boxes and make slip batches (``seda boxes``).

Letters are sealed in the transcriber's browser exactly as a report on the web form is:
the server checks and stores them with ``intake.service.plan_submission`` and sees no
content. A letter that came with a slip's claim code carries the slip's verifier and reply
key (PROTOCOL.md §13); the claim is used up in the same transaction that stores the letter.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import crypto
from routing.vocabulary import Channel, Level
from server.audit import append_audit
from server.boxes import documents, weeks
from server.console.accounts import ForbiddenError, actor
from server.db.lifecycle import Database
from server.db.models import (
    Body,
    Box,
    BoxLetter,
    BoxOpening,
    BoxState,
    Institution,
    Officer,
    OfficerRole,
    Province,
    Report,
    ReportRecipient,
    SlipBatch,
    SlipClaim,
)
from server.db.types import round_down_to_hour
from server.errors import SedaError
from server.i18n import catalogue
from server.intake import service as intake
from server.intake.schemas import Receipt, Submission
from server.intake.trust import Trusted

# The bodies whose officers oversee the boxes of their reach (read-only).
OVERSIGHT_BODY_TYPES = frozenset(
    {
        "institution_inspection_representative",
        "institution_management",
        "provincial_dg_prisons",
        "organization_inspection",
    }
)
# An opening may be recorded up to this long after it took place (the week's paperwork).
LATE_RECORDING = timedelta(days=31)
CLOCK_SKEW = timedelta(minutes=5)
MAX_SLIPS = 1000


class BoxRefusedError(SedaError):
    """A letter or opening the box's rules refuse (its time, witnesses or count; a letter of
    another channel or institution, a token without a slip, a slip's parts swapped)."""

    code = "box-refused"


class SlipUsedError(SedaError):
    """A slip's token was already used to file a report (its stub was seen): the letter can be
    recorded without the claim code, and cannot be tracked with that stub."""

    code = "slip-used"


class Scope(msgspec.Struct, frozen=True):
    """The institutions an account's boxes work covers (None: all of them)."""

    institution_ids: frozenset[int] | None
    transcribes: bool

    def covers(self, institution_id: int) -> bool:
        return self.institution_ids is None or institution_id in self.institution_ids


async def scope_of(session: AsyncSession, officer: Officer) -> Scope:
    """``ForbiddenError`` for an account with no part in the boxes."""
    body = None if officer.body_id is None else await session.get(Body, officer.body_id)
    transcribes = officer.role == OfficerRole.BOX_TRANSCRIBER
    oversees = officer.role in (OfficerRole.OFFICER, OfficerRole.BODY_ADMIN, OfficerRole.SUMMARY_READER)
    if body is None or not (transcribes or (oversees and body.body_type in OVERSIGHT_BODY_TYPES)):
        raise ForbiddenError
    if body.level == Level.NATIONAL:
        return Scope(None, transcribes)
    if body.level == Level.INSTITUTION and body.institution_id is not None:
        return Scope(frozenset({body.institution_id}), transcribes)
    ids = await session.scalars(select(Institution.id).where(Institution.province_id == body.province_id))
    return Scope(frozenset(ids), transcribes)


def _transcriber(scope: Scope) -> None:
    if not scope.transcribes:
        raise ForbiddenError


# -- the registry (operators) ------------------------------------------------------------
class BoxInfo(msgspec.Struct, frozen=True):
    box_id: int
    code: str
    institution: str
    place: str
    state: str
    installed_at: datetime
    removed_at: datetime | None
    last_opened_at: datetime | None
    missed_weeks: list[datetime]
    open_opening: str | None  # an opening still being transcribed


async def register_box(session: AsyncSession, code: str, institution: str, place: str, now: datetime) -> Box:
    """Add an installed box (the caller commits); ``intake.NotFoundError`` for an unknown
    institution, ``intake.ConflictError`` for a code in use."""
    institution_id = await session.scalar(select(Institution.id).where(Institution.code == institution))
    if institution_id is None:
        raise intake.NotFoundError
    if await session.scalar(select(Box.id).where(Box.code == code)) is not None:
        raise intake.ConflictError
    box = Box(
        code=code,
        institution_id=institution_id,
        place=place,
        state=BoxState.INSTALLED,
        installed_at=now,
        removed_at=None,
    )
    session.add(box)
    await session.flush()
    await append_audit(
        session,
        at=now,
        actor="operator",
        action="box.registered",
        subject=f"box:{box.id}",
        details={"code": code},
    )
    return box


async def remove_box(session: AsyncSession, code: str, now: datetime) -> None:
    box = await session.scalar(select(Box).where(Box.code == code).with_for_update())
    if box is None:
        raise intake.NotFoundError
    if box.state == BoxState.REMOVED:
        raise intake.ConflictError
    box.state = BoxState.REMOVED
    box.removed_at = now
    await append_audit(session, at=now, actor="operator", action="box.removed", subject=f"box:{box.id}")


async def _openings_by_box(session: AsyncSession, box_ids: Sequence[int]) -> dict[int, list[BoxOpening]]:
    found: dict[int, list[BoxOpening]] = {box_id: [] for box_id in box_ids}
    rows = await session.scalars(
        select(BoxOpening).where(BoxOpening.box_id.in_(box_ids)).order_by(BoxOpening.opened_at)
    )
    for opening in rows:
        found[opening.box_id].append(opening)
    return found


async def boxes(session: AsyncSession, scope: Scope | None, now: datetime) -> list[BoxInfo]:
    """The boxes of a reach (``None``: every box, for operators), with their missed weeks."""
    query = select(Box, Institution.code).join(Institution, Institution.id == Box.institution_id)
    if scope is not None and scope.institution_ids is not None:
        query = query.where(Box.institution_id.in_(scope.institution_ids))
    rows = list(await session.execute(query.order_by(Institution.code, Box.code)))
    openings = await _openings_by_box(session, [box.id for box, _ in rows])
    result = []
    for box, institution in rows:
        held = openings[box.id]
        result.append(
            BoxInfo(
                box_id=box.id,
                code=box.code,
                institution=institution,
                place=box.place,
                state=box.state.value,
                installed_at=box.installed_at,
                removed_at=box.removed_at,
                last_opened_at=held[-1].opened_at if held else None,
                missed_weeks=weeks.missed_weeks(
                    box.installed_at, box.removed_at, [o.opened_at for o in held], now
                ),
                open_opening=next((str(o.id) for o in held if o.closed_at is None), None),
            )
        )
    return result


# -- openings ----------------------------------------------------------------------------
Name = msgspec.Meta(min_length=1, max_length=200)


class NewOpening(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    opened_at: datetime
    witnesses: list[str]
    seal_numbers: list[str] = []
    letter_count: int = 0


class LetterRow(msgspec.Struct, frozen=True):
    position: int
    report_id: str
    report_type: str
    signed: bool
    claimed: bool  # came with a slip's claim code (so its writer can track it)
    bodies: list[str]  # the bodies it was sealed to (empty for an overseer when routed away)
    at_home: bool = False  # sealed to an office of the box's own institution


class OpeningInfo(msgspec.Struct, frozen=True):
    opening_id: str
    box_id: int
    box: str
    institution: str
    place: str
    opened_at: datetime
    week_start: datetime
    transcriber: str
    witnesses: list[str]
    seal_numbers: list[str]
    letter_count: int
    letters: list[LetterRow]
    closed_at: datetime | None
    minutes_sha256: bytes | None


def _check_names(names: list[str], most: int, longest: int) -> list[str]:
    cleaned = [" ".join(name.split()) for name in names]
    if len(cleaned) > most or any(not name or len(name) > longest for name in cleaned):
        raise BoxRefusedError
    return cleaned


async def _box_in_scope(session: AsyncSession, scope: Scope, box_id: int, *, lock: bool = False) -> Box:
    if not 1 <= box_id < 2**31:
        raise intake.NotFoundError  # beyond the column's range (PostgreSQL's integer)
    box = await session.get(Box, box_id, with_for_update=lock)
    if box is None or not scope.covers(box.institution_id):
        raise intake.NotFoundError
    return box


async def open_box(
    session: AsyncSession, officer: Officer, scope: Scope, box_id: int, data: NewOpening, *, now: datetime
) -> BoxOpening:
    """Record an opening's facts (the caller commits); its letters follow one by one."""
    _transcriber(scope)
    box = await _box_in_scope(session, scope, box_id, lock=True)
    opened_at = data.opened_at
    if opened_at.tzinfo is None or not (
        max(box.installed_at.replace(second=0, microsecond=0), now - LATE_RECORDING)
        <= opened_at
        <= now + CLOCK_SKEW
    ):
        raise BoxRefusedError
    if box.state != BoxState.INSTALLED or not 0 <= data.letter_count <= 500:
        raise BoxRefusedError
    witnesses = _check_names(data.witnesses, 10, 200)
    if not witnesses:
        raise BoxRefusedError  # the Note asks for the opening to be witnessed
    seals = _check_names(data.seal_numbers, 10, 40)
    unfinished = await session.scalar(
        select(BoxOpening.id).where(BoxOpening.box_id == box.id, BoxOpening.closed_at.is_(None))
    )
    if unfinished is not None:
        raise intake.ConflictError  # finish the last opening's letters first
    opening = BoxOpening(
        id=uuid.uuid4(),
        box_id=box.id,
        opened_at=opened_at.replace(second=0, microsecond=0),
        transcriber_id=officer.id,
        witnesses=json.dumps(witnesses, ensure_ascii=False),
        seal_numbers=json.dumps(seals, ensure_ascii=False),
        letter_count=data.letter_count,
        closed_at=None,
        minutes=None,
        minutes_sha256=None,
    )
    session.add(opening)
    await append_audit(
        session,
        at=now,
        actor=actor(officer),
        action="box.opened",
        subject=f"opening:{opening.id}",
        details={"box": box.code, "letters": data.letter_count},
    )
    return opening


async def _opening_in_scope(
    session: AsyncSession, scope: Scope, opening_id: uuid.UUID, *, lock: bool = False
) -> tuple[BoxOpening, Box]:
    opening = await session.get(BoxOpening, opening_id, with_for_update=lock)
    if opening is None:
        raise intake.NotFoundError
    box = await _box_in_scope(session, scope, opening.box_id)
    return opening, box


async def opening_info(
    session: AsyncSession, trusted: Trusted, scope: Scope, opening_id: uuid.UUID
) -> OpeningInfo:
    opening, box = await _opening_in_scope(session, scope, opening_id)
    return await _info(session, trusted, opening, box, full=scope.transcribes)


async def _info(
    session: AsyncSession, trusted: Trusted, opening: BoxOpening, box: Box, *, full: bool = True
) -> OpeningInfo:
    institution = await session.get(Institution, box.institution_id)
    transcriber = await session.get(Officer, opening.transcriber_id)
    return OpeningInfo(
        opening_id=str(opening.id),
        box_id=box.id,
        box=box.code,
        institution=institution.code if institution else "",
        place=box.place,
        opened_at=opening.opened_at,
        week_start=weeks.week_start(opening.opened_at),
        transcriber=transcriber.display_name if transcriber else "",
        witnesses=json.loads(opening.witnesses),
        seal_numbers=json.loads(opening.seal_numbers),
        letter_count=opening.letter_count,
        letters=await _letters(session, trusted, opening.id, full=full),
        closed_at=opening.closed_at,
        minutes_sha256=opening.minutes_sha256,
    )


async def _letters(
    session: AsyncSession, trusted: Trusted, opening_id: uuid.UUID, *, full: bool = True
) -> list[LetterRow]:
    """The letters of an opening with the bodies each was *sealed to* at transcription (never
    those a referral, escalation or retaliation follow-up added since: the head of the
    institution must not see that). ``full`` False (an overseer): a letter routed to none of
    the institution's own offices shows no bodies, which would tell its category."""
    codes = {body_id: code for code, body_id in trusted.body_ids.items()}
    homes = {entry.body: entry.institution for entry in trusted.directory.bodies}
    rows = list(
        await session.execute(
            select(BoxLetter.position, Report, Institution.code)
            .join(Report, Report.id == BoxLetter.report_id)
            .join(Institution, Institution.id == Report.institution_id)
            .where(BoxLetter.opening_id == opening_id)
            .order_by(BoxLetter.position)
        )
    )
    letters = []
    for position, report, institution in rows:
        envelope = crypto.decode_envelope(report.envelope)
        sealed_to = {wrap.wrapped for wrap in envelope.recipients}
        recipients = await session.execute(
            select(ReportRecipient.body_id, ReportRecipient.wrapped_key).where(
                ReportRecipient.report_id == report.id
            )
        )
        bodies = sorted(
            codes.get(body_id, f"body-{body_id}") for body_id, wrapped in recipients if wrapped in sealed_to
        )
        at_home = any(homes.get(code) == institution for code in bodies)
        letters.append(
            LetterRow(
                position=position,
                report_id=str(report.id) if full else "",
                report_type=report.report_type.value,
                signed=envelope.header().with_identity,
                claimed=report.lookup_verifier is not None,
                bodies=bodies if full or at_home else [],
                at_home=at_home,
            )
        )
    return letters


async def _written(session: AsyncSession, opening_id: uuid.UUID) -> int:
    """How many letters of an opening are recorded."""
    found = await session.scalar(
        select(func.count()).select_from(BoxLetter).where(BoxLetter.opening_id == opening_id)
    )
    return int(found or 0)


# -- letters -----------------------------------------------------------------------------
class SlipView(msgspec.Struct, frozen=True):
    """A slip's record as the transcriber's device needs it (PROTOCOL.md §13)."""

    claim_id: bytes
    lookup_verifier: bytes
    reporter_key: bytes
    sealed_thread_key: bytes


async def slip_for_claim(session: AsyncSession, scope: Scope, claim_id: bytes) -> SlipView:
    """The record of an unclaimed slip; ``intake.NotFoundError`` for a wrong or used code."""
    _transcriber(scope)
    claim = await session.get(SlipClaim, claim_id)
    if claim is None or claim.report_id is not None or claim.sealed_thread_key is None:
        raise intake.NotFoundError
    assert claim.lookup_verifier is not None  # noqa: S101 - unclaimed
    assert claim.reporter_key is not None  # noqa: S101
    return SlipView(claim.claim_id, claim.lookup_verifier, claim.reporter_key, claim.sealed_thread_key)


class LetterReceipt(msgspec.Struct, frozen=True):
    position: int
    receipt: Receipt


async def _replayed(
    session: AsyncSession, trusted: Trusted, opening_id: uuid.UUID, submission: Submission
) -> LetterReceipt | None:
    report_id = uuid.UUID(submission.envelope.report_id)
    receipt = await intake.existing_receipt(
        session, trusted, report_id, intake.envelope_digest(submission.envelope)
    )
    if receipt is None:
        return None
    letter = await session.scalar(select(BoxLetter).where(BoxLetter.report_id == report_id))
    if letter is None or letter.opening_id != opening_id:
        raise intake.ReportIdConflictError
    return LetterReceipt(letter.position, receipt)


async def add_letter(
    session: AsyncSession,
    trusted: Trusted,
    officer: Officer,
    scope: Scope,
    opening_id: uuid.UUID,
    *,
    submission: Submission,
    claim_id: bytes | None,
    now: datetime,
) -> LetterReceipt:
    """Store a transcribed letter as a report of channel "box" (commits). A repeat of the
    same sealed letter gets the same receipt; nothing is stored when anything is refused."""
    _transcriber(scope)
    opening, box = await _opening_in_scope(session, scope, opening_id, lock=True)
    replay = await _replayed(session, trusted, opening.id, submission)
    if replay is not None:
        return replay
    if opening.closed_at is not None:
        raise intake.ConflictError
    institution = await session.get(Institution, box.institution_id)
    routing = submission.envelope.routing
    if routing.channel != Channel.BOX.value or institution is None or routing.institution != institution.code:
        raise BoxRefusedError
    if submission.attachments and len(submission.attachments) > 1:
        raise BoxRefusedError  # one photo or scan of the letter
    claim = None if claim_id is None else await session.get(SlipClaim, claim_id, with_for_update=True)
    if claim_id is not None and (claim is None or claim.report_id is not None):
        raise intake.NotFoundError
    if claim is None and submission.envelope.reporter_key is not None:
        raise BoxRefusedError  # a box letter has a token only through a slip
    if claim is not None and (
        submission.lookup_verifier != claim.lookup_verifier
        or submission.envelope.reporter_key != claim.reporter_key
    ):
        raise BoxRefusedError
    if claim is not None and await session.scalar(
        select(Report.id).where(Report.lookup_verifier == claim.lookup_verifier)
    ):
        raise SlipUsedError  # someone who saw the stub filed with its token first
    written = await _written(session, opening.id)
    if written >= opening.letter_count:
        raise intake.ConflictError  # every counted letter is already here
    planned = intake.plan_submission(trusted, submission, now)
    uploads = await intake.complete_uploads(session, planned.attachments)
    await intake.add_planned(session, [planned])
    for upload in uploads:
        upload.report_id = planned.report_id
    position = written + 1
    session.add(BoxLetter(opening_id=opening.id, position=position, report_id=planned.report_id))
    if claim is not None:
        claim.report_id = planned.report_id
        claim.claimed_hour = round_down_to_hour(now)
        claim.lookup_verifier = claim.reporter_key = claim.sealed_thread_key = None
    await append_audit(
        session,
        at=now,
        actor=actor(officer),
        action="box.letter",
        subject=f"opening:{opening.id}",
        details={"position": position, "report": str(planned.report_id), "slip": claim is not None},
    )
    await session.commit()
    return LetterReceipt(position, intake.receipt_of(planned))


async def correct_count(
    session: AsyncSession,
    officer: Officer,
    scope: Scope,
    opening_id: uuid.UUID,
    *,
    letter_count: int,
    now: datetime,
) -> BoxOpening:
    """Correct an open opening's count of letters (a miscount would otherwise leave it unable
    to close, or letters unable to be entered); never below the letters already recorded.
    Audited with both counts (the caller commits)."""
    _transcriber(scope)
    opening, box = await _opening_in_scope(session, scope, opening_id, lock=True)
    written = await _written(session, opening.id)
    if opening.closed_at is not None:
        raise intake.ConflictError
    if not written <= letter_count <= 500:
        raise BoxRefusedError
    await append_audit(
        session,
        at=now,
        actor=actor(officer),
        action="box.count.corrected",
        subject=f"opening:{opening.id}",
        details={"box": box.code, "from": opening.letter_count, "to": letter_count},
    )
    opening.letter_count = letter_count
    return opening


# -- minutes -----------------------------------------------------------------------------
async def minutes_facts(
    session: AsyncSession, trusted: Trusted, scope: Scope, opening_id: uuid.UUID, language: str
) -> documents.MinutesFacts:
    """What the minutes of a finished transcription say; ``intake.ConflictError`` while
    letters are missing or once the minutes are made."""
    _transcriber(scope)
    opening, box = await _opening_in_scope(session, scope, opening_id)
    info = await _info(session, trusted, opening, box)
    if opening.closed_at is not None or len(info.letters) != opening.letter_count:
        raise intake.ConflictError
    institution = await session.get(Institution, box.institution_id)
    province = None if institution is None else await session.get(Province, institution.province_id)
    entries = {entry.body: entry for entry in trusted.directory.bodies}

    def name(code: str) -> str:
        entry = entries.get(code)
        if entry is None:
            return code
        return entry.name_fa if language == "fa" else entry.name_en

    away = catalogue(language).gettext("boxes.minutes.bodies_withheld")
    letters = []
    for row, report in zip(info.letters, await _reports(session, info.letters), strict=True):
        at_home = row.at_home  # routed to an office of this institution: its category may be shown
        letters.append(
            documents.MinutesLetter(
                number=row.position,
                report_type=row.report_type,
                signed=row.signed,
                category=report.category if at_home else None,
                # The bodies of a letter routed away would tell its category: not named.
                bodies=[name(code) for code in row.bodies] if at_home else [away],
            )
        )

    def named(fa: str, en: str) -> str:
        return fa if language == "fa" else en

    return documents.MinutesFacts(
        opening_id=info.opening_id,
        institution_name=named(institution.name_fa, institution.name_en) if institution else "",
        province_name=named(province.name_fa, province.name_en) if province else "",
        box_code=box.code,
        box_place=box.place,
        opened_at=opening.opened_at,
        week_start=info.week_start,
        transcriber_name=info.transcriber,
        witnesses=info.witnesses,
        seal_numbers=info.seal_numbers,
        letter_count=opening.letter_count,
        letters=letters,
    )


async def _reports(session: AsyncSession, rows: list[LetterRow]) -> list[Report]:
    found = []
    for row in rows:
        report = await session.get(Report, uuid.UUID(row.report_id))
        assert report is not None  # noqa: S101 - a foreign key
        found.append(report)
    return found


async def close_opening(
    session: AsyncSession,
    officer: Officer,
    scope: Scope,
    opening_id: uuid.UUID,
    *,
    minutes: bytes,
    letters: int,
    now: datetime,
) -> bytes:
    """Keep the minutes made for ``letters`` letters and close the opening (the caller
    commits); the SHA-256 goes into the audit log too. ``intake.ConflictError`` if the
    opening changed since the minutes were made."""
    _transcriber(scope)
    opening, box = await _opening_in_scope(session, scope, opening_id, lock=True)
    written = await _written(session, opening.id)
    if opening.closed_at is not None or written != letters or letters != opening.letter_count:
        raise intake.ConflictError
    digest = hashlib.sha256(minutes).digest()
    opening.minutes = minutes
    opening.minutes_sha256 = digest
    opening.closed_at = now
    await append_audit(
        session,
        at=now,
        actor=actor(officer),
        action="box.minutes",
        subject=f"opening:{opening.id}",
        details={"box": box.code, "letters": letters, "sha256": digest.hex()},
    )
    return digest


async def made_minutes(session: AsyncSession, scope: Scope, opening_id: uuid.UUID) -> bytes | None:
    """The SHA-256 of an opening's minutes once they are made (None before)."""
    _transcriber(scope)
    opening, _ = await _opening_in_scope(session, scope, opening_id)
    return opening.minutes_sha256


async def minutes_of(session: AsyncSession, scope: Scope, opening_id: uuid.UUID) -> bytes:
    opening, _ = await _opening_in_scope(session, scope, opening_id)
    if opening.minutes is None:
        raise intake.NotFoundError
    return opening.minutes


async def verify_minutes(session: AsyncSession, pdf: bytes) -> str | None:
    """The id of the opening whose recorded minutes are exactly these bytes (None: none)."""
    digest = hashlib.sha256(pdf).digest()
    found = await session.scalar(select(BoxOpening.id).where(BoxOpening.minutes_sha256 == digest))
    return None if found is None else str(found)


# -- slips (operators) -------------------------------------------------------------------
def make_slips(
    count: int,
    progress: Callable[[int, int], None],
    params: crypto.Argon2Params = crypto.TOKEN_PARAMS_V1,
    workers: int = 2,
) -> list[crypto.Slip]:
    """``count`` new slips, two Argon2id runs each, on ``workers`` threads (Argon2 releases
    the interpreter lock), reporting each one made."""
    if not 1 <= count <= MAX_SLIPS:
        raise ValueError(f"a batch has 1 to {MAX_SLIPS} slips")
    made: list[crypto.Slip] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for slip in pool.map(lambda _: crypto.new_slip(params), range(count)):
            made.append(slip)
            progress(len(made), count)
    return made


async def store_batch(database: Database, slips: Sequence[crypto.Slip], creator: str, now: datetime) -> int:
    """Keep the slips' records (never their tokens or claim codes); the batch's number."""
    async with database.write_session() as session:
        batch = SlipBatch(created_at=now, created_by=creator, count=len(slips))
        session.add(batch)
        await session.flush()
        session.add_all(
            SlipClaim(
                claim_id=slip.record.claim_id,
                batch_id=batch.id,
                lookup_verifier=slip.record.lookup_verifier,
                reporter_key=slip.record.reporter_key,
                sealed_thread_key=slip.record.sealed_thread_key,
                report_id=None,
                claimed_hour=None,
            )
            for slip in slips
        )
        await append_audit(
            session,
            at=now,
            actor=creator,
            action="slips.made",
            subject=f"batch:{batch.id}",
            details={"count": len(slips)},
        )
        await session.commit()
        return batch.id


async def generate_batch(
    database: Database,
    count: int,
    *,
    creator: str,
    now: datetime,
    progress: Callable[[str, int, int], None],
    language: str = "fa",
    params: crypto.Argon2Params = crypto.TOKEN_PARAMS_V1,
) -> bytes:
    """Make, store and print a batch: the PDF is the only place its tokens exist afterwards.
    ``progress(stage, done, total)`` with stage ``slips`` then ``pages``."""
    slips = await asyncio.to_thread(make_slips, count, lambda d, t: progress("slips", d, t), params)
    batch_id = await store_batch(database, slips, creator, now)
    faces = [
        documents.SlipFace(number, slip.token.digits, slip.claim_code.digits)
        for number, slip in enumerate(slips, start=1)
    ]
    del slips
    label = f"{batch_id}"
    return await asyncio.to_thread(
        documents.render_slips,
        faces,
        batch_label=label,
        language=language,
        progress=lambda d, t: progress("pages", d, t),
    )
