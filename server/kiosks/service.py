"""Kiosk devices: an operator makes a kiosk for an institution (a one-time enrolment code),
the kiosk enrols its own Ed25519 key with the code, an operator approves that key after
comparing its fingerprint with the one the kiosk's screen shows, and may revoke it.

A report whose routing says ``channel: kiosk`` is accepted only with a valid signature of an
approved kiosk of the report's institution (PROTOCOL.md §12). The check proves the channel;
nothing about it is stored with the report, and no kiosk row records when it last sent.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import crypto
from server.audit import append_audit
from server.console import credentials
from server.db.models import Institution, Kiosk, KioskState
from server.errors import SedaError
from server.intake.service import NotFoundError

ENROLMENT_DAYS = 7
# A signed request's time may differ from the server's by this much (clock drift, queues).
CLOCK_SKEW = timedelta(minutes=5)
KIOSK_HEADER = "x-seda-kiosk"
TIME_HEADER = "x-seda-kiosk-time"
SIGNATURE_HEADER = "x-seda-kiosk-signature"
_KIOSK_ID = re.compile(r"[0-9]{1,9}")
_UNIX_TIME = re.compile(r"[0-9]{1,12}")


class KioskRefusedError(SedaError):
    """Not signed by an approved kiosk of the report's institution (or not at all)."""

    code = "kiosk-refused"


class KioskEnrolmentError(SedaError):
    """A wrong, used or expired enrolment code, or a key already enrolled."""

    code = "unauthorized"


class KioskStateError(SedaError):
    """The kiosk is not in the state the act needs (approve an enrolled kiosk, and so on)."""

    code = "conflict"


class KioskInfo(msgspec.Struct, frozen=True):
    id: int
    institution: str
    label: str
    state: str
    fingerprint: str | None
    created_at: datetime
    approved_at: datetime | None
    revoked_at: datetime | None


class KioskEnrolled(msgspec.Struct, frozen=True):
    """What the kiosk shows after enrolling: the operator compares the fingerprint."""

    kiosk_id: int
    institution: str
    fingerprint: str


async def create_kiosk(
    session: AsyncSession, *, institution: str, label: str, now: datetime, by: str
) -> tuple[Kiosk, str]:
    """A kiosk waiting for its device, and the one-time code (shown once; not committed)."""
    institution_id = await session.scalar(select(Institution.id).where(Institution.code == institution))
    if institution_id is None:
        raise NotFoundError
    code = credentials.new_enrolment_code()
    kiosk = Kiosk(
        institution_id=institution_id,
        label=label,
        state=KioskState.CREATED,
        created_at=now,
        enrolment_code_hash=credentials.enrolment_code_hash(code),
        enrolment_expires_at=now + timedelta(days=ENROLMENT_DAYS),
    )
    session.add(kiosk)
    await session.flush()
    await append_audit(
        session,
        at=now,
        actor=by,
        action="kiosk.created",
        subject=f"kiosk:{kiosk.id}",
        details={"institution": institution},
    )
    return kiosk, code


async def enrol_kiosk(session: AsyncSession, code: str, public_key: bytes, now: datetime) -> KioskEnrolled:
    """Bind the kiosk's own public key to the kiosk a valid code belongs to (not committed)."""
    typed = credentials.enrolment_code_hash(code)
    kiosk = await session.scalar(select(Kiosk).where(Kiosk.enrolment_code_hash == typed).with_for_update())
    if (
        kiosk is None
        or kiosk.state != KioskState.CREATED
        or kiosk.enrolment_expires_at is None
        or now >= kiosk.enrolment_expires_at
        or len(public_key) != 32
        or await session.scalar(select(Kiosk.id).where(Kiosk.public_key == public_key)) is not None
    ):
        raise KioskEnrolmentError
    kiosk.public_key = public_key
    kiosk.state = KioskState.ENROLLED
    kiosk.enrolled_at = now
    kiosk.enrolment_code_hash = None
    kiosk.enrolment_expires_at = None
    subject = f"kiosk:{kiosk.id}"
    await append_audit(session, at=now, actor=subject, action="kiosk.enrolled", subject=subject)
    institution = await session.get_one(Institution, kiosk.institution_id)
    return KioskEnrolled(kiosk.id, institution.code, crypto.key_fingerprint(public_key))


