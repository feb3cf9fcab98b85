"""Officer accounts: creation, enrolment, sign-in with lock-out, sessions (docs/CONSOLE.md).

The server never sees a passphrase or an officer's private seed: it stores the salt it made,
the public key and the sealed seed the device sent, and an Argon2id hash of the device's
authentication value. Every sign-in, failed or not, and every administrative act is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

import crypto
from crypto.primitives import key_id
from server.audit import append_audit
from server.console import credentials
from server.console.schemas import (
    BodyInfo,
    EnrolmentAccount,
    EnrolmentComplete,
    Grant,
    Me,
    OfficerInfo,
    TotpSetup,
)
from server.db.models import Body, BodyKeyGrant, Officer, OfficerRole, OfficerSession
from server.errors import SedaError
from server.intake.abuse import shared_secret

ENROLMENT_DAYS = 7
LOCK_AFTER_FAILURES = 5
FIRST_LOCK_SECONDS = 60
LONGEST_LOCK_SECONDS = 3600
SALT_SECRET = "console-salt"  # noqa: S105 (the name of the row that holds it, not a secret)
# Roles whose accounts belong to a body (the others work across bodies, or at the terminal).
BODY_ROLES = frozenset({OfficerRole.OFFICER, OfficerRole.BODY_ADMIN})
# A box transcriber's account also names a body (the inspection unit it works for), which sets
# the boxes it may record (docs/BOXES.md), and a summary reader's the body whose reach sets the
# summaries it may read (docs/SUMMARIES.md); neither is a body role: they read no report.
ACCOUNTS_WITH_A_BODY = BODY_ROLES | {OfficerRole.BOX_TRANSCRIBER, OfficerRole.SUMMARY_READER}


class UnauthorizedError(SedaError):
    """A wrong username, passphrase, second factor, enrolment code or session: one answer."""

    code = "unauthorized"


class ForbiddenError(SedaError):
    """Signed in, but this account's role or body may not do this."""

    code = "forbidden"


class AccountExistsError(SedaError):
    code = "conflict"


def actor(officer: Officer) -> str:
    return f"officer:{officer.id}"


async def create_officer(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    role: OfficerRole,
    body_id: int | None,
    now: datetime,
    by: str,
) -> tuple[Officer, str]:
    """A new account waiting for enrolment, and its one-time code (shown once; not committed)."""
    if (role in ACCOUNTS_WITH_A_BODY) != (body_id is not None):
        raise ForbiddenError
    salt_secret = await shared_secret(session, SALT_SECRET)  # first: making it commits
    if await session.scalar(select(Officer.id).where(Officer.username == username)) is not None:
        raise AccountExistsError
    code = credentials.new_enrolment_code()
    officer = Officer(
        username=username,
        display_name=display_name,
        role=role,
        body_id=body_id,
        active=True,
        created_at=now,
        enrolment_code_hash=credentials.enrolment_code_hash(code),
        enrolment_expires_at=now + timedelta(days=ENROLMENT_DAYS),
        # The salt /salt shows for this username before the account existed: the answer does
        # not change when an account is made or enrolled, so it tells nobody either happened.
        key_salt=credentials.unknown_account_salt(salt_secret, username),
        failed_signins=0,
    )
    session.add(officer)
    await session.flush()
    await append_audit(
        session,
        at=now,
        actor=by,
        action="officer.created",
        subject=f"officer:{officer.id}",
        details={"role": role.value, "body_id": body_id},
    )
    return officer, code


async def _enrolling(session: AsyncSession, username: str, code: str, now: datetime) -> Officer:
    """The account a valid, unexpired, unused code belongs to; ``UnauthorizedError`` else.
    Its row is locked (PostgreSQL) so that two enrolment steps never interleave."""
    officer = await session.scalar(select(Officer).where(Officer.username == username).with_for_update())
    expected = officer.enrolment_code_hash if officer else None
    valid = (
        officer is not None
        and officer.active
        and expected is not None
        and officer.enrolment_expires_at is not None
        and now < officer.enrolment_expires_at
        and credentials.same_hash(expected, credentials.enrolment_code_hash(code))
    )
    if not valid or officer is None:
        raise UnauthorizedError
    return officer


async def body_info(session: AsyncSession, body_id: int | None) -> BodyInfo | None:
    if body_id is None:
        return None
    body = await session.get_one(Body, body_id)
    return BodyInfo(body.code, body.name_fa, body.name_en, body.body_type)


