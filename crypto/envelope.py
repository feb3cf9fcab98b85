"""Report envelopes: seal on the reporter's device, open on an officer's, re-wrap on referral.

The server stores an envelope and reads only ``routing`` (and sizes). Everything else is
ciphertext bound to ``routing``, the report id, the reporter's reply key, the initial
recipients and whether an identity was sealed: changing any of them makes the envelope fail
to open (docs/PROTOCOL.md §3).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from collections.abc import Callable, Iterable
from typing import Annotated, TypeVar

import msgspec

from crypto.attachments import open_chunks, stream_digest
from crypto.encoding import PROTOCOL_VERSION, fields, fields_of, sha256, uuid_bytes
from crypto.errors import EnvelopeFormatError, OpenError
from crypto.primitives import (
    KEY_BYTES,
    KEY_ID_BYTES,
    SUITE_XWING_SHA256_AES256GCM,
    XWING_PUBLIC_BYTES,
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
    unwrap_bundle,
    wrap_bundle,
)

MAX_RECIPIENTS = 32
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_IDENTITY_BYTES = 16 * 1024
_WRAP_PURPOSE = "seda/v1/wrap/report"
_T = TypeVar("_T")

# "\Z", not "$": in Python's re, "$" also matches before a final newline.
Code = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}\Z")]
# Every id in the protocol is a random (version 4) UUID: a time-based one would date the item.
UUIDText = Annotated[
    str, msgspec.Meta(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")
]
ShortText = Annotated[str, msgspec.Meta(max_length=200)]
Key32 = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]


class RoutingMetadata(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The routing envelope: the only facts about a report the server may read.

    Field order is part of the protocol (it is the binding order): append, never reorder.
    """

    institution: Code
    report_type: Code
    category: Code
    concerns: Code
    reporter_type: Code
    channel: Code
    urgency: Code

    def binding(self) -> list[str]:
        return [getattr(self, name) for name in self.__struct_fields__]


