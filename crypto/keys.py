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

import os
from collections.abc import Callable

import msgspec

from crypto.derive import OfficerSecrets
from crypto.encoding import PROTOCOL_VERSION, fields
from crypto.errors import OpenError
from crypto.primitives import (
    SEED_BYTES,
    SUITE_XWING_SHA256_AES256GCM,
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


def _grant_info(body_key_id: bytes, officer_key_id: bytes) -> bytes:
    return fields(
        "seda/v1/wrap/body-key", PROTOCOL_VERSION, SUITE_XWING_SHA256_AES256GCM, body_key_id, officer_key_id
    )


def grant_body_key(body_seed: bytes, officer_public_key: bytes) -> bytes:
    """Seal a body seed to one officer's public key (a *grant*)."""
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
    officer_public_keys: list[bytes], random_bytes: Callable[[int], bytes] = os.urandom
) -> tuple[bytes, dict[bytes, bytes]]:
    """A new body seed and its grants (officer key id → grant) for the remaining officers."""
    seed = new_seed(random_bytes)
    return seed, {key_id(public): grant_body_key(seed, public) for public in officer_public_keys}


def _officer_aad(officer_key_id: bytes) -> bytes:
    return fields("seda/v1/officer-seed", PROTOCOL_VERSION, officer_key_id)


def protect_officer_seed(officer_seed: bytes, secrets: OfficerSecrets) -> bytes:
    """Seal an officer's seed under their passphrase-derived key (single-use per derivation).

    A new protected blob must come with a new salt (so a new ``wrap_key``): the constant
    nonce is safe only because every wrap key seals exactly one seed.
    """
    return seal_once(secrets.wrap_key, officer_seed, _officer_aad(public_key_of(officer_seed).key_id))


def unlock_officer_seed(protected: bytes, officer_key_id: bytes, secrets: OfficerSecrets) -> bytes:
    """Open the officer's seed on their device; ``OpenError`` for a wrong passphrase."""
    seed = open_once(secrets.wrap_key, protected, _officer_aad(officer_key_id))
    if public_key_of(seed).key_id != officer_key_id:
        raise OpenError
    return seed