async def begin_enrolment(session: AsyncSession, username: str, code: str, now: datetime) -> EnrolmentAccount:
    officer = await _enrolling(session, username, code, now)
    if officer.key_salt is None:  # made with the account: only a hand-made row lacks one
        raise UnauthorizedError
    return EnrolmentAccount(
        officer.key_salt, officer.display_name, officer.role.value, await body_info(session, officer.body_id)
    )


async def complete_enrolment(session: AsyncSession, request: EnrolmentComplete, now: datetime) -> TotpSetup:
    """Store the keys the device made and start the second factor (not committed). A repeat
    before confirmation replaces both: the device may have failed half way."""
    officer = await _enrolling(session, request.username, request.code, now)
    officer.public_key = request.public_key
    officer.key_id = key_id(request.public_key)
    officer.protected_seed = request.protected_seed
    officer.password_hash = await credentials.hash_auth_value(request.auth_value)
    officer.totp_secret = credentials.new_totp_secret()
    officer.totp_last_step = None
    return TotpSetup(
        credentials.totp_text(officer.totp_secret),
        credentials.totp_uri(officer.totp_secret, officer.username),
    )


async def confirm_enrolment(session: AsyncSession, username: str, code: str, totp: str, now: datetime) -> str:
    """Finish enrolment with a first code from the authenticator; returns the fingerprint."""
    officer = await _enrolling(session, username, code, now)
    if officer.totp_secret is None or officer.public_key is None:
        raise UnauthorizedError
    step = credentials.accepted_totp_step(officer.totp_secret, totp, officer.totp_last_step, now)
    if step is None:
        raise UnauthorizedError
    officer.totp_last_step = step
    officer.enrolment_code_hash = None
    officer.enrolment_expires_at = None
    officer.enrolled_at = now
    await append_audit(
        session, at=now, actor=actor(officer), action="officer.enrolled", subject=actor(officer)
    )
    return crypto.key_fingerprint(officer.public_key)


async def salt_for(session: AsyncSession, username: str, server_secret: bytes) -> bytes:
    """The account's salt, or a stable made-up one for a username without an enrolled account."""
    officer = await session.scalar(select(Officer).where(Officer.username == username))
    if officer is not None and officer.enrolled_at is not None and officer.key_salt is not None:
        return officer.key_salt
    return credentials.unknown_account_salt(server_secret, username)


def _lock_seconds(failures: int) -> int:
    doublings = min(10, max(0, failures - LOCK_AFTER_FAILURES))
    return min(LONGEST_LOCK_SECONDS, FIRST_LOCK_SECONDS << doublings)


async def stored_hash(session: AsyncSession, username: str) -> str | None:
    """The first step of a sign-in, in a read transaction: the hash to check the device's
    value against (``None`` for an unknown, inactive or unenrolled account). The Argon2id
    check runs after it, outside any write transaction, so that slow checks hold no lock."""
    officer = await session.scalar(select(Officer).where(Officer.username == username))
    if officer is None or not officer.active or officer.enrolled_at is None:
        return None
    return officer.password_hash


async def sign_in(
    session: AsyncSession,
    username: str,
    matched_hash: str | None,
    totp: str,
    *,
    now: datetime,
    lifetime: timedelta,
) -> tuple[Officer, str, str]:
    """The second step: ``matched_hash`` is the stored hash the device's value matched, or
    ``None``. With the account's row locked (one sign-in at a time per account, so no
    failure goes uncounted and no code is taken twice) the code is checked; a new session's
    cookie value and anti-forgery token are returned (not committed).

    Failures are counted and audited; five in a row lock the account for a minute, doubling
    up to an hour. A locked account answers exactly as a wrong passphrase does (and after
    the same Argon2id run), so the lock tells nobody that the account exists or that a guess
    was right."""
    officer = await session.scalar(select(Officer).where(Officer.username == username).with_for_update())
    if officer is not None and officer.locked_until is not None and now < officer.locked_until:
        await append_audit(
            session, at=now, actor="system", action="officer.sign_in_locked", subject=actor(officer)
        )
        raise UnauthorizedError
    usable = (
        officer is not None
        and officer.active
        and officer.enrolled_at is not None
        and matched_hash is not None
        and officer.password_hash == matched_hash  # not changed since the check
    )
    step = None
    if usable and officer is not None and officer.totp_secret is not None:
        step = credentials.accepted_totp_step(officer.totp_secret, totp, officer.totp_last_step, now)
    if officer is None or step is None:
        if officer is not None:
            officer.failed_signins += 1
            if officer.failed_signins >= LOCK_AFTER_FAILURES:
                officer.locked_until = now + timedelta(seconds=_lock_seconds(officer.failed_signins))
        subject = actor(officer) if officer is not None else "officer:unknown"
        await append_audit(session, at=now, actor="system", action="officer.sign_in_failed", subject=subject)
        raise UnauthorizedError
    officer.failed_signins = 0
    officer.locked_until = None
    officer.totp_last_step = step
    cookie, cookie_hash = credentials.new_cookie_value()
    csrf, csrf_hash = credentials.new_csrf_token()
    session.add(
        OfficerSession(
            cookie_hash=cookie_hash,
            officer_id=officer.id,
            csrf_hash=csrf_hash,
            created_at=now,
            expires_at=now + lifetime,
            last_seen_at=now,
        )
    )
    await append_audit(
        session, at=now, actor=actor(officer), action="officer.signed_in", subject=actor(officer)
    )
    return officer, cookie, csrf


