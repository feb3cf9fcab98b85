"""Signing summaries: Ed25519 over a domain-separated hash of the canonical JSON.

The key is a server secret every server process shares (``shared_secret``, made by the first
that needs it). Its signature says a summary left this installation unchanged; it does not
say more than the installation's integrity does: whoever can change the database can sign
(SECURITY.md, residual risks). A copy is checked with ``seda summary verify``.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_CONTEXT = b"seda/v1/summary\x00"
SECRET_NAME = "summary-signing"  # noqa: S105 - the name of a shared secret, not a secret


def _message(content: bytes) -> bytes:
    return _CONTEXT + hashlib.sha256(content).digest()


def sha256(content: bytes) -> bytes:
    return hashlib.sha256(content).digest()


def public_key(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


def key_id(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:32]


def sign(seed: bytes, content: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).sign(_message(content))


def verifies(public: bytes, content: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, _message(content))
    except (InvalidSignature, ValueError):
        return False
    return True


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)
