"""The signed key directory and routing policy the server publishes and routes with.

An operator publishes documents made at a key ceremony (``seda publish``); each is verified
against the root public key before it is stored, and again when a process loads it. The
newest directory, and the policy it names, are cached per process and reloaded when a newer
one appears, so several server processes agree without talking to each other.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import crypto
from crypto.directory import decode_signed
from routing.decide import Directory, directory_from_signed
from routing.errors import PolicyError
from routing.policy import Policy, load_signed_policy, parse_policy
from server.db.models import Body, Institution, PublishedDocument
from server.errors import SedaError

DIRECTORY = "directory"
POLICY = "policy"


class NotPublishedError(SedaError):
    """No valid (verified, unexpired) directory and policy are published."""

    code = "not-published"


class PublishError(Exception):
    """A document an operator tried to publish is refused (the message says why)."""


class Trusted(msgspec.Struct, frozen=True, kw_only=True):
    """What one process routes with: the verified directory and policy, and lookups."""

    serial: int
    expires_at: datetime
    # The root public key the documents verified against: the key pages hand the browser
    # to pin (SEDA_ROOT_PUBLIC_KEY, or the key recorded at publication in a demo).
    root_public_key: bytes
    directory: crypto.KeyDirectory
    routing: Directory
    policy: Policy
    directory_signed: bytes
    policy_signed: bytes
    public_keys: dict[str, bytes]  # body code -> X-Wing public key
    key_ids: dict[str, bytes]  # body code -> key id
    body_ids: dict[str, int]  # body code -> bodies.id
    institution_ids: dict[str, int]


class TrustStore:
    """The per-process cache of the published documents.

    Whether a newer document was published is asked at most every ``recheck`` seconds (one
    query saved per request); a process picks up a new directory within that time, and a
    client that sealed with the newer one meanwhile is told its directory is stale and
    retries (docs/API.md).
    """

    def __init__(
        self, pinned_root: bytes | None, recheck: float = 1.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.pinned_root = pinned_root
        self.recheck = recheck
        self.monotonic = monotonic
        self._cached: tuple[tuple[int, int], Trusted] | None = None
        self._checked_at = float("-inf")

    def invalidate(self) -> None:
        """Ask the database at the next call (a client has seen a newer directory)."""
        self._checked_at = float("-inf")

    def fresh(self, now: datetime) -> Trusted | None:
        """The cached documents if they were checked less than ``recheck`` ago and are valid."""
        if self._cached is None or self.monotonic() - self._checked_at >= self.recheck:
            return None
        trusted = self._cached[1]
        return trusted if now < trusted.expires_at else None

    async def current(self, session: AsyncSession, now: datetime) -> Trusted:
        """The trusted documents now; ``NotPublishedError`` if none are valid."""
        if self._cached is None or self.monotonic() - self._checked_at >= self.recheck:
            newest = await _newest_ids(session)
            if newest is None:
                raise NotPublishedError
            if self._cached is None or self._cached[0] != newest:
                self._cached = (newest, await self._load(session, newest, now))
            self._checked_at = self.monotonic()
        trusted = self._cached[1]
        if now >= trusted.expires_at:
            raise NotPublishedError
        return trusted

    async def _load(self, session: AsyncSession, newest: tuple[int, int], now: datetime) -> Trusted:
        directory_row = await session.get_one(PublishedDocument, newest[0])
        root = self.pinned_root or directory_row.root_public_key
        try:
            directory = crypto.verify_directory(decode_signed(directory_row.signed), root, now=now)
        except crypto.CryptoError:
            raise NotPublishedError from None
        policy_row, policy = await _policy_named_by(session, directory, root)
        bodies = dict((await session.execute(select(Body.code, Body.id))).all())
        institutions = dict((await session.execute(select(Institution.code, Institution.id))).all())
        return Trusted(
            serial=directory.serial,
            expires_at=_instant(directory.expires_at),
            root_public_key=root,
            directory=directory,
            routing=directory_from_signed(directory),
            policy=policy,
            directory_signed=directory_row.signed,
            policy_signed=policy_row.signed,
            public_keys={entry.body: entry.public_key for entry in directory.bodies},
            key_ids={entry.body: entry.key_id for entry in directory.bodies},
            body_ids=bodies,
            institution_ids=institutions,
        )


async def _newest_ids(session: AsyncSession) -> tuple[int, int] | None:
    newest = select(PublishedDocument.kind, func.max(PublishedDocument.id)).group_by(PublishedDocument.kind)
    rows = dict((await session.execute(newest)).all())
    if DIRECTORY not in rows or POLICY not in rows:
        return None
    return rows[DIRECTORY], rows[POLICY]


async def _policy_named_by(
    session: AsyncSession, directory: crypto.KeyDirectory, root: bytes
) -> tuple[PublishedDocument, Policy]:
    rows = await session.scalars(
        select(PublishedDocument)
        .where(PublishedDocument.kind == POLICY)
        .order_by(PublishedDocument.id.desc())
        .limit(20)
    )
    for row in rows:
        try:
            return row, load_signed_policy(decode_signed(row.signed), root, directory.policy)
        except (PolicyError, crypto.CryptoError):
            continue
    raise NotPublishedError


async def earlier_key_ids(
    session: AsyncSession, serial: int, root: bytes, now: datetime
) -> dict[str, bytes] | None:
    """Body → key id of the published directory with ``serial``, if it still verifies and has
    not expired (a kiosk's outbox may hold a report sealed under it: docs/KEYS.md); None
    otherwise. Expiry bounds how long a rotated body's old key is taken."""
    row = await session.scalar(
        select(PublishedDocument).where(
            PublishedDocument.kind == DIRECTORY, PublishedDocument.serial == serial
        )
    )
    if row is None:
        return None
    try:
        directory = crypto.verify_directory(decode_signed(row.signed), root, now=now)
    except crypto.CryptoError:
        return None
    return {entry.body: entry.key_id for entry in directory.bodies}


def _instant(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


async def publish(session: AsyncSession, data: bytes, root: bytes, now: datetime) -> PublishedDocument:
    """Verify a signed directory or policy against ``root`` and store it (not committed).

    A directory must be valid now, newer than every published one, and name only bodies
    and institutions the database holds. ``PublishError`` says what is wrong.
    """
    try:
        signed = decode_signed(data)
    except crypto.CryptoError:
        raise PublishError("not a signed document") from None
    if signed.kind == DIRECTORY:
        serial = await _check_directory(session, signed, root, now)
    elif signed.kind == POLICY:
        try:
            parse_policy(crypto.verify_document(signed, POLICY, root))
        except crypto.CryptoError:
            raise PublishError("the policy is not signed by this root key") from None
        except PolicyError as error:
            raise PublishError(f"the policy is refused: {error}") from None
        serial = 1 + (await _max_serial(session, POLICY))
    else:
        raise PublishError("only directories and policies are published")
    digest = hashlib.sha256(data).digest()
    exists = await session.scalar(select(PublishedDocument).where(PublishedDocument.sha256 == digest))
    if exists is not None:
        raise PublishError("this document is already published")
    row = PublishedDocument(
        kind=signed.kind, serial=serial, sha256=digest, signed=data, root_public_key=root, published_at=now
    )
    session.add(row)
    await session.flush()
    return row


async def _max_serial(session: AsyncSession, kind: str) -> int:
    found = await session.scalar(
        select(func.max(PublishedDocument.serial)).where(PublishedDocument.kind == kind)
    )
    return int(found or 0)


async def _check_directory(
    session: AsyncSession, signed: crypto.SignedDocument, root: bytes, now: datetime
) -> int:
    try:
        directory = crypto.verify_directory(signed, root, now=now)
    except crypto.CryptoError:
        raise PublishError("the directory does not verify against this root key, or has expired") from None
    if directory.serial <= await _max_serial(session, DIRECTORY):
        raise PublishError("a directory with this serial or a newer one is already published")
    bodies = set((await session.scalars(select(Body.code))).all())
    institutions = set((await session.scalars(select(Institution.code))).all())
    unknown = {entry.body for entry in directory.bodies} - bodies
    unknown |= {entry.code for entry in directory.institutions} - institutions
    if unknown:
        raise PublishError(f"the directory names {len(unknown)} bodies or institutions this server lacks")
    if directory.policy is None:
        raise PublishError("the directory names no routing policy")
    return directory.serial
