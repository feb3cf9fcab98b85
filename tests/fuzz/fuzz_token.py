"""Tracking tokens and box-slip claim codes as a person types them: Latin, Persian and
Arabic-Indic digits, separators and anything else.

Accepted: ``TokenFormatError`` with a ``reason`` of ``character``, ``length`` or ``check`` and
one of the fixed messages (which never repeat what was typed). Invariants: what parses has 20
(16) Latin digits and a Damm check digit of 0, is exactly the digits typed read in order, and
its grouped forms (Latin and Persian) parse back to the same token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import crypto
from crypto.token import _DIGIT_VALUES, _SEPARATORS
from tests.fuzz.provider import Provider

_ALPHABET = sorted(_DIGIT_VALUES) + sorted(_SEPARATORS) + list("aZ+/,;:\n\t٫۔\u200d\ufeff𝟘１")
_REASONS = {"character", "length", "check"}


class Checked(Protocol):
    """A parsed token or claim code."""

    digits: str

    def grouped(self, persian: bool = False) -> str: ...


Parser = Callable[[str], Checked]


def _messages(noun: str, count: int) -> set[str]:
    return {
        f"a {noun} has only digits (and optional spaces or dashes)",
        f"a {noun} has exactly {count} digits",
        f"this {noun} has a typing mistake: check each digit and try again",
    }


_PARSERS: tuple[tuple[Parser, int, set[str]], ...] = (
    (crypto.parse_token, 20, _messages("tracking token", 20)),
    (crypto.parse_claim_code, 16, _messages("claim code", 16)),
)


def seeds() -> list[bytes]:
    token = crypto.new_token(lambda _bound: 1234567890123456789)
    claim = crypto.new_claim_code(lambda _bound: 123456789012345)
    texts = [token.grouped(), token.grouped(persian=True), claim.grouped(), claim.grouped(persian=True)]
    return [bytes([0]) + text.encode() for text in texts] + [bytes([1]) + bytes(range(60))]


def TestOneInput(data: bytes) -> None:  # noqa: N802 (libFuzzer's name)
    provider = Provider(data)
    if provider.byte() % 2 == 0:
        text = provider.rest().decode("utf-8", errors="replace")
    else:
        text = "".join(_ALPHABET[provider.byte() % len(_ALPHABET)] for _ in range(provider.integer(0, 260)))
    for parse, count, messages in _PARSERS:
        check(parse, count, messages, text)


def check(parse: Parser, count: int, messages: set[str], text: str) -> None:
    try:
        parsed = parse(text)
    except crypto.TokenFormatError as error:
        assert error.reason in _REASONS  # noqa: PT017 (a harness, not a pytest test)
        assert str(error) in messages  # noqa: PT017
        return
    digits = parsed.digits
    typed = "".join(str(_DIGIT_VALUES[char]) for char in text if char in _DIGIT_VALUES)
    assert len(digits) == count
    assert digits.isascii()
    assert digits.isdigit()
    assert digits == typed
    assert parse(parsed.grouped()) == parsed
    assert parse(parsed.grouped(persian=True)) == parsed
    assert all(char in _DIGIT_VALUES or char in _SEPARATORS for char in text)
