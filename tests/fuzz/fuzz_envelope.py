"""Report envelopes: decoding (``decode_envelope``) and opening (``open_report``), and the
reporter's tags over an envelope's header.

Accepted: ``EnvelopeFormatError`` from decoding; ``OpenError`` from opening; ``False`` from the
tag checks. Invariants: a decoded envelope encodes back to one that decodes equal; an envelope
that opens after a change carries the payload that was sealed (only other recipients' wraps,
and an identity withheld from this recipient, may change without notice: they are not this
recipient's to check); a tag check is true only for a header with the context it was made over.
"""

from __future__ import annotations

import msgspec

import crypto
from tests.fuzz import samples
from tests.fuzz.provider import Provider

ORIGINAL = crypto.decode_envelope(samples.ENVELOPE_JSON)
ANONYMOUS = crypto.decode_envelope(samples.ANONYMOUS_JSON)
SEEDS = [*samples.RECIPIENT_SEEDS, samples.REPORTER_SEED]
_ROUTING_FIELDS = ORIGINAL.routing.__struct_fields__


def seeds() -> list[bytes]:
    raw = [bytes([0]) + samples.ENVELOPE_JSON, bytes([0]) + samples.ANONYMOUS_JSON]
    structured = [bytes([1, how]) + bytes(range(40)) for how in range(0, 256, 23)]
    return raw + structured


def TestOneInput(data: bytes) -> None:  # noqa: N802 (libFuzzer's name)
    provider = Provider(data)
    if provider.byte() % 2 == 0:
        decode_and_open(provider.rest())
    else:
        open_changed(provider)


def decode_and_open(data: bytes) -> None:
    try:
        envelope = crypto.decode_envelope(data)
    except crypto.EnvelopeFormatError:
        return
    assert crypto.decode_envelope(crypto.encode_envelope(envelope)) == envelope
    for seed in SEEDS:
        _open_checked(envelope, seed)


def _open_checked(envelope: crypto.ReportEnvelope, seed: bytes) -> None:
    try:
        opened = crypto.open_report(envelope, seed)
    except crypto.OpenError:
        return
    source = ORIGINAL if envelope.identity is not None else ANONYMOUS
    assert envelope.payload == source.payload
    assert opened.payload == crypto.open_report(source, seed).payload


def open_changed(provider: Provider) -> None:
    base = ANONYMOUS if provider.boolean() else ORIGINAL
    changed = change(provider, base)
    try:
        encoded = crypto.encode_envelope(changed)
        envelope = crypto.decode_envelope(encoded)
    except (crypto.EnvelopeFormatError, TypeError, ValueError, OverflowError):
        return  # not even encodable as an envelope (e.g. an int beyond 64 bits)
    # The context sorts the recipients' key ids: their order is not bound, everything else is.
    same_context = envelope.context() == base.context()
    tag = crypto.thread_tag(samples.THREAD_KEY, base.context())
    assert crypto.check_thread_tag(samples.THREAD_KEY, envelope.header(), tag) == same_context
    for seed in SEEDS:
        try:
            opened = crypto.open_report(envelope, seed)
        except crypto.OpenError:
            continue
        assert same_context
        assert envelope.payload == base.payload
        # A recipient the identity is withheld from cannot check its ciphertext (as it cannot
        # check other recipients' wraps); everyone else must notice a change to it.
        assert opened.identity_withheld or envelope.identity == base.identity
        assert opened.payload == crypto.open_report(base, seed).payload


def change(provider: Provider, envelope: crypto.ReportEnvelope) -> crypto.ReportEnvelope:  # noqa: PLR0911, PLR0912 (a case per field)
    """One change the fuzzer picks to one field of a valid envelope."""
    field = provider.integer(0, 8)
    replace = msgspec.structs.replace
    if field == 0:
        return replace(envelope, payload=provider.mutate(envelope.payload))
    if field == 1:
        identity = envelope.identity or b""
        return replace(envelope, identity=provider.mutate(identity) if provider.boolean() else None)
    if field == 2:
        recipients = list(envelope.recipients)
        index = provider.integer(0, len(recipients) - 1)
        wrap = recipients[index]
        if provider.boolean():
            recipients[index] = replace(wrap, wrapped=provider.mutate(wrap.wrapped))
        else:
            recipients[index] = replace(wrap, key_id=provider.mutate(wrap.key_id))
        return replace(envelope, recipients=recipients)
    if field == 3:
        recipients = list(envelope.recipients)
        how = provider.integer(0, 2)
        if how == 0:
            recipients.append(provider.pick(recipients))
        elif how == 1:
            recipients.pop(provider.integer(0, len(recipients) - 1))
        else:
            recipients.reverse()
        return replace(envelope, recipients=recipients)
    if field == 4:
        name = provider.pick(_ROUTING_FIELDS)
        routing = replace(envelope.routing, **{name: provider.text(90)})
        return replace(envelope, routing=routing)
    if field == 5:
        return replace(envelope, report_id=provider.text(40))
    if field == 6:
        key = envelope.reporter_key or bytes(1216)
        return replace(envelope, reporter_key=provider.mutate(key) if provider.boolean() else None)
    if field == 7:
        return replace(envelope, version=provider.integer(-(2**70), 2**70))
    return replace(envelope, suite=provider.integer(-3, 300))