async def approve_kiosk(
    session: AsyncSession, kiosk_id: int, fingerprint: str, now: datetime, by: str
) -> Kiosk:
    """Approve an enrolled kiosk whose key has the fingerprint the operator read on its screen."""
    kiosk = await _kiosk(session, kiosk_id)
    if kiosk.state != KioskState.ENROLLED or kiosk.public_key is None:
        raise KioskStateError
    if _digits(fingerprint) != _digits(crypto.key_fingerprint(kiosk.public_key)):
        raise KioskRefusedError  # the key the server holds is not the one on the kiosk
    kiosk.state = KioskState.APPROVED
    kiosk.approved_at = now
    kiosk.approved_by = by[:40]
    await append_audit(session, at=now, actor=by, action="kiosk.approved", subject=f"kiosk:{kiosk.id}")
    return kiosk


async def revoke_kiosk(session: AsyncSession, kiosk_id: int, now: datetime, by: str) -> Kiosk:
    """A revoked kiosk's requests are refused from now on (its outbox stays on the device)."""
    kiosk = await _kiosk(session, kiosk_id)
    if kiosk.state == KioskState.REVOKED:
        raise KioskStateError
    kiosk.state = KioskState.REVOKED
    kiosk.revoked_at = now
    kiosk.enrolment_code_hash = None
    await append_audit(session, at=now, actor=by, action="kiosk.revoked", subject=f"kiosk:{kiosk.id}")
    return kiosk


async def kiosks(session: AsyncSession) -> list[KioskInfo]:
    rows = await session.execute(select(Kiosk, Institution.code).join(Institution).order_by(Kiosk.id))
    return [_info(kiosk, institution) for kiosk, institution in rows.all()]


async def kiosk_info(session: AsyncSession, kiosk: Kiosk) -> KioskInfo:
    return _info(kiosk, (await session.get_one(Institution, kiosk.institution_id)).code)


def _info(kiosk: Kiosk, institution: str) -> KioskInfo:
    return KioskInfo(
        kiosk.id,
        institution,
        kiosk.label,
        kiosk.state.value,
        crypto.key_fingerprint(kiosk.public_key) if kiosk.public_key else None,
        kiosk.created_at,
        kiosk.approved_at,
        kiosk.revoked_at,
    )


async def _kiosk(session: AsyncSession, kiosk_id: int) -> Kiosk:
    kiosk = await session.get(Kiosk, kiosk_id, with_for_update=True)
    if kiosk is None:
        raise NotFoundError
    return kiosk


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


async def signing_kiosk(
    session: AsyncSession, headers: Mapping[str, str], *, method: str, path: str, body: bytes, now: datetime
) -> tuple[int, str] | None:
    """The (kiosk id, institution code) of an approved kiosk that signed this request; None
    when the request carries no kiosk headers; ``KioskRefusedError`` for a bad signature, an
    unknown, unapproved or revoked kiosk, or a time too far from now."""
    raw_id = headers.get(KIOSK_HEADER)
    if raw_id is None:
        return None
    raw_time = headers.get(TIME_HEADER, "")
    if not (_KIOSK_ID.fullmatch(raw_id) and _UNIX_TIME.fullmatch(raw_time)):
        raise KioskRefusedError  # bounded digits: no overflow reaches the database or a float
    kiosk_id, unix_time = int(raw_id), int(raw_time)
    try:
        signature = base64.b64decode(headers.get(SIGNATURE_HEADER, ""), validate=True)
    except (ValueError, binascii.Error):
        raise KioskRefusedError from None
    if abs(now.timestamp() - unix_time) > CLOCK_SKEW.total_seconds():
        raise KioskRefusedError
    row = (
        await session.execute(
            select(Kiosk.public_key, Kiosk.state, Institution.code)
            .join(Institution)
            .where(Kiosk.id == kiosk_id)
        )
    ).first()
    if row is None or row.state != KioskState.APPROVED or row.public_key is None:
        raise KioskRefusedError
    try:
        crypto.verify_request(
            row.public_key, signature, crypto.KioskRequest(kiosk_id, method, path, unix_time, body)
        )
    except crypto.RequestSignatureError:
        raise KioskRefusedError from None
    return kiosk_id, row.code
