"""Property tests: round trips for any content and any set of recipients; tokens in any digits."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

import crypto
from crypto.keys import new_seed
from crypto.token import _DAMM, damm_check_digit

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
ROUTING = crypto.RoutingMetadata(
    institution="qom-central",
    report_type="objection",
    category="food",
    concerns="institution_management",
    reporter_type="family",
    channel="web",
    urgency="normal",
)
SEEDS = [new_seed() for _ in range(4)]
PUBLICS = [crypto.public_key_of(seed).public_key for seed in SEEDS]

text = st.text(max_size=2000)
small_dict = st.dictionaries(st.text(max_size=20), st.text(max_size=50), max_size=5)


@settings(max_examples=40, deadline=None)
@given(
    body=text,
    extra=small_dict,
    count=st.integers(min_value=1, max_value=4),
    signed=st.booleans(),
    name=st.text(min_size=1, max_size=100),
)
def test_every_recipient_opens_what_was_sealed(
    body: str, extra: dict[str, str], count: int, signed: bool, name: str
) -> None:
    payload = crypto.ReportPayload(text=body, fields=extra)
    identity = crypto.ReporterIdentity(name=name) if signed else None
    envelope, _ = crypto.seal_report(
        report_id=str(uuid.uuid4()),
        routing=ROUTING,
        payload=payload,
        recipients=PUBLICS[:count],
        reporter_public_key=None,
        identity=identity,
    )
    decoded = crypto.decode_envelope(crypto.encode_envelope(envelope))
    for seed in SEEDS[:count]:
        opened = crypto.open_report(decoded, seed)
        assert opened.payload == payload
        assert opened.identity == identity


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=200_000))
def test_attachment_streams_round_trip(data: bytes) -> None:
    key = new_seed()
    assert b"".join(crypto.open_chunks(key, crypto.seal_chunks(key, data))) == data


@settings(max_examples=30, deadline=None)
@given(body=text, kind=st.sampled_from(["reply", "follow-up", "note"]))
def test_messages_round_trip(body: str, kind: str) -> None:
    thread = new_seed()
    message = crypto.seal_message(
        kind=kind,  # type: ignore[arg-type]
        report_id=str(uuid.uuid4()),
        message_id=str(uuid.uuid4()),
        body=crypto.MessageBody(text=body),
        recipients=PUBLICS[:2],
        thread_key=thread,
    )
    assert crypto.open_message(message, SEEDS[1], thread).text == body


@given(number=st.integers(min_value=0, max_value=10**19 - 1), digits=st.sampled_from([None, PERSIAN, ARABIC]))
def test_tokens_round_trip_through_any_digit_set_and_grouping(
    number: int, digits: dict[int, str] | None
) -> None:
    token = crypto.new_token(lambda _bound: number)
    typed = token.grouped()
    if digits is not None:
        typed = typed.translate(digits)
    assert crypto.parse_token(typed) == token
    assert crypto.parse_token(token.grouped(persian=True).replace("-", " ")) == token


@given(
    number=st.integers(min_value=0, max_value=10**19 - 1),
    position=st.integers(min_value=0, max_value=19),
    delta=st.integers(min_value=1, max_value=9),
)
def test_any_single_wrong_digit_is_caught(number: int, position: int, delta: int) -> None:
    digits = crypto.new_token(lambda _bound: number).digits
    wrong = digits[:position] + str((int(digits[position]) + delta) % 10) + digits[position + 1 :]
    assert damm_check_digit(wrong) != "0"


@given(number=st.integers(min_value=0, max_value=10**19 - 1), position=st.integers(min_value=0, max_value=18))
def test_any_swap_of_neighbours_is_caught(number: int, position: int) -> None:
    digits = crypto.new_token(lambda _bound: number).digits
    a, b = digits[position], digits[position + 1]
    swapped = digits[:position] + b + a + digits[position + 2 :]
    assert a == b or damm_check_digit(swapped) != "0"


def test_the_damm_table_is_a_weakly_totally_antisymmetric_quasigroup() -> None:
    # This is the property that makes the two guarantees above hold for every token.
    for row in _DAMM:
        assert sorted(row) == list(range(10))
    for column in range(10):
        assert sorted(row[column] for row in _DAMM) == list(range(10))
    assert all(_DAMM[i][i] == 0 for i in range(10))
    for c in range(10):
        for x in range(10):
            for y in range(10):
                if _DAMM[_DAMM[c][x]][y] == _DAMM[_DAMM[c][y]][x]:
                    assert x == y


def test_new_tokens_use_the_whole_range_and_are_distinct() -> None:
    numbers = [int(crypto.new_token().digits[:-1]) for _ in range(2000)]
    assert len(set(numbers)) == 2000
    # Uniform over [0, 10^19): each leading digit 0-9 shows up about 200 times in 2000
    # draws (a wide band, to stay far from flaky); a shrunken range would fail this.
    leading = [f"{n:019d}"[0] for n in numbers]
    assert all(120 < leading.count(str(d)) < 290 for d in range(10))
    assert max(numbers) > 9 * 10**18