class ReportEnvelope(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A sealed report as it travels and is stored (JSON, bytes as base64)."""

    version: int
    suite: int
    report_id: UUIDText
    routing: RoutingMetadata
    reporter_key: (
        Annotated[bytes, msgspec.Meta(min_length=XWING_PUBLIC_BYTES, max_length=XWING_PUBLIC_BYTES)] | None
    )
    recipients: Annotated[list[RecipientWrap], msgspec.Meta(min_length=1, max_length=MAX_RECIPIENTS)]
    payload: Annotated[bytes, msgspec.Meta(min_length=16, max_length=MAX_PAYLOAD_BYTES + 1024)]
    identity: Annotated[bytes, msgspec.Meta(min_length=16, max_length=MAX_IDENTITY_BYTES + 1024)] | None = (
        None
    )

    def context(self) -> bytes:
        """The hash every key and ciphertext of this report is bound to (§3.1)."""
        return self.header().context()

    def header(self) -> EnvelopeHeader:
        """What the context is made of, without the ciphertext (§3.6)."""
        return EnvelopeHeader(
            version=self.version,
            suite=self.suite,
            report_id=self.report_id,
            routing=self.routing,
            reporter_key_id=key_id(self.reporter_key) if self.reporter_key else None,
            recipient_key_ids=[wrap.key_id for wrap in self.recipients],
            with_identity=self.identity is not None,
        )


KeyId = Annotated[bytes, msgspec.Meta(min_length=16, max_length=16)]


class EnvelopeHeader(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An envelope's context inputs: what a reporter's device checks against its thread tag."""

    version: int
    suite: int
    report_id: UUIDText
    routing: RoutingMetadata
    reporter_key_id: KeyId | None
    recipient_key_ids: Annotated[list[KeyId], msgspec.Meta(min_length=1, max_length=MAX_RECIPIENTS)]
    with_identity: bool

    def context(self) -> bytes:
        check_header(self.version, self.suite)
        ids = sorted(set(self.recipient_key_ids))
        if len(ids) != len(self.recipient_key_ids):
            raise EnvelopeFormatError("a recipient key appears twice")
        return sha256(
            "seda/v1/report",
            self.version,
            self.suite,
            uuid_bytes(self.report_id),
            *self.routing.binding(),
            self.reporter_key_id or b"",
            fields_of(ids),
            int(self.with_identity),
        )


def _report_tag(thread_key: bytes, purpose: str, context: bytes, *parts: bytes) -> bytes:
    """HMAC-SHA256(HKDF(thread_key, purpose, ctx), fields(ctx, *parts)): a tag only holders of
    the thread key (the reporter, and officers who opened the report) can make."""
    key = hkdf(thread_key, purpose, context)
    return hmac.new(key, fields(context, *parts), hashlib.sha256).digest()


def _key_id(value: bytes) -> bytes:
    if len(value) != KEY_ID_BYTES:
        raise EnvelopeFormatError("a key id is 16 bytes")
    return value


def _check_tag(header: EnvelopeHeader, tag: bytes, make: Callable[[bytes], bytes]) -> bool:
    try:
        expected = make(header.context())
    except EnvelopeFormatError:
        return False
    return hmac.compare_digest(expected, tag)


def thread_tag(thread_key: bytes, context: bytes) -> bytes:
    """The reporter's tag over a report's context (§3.6): made with the thread key, so the
    server, which stores it, can neither make one nor change what it covers."""
    return _report_tag(thread_key, "seda/v1/report/thread-tag", context)


def check_thread_tag(thread_key: bytes, header: EnvelopeHeader, tag: bytes) -> bool:
    """Does ``tag`` prove that the reporter sealed a report with exactly this header?"""
    return _check_tag(header, tag, lambda context: thread_tag(thread_key, context))


def escrow_tag(thread_key: bytes, context: bytes, key_ids: Iterable[bytes]) -> bytes:
    """The reporter's tag over the key ids of a report's escrowed escalation wraps (§3.7),
    made at submission: order and repeats do not matter (the ids are sorted and de-duplicated).
    Lets the reporter's device trust a body an escalation added. Raises ``EnvelopeFormatError``
    for a key id that is not 16 bytes."""
    ids = sorted({_key_id(value) for value in key_ids})
    return _report_tag(thread_key, "seda/v1/report/escrow-tag", context, fields_of(ids))


def check_escrow_tag(thread_key: bytes, header: EnvelopeHeader, key_ids: Iterable[bytes], tag: bytes) -> bool:
    """Does ``tag`` prove the reporter escrowed wraps to exactly these key ids for the report
    with this header? False (never an error) for anything malformed."""
    return _check_tag(header, tag, lambda context: escrow_tag(thread_key, context, key_ids))


def referral_tag(thread_key: bytes, context: bytes, key_id: bytes) -> bytes:
    """The tag a referring officer's device makes over the report's context and the referred
    body's key id (§3.6), with the thread key from the opened payload: the reporter's device
    then seals follow-ups to that body too. Raises ``EnvelopeFormatError`` for a key id that
    is not 16 bytes."""
    return _report_tag(thread_key, "seda/v1/report/referral-tag", context, _key_id(key_id))


def check_referral_tag(thread_key: bytes, header: EnvelopeHeader, key_id: bytes, tag: bytes) -> bool:
    """Does ``tag`` prove that a holder of the thread key referred the report with this header
    to the body whose key id is ``key_id``? False (never an error) for anything malformed."""
    return _check_tag(header, tag, lambda context: referral_tag(thread_key, context, key_id))


def rekey_tag(thread_key: bytes, context: bytes, key_id: bytes) -> bytes:
    """The tag an officer's device makes, after its body's key was rotated (§6.1), over the
    report's context and the body's *new* key id, with the thread key from the opened payload:
    the reporter's device then seals follow-ups to the body's new key (§3.6). Raises
    ``EnvelopeFormatError`` for a key id that is not 16 bytes."""
    return _report_tag(thread_key, "seda/v1/report/rekey-tag", context, _key_id(key_id))


def check_rekey_tag(thread_key: bytes, header: EnvelopeHeader, key_id: bytes, tag: bytes) -> bool:
    """Does ``tag`` prove that a holder of the thread key vouched for the body key ``key_id``
    as a holder of the report with this header? False (never an error) for anything malformed."""
    return _check_tag(header, tag, lambda context: rekey_tag(thread_key, context, key_id))


class AttachmentRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An attachment uploaded as a separate chunked stream (§3.4)."""

    attachment_id: UUIDText
    name: ShortText
    media_type: Annotated[str, msgspec.Meta(max_length=100)]
    size: Annotated[int, msgspec.Meta(ge=0)]
    chunks: Annotated[int, msgspec.Meta(ge=1)]
    sha256: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]


class ReportPayload(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the reporter wrote: text, structured fields, attachment references.

    ``thread_key`` (from the token, §5.1) lets the bodies check that later messages come
    from someone who holds the token or opened the report; None when there is no token.
    """

    text: str
    fields: dict[str, str] = {}
    attachments: Annotated[list[AttachmentRef], msgspec.Meta(max_length=32)] = []
    language: Annotated[str, msgspec.Meta(max_length=16)] = "fa"
    thread_key: Key32 | None = None


class ReporterIdentity(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Who the reporter is, when they choose to sign (sealed under its own key)."""

    name: str
    contact: str = ""
    fields: dict[str, str] = {}


class ReportKeys(msgspec.Struct, frozen=True):
    """A report's key bundle as an officer's device holds it after opening."""

    content_key: bytes
    identity_key: bytes | None

    def __repr__(self) -> str:
        return "ReportKeys(<hidden>)"


class OpenedReport(msgspec.Struct, frozen=True):
    """An opened report: ``identity`` is None when unsigned or withheld from this recipient."""

    payload: ReportPayload
    identity: ReporterIdentity | None
    identity_withheld: bool
    keys: ReportKeys


_encoder = msgspec.json.Encoder()
_payload_decoder = msgspec.json.Decoder(ReportPayload)
_identity_decoder = msgspec.json.Decoder(ReporterIdentity)
_envelope_decoder = msgspec.json.Decoder(ReportEnvelope)


def decode_envelope(data: bytes) -> ReportEnvelope:
    """Strictly decode an envelope from JSON; ``EnvelopeFormatError`` when malformed."""
    try:
        envelope = _envelope_decoder.decode(data)
        envelope.context()
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError):
        raise EnvelopeFormatError("malformed report envelope") from None
    return envelope


def encode_envelope(envelope: ReportEnvelope) -> bytes:
    return _encoder.encode(envelope)


def _payload_key(keys: ReportKeys, context: bytes) -> bytes:
    return hkdf(keys.content_key, "seda/v1/report/payload", context)


def _identity_key(identity_key: bytes, context: bytes) -> bytes:
    return hkdf(identity_key, "seda/v1/report/identity", context)


def attachment_key(keys: ReportKeys, context: bytes, attachment_id: str) -> bytes:
    """The key of one attachment stream; whoever can open the report can open its files."""
    return hkdf(keys.content_key, "seda/v1/report/attachment", context, uuid_bytes(attachment_id))


def new_report_keys(*, with_identity: bool, random_bytes: Callable[[int], bytes] = os.urandom) -> ReportKeys:
    """Fresh keys for one report (a content key, and an identity key if it will be signed)."""
    return ReportKeys(
        content_key=random_bytes(KEY_BYTES),
        identity_key=random_bytes(KEY_BYTES) if with_identity else None,
    )


def report_context(
    *,
    report_id: str,
    routing: RoutingMetadata,
    recipients: list[bytes],
    reporter_public_key: bytes | None,
    with_identity: bool,
) -> bytes:
    """The context (§3.1) a report sealed with these facts will have, before sealing it:
    attachments are sealed first, under keys derived from it."""
    return EnvelopeHeader(
        version=PROTOCOL_VERSION,
        suite=SUITE_XWING_SHA256_AES256GCM,
        report_id=str(uuid.UUID(report_id)),
        routing=routing,
        reporter_key_id=key_id(reporter_public_key) if reporter_public_key else None,
        recipient_key_ids=[key_id(public) for public in recipients],
        with_identity=with_identity,
    ).context()


def seal_report(
    *,
    report_id: str,
    routing: RoutingMetadata,
    payload: ReportPayload,
    recipients: list[bytes],
    reporter_public_key: bytes | None,
    identity: ReporterIdentity | None = None,
    identity_recipients: list[bytes] | None = None,
    keys: ReportKeys | None = None,
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> tuple[ReportEnvelope, ReportKeys]:
    """Seal a report to the X-Wing public keys in ``recipients``.

    The identity, when given, is sealed under a separate key that only the keys in
    ``identity_recipients`` (default: all recipients) receive. ``keys`` comes from
    ``new_report_keys`` when attachments were sealed first (their keys derive from the
    report's, §3.4); ``random_bytes`` is replaceable only so test vectors can be reproduced.
    Returns the envelope and its keys. Raises ``EnvelopeFormatError`` for out-of-bounds input.
    """
    if keys is None:
        keys = new_report_keys(with_identity=identity is not None, random_bytes=random_bytes)
    if (keys.identity_key is not None) != (identity is not None):
        raise EnvelopeFormatError("an identity key exactly when an identity is sealed")
    payload_bytes = _encoder.encode(payload)
    identity_bytes = _encoder.encode(identity) if identity is not None else None
    if len(payload_bytes) > MAX_PAYLOAD_BYTES or (
        identity_bytes and len(identity_bytes) > MAX_IDENTITY_BYTES
    ):
        raise EnvelopeFormatError("report too large")
    if len(set(recipients)) != len(recipients) or not 1 <= len(recipients) <= MAX_RECIPIENTS:
        raise EnvelopeFormatError("between 1 and 32 distinct recipients")
    with_identity = set(identity_recipients if identity_recipients is not None else recipients)
    placeholder = [RecipientWrap(key_id=key_id(public), wrapped=b"\x00") for public in recipients]
    draft = ReportEnvelope(
        version=PROTOCOL_VERSION,
        suite=SUITE_XWING_SHA256_AES256GCM,
        report_id=str(uuid.UUID(report_id)),
        routing=routing,
        reporter_key=reporter_public_key,
        recipients=placeholder,
        payload=b"\x00" * 16,
        identity=b"\x00" * 16 if identity_bytes is not None else None,
    )
    context = draft.context()
    wraps = [_wrap(keys, context, public, public in with_identity) for public in recipients]
    envelope = msgspec.structs.replace(
        draft,
        recipients=wraps,
        payload=seal_once(_payload_key(keys, context), payload_bytes, context),
        identity=(
            seal_once(_identity_key(keys.identity_key, context), identity_bytes, context)
            if identity_bytes is not None and keys.identity_key is not None
            else None
        ),
    )
    return envelope, keys


def _wrap(keys: ReportKeys, context: bytes, public: bytes, include_identity: bool) -> RecipientWrap:
    bundle = [keys.content_key]
    if include_identity and keys.identity_key is not None:
        bundle.append(keys.identity_key)
    return wrap_bundle(_WRAP_PURPOSE, SUITE_XWING_SHA256_AES256GCM, context, bundle, public)


def open_report(envelope: ReportEnvelope, seed: bytes, wrap: RecipientWrap | None = None) -> OpenedReport:
    """Open a report with a recipient's X-Wing seed.

    ``wrap`` is the recipient's wrap when it came by referral (not in the envelope). Raises
    ``OpenError`` — one error for every reason — if anything does not verify.
    """
    try:
        context = envelope.context()
    except EnvelopeFormatError:
        raise OpenError from None
    own = wrap or find_wrap(envelope.recipients, key_id(xwing_public_bytes(seed)))
    bundle = unwrap_bundle(_WRAP_PURPOSE, envelope.suite, context, own, seed)
    keys = ReportKeys(content_key=bundle[0], identity_key=bundle[1] if len(bundle) > 1 else None)
    payload = _decode(_payload_decoder, open_once(_payload_key(keys, context), envelope.payload, context))
    identity = None
    if envelope.identity is not None and keys.identity_key is not None:
        sealed = open_once(_identity_key(keys.identity_key, context), envelope.identity, context)
        identity = _decode(_identity_decoder, sealed)
    withheld = envelope.identity is not None and identity is None
    return OpenedReport(payload=payload, identity=identity, identity_withheld=withheld, keys=keys)


def _decode(decoder: msgspec.json.Decoder[_T], data: bytes) -> _T:
    try:
        return decoder.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError):
        raise OpenError from None


def rewrap_for_referral(
    envelope: ReportEnvelope, keys: ReportKeys, new_recipient_public_key: bytes, include_identity: bool
) -> RecipientWrap:
    """On the referring officer's device: wrap the report's keys to another body's key.

    The payload does not change; the new wrap is stored beside the envelope. The identity
    key is passed on only if ``include_identity`` (a referral may withhold who reported).
    """
    return _wrap(keys, envelope.context(), new_recipient_public_key, include_identity)


def open_attachment(keys: ReportKeys, context: bytes, ref: AttachmentRef, chunks: list[bytes]) -> bytes:
    """Open an uploaded attachment and check it is exactly the one the payload describes.

    ``OpenError`` if the stream's digest, chunk count or size differs from ``ref``.
    """
    if len(chunks) != ref.chunks or stream_digest(chunks) != ref.sha256:
        raise OpenError
    data = b"".join(open_chunks(attachment_key(keys, context, ref.attachment_id), chunks))
    if len(data) != ref.size:
        raise OpenError
    return data
