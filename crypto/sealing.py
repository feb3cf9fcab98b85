"""The sealing core shared by reports and messages: key bundles wrapped per recipient.

A sealed item has a context hash (binding everything the server sees), one or two fresh
32-byte keys (a *bundle*), and parts sealed under keys derived from the bundle and the
context. Each recipient gets the bundle (or the part of it they may see) through HPKE to
their X-Wing public key, with the context in HPKE ``info``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from crypto.encoding import PROTOCOL_VERSION, fields, fields_of
from crypto.errors import EnvelopeFormatError, OpenError
from crypto.primitives import (
    KEY_BYTES,
    KEY_ID_BYTES,
    SUITE_XWING_SHA256_AES256GCM,
    hpke_open,
    hpke_seal,
    key_id,
)

KeyId = Annotated[bytes, msgspec.Meta(min_length=KEY_ID_BYTES, max_length=KEY_ID_BYTES)]
Wrapped = Annotated[bytes, msgspec.Meta(min_length=1, max_length=4096)]


class RecipientWrap(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A key bundle sealed with HPKE to one recipient key (``enc || ciphertext``)."""

    key_id: KeyId
    wrapped: Wrapped


def check_header(version: int, suite: int) -> None:
    """Refuse versions and suites this implementation does not speak."""
    if version != PROTOCOL_VERSION or suite != SUITE_XWING_SHA256_AES256GCM:
        raise EnvelopeFormatError("unsupported protocol version or suite")


def recipient_ids_binding(recipients: list[RecipientWrap]) -> bytes:
    """The sorted, de-duplicated recipient key ids as one field list (bound in the context)."""
    ids = sorted({wrap.key_id for wrap in recipients})
    if len(ids) != len(recipients):
        raise EnvelopeFormatError("a recipient key appears twice")
    return fields_of(ids)


def wrap_bundle(
    purpose: str, suite: int, context: bytes, bundle: list[bytes], recipient_public_key: bytes
) -> RecipientWrap:
    """Seal ``bundle`` (one or two keys) to a recipient; ``purpose`` separates item kinds."""
    recipient = key_id(recipient_public_key)
    info = fields(purpose, PROTOCOL_VERSION, suite, recipient, context)
    return RecipientWrap(
        key_id=recipient, wrapped=hpke_seal(suite, recipient_public_key, info, fields_of(bundle))
    )


def unwrap_bundle(purpose: str, suite: int, context: bytes, wrap: RecipientWrap, seed: bytes) -> list[bytes]:
    """Open a recipient's bundle with their seed; ``OpenError`` for any failure."""
    info = fields(purpose, PROTOCOL_VERSION, suite, wrap.key_id, context)
    plaintext = hpke_open(suite, seed, info, wrap.wrapped)
    return _split_bundle(plaintext)


def _split_bundle(data: bytes) -> list[bytes]:
    keys: list[bytes] = []
    position = 0
    while position < len(data):
        if len(data) - position < 4 + KEY_BYTES:
            raise OpenError
        length = int.from_bytes(data[position : position + 4], "big")
        if length != KEY_BYTES:
            raise OpenError
        keys.append(data[position + 4 : position + 4 + KEY_BYTES])
        position += 4 + KEY_BYTES
    if not 1 <= len(keys) <= 2:
        raise OpenError
    return keys


def find_wrap(recipients: list[RecipientWrap], recipient_key_id: bytes) -> RecipientWrap:
    """The wrap addressed to ``recipient_key_id``; ``OpenError`` when there is none."""
    for wrap in recipients:
        if wrap.key_id == recipient_key_id:
            return wrap
    raise OpenError