async def signed_in(
    session: AsyncSession, cookie: str | None, now: datetime, idle: timedelta
) -> tuple[Officer, OfficerSession]:
    """The live session of a cookie (its last-seen time moved on; not committed)."""
    if not cookie:
        raise UnauthorizedError
    found = await session.get(OfficerSession, credentials.cookie_hash(cookie))
    if found is None:
        raise UnauthorizedError
    if now >= found.expires_at or now - found.last_seen_at >= idle:
        # Ended for good (committed now): a clock set back later must not revive it.
        await session.delete(found)
        await session.commit()
        raise UnauthorizedError
    officer = await session.get(Officer, found.officer_id)
    if officer is None or not officer.active:
        raise UnauthorizedError
    found.last_seen_at = now
    return officer, found


async def sign_out(session: AsyncSession, officer: Officer, current: OfficerSession, now: datetime) -> None:
    await session.delete(current)
    await append_audit(
        session, at=now, actor=actor(officer), action="officer.signed_out", subject=actor(officer)
    )


async def officer_info(session: AsyncSession, officer: Officer) -> OfficerInfo:
    return OfficerInfo(
        officer.id,
        officer.username,
        officer.display_name,
        officer.role.value,
        await body_info(session, officer.body_id),
    )


async def my_keys(session: AsyncSession, officer: Officer, now: datetime) -> Me:
    """The officer's sealed keys and grants (a key fetch: audited; not committed)."""
    if officer.public_key is None or officer.protected_seed is None or officer.key_salt is None:
        raise UnauthorizedError
    grants = await session.scalars(select(BodyKeyGrant).where(BodyKeyGrant.officer_id == officer.id))
    await append_audit(
        session, at=now, actor=actor(officer), action="officer.keys_fetched", subject=actor(officer)
    )
    return Me(
        officer=await officer_info(session, officer),
        salt=officer.key_salt,
        public_key=officer.public_key,
        protected_seed=officer.protected_seed,
        grants=[Grant(g.body_key_id, g.grant) for g in grants],
    )


async def deactivate(session: AsyncSession, target: Officer, by: Officer | None, now: datetime) -> None:
    """End an account: no sign-in, no sessions, no grants (rotate the body key afterwards)."""
    target.active = False
    await session.execute(delete(OfficerSession).where(OfficerSession.officer_id == target.id))
    await session.execute(delete(BodyKeyGrant).where(BodyKeyGrant.officer_id == target.id))
    await append_audit(
        session,
        at=now,
        actor=actor(by) if by else "operator",
        action="officer.deactivated",
        subject=f"officer:{target.id}",
    )


async def store_grant(
    session: AsyncSession,
    target: Officer,
    *,
    body_key_id: bytes,
    grant: bytes,
    by: Officer | None,
    now: datetime,
) -> None:
    """Keep a grant made on an administrator's device (or the demo's), replacing an older one."""
    if target.body_id is None or target.key_id is None or target.enrolled_at is None or not target.active:
        raise ForbiddenError  # a key is granted to a confirmed enrolment only
    await session.execute(
        delete(BodyKeyGrant).where(
            BodyKeyGrant.officer_id == target.id, BodyKeyGrant.body_key_id == body_key_id
        )
    )
    session.add(
        BodyKeyGrant(
            officer_id=target.id,
            body_key_id=body_key_id,
            body_id=target.body_id,
            grant=grant,
            granted_by=by.id if by else None,
            granted_at=now.astimezone(UTC),
        )
    )
    await append_audit(
        session,
        at=now,
        actor=actor(by) if by else "operator",
        action="officer.body_key_granted",
        subject=f"officer:{target.id}",
        details={"body_id": target.body_id},
    )
