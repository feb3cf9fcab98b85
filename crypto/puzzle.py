"""Client puzzles (proof of work) instead of a CAPTCHA (docs/PROTOCOL.md §11).

The server issues a *challenge* (a time window, a difficulty, and a keyed tag over both, so
puzzles cannot be solved ahead for future windows nor made easier); the client finds a
nonce such that

    H("seda/v1/puzzle", challenge, purpose, subject, nonce)

starts with ``bits`` zero bits. ``subject`` binds the work to one request (the report id
of a submission, the lookup secret's verifier of a status look-up), so one solution buys
one report or one guess at a token, never many. Pure: the server keeps the key and clock.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable

from crypto.encoding import fields, sha256

CHALLENGE_BYTES = 21  # u32 window || u8 bits || 16-byte tag
MAX_BITS = 32
_TAG_PURPOSE = "seda/v1/puzzle-challenge"


def issue_challenge(secret: bytes, window: int, bits: int) -> bytes:
    """The challenge for a time window and difficulty (the server's ``secret`` keys it)."""
    if not 0 <= bits <= MAX_BITS:
        raise ValueError("puzzle difficulty out of range")
    head = window.to_bytes(4, "big") + bytes([bits])
    return head + hmac.new(secret, fields(_TAG_PURPOSE, head), hashlib.sha256).digest()[:16]


def challenge_window(challenge: bytes) -> int:
    return int.from_bytes(challenge[:4], "big")


def challenge_bits(challenge: bytes) -> int:
    """The difficulty a challenge was issued with (trust it only if it is genuine)."""
    return challenge[4]


def challenge_is_genuine(secret: bytes, challenge: bytes) -> bool:
    """Did a server holding ``secret`` issue this challenge (for the window and bits it names)?"""
    if len(challenge) != CHALLENGE_BYTES or challenge_bits(challenge) > MAX_BITS:
        return False
    expected = issue_challenge(secret, challenge_window(challenge), challenge_bits(challenge))
    return hmac.compare_digest(expected, challenge)


def _leading_zero_bits(digest: bytes) -> int:
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def solves(challenge: bytes, bits: int, purpose: str, subject: bytes, nonce: bytes) -> bool:
    """Does ``nonce`` solve the puzzle (at least ``bits`` leading zero bits)?"""
    if not 0 <= bits <= MAX_BITS or not 1 <= len(nonce) <= 32:
        return False
    digest = sha256("seda/v1/puzzle", challenge, purpose, subject, nonce)
    return _leading_zero_bits(digest) >= bits


def solve(
    challenge: bytes,
    bits: int,
    purpose: str,
    subject: bytes,
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> bytes:
    """Find a nonce for the puzzle: about ``2**bits`` hashes. Raises ``ValueError`` for
    ``bits`` outside 0..32."""
    if not 0 <= bits <= MAX_BITS:
        raise ValueError("puzzle difficulty out of range")
    prefix = random_bytes(8)
    counter = 0
    while True:
        nonce = prefix + counter.to_bytes(8, "big")
        if solves(challenge, bits, purpose, subject, nonce):
            return nonce
        counter += 1
