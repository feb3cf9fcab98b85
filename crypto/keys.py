"""Body keys and officer keys: how a body's private key reaches exactly its officers (§6).

- A body key is an X-Wing key pair kept as a 32-byte seed.
- Each officer has their own X-Wing key pair; the body seed is *granted* to an officer by
  sealing it (HPKE) to the officer's public key.
- An officer's own seed is *protected* under a key derived from their passphrase on their
  device (``crypto.derive.derive_from_passphrase``); the server keeps the protected blob.

Adding an officer is a new grant, made on a device that can open the body seed. Removing one
deletes their grant and rotates the body key (``rotate_body_key``): new reports are sealed to
the new key, which the removed officer never receives.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable

import msgspec

from crypto.derive import OfficerSecrets
from crypto.encoding import PROTOCOL_VERSION, fields, sha256
from crypto.errors import CryptoError, OpenError
from crypto.primitives import (
    SEED_BYTES,
    SUITE_XWING_SHA256_AES256GCM,
    hkdf,
    hpke_open,
    hpke_seal,
    key_id,
    open_once,
    seal_once,
    xwing_public_bytes,
)


def new_seed(random_bytes: Callable[[int], bytes] = os.urandom) -> bytes:
    """A fresh 32-byte X-Wing seed (a body's or an officer's private key)."""
    return random_bytes(SEED_BYTES)


class PublicKey(msgspec.Struct, frozen=True):
    """A public key with its id, as published in the directory."""

    key_id: bytes
    public_key: bytes


def public_key_of(seed: bytes) -> PublicKey:
    """The public key (and id) of a seed."""
    public = xwing_public_bytes(seed)
    return PublicKey(key_id=key_id(public), public_key=public)


def key_fingerprint(public_key: bytes) -> str:
    """A public key's fingerprint for people to compare: 24 digits (≈80 bits) in six groups.

    Before a body key is granted to an officer, the administrator compares this with the
    fingerprint the new officer's own device shows (in person or by a trusted channel):
    the server supplies the officer's public key and could otherwise substitute its own.
    """
    number = int.from_bytes(sha256("seda/v1/key-fingerprint", public_key)[:16], "big") % 10**24
    digits = f"{number:024d}"
    return " ".join(digits[i : i + 4] for i in range(0, 24, 4))


class UnverifiedKeyError(CryptoError):
    """A public key does not match the fingerprint a person confirmed for it."""

    def __init__(self) -> None:
        super().__init__("this key does not match the confirmed fingerprint: do not grant")


def _grant_info(body_key_id: bytes, officer_key_id: bytes) -> bytes:
    return fields(
        "seda/v1/wrap/body-key", PROTOCOL_VERSION, SUITE_XWING_SHA256_AES256GCM, body_key_id, officer_key_id
    )


def grant_body_key(body_seed: bytes, officer_public_key: bytes, confirmed_fingerprint: str) -> bytes:
    """Seal a body seed to one officer's public key (a *grant*).

    ``confirmed_fingerprint`` is the fingerprint the administrator compared with the officer's
    device; ``UnverifiedKeyError`` if the key given does not match it.
    """
    if not hmac.compare_digest(key_fingerprint(officer_public_key), confirmed_fingerprint.strip()):
        raise UnverifiedKeyError
    info = _grant_info(public_key_of(body_seed).key_id, key_id(officer_public_key))
    return hpke_seal(SUITE_XWING_SHA256_AES256GCM, officer_public_key, info, body_seed)


def open_body_key_grant(grant: bytes, body_key_id: bytes, officer_seed: bytes) -> bytes:
    """Open a grant on the officer's device; the seed must match ``body_key_id``."""
    info = _grant_info(body_key_id, public_key_of(officer_seed).key_id)
    body_seed = hpke_open(SUITE_XWING_SHA256_AES256GCM, officer_seed, info, grant)
    if len(body_seed) != SEED_BYTES or public_key_of(body_seed).key_id != body_key_id:
        raise OpenError
    return body_seed


def rotate_body_key(
    officers: list[tuple[bytes, str]], random_bytes: Callable[[int], bytes] = os.urandom
) -> tuple[bytes, dict[bytes, bytes]]:
    """A new body seed and its grants (officer key id → grant) for the remaining officers.

    ``officers`` pairs each public key with the fingerprint confirmed for it when the officer
    was added (kept on the administrator's device, never taken from the server).
    """
    seed = new_seed(random_bytes)
    return seed, {key_id(public): grant_body_key(seed, public, confirmed) for public, confirmed in officers}


_BLOB_SALT_BYTES = 16


def _seed_key(secrets: OfficerSecrets, officer_key_id: bytes, blob_salt: bytes) -> bytes:
    # A fresh salt per blob: even if the passphrase and its salt are reused (re-keying after
    # a lost device), no two blobs are ever sealed under the same key.
    return hkdf(secrets.wrap_key, "seda/v1/officer/seed-key", officer_key_id, blob_salt)


def _officer_aad(officer_key_id: bytes) -> bytes:
    return fields("seda/v1/officer-seed", PROTOCOL_VERSION, officer_key_id)


def protect_officer_seed(
    officer_seed: bytes, secrets: OfficerSecrets, random_bytes: Callable[[int], bytes] = os.urandom
) -> bytes:
    """Seal an officer's seed under their passphrase-derived key: ``blob_salt || ciphertext``."""
    officer_key_id = public_key_of(officer_seed).key_id
    blob_salt = random_bytes(_BLOB_SALT_BYTES)
    key = _seed_key(secrets, officer_key_id, blob_salt)
    return blob_salt + seal_once(key, officer_seed, _officer_aad(officer_key_id))


def unlock_officer_seed(protected: bytes, officer_key_id: bytes, secrets: OfficerSecrets) -> bytes:
    """Open the officer's seed on their device; ``OpenError`` for a wrong passphrase."""
    blob_salt, sealed = protected[:_BLOB_SALT_BYTES], protected[_BLOB_SALT_BYTES:]
    if len(blob_salt) != _BLOB_SALT_BYTES:
        raise OpenError
    seed = open_once(_seed_key(secrets, officer_key_id, blob_salt), sealed, _officer_aad(officer_key_id))
    if len(seed) != SEED_BYTES or public_key_of(seed).key_id != officer_key_id:
        raise OpenError
    return seed
