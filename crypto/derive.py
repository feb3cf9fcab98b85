"""Argon2id derivations: from a tracking token (reporters) and from a passphrase (officers).

Argon2id runs on the client: the token and the passphrase never leave the device. Each use
has one versioned parameter set; changing it is a protocol version change (docs/PROTOCOL.md).
"""

from __future__ import annotations

import unicodedata

import msgspec
from argon2.low_level import Type, hash_secret_raw

from crypto.encoding import sha256
from crypto.primitives import hkdf, xwing_public_bytes
from crypto.token import TrackingToken


class Argon2Params(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Argon2id cost: ``memory_kib`` KiB, ``iterations`` passes, ``lanes`` parallelism."""

    memory_kib: int
    iterations: int
    lanes: int = 1


# Chosen in docs/PROTOCOL.md §5 from benchmarks/argon2_params.py on this machine.
TOKEN_PARAMS_V1 = Argon2Params(memory_kib=64 * 1024, iterations=2, lanes=1)
OFFICER_PARAMS_V1 = Argon2Params(memory_kib=64 * 1024, iterations=3, lanes=1)
# A fixed salt: the server must find a report from the lookup secret alone. The token's 63
# random bits, each guess costing one Argon2id run, are what protect it (docs/PROTOCOL.md §5).
TOKEN_SALT_V1 = b"seda/v1/tracking-token-salt"


def argon2id(secret: bytes, salt: bytes, params: Argon2Params) -> bytes:
    """32 bytes of Argon2id (version 0x13) output."""
    return hash_secret_raw(
        secret=secret,
        salt=salt,
        time_cost=params.iterations,
        memory_cost=params.memory_kib,
        parallelism=params.lanes,
        hash_len=32,
        type=Type.ID,
    )


class TokenSecrets(msgspec.Struct, frozen=True):
    """What a client derives from a token. Never sent: only ``lookup_secret`` reaches the server.

    ``thread_key`` authenticates the messages about the report (§4): the reporter derives
    it, and puts it in the sealed payload so that the report's bodies learn it too.
    """

    lookup_secret: bytes
    reporter_seed: bytes
    thread_key: bytes

    def __repr__(self) -> str:
        return "TokenSecrets(<hidden>)"

    @property
    def reporter_public_key(self) -> bytes:
        """The X-Wing public key replies are sealed to."""
        return xwing_public_bytes(self.reporter_seed)


def derive_from_token(token: TrackingToken, params: Argon2Params = TOKEN_PARAMS_V1) -> TokenSecrets:
    """One Argon2id run over the token, then domain-separated expansions (§5.1)."""
    master = argon2id(token.digits.encode("ascii"), TOKEN_SALT_V1, params)
    return TokenSecrets(
        lookup_secret=hkdf(master, "seda/v1/token/lookup"),
        reporter_seed=hkdf(master, "seda/v1/token/reporter-key"),
        thread_key=hkdf(master, "seda/v1/token/thread"),
    )


def lookup_verifier(lookup_secret: bytes) -> bytes:
    """What the server stores and compares: a hash of the lookup secret (§5.1)."""
    return sha256("seda/v1/lookup-verifier", lookup_secret)


class OfficerSecrets(msgspec.Struct, frozen=True):
    """Derived on an officer's device from the passphrase: a wrapping key and an auth value."""

    wrap_key: bytes
    auth_value: bytes

    def __repr__(self) -> str:
        return "OfficerSecrets(<hidden>)"


def derive_from_passphrase(
    passphrase: str, salt: bytes, params: Argon2Params = OFFICER_PARAMS_V1
) -> OfficerSecrets:
    """Argon2id over the NFC-normalised passphrase with the officer's salt (§6.2).

    ``auth_value`` is sent to the server, which stores only its Argon2id hash; ``wrap_key``
    never leaves the device.
    """
    if len(salt) < 16:
        raise ValueError("an officer salt is at least 16 bytes")
    normalised = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    master = argon2id(normalised, salt, params)
    return OfficerSecrets(
        wrap_key=hkdf(master, "seda/v1/officer/wrap-key"),
        auth_value=hkdf(master, "seda/v1/officer/auth"),
    )
