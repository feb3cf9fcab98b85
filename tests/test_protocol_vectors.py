"""The Python implementation passes every known-answer vector in tests/vectors/protocol-v1.json.

The JavaScript implementation passes the same file (web/test/vectors.test.mjs and the
browser test), so both sides agree byte for byte.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

import crypto
from crypto import puzzle
from crypto.encoding import fields, sha256
from crypto.primitives import hkdf, key_id, open_once, seal_once, xwing_public_bytes
from tests.vectors import generate

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "vectors" / "protocol-v1.json").read_text(encoding="utf-8")
)
b = bytes.fromhex


def _fixed(number: int) -> Callable[[int], int]:
    return lambda _bound: number


def _prefix_of(hex_blob: str) -> Callable[[int], bytes]:
    """'Randomness' that replays the blob salt a vector was made with."""
    return lambda size: b(hex_blob)[:size]


def _part(typed: dict[str, Any]) -> bytes | str | int:
    if "bytes" in typed:
        return b(typed["bytes"])
    return typed["str"] if "str" in typed else int(typed["int"])


def test_field_encoding() -> None:
    for case in VECTORS["encoding"]:
        assert fields(*[_part(p) for p in case["parts"]]).hex() == case["fields"]


def test_hkdf_expansions() -> None:
    for case in VECTORS["hkdf"]:
        context = [b(c) for c in case["context"]]
        assert hkdf(b(case["secret"]), case["purpose"], *context).hex() == case["output"]


def test_token_encoding_grouping_and_parsing() -> None:
    vectors = VECTORS["token"]
    for case in vectors["tokens"]:
        token = crypto.new_token(_fixed(int(case["random"])))
        assert token.digits == case["digits"]
        assert token.grouped() == case["grouped"]
        assert token.grouped(persian=True) == case["grouped_persian"]
    for case in vectors["accepted"]:
        assert crypto.parse_token(case["typed"]).digits == case["digits"]
    for case in vectors["refused"]:
        with pytest.raises(crypto.TokenFormatError):
            crypto.parse_token(case["typed"])


@pytest.mark.parametrize("index", range(3))
def test_token_derivation(index: int) -> None:
    case = VECTORS["derivation"][index]
    params = msgspec.convert(case["params"], crypto.Argon2Params)
    secrets = crypto.derive_from_token(crypto.parse_token(case["token"]), params)
    assert secrets.lookup_secret.hex() == case["lookup_secret"]
    assert secrets.reporter_seed.hex() == case["reporter_seed"]
    assert key_id(secrets.reporter_public_key).hex() == case["reporter_key_id"]
    assert secrets.thread_key.hex() == case["thread_key"]
    assert crypto.lookup_verifier(secrets.lookup_secret).hex() == case["lookup_verifier"]


def test_xwing_keys_from_seeds() -> None:
    for case in VECTORS["xwing"]:
        public = xwing_public_bytes(b(case["seed"]))
        assert hashlib.sha256(public).hexdigest() == case["public_key_sha256"]
        assert public[:16].hex() == case["public_key_head"]
        assert public[-32:].hex() == case["public_key_tail"]
        assert key_id(public).hex() == case["key_id"]
        assert crypto.key_fingerprint(public) == case["fingerprint"]


def _envelope(data: dict[str, Any]) -> crypto.ReportEnvelope:
    return crypto.decode_envelope(json.dumps(data).encode())


def test_report_context_and_deterministic_payload_sealing() -> None:
    report = VECTORS["report"]
    envelope = _envelope(report["envelope"])
    context = envelope.context()
    assert context.hex() == report["context"]
    payload_key = hkdf(b(report["content_key"]), "seda/v1/report/payload", context)
    assert (
        seal_once(payload_key, b(report["payload_plaintext"]), context).hex() == report["payload_ciphertext"]
    )
    assert open_once(payload_key, envelope.payload, context) == b(report["payload_plaintext"])


def test_report_opens_for_each_recipient_with_identity_only_where_granted() -> None:
    report = VECTORS["report"]
    envelope = _envelope(report["envelope"])
    for case in report["opened"]:
        opened = crypto.open_report(envelope, b(report["recipient_seeds"][case["seed_index"]]))
        assert msgspec.to_builtins(opened.payload) == case["payload"]
        identity = msgspec.to_builtins(opened.identity) if opened.identity else None
        assert identity == case["identity"]
        assert opened.identity_withheld == case["identity_withheld"]
        assert opened.keys.content_key.hex() == report["content_key"]


def test_referral_wrap_opens_for_the_new_body_without_identity() -> None:
    report = VECTORS["report"]
    envelope = _envelope(report["envelope"])
    referral = report["referral"]
    wrap = msgspec.convert(referral["wrap"], crypto.RecipientWrap, strict=False)
    opened = crypto.open_report(envelope, b(report["recipient_seeds"][referral["seed_index"]]), wrap)
    assert opened.identity is None
    assert opened.identity_withheld is referral["identity_withheld"]


def test_anonymous_report_without_reply_key_opens() -> None:
    report = VECTORS["report"]
    envelope = _envelope(report["anonymous_envelope"])
    case = report["anonymous_opened"]
    opened = crypto.open_report(envelope, b(report["recipient_seeds"][case["seed_index"]]))
    assert opened.payload.text == case["text"]
    assert envelope.reporter_key is None


def test_attachment_stream_matches_the_reference_in_the_payload() -> None:
    report = VECTORS["report"]
    case = report["attachment"]
    data = bytes(i % 251 for i in range(case["data"]["length"]))
    key = b(case["key"])
    envelope = _envelope(report["envelope"])
    opened = crypto.open_report(envelope, b(report["recipient_seeds"][0]))
    assert crypto.attachment_key(opened.keys, envelope.context(), case["attachment_id"]) == key
    chunks = crypto.seal_chunks(key, data)
    assert [hashlib.sha256(c).hexdigest() for c in chunks] == case["chunk_sha256"]
    assert crypto.stream_digest(chunks).hex() == case["stream_digest"]
    ref = opened.payload.attachments[0]
    assert crypto.open_attachment(opened.keys, envelope.context(), ref, chunks) == data
    with pytest.raises(crypto.OpenError):
        crypto.open_attachment(opened.keys, envelope.context(), ref, chunks[:-1])
    assert opened.payload.thread_key is not None
    assert opened.payload.thread_key.hex() == report["thread_key"]


def test_reply_opens_for_reporter_and_body_with_the_thread_key() -> None:
    message = msgspec.convert(VECTORS["message"]["reply"], crypto.SealedMessage, strict=False)
    assert message.context().hex() == VECTORS["message"]["context"]
    report = VECTORS["report"]
    # The reporter gets the thread key from the token, the body from the opened payload.
    reporter = crypto.derive_from_token(
        crypto.parse_token(report["token"]), msgspec.convert(report["token_params"], crypto.Argon2Params)
    )
    assert reporter.reporter_seed.hex() == report["reporter_seed"]
    opened = crypto.open_report(_envelope(report["envelope"]), b(report["recipient_seeds"][0]))
    assert opened.payload.thread_key == reporter.thread_key
    for seed in (reporter.reporter_seed, b(report["recipient_seeds"][0])):
        assert crypto.open_message(message, seed, reporter.thread_key).text == VECTORS["message"]["text"]


def test_body_key_grant_and_officer_protection() -> None:
    case = VECTORS["keys"]
    params = msgspec.convert(case["params"], crypto.Argon2Params)
    assert crypto.open_body_key_grant(b(case["grant"]), b(case["body_key_id"]), b(case["officer_seed"])) == b(
        case["body_seed"]
    )
    for passphrase in (case["passphrase"], case["passphrase_nfd_equivalent"]):
        secrets = crypto.derive_from_passphrase(passphrase, b(case["salt"]), params)
        assert secrets.wrap_key.hex() == case["wrap_key"]
        assert secrets.auth_value.hex() == case["auth_value"]
        officer_seed = crypto.unlock_officer_seed(
            b(case["protected_seed"]), b(case["officer_key_id"]), secrets
        )
        assert officer_seed.hex() == case["officer_seed"]
        again = crypto.protect_officer_seed(
            officer_seed, secrets, random_bytes=_prefix_of(case["protected_seed"])
        )
        assert again.hex() == case["protected_seed"]
    officer_public = crypto.public_key_of(b(case["officer_seed"])).public_key
    assert crypto.key_fingerprint(officer_public) == case["officer_fingerprint"]


def test_signed_directory_verifies_against_the_pinned_root_only() -> None:
    case = VECTORS["directory"]
    signed = msgspec.convert(case["signed"], crypto.SignedDocument, strict=False)
    root = b(case["root_public_key"])
    assert crypto.root_public_key(b(case["root_seed"])) == root
    assert crypto.root_key_id(root).hex() == case["root_key_id"]
    now = _instant(case["valid_at"])
    directory = crypto.verify_directory(signed, root, now=now)
    assert directory.serial == case["serial"]
    assert [entry.body for entry in directory.bodies] == case["body_codes"]
    assert crypto.sign_directory(directory, b(case["root_seed"])).signature == signed.signature
    with pytest.raises(crypto.SignatureError):
        crypto.verify_directory(signed, b(case["other_root_public_key"]), now=now)
    with pytest.raises(crypto.SignatureError):
        crypto.verify_directory(signed, root, now=now, min_serial=case["serial"] + 1)
    for stale in (case["expired_at"], case["before_issue_at"]):
        with pytest.raises(crypto.SignatureError):
            crypto.verify_directory(signed, root, now=_instant(stale))


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_every_signed_but_malformed_directory_in_the_vectors_is_refused() -> None:
    case = VECTORS["directory"]
    for refusal in case["refusals"]:
        signed = msgspec.convert(refusal["signed"], crypto.SignedDocument, strict=False)
        with pytest.raises(crypto.SignatureError):
            crypto.verify_directory(signed, b(case["root_public_key"]), now=_instant(case["valid_at"]))


def test_thread_tag_over_the_report_vectors_header() -> None:
    case = VECTORS["thread_tag"]
    header = msgspec.convert(case["header"], crypto.EnvelopeHeader, strict=False)
    altered = msgspec.convert(case["altered_header"], crypto.EnvelopeHeader, strict=False)
    assert header.context().hex() == case["context"]
    assert crypto.thread_tag(b(case["thread_key"]), header.context()).hex() == case["tag"]
    assert crypto.check_thread_tag(b(case["thread_key"]), header, b(case["tag"]))
    assert not crypto.check_thread_tag(b(case["thread_key"]), altered, b(case["tag"]))


def test_puzzle_challenge_and_solution() -> None:
    case = VECTORS["puzzle"]
    challenge = puzzle.issue_challenge(b(case["secret"]), case["window"], case["bits"])
    assert challenge.hex() == case["challenge"]
    assert puzzle.challenge_is_genuine(b(case["secret"]), challenge)
    assert puzzle.solves(challenge, case["bits"], case["purpose"], b(case["subject"]), b(case["nonce"]))
    assert not puzzle.solves(challenge, case["bits"], "lookup", b(case["subject"]), b(case["nonce"]))
    digest = sha256("seda/v1/puzzle", challenge, case["purpose"], b(case["subject"]), b(case["nonce"]))
    assert digest.hex() == case["digest"]


def test_escrow_and_referral_tags_over_the_report_vectors_context() -> None:
    case = VECTORS["report_tags"]
    thread_key, context = b(case["thread_key"]), b(case["context"])
    escrowed = [b(k) for k in case["escrow_key_ids"]]
    referred = b(case["referral_key_id"])
    assert context.hex() == VECTORS["report"]["context"]
    # The tags as §3.6-3.7 write them, computed here from the primitives.
    escrow_key = hkdf(thread_key, "seda/v1/report/escrow-tag", context)
    by_hand = hmac.new(escrow_key, fields(context, fields(*sorted(set(escrowed)))), hashlib.sha256)
    assert by_hand.hexdigest() == case["escrow_tag"]
    referral_key = hkdf(thread_key, "seda/v1/report/referral-tag", context)
    assert (
        hmac.new(referral_key, fields(context, referred), hashlib.sha256).hexdigest() == case["referral_tag"]
    )
    assert crypto.escrow_tag(thread_key, context, escrowed).hex() == case["escrow_tag"]
    assert crypto.escrow_tag(thread_key, context, sorted(set(escrowed))).hex() == case["escrow_tag"]
    assert crypto.escrow_tag(thread_key, context, []).hex() == case["escrow_tag_of_none"]
    assert crypto.referral_tag(thread_key, context, referred).hex() == case["referral_tag"]


def test_escrow_and_referral_tags_check_only_for_their_header_and_key_ids() -> None:
    case = VECTORS["report_tags"]
    thread_key = b(case["thread_key"])
    header = msgspec.convert(VECTORS["thread_tag"]["header"], crypto.EnvelopeHeader, strict=False)
    altered = msgspec.convert(VECTORS["thread_tag"]["altered_header"], crypto.EnvelopeHeader, strict=False)
    escrowed = [b(k) for k in case["escrow_key_ids"]]
    escrow, referral = b(case["escrow_tag"]), b(case["referral_tag"])
    referred = b(case["referral_key_id"])
    assert crypto.check_escrow_tag(thread_key, header, escrowed, escrow)
    assert not crypto.check_escrow_tag(thread_key, altered, escrowed, escrow)
    assert not crypto.check_escrow_tag(thread_key, header, escrowed[:1], escrow)  # one left out
    assert not crypto.check_escrow_tag(thread_key, header, [*escrowed, bytes(16)], escrow)
    assert not crypto.check_escrow_tag(bytes(32), header, escrowed, escrow)
    assert not crypto.check_escrow_tag(thread_key, header, [b"short"], escrow)
    assert crypto.check_referral_tag(thread_key, header, referred, referral)
    assert not crypto.check_referral_tag(thread_key, altered, referred, referral)
    assert not crypto.check_referral_tag(thread_key, header, escrowed[0], referral)
    assert not crypto.check_referral_tag(thread_key, header, referred, escrow)  # another purpose
    assert not crypto.check_thread_tag(thread_key, header, referral)
    with pytest.raises(crypto.EnvelopeFormatError):
        crypto.referral_tag(thread_key, header.context(), b"short")
    with pytest.raises(crypto.EnvelopeFormatError):
        crypto.escrow_tag(thread_key, header.context(), [bytes(17)])


def test_the_committed_tag_vectors_are_what_the_generator_makes() -> None:
    assert generate.report_tag_vectors(VECTORS["report"]) == VECTORS["report_tags"]


def test_a_rekey_tag_is_the_hmac_of_section_3_6_under_its_own_purpose() -> None:
    case = VECTORS["rekey_tags"]
    thread_key, context, new_key_id = b(case["thread_key"]), b(case["context"]), b(case["new_key_id"])
    assert context.hex() == VECTORS["report"]["context"]
    assert crypto.public_key_of(b(case["new_body_seed"])).key_id == new_key_id
    rekey_key = hkdf(thread_key, "seda/v1/report/rekey-tag", context)
    assert hmac.new(rekey_key, fields(context, new_key_id), hashlib.sha256).hexdigest() == case["rekey_tag"]
    assert crypto.rekey_tag(thread_key, context, new_key_id).hex() == case["rekey_tag"]
    assert crypto.referral_tag(thread_key, context, new_key_id).hex() == case["referral_tag_of_same_key"]
    assert case["rekey_tag"] != case["referral_tag_of_same_key"]
    assert generate.rekey_tag_vectors(VECTORS["report"]) == case


def test_a_rekey_tag_checks_only_for_its_header_key_id_and_purpose() -> None:
    case = VECTORS["rekey_tags"]
    thread_key, new_key_id, tag = b(case["thread_key"]), b(case["new_key_id"]), b(case["rekey_tag"])
    header = msgspec.convert(VECTORS["thread_tag"]["header"], crypto.EnvelopeHeader, strict=False)
    altered = msgspec.convert(VECTORS["thread_tag"]["altered_header"], crypto.EnvelopeHeader, strict=False)
    assert crypto.check_rekey_tag(thread_key, header, new_key_id, tag)
    assert not crypto.check_rekey_tag(thread_key, altered, new_key_id, tag)
    assert not crypto.check_rekey_tag(thread_key, header, bytes(16), tag)
    assert not crypto.check_rekey_tag(bytes(32), header, new_key_id, tag)
    assert not crypto.check_rekey_tag(thread_key, header, b"short", tag)
    # A referral tag over the same key id is no re-tag, nor the other way round.
    assert not crypto.check_rekey_tag(thread_key, header, new_key_id, b(case["referral_tag_of_same_key"]))
    assert not crypto.check_referral_tag(thread_key, header, new_key_id, tag)
    with pytest.raises(crypto.EnvelopeFormatError):
        crypto.rekey_tag(thread_key, header.context(), bytes(15))


def _slip_record(data: dict[str, Any]) -> crypto.SlipRecord:
    return msgspec.convert(data, crypto.SlipRecord, strict=False)


@pytest.mark.parametrize("index", range(2))
def test_slip_claim_code_opens_the_thread_key_of_its_token(index: int) -> None:
    case = VECTORS["slips"]["slips"][index]
    params = msgspec.convert(case["params"], crypto.Argon2Params)
    code = crypto.parse_claim_code(case["claim_code"])
    assert code.grouped() == case["grouped"]
    assert code.grouped(persian=True) == case["grouped_persian"]
    claim = crypto.derive_claim(code, params)
    assert claim.claim_id.hex() == case["claim_id"]
    assert claim.claim_key.hex() == case["claim_key"]
    token = crypto.derive_from_token(crypto.parse_token(case["token"]), params)
    record = _slip_record(case["record"])
    assert crypto.slip_record(token, claim) == record  # AEAD1 with the constant nonce: deterministic
    assert record.lookup_verifier == crypto.lookup_verifier(token.lookup_secret)
    assert record.reporter_key == token.reporter_public_key
    assert crypto.open_slip(claim, record) == token.thread_key
    # The record as §13 writes it, from the primitives.
    aad = fields(
        "seda/v1/claim/thread-key", claim.claim_id, record.lookup_verifier, key_id(record.reporter_key)
    )
    assert seal_once(claim.claim_key, token.thread_key, aad) == record.sealed_thread_key


def test_every_tampered_slip_record_in_the_vectors_is_refused() -> None:
    vectors = VECTORS["slips"]
    first = vectors["slips"][0]
    claim = crypto.ClaimSecrets(b(first["claim_id"]), b(first["claim_key"]))
    assert {case["fault"] for case in vectors["refused_records"]} >= {"reporter_key", "lookup_verifier"}
    for case in vectors["refused_records"]:
        with pytest.raises(crypto.OpenError):
            crypto.open_slip(claim, _slip_record(case["record"]))


def test_claim_codes_as_typed() -> None:
    vectors = VECTORS["slips"]
    for case in vectors["accepted"]:
        assert crypto.parse_claim_code(case["typed"]).digits == case["digits"]
    for case in vectors["refused"]:
        with pytest.raises(crypto.TokenFormatError) as refused:
            crypto.parse_claim_code(case["typed"])
        assert refused.value.reason == case["reason"]
    with pytest.raises(crypto.TokenFormatError, match="exactly 20 digits"):
        crypto.parse_token(vectors["slips"][0]["claim_code"])


def test_the_committed_slip_vectors_are_what_the_generator_makes() -> None:
    assert generate.slip_vectors() == VECTORS["slips"]
