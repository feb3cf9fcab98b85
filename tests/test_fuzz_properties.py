"""Property tests for the decoders of untrusted input that tests/fuzz/ fuzzes (docs/FUZZING.md):
valid objects round-trip, changed ones give the decoder's one typed error and nothing else;
and the regressions the fuzzers found.

(Round trips of envelopes, messages, attachments and tokens in any digits are in
tests/test_protocol_properties.py; bit flips and truncation of sealed data in
tests/test_protocol_negative.py; the HTTP API against its schema in tests/test_api_fuzz.py.)
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.exceptions import SerializationException

import crypto
from crypto.directory import decode_signed, encode_signed
from crypto.token import _DIGIT_VALUES, _SEPARATORS
from kiosk_client import wire
from kiosk_client.client import decode_answer
from kiosk_client.device import DEVICE_KEY, SETTINGS, Device, NotEnrolledError
from routing import policy as routing_policy
from routing.errors import PolicyError
from routing.policy import parse_policy
from tests.fuzz import samples
from tests.fuzz.bodies import minimal_body
from tests.fuzz.fuzz_api_bodies import BodyType, body_types, decode_body
from tests.routing_helpers import DEFAULT_POLICY_BYTES

EXAMPLES = int(os.environ.get("SEDA_TEST_FUZZ_EXAMPLES", "25"))
bounded = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
KINDS = body_types()


def _splice(data: bytes, position: int, cut: int, insert: bytes) -> bytes:
    position %= len(data) + 1
    return data[:position] + insert + data[position + cut :]


changes = st.tuples(st.integers(min_value=0), st.integers(0, 8), st.binary(max_size=12))


# -- request bodies --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.route)
def test_every_request_body_round_trips(kind: BodyType) -> None:
    body = decode_body(kind, msgspec.json.encode(minimal_body(kind.annotation)))
    assert decode_body(kind, msgspec.json.encode(body)) == body


@bounded
@given(index=st.integers(0, len(KINDS) - 1), change=changes)
def test_a_changed_request_body_is_refused_as_the_server_refuses_it(
    index: int, change: tuple[int, int, bytes]
) -> None:
    kind = KINDS[index]
    valid = msgspec.json.encode(minimal_body(kind.annotation))
    with contextlib.suppress(
        SerializationException, UnicodeDecodeError, RecursionError, msgspec.ValidationError
    ):
        decode_body(kind, _splice(valid, *change))


@bounded
@given(change=changes, tokened=st.booleans())
def test_a_changed_submission_is_refused_with_a_typed_error(
    change: tuple[int, int, bytes], tokened: bool
) -> None:
    from server.errors import SedaError
    from server.intake.schemas import Submission
    from server.intake.service import plan_submission

    kind = next(k for k in KINDS if k.annotation.__origin__ is Submission)
    valid = msgspec.json.encode(samples.submission(tokened=tokened, escrow=False))
    try:
        submission = decode_body(kind, _splice(valid, *change))
        plan_submission(samples.world().trusted, submission, samples.NOW)
    except (SerializationException, UnicodeDecodeError, msgspec.ValidationError, SedaError):
        pass


# -- signed documents ------------------------------------------------------------------------


@bounded
@given(serial=st.integers(1, 2**40), names=st.text(max_size=300), drop=st.integers(0, 40))
def test_a_signed_directory_round_trips(serial: int, names: str, drop: int) -> None:
    directory = samples.world().trusted.directory
    bodies = [msgspec.structs.replace(entry, name_en=names) for entry in directory.bodies[drop:]]
    changed = msgspec.structs.replace(directory, serial=serial, bodies=bodies)
    signed = decode_signed(encode_signed(crypto.sign_directory(changed, samples.ROOT_SEED)))
    assert crypto.verify_directory(signed, samples.ROOT_PUBLIC, now=samples.NOW) == changed


@bounded
@given(change=changes)
def test_a_changed_signed_directory_is_refused(change: tuple[int, int, bytes]) -> None:
    data = _splice(samples.world().directory_json, *change)
    try:
        signed = decode_signed(data)
        crypto.verify_directory(signed, samples.ROOT_PUBLIC, now=samples.NOW)
    except (crypto.EnvelopeFormatError, crypto.SignatureError):
        return
    assert signed == decode_signed(samples.world().directory_json)  # only a change of spelling


@bounded
@given(change=changes)
def test_a_changed_policy_file_parses_or_is_refused_with_a_policy_error(
    change: tuple[int, int, bytes],
) -> None:
    with contextlib.suppress(PolicyError):
        parse_policy(_splice(DEFAULT_POLICY_BYTES, *change))


# -- tokens ----------------------------------------------------------------------------------

_SEPARATOR_LIST = sorted(_SEPARATORS)


@bounded
@given(
    number=st.integers(0, 10**19 - 1),
    digits=st.lists(st.sampled_from(range(3)), min_size=20, max_size=20),
    gaps=st.lists(st.text(st.sampled_from(_SEPARATOR_LIST), max_size=3), min_size=21, max_size=21),
)
def test_a_token_with_any_separators_and_mixed_digits_parses(
    number: int, digits: list[int], gaps: list[str]
) -> None:
    token = crypto.new_token(lambda _bound: number)
    scripts = ("0123456789", "۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩")
    typed = gaps[0] + "".join(
        scripts[s][int(d)] + gap for s, d, gap in zip(digits, token.digits, gaps[1:], strict=True)
    )
    if len(typed) <= 200:
        assert crypto.parse_token(typed) == token


@bounded
@given(text=st.text(max_size=300))
def test_any_text_is_a_token_or_a_typed_error(text: str) -> None:
    try:
        token = crypto.parse_token(text)
    except crypto.TokenFormatError as error:
        assert error.reason in {"character", "length", "check"}  # noqa: PT017 (any text: raises or not)
        return
    assert all(char in _DIGIT_VALUES or char in _SEPARATORS for char in text)
    assert crypto.parse_token(token.grouped()) == token


# -- regressions the fuzzers found -------------------------------------------------------------


def test_invalid_utf8_in_a_signed_document_is_a_format_error() -> None:
    # msgspec reports it as UnicodeDecodeError, which decode_signed let through.
    with pytest.raises(crypto.EnvelopeFormatError):
        decode_signed(b'{"kind": "directory\xff"}')


def _sign_directory_document(document: bytes) -> crypto.SignedDocument:
    return crypto.sign_document("directory", document, samples.ROOT_SEED)


def test_a_signed_directory_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(crypto.SignatureError):
        crypto.verify_directory(
            _sign_directory_document(b'{"serial": "\xd8"}'), samples.ROOT_PUBLIC, now=samples.NOW
        )


@pytest.mark.parametrize("instant", ["2026-13-45T99:00:00Z", "۲۰۲۶-۱۲-۰۱T09:00:00Z"])
def test_a_directory_with_an_impossible_date_is_refused(instant: str) -> None:
    directory = msgspec.structs.replace(samples.world().trusted.directory, expires_at=instant)
    document = msgspec.json.encode(directory)
    with pytest.raises(crypto.SignatureError):  # was a ValueError out of strptime
        crypto.verify_directory(_sign_directory_document(document), samples.ROOT_PUBLIC, now=samples.NOW)
    with pytest.raises(crypto.EnvelopeFormatError):  # the key ceremony's tool refuses it too
        crypto.sign_directory(directory, samples.ROOT_SEED)


def test_a_directory_body_of_an_unknown_level_is_refused() -> None:
    # It verified, and then routing's directory_from_signed raised ValueError on every load.
    directory = samples.world().trusted.directory
    document = msgspec.json.encode(directory).replace(b'"level":"province"', b'"level":"privince"', 1)
    assert document != msgspec.json.encode(directory)
    with pytest.raises(crypto.SignatureError):
        crypto.verify_directory(_sign_directory_document(document), samples.ROOT_PUBLIC, now=samples.NOW)


def test_a_server_answer_that_is_not_utf8_is_a_decode_error() -> None:
    # The kiosk's sending loop catches msgspec's errors; UnicodeDecodeError stopped it.
    with pytest.raises(msgspec.DecodeError):
        decode_answer(b'{"report_id": "\xff"}', wire.Receipt)


@pytest.mark.parametrize(
    ("settings_file", "seed"),
    [
        (b'{"server": "x", "institution": "y", "root_public": "00"}', bytes(32)),  # no kiosk_id
        (b"[1, 2]", bytes(32)),
        (b'{"server": "x", "kiosk_id": "seven", "institution": "y", "root_public": "00"}', bytes(32)),
        (b'{"server": "x", "kiosk_id": 7, "institution": "y", "root_public": 5}', bytes(32)),
        (
            b'{"server": "x", "kiosk_id": 7, "institution": "y", "root_public": "' + b"00" * 32 + b'"}',
            b"short",
        ),
        (b'{"server": "x", "kiosk_id": 7, "institution": "y", "root_public": "00"}', bytes(32)),
        (b"[" * 100_000, bytes(32)),
    ],
)
def test_a_damaged_kiosk_home_is_not_enrolled(tmp_path: Path, settings_file: bytes, seed: bytes) -> None:
    (tmp_path / SETTINGS).write_bytes(settings_file)
    (tmp_path / DEVICE_KEY).write_bytes(seed)
    with pytest.raises(NotEnrolledError):
        Device.load(tmp_path)


def test_a_kiosk_home_as_enrolment_writes_it_loads(tmp_path: Path) -> None:
    root = "ab" * 32
    (tmp_path / SETTINGS).write_text(
        json.dumps({"server": "http://127.0.0.1:1", "kiosk_id": 7, "institution": "y", "root_public": root})
    )
    (tmp_path / DEVICE_KEY).write_bytes(bytes(32))
    device = Device.load(tmp_path)
    assert (device.kiosk_id, device.root_public) == (7, bytes.fromhex(root))


def _placed_policy(provinces: int, institutions: int, rules: int = 1) -> bytes:
    extra = b""
    for rule in range(rules):
        names = b", ".join(b'"p%d"' % (i + rule) for i in range(provinces))
        places = b", ".join(b'"i%d"' % (i + rule) for i in range(institutions))
        extra += (
            b'\n[[rule]]\nid = "placed_%d"\nreason = "provincial_directorate"\n' % rule
            + b"when = { provinces = ["
            + names
            + b"], institutions = ["
            + places
            + b"] }\n"
            + b'targets = [{ body_type = "provincial_dg_prisons", scope = "province" }]\n'
        )
    return DEFAULT_POLICY_BYTES + extra


def test_a_policy_naming_many_places_checks_each_kind_of_place_once() -> None:
    # 300 provinces x 300 institutions were 90,000 places, each checked for every combination
    # of facts: hours of work for a 4 KB file. Places meeting the same rules route alike.
    policy = parse_policy(_placed_policy(300, 300))
    assert len(routing_policy._places(policy)) == 2


def test_a_policy_telling_too_many_kinds_of_place_apart_is_refused() -> None:
    with pytest.raises(PolicyError) as refused:
        parse_policy(_placed_policy(1, 1, rules=routing_policy.MAX_PLACE_CLASSES + 1))
    assert refused.value.rule == "format"


def test_a_rule_broken_only_outside_the_places_named_is_still_caught() -> None:
    # Grouping places must not hide the places where no rule gives an independent body.
    named = b", ".join(b'"p%d"' % i for i in range(50))
    body = (
        b'version = "t"\nfallback_independent = "general_inspection_organization"\n'
        b'[[rule]]\nid = "a"\nreason = "provincial_directorate"\nwhen = { provinces = ['
        + named
        + b"] }\n"
        + b'targets = [{ body_type = "general_inspection_organization", scope = "national" }]\n'
        + b'[[rule]]\nid = "b"\nreason = "institution_management"\n'
        + b'targets = [{ body_type = "institution_management", scope = "institution" }]\n'
        + b'[[deadline]]\nacknowledge = "1w"\nfeedback = "1m"\n'
    )
    with pytest.raises(PolicyError) as caught:
        parse_policy(body)
    assert caught.value.rule == "independent_body"
    assert "province=*" in str(caught.value)
