"""Server settings: one frozen struct, read from ``SEDA_*`` environment variables.

The defaults are the safe ones for a first start on one machine: listen on 127.0.0.1 only,
an embedded SQLite database under ``./var``, JSON logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import msgspec

ENV_PREFIX = "SEDA_"
# The async drivers Sedā is built and tested with.
SUPPORTED_DATABASES = ("sqlite+aiosqlite://", "postgresql+asyncpg://")


class SettingsError(Exception):
    """A ``SEDA_*`` variable is unknown or has a value of the wrong shape.

    The message names the variable, never its value: a database URL may hold a password.
    """


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything the server reads from its environment."""

    database_url: str = "sqlite+aiosqlite:///var/seda.db"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Request bodies above this size are refused with 413 before they are read in full.
    max_request_bytes: int = 1_048_576
    # The pinned root public key (hex) published documents must verify against; empty
    # means "the key recorded when the document was published" (demo and development).
    root_public_key: str = ""
    # Where ``seda demo`` keeps the demo's root and body keys (never in production).
    demo_keys_dir: str = "var/demo-keys"
    # Client puzzles: leading zero bits of work per anonymous submission or token look-up.
    puzzle_bits: int = 16
    # Token look-ups per client (in memory only, never stored): burst and refill per minute.
    lookup_burst: int = 20
    lookup_per_minute: int = 10
    # Failed look-ups across all clients of one process, per minute (online guessing bound).
    failed_lookups_per_minute: int = 600
    # API requests handled at once by one process; more are answered 503 at once.
    max_inflight: int = 64
    # Bytes that uploads no report has taken yet may hold, all clients together (503 beyond).
    max_pending_upload_bytes: int = 512 * 1024 * 1024
    # Console sessions: the cookie is Secure (browsers send it on https and on localhost only),
    # lives at most this many hours, and ends after this many idle minutes.
    console_secure_cookie: bool = True
    session_hours: int = 8
    session_idle_minutes: int = 30
    # How often the deadline job looks for overdue cases (seconds; 0 turns it off).
    deadline_job_seconds: int = 60
    # How often the summary job looks for a closed month without summaries (seconds; 0 turns
    # it off), and the disclosure thresholds of the suppressed view (docs/SUMMARIES.md).
    summary_job_seconds: int = 900
    summary_threshold: int = 5
    summary_sensitive_threshold: int = 10
    # Closed cases are purged this many days after their last event (0: never), by a job
    # that runs every ``retention_job_seconds`` (0 turns it off; docs/OPERATIONS.md "Retention").
    retention_days: int = 1825
    retention_job_seconds: int = 3600
    # Where each server process releases its hourly metrics snapshot, so that ``/metrics``
    # answers for every process on the machine (docs/DEPLOYMENT.md); empty: this process
    # only (``seda serve`` uses var/metrics unless told otherwise).
    metrics_dir: str = ""
    # A bearer token ``/metrics`` asks for; empty: /metrics answers only on a loopback host.
    metrics_token: str = ""

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise SettingsError("SEDA_PORT must be between 1 and 65535")
        if self.workers < 1:
            raise SettingsError("SEDA_WORKERS must be at least 1")
        if self.max_request_bytes < 1024:
            raise SettingsError("SEDA_MAX_REQUEST_BYTES must be at least 1024")
        if not 0 <= self.puzzle_bits <= 28:
            raise SettingsError("SEDA_PUZZLE_BITS must be between 0 and 28")
        if min(self.lookup_burst, self.lookup_per_minute, self.failed_lookups_per_minute) < 1:
            raise SettingsError("SEDA_LOOKUP_* and SEDA_FAILED_LOOKUPS_PER_MINUTE must be at least 1")
        if self.session_hours < 1 or self.session_idle_minutes < 1 or self.deadline_job_seconds < 0:
            raise SettingsError("SEDA_SESSION_* must be at least 1 and SEDA_DEADLINE_JOB_SECONDS at least 0")
        if self.max_inflight < 1:
            raise SettingsError("SEDA_MAX_INFLIGHT must be at least 1")
        thresholds = (self.summary_threshold, self.summary_sensitive_threshold)
        if self.summary_job_seconds < 0 or not 2 <= thresholds[0] <= thresholds[1]:
            raise SettingsError(
                "SEDA_SUMMARY_JOB_SECONDS must be at least 0, and SEDA_SUMMARY_THRESHOLD at least 2"
                " and at most SEDA_SUMMARY_SENSITIVE_THRESHOLD"
            )
        if self.retention_days < 0 or self.retention_job_seconds < 0:
            raise SettingsError("SEDA_RETENTION_DAYS and SEDA_RETENTION_JOB_SECONDS must be at least 0")
        if self.root_public_key and not _is_hex_key(self.root_public_key):
            raise SettingsError("SEDA_ROOT_PUBLIC_KEY must be 64 hexadecimal digits")
        if not self.database_url.startswith(SUPPORTED_DATABASES):
            raise SettingsError(
                "SEDA_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"


def _is_hex_key(text: str) -> bool:
    try:
        return len(bytes.fromhex(text)) == 32
    except ValueError:
        return False


# Variables of the tests and of the kiosk program (docs/KIOSK.md), which the server ignores.
OTHER_PROGRAMS = ("SEDA_TEST_", "SEDA_KIOSK_")


def settings_from_env(environ: Mapping[str, str]) -> Settings:
    """Build settings from ``SEDA_*`` variables; unknown names are refused (typos are bugs)."""
    known = {field.upper() for field in Settings.__struct_fields__}
    values: dict[str, str] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name.startswith(OTHER_PROGRAMS):
            continue
        key = name.removeprefix(ENV_PREFIX)
        if key not in known:
            raise SettingsError(f"{name} is not a Sedā setting; see docs/OPERATIONS.md")
        values[key.lower()] = value
    try:
        return msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as error:
        raise SettingsError(_describe(error)) from None


def _describe(error: msgspec.ValidationError) -> str:
    # msgspec ends its message with "- at `$.field`"; name the variable, drop everything else.
    text = str(error)
    _, _, where = text.rpartition("$.")
    field = where.strip("`")
    if field in Settings.__struct_fields__:
        return f"{ENV_PREFIX}{field.upper()} has a value of the wrong type or shape"
    return "a SEDA_* setting has a value of the wrong type or shape"
