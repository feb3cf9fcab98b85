"""Officers' credentials as the server keeps them: hashes, never the secret itself.

- The *authentication value* an officer's device derives from the passphrase (PROTOCOL.md
  §6.2) is hashed again with Argon2id, in a bounded thread pool off the event loop.
- Enrolment codes and session cookies are random; only their SHA-256 is stored.
- Second factor: RFC 6238 TOTP (pyotp), each time step accepted at most once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

import anyio
import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# On top of the device's Argon2id (64 MiB, 3 passes): the server's own, lighter, so that a
# stolen table still costs a second memory-hard run per guess.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# At most two Argon2id runs at once per process: sign-ins queue rather than exhaust memory.
_ARGON2_SLOTS = anyio.CapacityLimiter(2)
# Checked against when an account is unknown or not enrolled, so the answer takes as long.
_DUMMY_HASH = _HASHER.hash(b"seda/console/no-such-account")

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 letters and digits, none alike
CODE_LENGTH = 20  # 100 bits
TOTP_STEP_SECONDS = 30


async def hash_auth_value(value: bytes) -> str:
    """The Argon2id hash to store for an authentication value."""
    return await anyio.to_thread.run_sync(_HASHER.hash, value, limiter=_ARGON2_SLOTS)


async def auth_value_matches(stored: str | None, value: bytes) -> bool:
    """Does ``value`` match ``stored``? Unknown accounts (``None``) cost the same and fail."""

    def verify() -> bool:
        try:
            return _HASHER.verify(stored or _DUMMY_HASH, value) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(verify, limiter=_ARGON2_SLOTS)


def new_enrolment_code() -> str:
    """A one-time enrolment code, shown once: five groups of four characters."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def enrolment_code_hash(typed: str) -> bytes:
    """The stored form of a code as typed (case, spaces and dashes do not matter)."""
    canonical = "".join(ch for ch in typed.upper() if ch in CODE_ALPHABET)
    return hashlib.sha256(b"seda/console/enrolment-code\x00" + canonical.encode()).digest()


def new_cookie_value() -> tuple[str, bytes]:
    """A session cookie's random value and the hash to store."""
    value = secrets.token_urlsafe(32)
    return value, cookie_hash(value)


def cookie_hash(value: str) -> bytes:
    return hashlib.sha256(b"seda/console/session\x00" + value.encode()).digest()


def new_csrf_token() -> tuple[str, bytes]:
    """A session's anti-forgery token and the hash to store."""
    value = secrets.token_urlsafe(32)
    return value, csrf_hash(value)


def csrf_hash(value: str) -> bytes:
    return hashlib.sha256(b"seda/console/csrf\x00" + value.encode()).digest()


def same_hash(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def new_totp_secret() -> bytes:
    return secrets.token_bytes(20)


def totp_text(secret: bytes) -> str:
    """The secret as authenticator apps take it (base32, no padding)."""
    return base64.b32encode(secret).decode().rstrip("=")


def totp_uri(secret: bytes, username: str) -> str:
    return pyotp.TOTP(totp_text(secret)).provisioning_uri(name=username, issuer_name="Seda")


def accepted_totp_step(secret: bytes, code: str, last_step: int | None, now: datetime) -> int | None:
    """The time step ``code`` is valid for (now, or the step before, for clock drift), if it
    is later than ``last_step``; ``None`` otherwise. A code is never accepted twice."""
    totp = pyotp.TOTP(totp_text(secret))
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for step in (current, current - 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(
            totp.at(step * TOTP_STEP_SECONDS), code.strip()
        ):
            return step
    return None


def unknown_account_salt(server_secret: bytes, username: str) -> bytes:
    """The salt shown for a username that has no account: derived, so it is the same every
    time and the answer does not tell whether the account exists."""
    return hmac.new(server_secret, b"seda/console/salt\x00" + username.encode(), "sha256").digest()[:16]
