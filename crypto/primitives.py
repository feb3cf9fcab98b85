"""Sedā's uses of the primitives: HKDF, single-use AEAD, X-Wing keys, HPKE. Internal.

Everything here is exported through the safe API in ``crypto.envelope``, ``crypto.keys``,
``crypto.token`` and ``crypto.directory``; callers outside ``crypto`` should not need it.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey, MLKEM768PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.encoding import fields, sha256
from crypto.errors import KeyFormatError, OpenError

SEED_BYTES = 32
KEY_BYTES = 32
KEY_ID_BYTES = 16
XWING_PUBLIC_BYTES = 1216
_MLKEM_PUBLIC_BYTES = 1184
# Each derived AEAD key seals exactly one message, so a constant nonce is safe (§3.2).
_SINGLE_USE_NONCE = bytes(12)

SUITE_XWING_SHA256_AES256GCM = 1
_HPKE = {
    SUITE_XWING_SHA256_AES256GCM: hpke.Suite(
        hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM
    ),
}


def hkdf(secret: bytes, purpose: str, *context: bytes, length: int = KEY_BYTES) -> bytes:
    """HKDF-SHA256 with no salt and ``info = fields(purpose, *context)``."""
    return HKDF(hashes.SHA256(), length, salt=None, info=fields(purpose, *context)).derive(secret)


def seal_once(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM under a single-use key (constant nonce); output is ciphertext || tag."""
    return AESGCM(key).encrypt(_SINGLE_USE_NONCE, plaintext, aad)


def open_once(key: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    """Inverse of ``seal_once``; any failure is ``OpenError``."""
    try:
        return AESGCM(key).decrypt(_SINGLE_USE_NONCE, ciphertext, aad)
    except (InvalidTag, ValueError):
        raise OpenError from None


def _expand(seed: bytes) -> tuple[MLKEM768PrivateKey, X25519PrivateKey]:
    # X-Wing's expandDecapsulationKey: SHAKE-256 to 96 bytes, ML-KEM seed (d || z), X25519 key.
    if len(seed) != SEED_BYTES:
        raise KeyFormatError("an X-Wing seed is 32 bytes")
    expanded = hashlib.shake_256(seed).digest(96)
    return (
        MLKEM768PrivateKey.from_seed_bytes(expanded[:64]),
        X25519PrivateKey.from_private_bytes(expanded[64:]),
    )


def xwing_private(seed: bytes) -> hpke.MLKEM768X25519PrivateKey:
    """The X-Wing private key for a 32-byte seed."""
    return hpke.MLKEM768X25519PrivateKey(*_expand(seed))


def xwing_public_bytes(seed: bytes) -> bytes:
    """The 1216-byte X-Wing public key (ML-KEM-768 key, then X25519 key) for a seed."""
    mlkem, x25519 = _expand(seed)
    return mlkem.public_key().public_bytes_raw() + x25519.public_key().public_bytes_raw()


def xwing_public(public_bytes: bytes) -> hpke.MLKEM768X25519PublicKey:
    """Load a 1216-byte X-Wing public key."""
    if len(public_bytes) != XWING_PUBLIC_BYTES:
        raise KeyFormatError("an X-Wing public key is 1216 bytes")
    try:
        return hpke.MLKEM768X25519PublicKey(
            MLKEM768PublicKey.from_public_bytes(public_bytes[:_MLKEM_PUBLIC_BYTES]),
            X25519PublicKey.from_public_bytes(public_bytes[_MLKEM_PUBLIC_BYTES:]),
        )
    except ValueError:
        raise KeyFormatError("not a valid X-Wing public key") from None


def key_id(public_bytes: bytes) -> bytes:
    """A public key's 16-byte identifier."""
    return sha256("seda/v1/key-id", public_bytes)[:KEY_ID_BYTES]


def hpke_seal(suite: int, public_bytes: bytes, info: bytes, plaintext: bytes) -> bytes:
    """HPKE base-mode single-shot seal (empty AAD); output is ``enc || ciphertext``."""
    return _HPKE[suite].encrypt(plaintext, xwing_public(public_bytes), info=info)


def hpke_open(suite: int, seed: bytes, info: bytes, sealed: bytes) -> bytes:
    """Inverse of ``hpke_seal`` with the recipient's seed; any failure is ``OpenError``."""
    try:
        return _HPKE[suite].decrypt(sealed, xwing_private(seed), info=info)
    except (InvalidTag, ValueError, KeyError):
        raise OpenError from None
