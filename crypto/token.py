"""Tracking tokens: 19 random decimal digits and a Damm check digit, read in groups of four.

19 digits carry log2(10**19) ≈ 63.1 bits. The Damm check digit catches every single wrong
digit and every swap of two neighbouring digits. Input may use Latin, Persian or
Arabic-Indic digits and any spaces or dashes between them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from crypto.errors import TokenFormatError

RANDOM_DIGITS = 19
TOKEN_DIGITS = RANDOM_DIGITS + 1
GROUP = 4
# Spaces, dashes and the invisible marks text copied from a Persian messenger carries
# (zero-width space and non-joiner, direction marks and isolates, the Arabic letter mark).
_SEPARATORS = frozenset(
    " -_.\u00a0\u200b\u200c\u200e\u200f\u2010\u2011\u2012\u2013\u2014\u2212\u061c\u2066\u2067\u2068\u2069"
)
_DIGIT_VALUES = {
    **{chr(0x30 + n): n for n in range(10)},  # Latin
    **{chr(0x06F0 + n): n for n in range(10)},  # Persian (Extended Arabic-Indic)
    **{chr(0x0660 + n): n for n in range(10)},  # Arabic-Indic
}
_PERSIAN = "۰۱۲۳۴۵۶۷۸۹"

# The Damm quasigroup of order 10 (weakly totally anti-symmetric, zero diagonal).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_check_digit(digits: str) -> str:
    """The Damm check digit of a string of Latin digits."""
    interim = 0
    for char in digits:
        interim = _DAMM[interim][ord(char) - 0x30]
    return chr(0x30 + interim)


class TrackingToken:
    """A valid token; ``digits`` is its canonical form (20 Latin digits, check digit last).

    ``repr`` hides the digits, so a token never lands in a log or a traceback by accident.
    """

    __slots__ = ("digits",)

    def __init__(self, digits: str) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return "TrackingToken(<hidden>)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TrackingToken) and secrets.compare_digest(self.digits, other.digits)

    def __hash__(self) -> int:
        return hash(self.digits)

    def grouped(self, persian: bool = False) -> str:
        """Groups of four separated by dashes, read left to right, in Latin or Persian digits."""
        return group_digits(self.digits, persian)


def new_token(randbelow: Callable[[int], int] = secrets.randbelow) -> TrackingToken:
    """A fresh token from the system's CSPRNG (``randbelow`` is replaceable for test vectors)."""
    body = f"{randbelow(10**RANDOM_DIGITS):0{RANDOM_DIGITS}d}"
    return TrackingToken(body + damm_check_digit(body))


def read_digits(text: str, count: int, noun: str) -> str:
    """The canonical Latin digits of a checked number as a person typed it (a tracking token,
    a box slip's claim code): Latin, Persian or Arabic-Indic digits, separators ignored.

    Raises ``TokenFormatError`` saying what to fix: a character that is neither a digit nor
    a separator, the wrong number of digits, or a check digit that does not match (a typo).
    The message never repeats what was typed.
    """
    digits: list[str] = []
    for char in text[:200]:
        if char in _DIGIT_VALUES:
            digits.append(chr(0x30 + _DIGIT_VALUES[char]))
        elif char not in _SEPARATORS:
            raise TokenFormatError("character", f"a {noun} has only digits (and optional spaces or dashes)")
    if len(text) > 200 or len(digits) != count:
        raise TokenFormatError("length", f"a {noun} has exactly {count} digits")
    canonical = "".join(digits)
    if damm_check_digit(canonical) != "0":
        raise TokenFormatError("check", f"this {noun} has a typing mistake: check each digit and try again")
    return canonical


def group_digits(digits: str, persian: bool = False) -> str:
    """Groups of four separated by dashes, read left to right, in Latin or Persian digits."""
    text = "-".join(digits[i : i + GROUP] for i in range(0, len(digits), GROUP))
    return text.translate(str.maketrans("0123456789", _PERSIAN)) if persian else text


def parse_token(text: str) -> TrackingToken:
    """Read a token as a person typed it (``read_digits``: ``TokenFormatError`` to fix)."""
    return TrackingToken(read_digits(text, TOKEN_DIGITS, "tracking token"))
