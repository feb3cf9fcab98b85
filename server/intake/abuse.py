"""Abuse limits without addresses: client puzzles, look-up rate limits, in-flight bounds.

No client address is stored or logged. The look-up limiter keys its buckets by a keyed hash
of the peer address under a random key that lives only in this process's memory and is
replaced every hour (with all buckets), so nothing that outlives the hour links requests.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable
from typing import Annotated

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crypto import puzzle
from server.db.models import ServerSecret
from server.errors import RateLimitedError, SedaError
from server.logging import get_logger

PUZZLE_WINDOW_SECONDS = 600
log = get_logger("seda.abuse")
_PUZZLE_SECRET = "puzzle"  # noqa: S105 (the row name, not a secret)


class PuzzleFailedError(SedaError):
    code = "puzzle-failed"


class PuzzleSolution(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A solved client puzzle (docs/PROTOCOL.md §11)."""

    challenge: Annotated[
        bytes, msgspec.Meta(min_length=puzzle.CHALLENGE_BYTES, max_length=puzzle.CHALLENGE_BYTES)
    ]
    nonce: Annotated[bytes, msgspec.Meta(min_length=1, max_length=32)]


class PuzzleChallenge(msgspec.Struct, frozen=True):
    """A puzzle to solve: find a nonce giving ``bits`` leading zero bits (valid ~10-20 min)."""

    challenge: bytes
    bits: int
    expires_in: int


class Puzzles:
    """Issues and checks puzzles; the key is shared by every process through the database."""

    def __init__(
        self,
        bits: int,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], float] = time.time,
        extra_bits: Callable[[], int] = lambda: 0,
    ) -> None:
        self.base_bits = bits
        self.sessions = sessions
        self.clock = clock
        self.extra_bits = extra_bits
        self._secret: bytes | None = None

    @property
    def bits(self) -> int:
        """The difficulty now: the setting, raised while someone is guessing tokens."""
        return 0 if self.base_bits == 0 else min(puzzle.MAX_BITS, self.base_bits + self.extra_bits())

    async def secret(self) -> bytes:
        """The shared key, made by the first process that needs it (its own transaction)."""
        if self._secret is None:
            async with self.sessions() as session:
                self._secret = await shared_secret(session, _PUZZLE_SECRET)
        return self._secret

    def _window(self) -> int:
        return int(self.clock()) // PUZZLE_WINDOW_SECONDS

    async def issue(self) -> PuzzleChallenge:
        window = self._window()
        expires = (window + 2) * PUZZLE_WINDOW_SECONDS - int(self.clock())
        bits = self.bits
        challenge = puzzle.issue_challenge(await self.secret(), window, bits)
        return PuzzleChallenge(challenge=challenge, bits=bits, expires_in=expires)

    async def check(self, solution: PuzzleSolution | None, purpose: str, subject: bytes) -> None:
        """``PuzzleFailedError`` unless ``solution`` is a fresh, genuine, solved puzzle."""
        if self.bits == 0:
            return
        if solution is None:
            raise PuzzleFailedError
        challenge = solution.challenge
        fresh = self._window() - puzzle.challenge_window(challenge) in (0, 1)
        genuine = puzzle.challenge_is_genuine(await self.secret(), challenge)
        bits = puzzle.challenge_bits(challenge)
        hard_enough = bits >= self.bits
        solved = puzzle.solves(challenge, bits, purpose, subject, solution.nonce)
        if not (fresh and genuine and hard_enough and solved):
            raise PuzzleFailedError


async def shared_secret(session: AsyncSession, name: str) -> bytes:
    """The random 32-byte secret ``name`` every server process shares (made by the first)."""
    found = await session.scalar(select(ServerSecret.value).where(ServerSecret.name == name))
    if found is not None:
        return found
    try:
        session.add(ServerSecret(name=name, value=secrets.token_bytes(32)))
        await session.commit()
    except IntegrityError:
        await session.rollback()  # another process made it first
    value = await session.scalar(select(ServerSecret.value).where(ServerSecret.name == name))
    if value is None:  # pragma: no cover - the row was just written
        raise RuntimeError("shared secret missing")
    return value


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated


class TokenBuckets:
    """Token buckets keyed by opaque labels, all forgotten when the hourly key changes."""

    def __init__(self, burst: int, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[bytes, _Bucket] = {}
        self._key = secrets.token_bytes(32)
        self._key_born = clock()

    def label(self, identifier: str) -> bytes:
        """An opaque label for ``identifier`` (an address) under this hour's key."""
        if self.clock() - self._key_born >= 3600:
            self._key, self._key_born, self._buckets = secrets.token_bytes(32), self.clock(), {}
        return hmac.new(self._key, identifier.encode(), hashlib.sha256).digest()[:16]

    def check(self, label: bytes) -> _Bucket:
        """Refill ``label``'s bucket; ``RateLimitedError`` if it holds less than one token."""
        now = self.clock()
        bucket = self._buckets.get(label)
        if bucket is None:
            if len(self._buckets) > 100_000:  # bounded memory under a flood of addresses
                self._buckets.clear()
            bucket = self._buckets[label] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens < 1:
            raise RateLimitedError(retry_after=max(1, math.ceil((1 - bucket.tokens) / self.rate)))
        return bucket

    def take(self, label: bytes) -> None:
        """Spend one token of ``label``'s bucket; ``RateLimitedError`` when it is empty."""
        self.check(label).tokens -= 1


class LookupLimits:
    """Per-client look-ups, and a watch on failed look-ups across all clients.

    Failures never refuse anyone: a budget that refused every look-up once spent would let
    one client lock every reporter out (a retaliation report included). Instead, while
    failures run above the budget, puzzles get ``PRESSURE_BITS`` harder for everyone, which
    slows guessing without shutting the door. (Guessing is hopeless anyway: 63-bit tokens and
    one Argon2id run per guess, PROTOCOL.md §5.1.)
    """

    PRESSURE_BITS = 4
    PRESSURE_SECONDS = 600.0

    def __init__(
        self, burst: int, per_minute: int, failed_per_minute: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_client = TokenBuckets(burst, per_minute, clock)
        self.failures = TokenBuckets(failed_per_minute, failed_per_minute, clock)
        self.clock = clock
        self._pressure_until = 0.0

    def admit(self, client: str) -> None:
        """Before a look-up: this client has budget left (``RateLimitedError`` if not)."""
        self.per_client.take(self.per_client.label(client))

    def failed(self) -> None:
        """After a look-up that matched no report (a wrong or guessed token)."""
        try:
            self.failures.take(b"all")
        except RateLimitedError:
            self._pressure_until = self.clock() + self.PRESSURE_SECONDS
            log.warning("lookup_guessing_pressure")

    def extra_bits(self) -> int:
        return self.PRESSURE_BITS if self.clock() < self._pressure_until else 0
