"""Kiosk device keys: an Ed25519 key made on the kiosk at enrolment signs its requests
(PROTOCOL.md §12). The signature proves "an approved kiosk of institution X sent this"; it
covers the request, never the person at the kiosk, and the server keeps no trace of which
kiosk sent which report.

The signed message is, with NUL separators::

    "seda/v1/kiosk-request" | kiosk id | METHOD | path | unix time | SHA-256(body)
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from crypto.errors import CryptoError

DEVICE_SEED_BYTES = 32
_LABEL = b"seda/v1/kiosk-request"


class RequestSignatureError(CryptoError):
    """A request's device signature is missing, malformed or not the device's."""

    def __init__(self) -> None:
        super().__init__("the request's device signature does not verify")


def new_device_seed() -> bytes:
    return secrets.token_bytes(DEVICE_SEED_BYTES)


def device_public_key(seed: bytes) -> bytes:
    """The 32-byte Ed25519 public key of a device seed."""
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


@dataclass(frozen=True)
class KioskRequest:
    """What a kiosk signs of one request."""

    kiosk_id: int
    method: str
    path: str
    unix_time: int
    body: bytes = field(repr=False)

    def message(self) -> bytes:
        parts = (str(self.kiosk_id), self.method.upper(), self.path, str(self.unix_time))
        return b"\x00".join((_LABEL, *(part.encode() for part in parts), hashlib.sha256(self.body).digest()))


def sign_request(seed: bytes, request: KioskRequest) -> bytes:
    """The device's signature over one request (64 bytes)."""
    return Ed25519PrivateKey.from_private_bytes(seed).sign(request.message())


def verify_request(public_key: bytes, signature: bytes, request: KioskRequest) -> None:
    """``RequestSignatureError`` unless ``signature`` is the device's over exactly ``request``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, request.message())
    except (InvalidSignature, ValueError):
        raise RequestSignatureError from None
