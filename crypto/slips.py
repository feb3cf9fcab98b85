"""Token slips for suggestion boxes (docs/PROTOCOL.md §13).

A slip is printed in two halves. The stub, which the prisoner keeps, carries a tracking token;
the half that goes into the box with the letter carries only a *claim code*. The slip's
generator derives the token's secrets once and keeps, per slip, a :class:`SlipRecord`: the
token's lookup verifier and reply key (what any report stores) and the token's thread key
sealed under a key only the claim code gives. The transcriber's device derives that key from
the typed claim code, opens the thread key, and seals the letter for the token holder, who
then follows it like any report; neither the transcriber nor the server ever holds the token.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import msgspec

from crypto.derive import (
    TOKEN_PARAMS_V1,
    Argon2Params,
    TokenSecrets,
    argon2id,
    derive_from_token,
    lookup_verifier,
)
from crypto.encoding import fields
from crypto.errors import OpenError
from crypto.primitives import hkdf, key_id, open_once, seal_once
from crypto.token import TrackingToken, damm_check_digit, group_digits, new_token, read_digits

CLAIM_RANDOM_DIGITS = 15
CLAIM_DIGITS = CLAIM_RANDOM_DIGITS + 1
# A fixed salt, as for tokens: the server finds a slip from the claim id alone.
CLAIM_SALT_V1 = b"seda/v1/claim-code-salt"


class ClaimCode:
    """A valid claim code: 15 random digits and a Damm check digit, hidden in ``repr``."""

    __slots__ = ("digits",)

    def __init__(self, digits: str) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return "ClaimCode(<hidden>)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClaimCode) and secrets.compare_digest(self.digits, other.digits)

    def __hash__(self) -> int:
        return hash(self.digits)

    def grouped(self, persian: bool = False) -> str:
        return group_digits(self.digits, persian)


def new_claim_code(randbelow: Callable[[int], int] = secrets.randbelow) -> ClaimCode:
    body = f"{randbelow(10**CLAIM_RANDOM_DIGITS):0{CLAIM_RANDOM_DIGITS}d}"
    return ClaimCode(body + damm_check_digit(body))


def parse_claim_code(text: str) -> ClaimCode:
    """Read a claim code as typed; ``TokenFormatError`` (with its ``reason``) otherwise."""
    return ClaimCode(read_digits(text, CLAIM_DIGITS, "claim code"))


class ClaimSecrets(msgspec.Struct, frozen=True):
    """From a claim code: ``claim_id`` finds the slip (sent), ``claim_key`` opens it (never sent)."""

    claim_id: bytes
    claim_key: bytes

    def __repr__(self) -> str:
        return "ClaimSecrets(<hidden>)"


def derive_claim(code: ClaimCode, params: Argon2Params = TOKEN_PARAMS_V1) -> ClaimSecrets:
    master = argon2id(code.digits.encode("ascii"), CLAIM_SALT_V1, params)
    return ClaimSecrets(
        claim_id=hkdf(master, "seda/v1/claim/id"), claim_key=hkdf(master, "seda/v1/claim/key")
    )


class SlipRecord(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the server keeps of a slip: nothing that gives back the token or its thread key."""

    claim_id: bytes
    lookup_verifier: bytes
    reporter_key: bytes
    sealed_thread_key: bytes


def _thread_key_aad(claim_id: bytes, verifier: bytes, reporter_key: bytes) -> bytes:
    return fields("seda/v1/claim/thread-key", claim_id, verifier, key_id(reporter_key))


def slip_record(token_secrets: TokenSecrets, claim: ClaimSecrets) -> SlipRecord:
    """The record of a slip whose stub holds the token these secrets come from."""
    verifier = lookup_verifier(token_secrets.lookup_secret)
    reporter_key = token_secrets.reporter_public_key
    sealed = seal_once(
        claim.claim_key,
        token_secrets.thread_key,
        _thread_key_aad(claim.claim_id, verifier, reporter_key),
    )
    return SlipRecord(claim.claim_id, verifier, reporter_key, sealed)


def open_slip(claim: ClaimSecrets, record: SlipRecord) -> bytes:
    """The token's thread key, on the transcriber's device. ``OpenError`` unless the record is
    the one made for this claim code: a server that swapped in its own reply key or verifier
    is caught here."""
    if not secrets.compare_digest(claim.claim_id, record.claim_id):
        raise OpenError
    thread_key = open_once(
        claim.claim_key,
        record.sealed_thread_key,
        _thread_key_aad(record.claim_id, record.lookup_verifier, record.reporter_key),
    )
    if len(thread_key) != 32:
        raise OpenError
    return thread_key


class Slip(msgspec.Struct, frozen=True):
    """A freshly made slip: the two halves to print, and the record to store."""

    token: TrackingToken
    claim_code: ClaimCode
    record: SlipRecord

    def __repr__(self) -> str:
        return "Slip(<hidden>)"


def new_slip(
    params: Argon2Params = TOKEN_PARAMS_V1,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> Slip:
    """A new slip: two Argon2id runs (the token's and the claim code's)."""
    token = new_token(randbelow)
    claim_code = new_claim_code(randbelow)
    record = slip_record(derive_from_token(token, params), derive_claim(claim_code, params))
    return Slip(token, claim_code, record)
