"""Byte encodings every implementation must reproduce exactly (docs/PROTOCOL.md §2)."""

from __future__ import annotations

import hashlib
import struct
import uuid
from collections.abc import Iterable

from crypto.errors import EnvelopeFormatError

PROTOCOL_VERSION = 1


def lp(data: bytes) -> bytes:
    """Length-prefixed bytes: a 4-byte big-endian length, then the bytes."""
    return struct.pack(">I", len(data)) + data


def fields(*parts: bytes | str | int) -> bytes:
    """Concatenate parts, each length-prefixed; ``str`` is UTF-8, ``int`` one byte (0-255)."""
    return b"".join(lp(_as_bytes(part)) for part in parts)


def fields_of(parts: Iterable[bytes | str | int]) -> bytes:
    """``fields`` over an iterable."""
    return fields(*parts)


def _as_bytes(part: bytes | str | int) -> bytes:
    if isinstance(part, bytes):
        return part
    if isinstance(part, str):
        return part.encode("utf-8")
    return bytes([part])


def sha256(*parts: bytes | str | int) -> bytes:
    """SHA-256 over ``fields(*parts)``: hashing never concatenates ambiguously."""
    return hashlib.sha256(fields(*parts)).digest()


def uuid_bytes(value: str) -> bytes:
    """The 16 bytes of a UUID given in its canonical text form."""
    try:
        parsed = uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise EnvelopeFormatError("not a UUID") from None
    if str(parsed) != value:
        raise EnvelopeFormatError("not a canonical lower-case UUID")
    return parsed.bytes
