"""The append-only, hash-chained audit log (DESIGN.md §2, invariant 4).

Each entry's hash covers the previous entry's hash and the entry's own fields, so changing,
removing or reordering any entry breaks every hash after it. ``verify_chain`` needs only the
entries themselves, so a copy of the table can be checked away from the server.

Appending reads the newest entry and writes ``seq + 1``, so appends must be serialised:
on SQLite by a write session (``Database.write_session``, which holds the write lock from
the start), on PostgreSQL by a transaction-scoped advisory lock taken here. If anything
slips past both, two writers of the same ``seq`` collide on the primary key and one fails:
the chain never forks.

What the chain does **not** stop: whoever controls the database can rewrite the whole chain
or cut entries off its end and recompute every hash, because nothing outside the database
remembers the head. ``seda audit head`` prints the newest link so that it can be recorded
elsewhere (the monthly report, a signed export), and ``seda audit verify --anchor SEQ:HASH``
then proves that the chain still contains that link unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Protocol

import msgspec
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import AuditEntry

GENESIS_HASH = bytes(32)
_DOMAIN = b"seda/audit-log/v1\x00"
# Key of the PostgreSQL advisory lock that serialises appends ("seda" in ASCII).
_APPEND_LOCK = 0x73656461

AuditValue = str | int | bool | None


class ChainedEntry(Protocol):
    """What verification needs of an entry: the ORM row, or a row read from an export."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def details(self) -> str: ...
    @property
    def prev_hash(self) -> bytes: ...
    @property
    def entry_hash(self) -> bytes: ...


class ChainVerification(msgspec.Struct, frozen=True):
    """The outcome of checking a chain: ``first_bad_seq`` is None when every link holds.

    ``head_hash`` is the hash of the last intact entry (what to record outside the database).
    """

    checked: int
    first_bad_seq: int | None
    head_hash: bytes = GENESIS_HASH

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def canonical_details(details: Mapping[str, AuditValue]) -> str:
    """Audit details as canonical JSON (sorted keys), the exact text the hash covers."""
    return msgspec.json.encode(dict(details), order="sorted").decode()


def link_hash(
    prev_hash: bytes, *, seq: int, at: datetime, actor: str, action: str, subject: str, details: str
) -> bytes:
    """The hash of one entry, bound to the hash of the entry before it."""
    # Hash the UTC instant: storage keeps UTC, so a caller's zone must not change the hash.
    fields = msgspec.json.encode([seq, at.astimezone(UTC).isoformat(), actor, action, subject, details])
    return hashlib.sha256(_DOMAIN + prev_hash + fields).digest()


async def append_audit(
    session: AsyncSession,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, AuditValue] | None = None,
) -> AuditEntry:
    """Add the next entry to the chain in ``session``'s transaction (the caller commits).

    ``details`` must never hold report content, identities, tokens, keys or addresses. The
    session must come from ``Database.write_session`` (see the module docstring).
    """
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    at = at.astimezone(UTC)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK})
    newest = await session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    seq = newest.seq + 1 if newest else 1
    prev_hash = newest.entry_hash if newest else GENESIS_HASH
    details_text = canonical_details(details or {})
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        details=details_text,
        prev_hash=prev_hash,
        entry_hash=link_hash(
            prev_hash, seq=seq, at=at, actor=actor, action=action, subject=subject, details=details_text
        ),
    )
    session.add(entry)
    await session.flush()
    return entry


class ChainVerifier:
    """Checks links one at a time, so a chain of any length is verified in constant memory."""

    def __init__(self) -> None:
        self._expected_prev = GENESIS_HASH
        self._checked = 0
        self._first_bad: int | None = None

    def feed(self, entry: ChainedEntry) -> bool:
        """Check the next entry; False (and every later call False) once a link is broken."""
        if self._first_bad is not None:
            return False
        recomputed = link_hash(
            entry.prev_hash,
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            subject=entry.subject,
            details=entry.details,
        )
        intact = (
            entry.seq == self._checked + 1
            and entry.prev_hash == self._expected_prev
            and recomputed == entry.entry_hash
        )
        if not intact:
            self._first_bad = entry.seq
            return False
        self._expected_prev = entry.entry_hash
        self._checked += 1
        return True

    def result(self) -> ChainVerification:
        return ChainVerification(
            checked=self._checked, first_bad_seq=self._first_bad, head_hash=self._expected_prev
        )


def verify_chain(entries: Iterable[ChainedEntry]) -> ChainVerification:
    """Check every link, in ``seq`` order, starting from the genesis hash."""
    verifier = ChainVerifier()
    for entry in entries:
        if not verifier.feed(entry):
            break
    return verifier.result()


async def verify_stored_chain(session: AsyncSession) -> ChainVerification:
    """Verify the whole audit table, streamed in ``seq`` order."""
    verifier = ChainVerifier()
    result = await session.stream_scalars(
        select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=1000)
    )
    async for entry in result:
        if not verifier.feed(entry):
            break
    return verifier.result()


def parse_anchor(text: str) -> tuple[int, bytes]:
    """An anchor ``SEQ:HASH`` as ``seda audit head`` prints it; ``ValueError`` if it is not one."""
    seq, _, digest = text.partition(":")
    value = (int(seq), bytes.fromhex(digest))
    if value[0] < 1 or len(value[1]) != 32:
        raise ValueError("an anchor is SEQ:HASH")
    return value


async def stored_hash_at(session: AsyncSession, seq: int) -> bytes | None:
    """The stored hash of entry ``seq`` (None if there is no such entry)."""
    return await session.scalar(select(AuditEntry.entry_hash).where(AuditEntry.seq == seq))
