"""The protocol's errors. Their messages never contain key material, tokens or plaintext."""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every error raised by ``crypto``."""


class OpenError(CryptoError):
    """Something sealed could not be opened.

    One error for every cause — wrong key, wrong context, altered, truncated or reordered
    data — so that a failure tells an attacker nothing about which check failed.
    """

    def __init__(self) -> None:
        super().__init__("could not open: wrong key, or the data was altered")


class TokenFormatError(CryptoError):
    """A tracking token as typed is not a valid token; the message says how to fix it.

    ``reason`` is ``character``, ``length`` or ``check`` (for translated messages).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class KeyFormatError(CryptoError):
    """A key, key id or seed has the wrong length or form."""


class SignatureError(CryptoError):
    """A signed document was not signed by the pinned root key, or was changed after signing."""

    def __init__(self) -> None:
        super().__init__("signature does not verify against the pinned root key")


class EnvelopeFormatError(CryptoError):
    """A sealed structure is malformed (wrong version, suite, sizes or fields)."""
