"""Messages about a report: replies, reporters' follow-ups and internal notes (§4).

A message is sealed to a set of X-Wing keys (the reporter's reply key and the body's key for
a reply; the bodies' keys for a follow-up; the body's own key for a note), bound to the
report id, its own id, its kind and its recipients — and authenticated with the report's
*thread key*, which only the reporter (from the token) and the bodies that opened the report
(from its payload) hold. The server, which knows every public key, can therefore neither
forge a reply to a reporter nor a follow-up to a body.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from collections.abc import Callable
from typing import Annotated, Literal

import msgspec

from crypto.encoding import PROTOCOL_VERSION, fields, sha256, uuid_bytes
from crypto.envelope import UUIDText
from crypto.errors import EnvelopeFormatError, OpenError
from crypto.primitives import (
    KEY_BYTES,
    SUITE_XWING_SHA256_AES256GCM,
    hkdf,
    key_id,
    open_once,
    seal_once,
    xwing_public_bytes,
)
from crypto.sealing import (
    RecipientWrap,
    check_header,
    find_wrap,
    recipient_ids_binding,
    unwrap_bundle,
    wrap_bundle,
)

MessageKind = Literal["reply", "follow-up", "note"]
MAX_MESSAGE_BYTES = 64 * 1024
_WRAP_PURPOSE = "seda/v1/wrap/message"


class MessageBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The plaintext of a message."""

    text: str
    fields: dict[str, str] = {}


class SealedMessage(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A sealed message as it travels and is stored."""

    version: int
    suite: int
    kind: MessageKind
    report_id: UUIDText
    message_id: UUIDText
    recipients: Annotated[list[RecipientWrap], msgspec.Meta(min_length=1, max_length=32)]
    body: Annotated[bytes, msgspec.Meta(min_length=16, max_length=MAX_MESSAGE_BYTES + 1024)]
    auth: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]

    def context(self) -> bytes:
        check_header(self.version, self.suite)
        return sha256(
            "seda/v1/message",
            self.version,
            self.suite,
            self.kind,
            uuid_bytes(self.report_id),
            uuid_bytes(self.message_id),
            recipient_ids_binding(self.recipients),
        )


_encoder = msgspec.json.Encoder()
_body_decoder = msgspec.json.Decoder(MessageBody)


def _auth(thread_key: bytes, context: bytes, body: bytes) -> bytes:
    key = hkdf(thread_key, "seda/v1/message/auth", context)
    return hmac.new(key, fields(context, body), hashlib.sha256).digest()


def seal_message(
    *,
    kind: MessageKind,
    report_id: str,
    message_id: str,
    body: MessageBody,
    recipients: list[bytes],
    thread_key: bytes,
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> SealedMessage:
    """Seal ``body`` to the X-Wing public keys in ``recipients``, authenticated by ``thread_key``."""
    plaintext = _encoder.encode(body)
    if len(plaintext) > MAX_MESSAGE_BYTES:
        raise EnvelopeFormatError("message too large")
    if len(set(recipients)) != len(recipients) or not 1 <= len(recipients) <= 32:
        raise EnvelopeFormatError("between 1 and 32 distinct recipients")
    if len(thread_key) != KEY_BYTES:
        raise EnvelopeFormatError("a thread key is 32 bytes")
    key = random_bytes(KEY_BYTES)
    draft = SealedMessage(
        version=PROTOCOL_VERSION,
        suite=SUITE_XWING_SHA256_AES256GCM,
        kind=kind,
        report_id=str(uuid.UUID(report_id)),
        message_id=str(uuid.UUID(message_id)),
        recipients=[RecipientWrap(key_id=key_id(public), wrapped=b"\x00") for public in recipients],
        body=b"\x00" * 16,
        auth=bytes(32),
    )
    context = draft.context()
    sealed_body = seal_once(hkdf(key, "seda/v1/message/body", context), plaintext, context)
    return msgspec.structs.replace(
        draft,
        recipients=[wrap_bundle(_WRAP_PURPOSE, draft.suite, context, [key], p) for p in recipients],
        body=sealed_body,
        auth=_auth(thread_key, context, sealed_body),
    )


def open_message(message: SealedMessage, seed: bytes, thread_key: bytes) -> MessageBody:
    """Open a message with a recipient's seed after checking it with the report's thread key.

    ``OpenError`` for every failure, a forged or altered message included.
    """
    try:
        context = message.context()
    except EnvelopeFormatError:
        raise OpenError from None
    if not hmac.compare_digest(_auth(thread_key, context, message.body), message.auth):
        raise OpenError
    wrap = find_wrap(message.recipients, key_id(xwing_public_bytes(seed)))
    bundle = unwrap_bundle(_WRAP_PURPOSE, message.suite, context, wrap, seed)
    if len(bundle) != 1:
        raise OpenError
    plaintext = open_once(hkdf(bundle[0], "seda/v1/message/body", context), message.body, context)
    try:
        return _body_decoder.decode(plaintext)
    except (msgspec.ValidationError, msgspec.DecodeError):
        raise OpenError from None
