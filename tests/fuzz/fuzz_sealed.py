"""The other sealed formats of ``crypto``: messages (replies, follow-ups, notes), body-key
grants, officers' protected seeds and box-slip records.

Accepted: ``msgspec.ValidationError``/``DecodeError`` when a sealed message's JSON is decoded
as the Python client decodes a server's answer (the server's own decoding of request bodies is
``fuzz_api_bodies``'s); ``OpenError`` from every opening function (wrong key,
wrong thread key, any change). Invariant: whatever opens after a change is the original
(nothing altered opens into something else).
"""

from __future__ import annotations

import msgspec

import crypto
from crypto.derive import OfficerSecrets
from kiosk_client.client import decode_answer
from tests.fuzz import samples
from tests.fuzz.provider import Provider

REPLY = msgspec.json.decode(samples.REPLY_JSON, type=crypto.SealedMessage)
REPLY_TEXT = samples.VECTORS["message"]["text"]
NOTE = samples.message("note")  # sealed afresh on each call: made once
KEYS = samples.VECTORS["keys"]
GRANT = bytes.fromhex(KEYS["grant"])
BODY_KEY_ID = bytes.fromhex(KEYS["body_key_id"])
BODY_SEED = bytes.fromhex(KEYS["body_seed"])
OFFICER_SEED = bytes.fromhex(KEYS["officer_seed"])
OFFICER_KEY_ID = bytes.fromhex(KEYS["officer_key_id"])
PROTECTED = bytes.fromhex(KEYS["protected_seed"])
OFFICER = OfficerSecrets(
    wrap_key=bytes.fromhex(KEYS["wrap_key"]), auth_value=bytes.fromhex(KEYS["auth_value"])
)
SLIP = samples.VECTORS["slips"]["slips"][0]
CLAIM = crypto.ClaimSecrets(
    claim_id=bytes.fromhex(SLIP["claim_id"]), claim_key=bytes.fromhex(SLIP["claim_key"])
)
RECORD = msgspec.convert(SLIP["record"], crypto.SlipRecord, strict=False)
SLIP_THREAD_KEY = crypto.open_slip(CLAIM, RECORD)
_SEEDS = [samples.REPORTER_SEED, *samples.RECIPIENT_SEEDS]
_MESSAGE_BYTES = ("body", "auth")


def seeds() -> list[bytes]:
    raw = [bytes([0]) + samples.REPLY_JSON, bytes([0]) + msgspec.json.encode(NOTE)]
    return raw + [bytes([kind, how]) + bytes(range(48)) for kind in range(1, 5) for how in range(0, 256, 51)]


def TestOneInput(data: bytes) -> None:  # noqa: N802 (libFuzzer's name)
    provider = Provider(data)
    kind = provider.byte() % 5
    if kind == 0:
        decode_and_open_message(provider.rest())
    elif kind == 1:
        open_changed_message(provider)
    elif kind == 2:
        open_changed_grant(provider)
    elif kind == 3:
        open_changed_protected_seed(provider)
    else:
        open_changed_slip(provider)


def decode_and_open_message(data: bytes) -> None:
    try:
        message = decode_answer(data, crypto.SealedMessage)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return
    for seed in _SEEDS:
        _open_message(message, seed)


def _open_message(message: crypto.SealedMessage, seed: bytes) -> None:
    try:
        body = crypto.open_message(message, seed, samples.THREAD_KEY)
    except crypto.OpenError:
        return
    assert message.body in (REPLY.body, NOTE.body), "an altered message opened"
    assert body.text in (REPLY_TEXT, "fuzz seed")


def open_changed_message(provider: Provider) -> None:
    replace = msgspec.structs.replace
    how = provider.integer(0, 6)
    if how < 2:
        name = _MESSAGE_BYTES[how]
        changed = replace(REPLY, **{name: provider.mutate(getattr(REPLY, name))})
    elif how == 2:
        changed = replace(REPLY, kind=provider.pick(["reply", "follow-up", "note"]))
    elif how == 3:
        changed = replace(REPLY, report_id=provider.text(40))
    elif how == 4:
        changed = replace(REPLY, message_id=provider.text(40))
    elif how == 5:
        wrap = REPLY.recipients[0]
        wraps = [replace(wrap, wrapped=provider.mutate(wrap.wrapped)), *REPLY.recipients[1:]]
        changed = replace(REPLY, recipients=wraps)
    else:
        changed = replace(REPLY, version=provider.integer(0, 3), suite=provider.integer(0, 3))
    try:
        message = decode_answer(msgspec.json.encode(changed), crypto.SealedMessage)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return
    for seed in _SEEDS:
        try:
            body = crypto.open_message(message, seed, provider.pick([samples.THREAD_KEY, bytes(32)]))
        except crypto.OpenError:
            continue
        assert (message.version, message.suite, message.kind) == (REPLY.version, REPLY.suite, REPLY.kind)
        assert (message.report_id, message.message_id, message.body) == (
            REPLY.report_id,
            REPLY.message_id,
            REPLY.body,
        )
        assert body.text == REPLY_TEXT


def open_changed_grant(provider: Provider) -> None:
    grant = provider.mutate(GRANT)
    body_key_id = provider.mutate(BODY_KEY_ID) if provider.boolean() else BODY_KEY_ID
    seed = OFFICER_SEED if provider.boolean() else provider.data(40)
    try:
        opened = crypto.open_body_key_grant(grant, body_key_id, seed)
    except crypto.OpenError:
        return
    except crypto.KeyFormatError:
        assert len(seed) != 32  # the officer's own seed is the caller's, not outside input
        return
    assert (grant, body_key_id, seed, opened) == (GRANT, BODY_KEY_ID, OFFICER_SEED, BODY_SEED)


def open_changed_protected_seed(provider: Provider) -> None:
    protected = provider.mutate(PROTECTED)
    key_id = provider.mutate(OFFICER_KEY_ID) if provider.boolean() else OFFICER_KEY_ID
    try:
        seed = crypto.unlock_officer_seed(protected, key_id, OFFICER)
    except crypto.OpenError:
        return
    assert (protected, key_id, seed) == (PROTECTED, OFFICER_KEY_ID, OFFICER_SEED)


def open_changed_slip(provider: Provider) -> None:
    name = provider.pick(RECORD.__struct_fields__)
    record = msgspec.structs.replace(RECORD, **{name: provider.mutate(getattr(RECORD, name))})
    try:
        thread_key = crypto.open_slip(CLAIM, record)
    except crypto.OpenError:
        return
    assert (record, thread_key) == (RECORD, SLIP_THREAD_KEY)
