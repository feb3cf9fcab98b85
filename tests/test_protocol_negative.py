"""Everything that should not open, does not: one opaque OpenError for each way of tampering."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crypto
from crypto.directory import encode_directory, sign_document
from crypto.keys import new_seed
from crypto.primitives import hkdf, seal_once

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "vectors" / "protocol-v1.json").read_text("utf-8")
)
SEEDS = [bytes.fromhex(s) for s in VECTORS["report"]["recipient_seeds"]]
ENVELOPE = crypto.decode_envelope(json.dumps(VECTORS["report"]["envelope"]).encode())


def _flip(data: bytes, bit: int) -> bytes:
    position = bit % (len(data) * 8)
    changed = bytearray(data)
    changed[position // 8] ^= 1 << (position % 8)
    return bytes(changed)


def _with_wrap(envelope: crypto.ReportEnvelope, index: int, wrapped: bytes) -> crypto.ReportEnvelope:
    recipients = list(envelope.recipients)
    recipients[index] = msgspec.structs.replace(recipients[index], wrapped=wrapped)
    return msgspec.structs.replace(envelope, recipients=recipients)


def test_the_wrong_key_cannot_open() -> None:
    with pytest.raises(crypto.OpenError):
        crypto.open_report(ENVELOPE, new_seed())
    with pytest.raises(crypto.OpenError):
        crypto.open_report(ENVELOPE, SEEDS[2])  # a real body that was not a recipient


def test_a_wrap_presented_as_anothers_is_refused() -> None:
    # Body 1 presents body 0's wrap: the key id in HPKE info differs, so it cannot open.
    with pytest.raises(crypto.OpenError):
        crypto.open_report(ENVELOPE, SEEDS[1], ENVELOPE.recipients[0])


@settings(max_examples=60, deadline=None)
@given(bit=st.integers(min_value=0))
def test_a_flipped_bit_in_the_payload_is_refused(bit: int) -> None:
    with pytest.raises(crypto.OpenError):
        crypto.open_report(msgspec.structs.replace(ENVELOPE, payload=_flip(ENVELOPE.payload, bit)), SEEDS[0])


@settings(max_examples=60, deadline=None)
@given(bit=st.integers(min_value=0))
def test_a_flipped_bit_in_a_wrap_is_refused(bit: int) -> None:
    tampered = _with_wrap(ENVELOPE, 0, _flip(ENVELOPE.recipients[0].wrapped, bit))
    with pytest.raises(crypto.OpenError):
        crypto.open_report(tampered, SEEDS[0])


@settings(max_examples=30, deadline=None)
@given(bit=st.integers(min_value=0))
def test_a_flipped_bit_in_the_identity_is_refused(bit: int) -> None:
    assert ENVELOPE.identity is not None
    with pytest.raises(crypto.OpenError):
        crypto.open_report(
            msgspec.structs.replace(ENVELOPE, identity=_flip(ENVELOPE.identity, bit)), SEEDS[0]
        )


@pytest.mark.parametrize("field", ["payload", "identity"])
@pytest.mark.parametrize("cut", [1, 16, 100])
def test_truncation_is_refused(field: str, cut: int) -> None:
    value: bytes = getattr(ENVELOPE, field)
    with pytest.raises(crypto.OpenError):
        crypto.open_report(msgspec.structs.replace(ENVELOPE, **{field: value[:-cut]}), SEEDS[0])
    truncated_wrap = _with_wrap(ENVELOPE, 0, ENVELOPE.recipients[0].wrapped[:-cut])
    with pytest.raises(crypto.OpenError):
        crypto.open_report(truncated_wrap, SEEDS[0])


@pytest.mark.parametrize(
    "change",
    [
        {"category": "health"},
        {"concerns": "management"},
        {"institution": "tabriz-central"},
        {"urgency": "normal"},
        {"reporter_type": "staff"},
        {"channel": "web"},
        {"report_type": "suggestion"},
    ],
)
def test_changed_or_swapped_routing_metadata_is_refused(change: dict[str, str]) -> None:
    routing = msgspec.structs.replace(ENVELOPE.routing, **change)
    with pytest.raises(crypto.OpenError):
        crypto.open_report(msgspec.structs.replace(ENVELOPE, routing=routing), SEEDS[0])


def test_routing_metadata_swapped_between_two_real_reports_is_refused() -> None:
    other = crypto.decode_envelope(json.dumps(VECTORS["report"]["anonymous_envelope"]).encode())
    swapped = msgspec.structs.replace(other, routing=ENVELOPE.routing)
    with pytest.raises(crypto.OpenError):
        crypto.open_report(swapped, SEEDS[1])


def test_an_envelope_replayed_under_another_report_id_is_refused() -> None:
    replayed = msgspec.structs.replace(ENVELOPE, report_id=str(uuid.uuid4()))
    with pytest.raises(crypto.OpenError):
        crypto.open_report(replayed, SEEDS[0])


def test_a_swapped_reply_key_is_refused() -> None:
    attacker = crypto.public_key_of(new_seed()).public_key
    with pytest.raises(crypto.OpenError):
        crypto.open_report(msgspec.structs.replace(ENVELOPE, reporter_key=attacker), SEEDS[0])


def test_a_stripped_identity_or_recipient_is_refused() -> None:
    with pytest.raises(crypto.OpenError):
        crypto.open_report(msgspec.structs.replace(ENVELOPE, identity=None), SEEDS[0])
    with pytest.raises(crypto.OpenError):
        crypto.open_report(msgspec.structs.replace(ENVELOPE, recipients=ENVELOPE.recipients[:1]), SEEDS[0])


def test_unknown_version_or_suite_is_refused() -> None:
    for change in ({"version": 2}, {"suite": 9}):
        with pytest.raises(crypto.OpenError):
            crypto.open_report(msgspec.structs.replace(ENVELOPE, **change), SEEDS[0])


def _chunks() -> tuple[bytes, list[bytes]]:
    key = bytes.fromhex(VECTORS["report"]["attachment"]["key"])
    return key, crypto.seal_chunks(key, bytes(200_000))


def test_reordered_dropped_duplicated_or_truncated_chunks_are_refused() -> None:
    key, chunks = _chunks()
    assert len(chunks) == 4
    for tampered in (
        [chunks[1], chunks[0], *chunks[2:]],
        chunks[:-1],
        [chunks[0], *chunks],
        [*chunks[:-1], chunks[-1][:-1]],
        [chunks[0], chunks[2], chunks[3]],
        [],
    ):
        with pytest.raises(crypto.OpenError):
            list(crypto.open_chunks(key, tampered))


def test_a_chunk_under_another_attachments_key_is_refused() -> None:
    key, chunks = _chunks()
    with pytest.raises(crypto.OpenError):
        list(crypto.open_chunks(bytes(32), chunks))
    assert b"".join(crypto.open_chunks(key, chunks)) == bytes(200_000)


THREAD = bytes.fromhex(VECTORS["report"]["thread_key"])
REPORTER = bytes.fromhex(VECTORS["report"]["reporter_seed"])


def test_messages_refuse_tampering_and_strangers() -> None:
    message = msgspec.convert(VECTORS["message"]["reply"], crypto.SealedMessage, strict=False)
    for tampered in (
        msgspec.structs.replace(message, body=_flip(message.body, 3)),
        msgspec.structs.replace(message, auth=_flip(message.auth, 3)),
        msgspec.structs.replace(message, kind="note"),
        msgspec.structs.replace(message, report_id=str(uuid.uuid4())),
        msgspec.structs.replace(message, message_id=str(uuid.uuid4())),
    ):
        with pytest.raises(crypto.OpenError):
            crypto.open_message(tampered, REPORTER, THREAD)
    with pytest.raises(crypto.OpenError):
        crypto.open_message(message, SEEDS[1], THREAD)
    with pytest.raises(crypto.OpenError):
        crypto.open_message(message, REPORTER, bytes(32))


def test_the_server_cannot_forge_a_reply_or_a_follow_up() -> None:
    # The server knows every public key but not the thread key (token / sealed payload).
    forged = crypto.seal_message(
        kind="reply",
        report_id=ENVELOPE.report_id,
        message_id=str(uuid.uuid4()),
        body=crypto.MessageBody(text="Your complaint is closed; do not write again."),
        recipients=[crypto.public_key_of(REPORTER).public_key],
        thread_key=new_seed(),
    )
    with pytest.raises(crypto.OpenError):
        crypto.open_message(forged, REPORTER, THREAD)


def test_a_grant_needs_the_fingerprint_a_person_confirmed() -> None:
    body_seed, officer_seed, server_seed = new_seed(), new_seed(), new_seed()
    officer = crypto.public_key_of(officer_seed).public_key
    substituted = crypto.public_key_of(server_seed).public_key
    confirmed = crypto.key_fingerprint(officer)
    with pytest.raises(crypto.UnverifiedKeyError):
        crypto.grant_body_key(body_seed, substituted, confirmed)
    with pytest.raises(crypto.UnverifiedKeyError):
        crypto.rotate_body_key([(substituted, confirmed)])
    assert crypto.grant_body_key(body_seed, officer, confirmed)


def test_reusing_a_passphrase_and_salt_never_reuses_a_seed_key() -> None:
    case = VECTORS["keys"]
    params = msgspec.convert(case["params"], crypto.Argon2Params)
    secrets = crypto.derive_from_passphrase(case["passphrase"], bytes.fromhex(case["salt"]), params)
    first, second = (
        crypto.protect_officer_seed(new_seed(), secrets),
        crypto.protect_officer_seed(new_seed(), secrets),
    )
    assert first[:16] != second[:16]  # fresh blob salt, so a fresh key per blob


def test_grants_and_protected_seeds_refuse_the_wrong_key() -> None:
    case = VECTORS["keys"]
    grant, body_key_id = bytes.fromhex(case["grant"]), bytes.fromhex(case["body_key_id"])
    with pytest.raises(crypto.OpenError):
        crypto.open_body_key_grant(grant, body_key_id, new_seed())
    with pytest.raises(crypto.OpenError):
        crypto.open_body_key_grant(grant, bytes(16), bytes.fromhex(case["officer_seed"]))
    params = msgspec.convert(case["params"], crypto.Argon2Params)
    wrong = crypto.derive_from_passphrase("not the passphrase", bytes.fromhex(case["salt"]), params)
    with pytest.raises(crypto.OpenError):
        crypto.unlock_officer_seed(
            bytes.fromhex(case["protected_seed"]), bytes.fromhex(case["officer_key_id"]), wrong
        )


def test_a_changed_directory_does_not_verify() -> None:
    case = VECTORS["directory"]
    signed = msgspec.convert(case["signed"], crypto.SignedDocument, strict=False)
    root = bytes.fromhex(case["root_public_key"])
    swapped_key = signed.document.replace(b'"serial":7', b'"serial":8')
    now = datetime.fromisoformat(case["valid_at"])
    for tampered in (
        msgspec.structs.replace(signed, document=swapped_key),
        msgspec.structs.replace(signed, signature=_flip(signed.signature, 5)),
        msgspec.structs.replace(signed, kind="policy"),
    ):
        with pytest.raises(crypto.SignatureError):
            crypto.verify_directory(tampered, root, now=now)


def test_malformed_envelopes_are_a_typed_error() -> None:
    good = VECTORS["report"]["envelope"]
    duplicate = {**good, "recipients": [good["recipients"][0], good["recipients"][0]]}
    newline = {**good, "routing": {**good["routing"], "channel": "kiosk\n"}}
    time_based_id = {**good, "report_id": str(uuid.uuid1())}
    for data in (
        b"",
        b"{}",
        b"[]",
        b"\xff",
        json.dumps({**good, "extra": 1}).encode(),
        json.dumps(duplicate).encode(),
        json.dumps(newline).encode(),
        json.dumps(time_based_id).encode(),
    ):
        with pytest.raises(crypto.EnvelopeFormatError):
            crypto.decode_envelope(data)


def test_a_payload_with_unknown_fields_does_not_open() -> None:
    draft, keys = crypto.seal_report(
        report_id=str(uuid.uuid4()),
        routing=ENVELOPE.routing,
        payload=crypto.ReportPayload(text="x"),
        recipients=[crypto.public_key_of(SEEDS[0]).public_key],
        reporter_public_key=None,
    )
    context = draft.context()
    odd = json.dumps({"text": "x", "smuggled": True}).encode()
    payload = seal_once(hkdf(keys.content_key, "seda/v1/report/payload", context), odd, context)
    with pytest.raises(crypto.OpenError):
        crypto.open_report(msgspec.structs.replace(draft, payload=payload), SEEDS[0])


def test_sealing_refuses_duplicate_recipients() -> None:
    public = crypto.public_key_of(SEEDS[0]).public_key
    with pytest.raises(crypto.EnvelopeFormatError):
        crypto.seal_report(
            report_id=str(uuid.uuid4()),
            routing=ENVELOPE.routing,
            payload=crypto.ReportPayload(text="x"),
            recipients=[public, public],
            reporter_public_key=None,
        )


def test_error_messages_never_carry_secrets() -> None:
    token = crypto.new_token()
    with pytest.raises(crypto.TokenFormatError) as caught:
        crypto.parse_token(token.digits[:-1] + str((int(token.digits[-1]) + 1) % 10))
    assert token.digits[:-1] not in str(caught.value)
    assert caught.value.reason == "check"
    with pytest.raises(crypto.TokenFormatError) as caught:
        crypto.parse_token(token.grouped() + " " * 300)
    assert caught.value.reason == "length"
    assert token.digits not in repr(token)
    secrets = crypto.derive_from_token(token, crypto.Argon2Params(memory_kib=64, iterations=1))
    assert secrets.lookup_secret.hex() not in repr(secrets)


def test_a_directory_where_two_bodies_share_a_key_is_neither_signed_nor_verified() -> None:
    case = VECTORS["directory"]
    signed = msgspec.convert(case["signed"], crypto.SignedDocument, strict=False)
    root = bytes.fromhex(case["root_public_key"])
    now = datetime.fromisoformat(case["valid_at"])
    directory = crypto.verify_directory(signed, root, now=now)
    first, second, *rest = directory.bodies
    shared = msgspec.structs.replace(second, public_key=first.public_key, key_id=first.key_id)
    sharing = msgspec.structs.replace(directory, bodies=[first, shared, *rest])
    with pytest.raises(crypto.CryptoError):
        crypto.sign_directory(sharing, new_seed())
    root_seed = new_seed()
    forged = sign_document("directory", encode_directory(sharing), root_seed)
    with pytest.raises(crypto.SignatureError):
        crypto.verify_directory(forged, crypto.root_public_key(root_seed), now=now)
