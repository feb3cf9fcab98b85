"""Box token slips (docs/PROTOCOL.md §13, crypto/slips.py): a slip's claim code opens the thread
key of the slip's token and nothing else, a record altered by the server is refused, and the
secrets never show in a ``repr``."""

from __future__ import annotations

import msgspec
import pytest

import crypto
from crypto.slips import CLAIM_DIGITS
from crypto.token import damm_check_digit

CHEAP = crypto.Argon2Params(memory_kib=8, iterations=1)
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture(scope="module")
def slips() -> tuple[crypto.Slip, crypto.Slip]:
    return crypto.new_slip(CHEAP), crypto.new_slip(CHEAP)


def test_a_slips_claim_code_opens_the_thread_key_of_the_token_on_its_stub(
    slips: tuple[crypto.Slip, crypto.Slip],
) -> None:
    slip = slips[0]
    token = crypto.derive_from_token(slip.token, CHEAP)
    claim = crypto.derive_claim(slip.claim_code, CHEAP)
    assert crypto.open_slip(claim, slip.record) == token.thread_key
    assert slip.record.claim_id == claim.claim_id
    assert slip.record.lookup_verifier == crypto.lookup_verifier(token.lookup_secret)
    assert slip.record.reporter_key == token.reporter_public_key


def test_the_record_holds_neither_the_token_nor_the_claim_key(slips: tuple[crypto.Slip, crypto.Slip]) -> None:
    slip = slips[0]
    token = crypto.derive_from_token(slip.token, CHEAP)
    claim = crypto.derive_claim(slip.claim_code, CHEAP)
    stored = msgspec.json.encode(slip.record)
    for secret in (token.lookup_secret, token.reporter_seed, token.thread_key, claim.claim_key):
        assert secret not in b"".join(msgspec.structs.astuple(slip.record))
        assert msgspec.json.encode(secret)[1:-1] not in stored
    assert slip.token.digits.encode() not in stored
    assert slip.claim_code.digits.encode() not in stored


def test_another_slips_claim_code_does_not_open_the_record(slips: tuple[crypto.Slip, crypto.Slip]) -> None:
    first, second = slips
    with pytest.raises(crypto.OpenError):
        crypto.open_slip(crypto.derive_claim(second.claim_code, CHEAP), first.record)
    # Even one that claims the record's id: the key is the claim code's, not the id's.
    forged = crypto.ClaimSecrets(
        first.record.claim_id, crypto.derive_claim(second.claim_code, CHEAP).claim_key
    )
    with pytest.raises(crypto.OpenError):
        crypto.open_slip(forged, first.record)


def test_the_same_claim_code_at_other_argon2_parameters_does_not_open(
    slips: tuple[crypto.Slip, crypto.Slip],
) -> None:
    other = crypto.Argon2Params(memory_kib=16, iterations=1)
    with pytest.raises(crypto.OpenError):
        crypto.open_slip(crypto.derive_claim(slips[0].claim_code, other), slips[0].record)


@pytest.mark.parametrize("field", ["reporter_key", "lookup_verifier", "sealed_thread_key", "claim_id"])
def test_a_record_with_a_field_swapped_by_the_server_is_refused(
    slips: tuple[crypto.Slip, crypto.Slip], field: str
) -> None:
    first, second = slips
    swapped = msgspec.structs.replace(first.record, **{field: getattr(second.record, field)})
    with pytest.raises(crypto.OpenError):
        crypto.open_slip(crypto.derive_claim(first.claim_code, CHEAP), swapped)


def test_a_reply_key_of_the_servers_own_is_refused(slips: tuple[crypto.Slip, crypto.Slip]) -> None:
    slip = slips[0]
    servers_key = crypto.public_key_of(crypto.new_seed()).public_key
    swapped = msgspec.structs.replace(slip.record, reporter_key=servers_key)
    with pytest.raises(crypto.OpenError):
        crypto.open_slip(crypto.derive_claim(slip.claim_code, CHEAP), swapped)


def test_a_truncated_or_flipped_sealed_thread_key_is_refused(slips: tuple[crypto.Slip, crypto.Slip]) -> None:
    slip = slips[0]
    claim = crypto.derive_claim(slip.claim_code, CHEAP)
    sealed = slip.record.sealed_thread_key
    flipped = bytes([sealed[0] ^ 1]) + sealed[1:]
    for altered in (sealed[:-1], flipped, b""):
        with pytest.raises(crypto.OpenError):
            crypto.open_slip(claim, msgspec.structs.replace(slip.record, sealed_thread_key=altered))


def test_repr_hides_every_secret(slips: tuple[crypto.Slip, crypto.Slip]) -> None:
    slip = slips[0]
    claim = crypto.derive_claim(slip.claim_code, CHEAP)
    shown = " ".join([repr(slip), str(slip), repr(slip.claim_code), repr(claim), str(claim)])
    assert repr(slip) == "Slip(<hidden>)"
    assert repr(slip.claim_code) == "ClaimCode(<hidden>)"
    assert repr(claim) == "ClaimSecrets(<hidden>)"
    for secret in (slip.token.digits, slip.claim_code.digits, claim.claim_id.hex(), claim.claim_key.hex()):
        assert secret not in shown
    assert repr(claim.claim_key) not in shown


def test_a_claim_code_is_sixteen_digits_with_a_damm_check_digit() -> None:
    code = crypto.new_claim_code(lambda _bound: 12345)
    assert code.digits[:-1] == "000000000012345"
    assert damm_check_digit(code.digits) == "0"
    assert len(code.digits) == CLAIM_DIGITS == 16
    assert crypto.parse_claim_code(code.digits) == code
    assert code.grouped() == "-".join(code.digits[i : i + 4] for i in range(0, 16, 4))
    assert code.grouped(persian=True) == code.grouped().translate(PERSIAN)


def test_claim_codes_are_read_in_persian_or_arabic_indic_digits_with_separators() -> None:
    code = crypto.new_claim_code()
    digits = code.digits
    for typed in (
        code.grouped(persian=True),
        " ".join([digits[:8], digits[8:]]).translate(ARABIC_INDIC),
        "\u2067\u200f" + "\u200e-".join(code.grouped(persian=True).split("-")) + "\u2069",
        digits[:6].translate(PERSIAN) + "\u200c" + digits[6:],
    ):
        assert crypto.parse_claim_code(typed) == code


def test_a_token_is_no_claim_code_and_a_claim_code_is_no_token() -> None:
    token = crypto.new_token()
    code = crypto.new_claim_code()
    with pytest.raises(crypto.TokenFormatError) as as_claim:
        crypto.parse_claim_code(token.grouped())
    assert as_claim.value.reason == "length"
    with pytest.raises(crypto.TokenFormatError) as as_token:
        crypto.parse_token(code.grouped())
    assert as_token.value.reason == "length"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("1234-5678-9012-345x", "character"),
        ("1234-5678-9012", "length"),
        ("", "length"),
        ("1" * 201, "length"),
    ],
)
def test_claim_codes_typed_wrong_are_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(crypto.TokenFormatError) as refused:
        crypto.parse_claim_code(typed)
    assert refused.value.reason == reason
    if typed:
        assert typed not in str(refused.value)


def test_a_wrong_digit_in_a_claim_code_fails_its_check_digit() -> None:
    digits = crypto.new_claim_code().digits
    for position in range(len(digits)):
        wrong = digits[:position] + str((int(digits[position]) + 1) % 10) + digits[position + 1 :]
        with pytest.raises(crypto.TokenFormatError) as refused:
            crypto.parse_claim_code(wrong)
        assert refused.value.reason == "check"
