"""The prepared requests the Locust users send, and what they report back (one file each).

Sealing, Argon2id and puzzles are the client's costs, paid once before the timed phase;
during it the users only send these bytes. This module imports nothing but msgspec, so the
Locust process can read the pool without the crypto stack.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

# Locust's names for the two endpoints (the 429s of one are named "<name> (429)").
SUBMIT, SUBMIT_PATH = "POST /api/v1/reports", "/api/v1/reports"
LOOK_UP, LOOK_UP_PATH = "POST /api/v1/status", "/api/v1/status"


class PreparedSubmission(msgspec.Struct, frozen=True):
    """The exact body of one ``POST /api/v1/reports``, puzzle solved, and what its receipt
    must say."""

    report_id: str
    envelope_sha256: bytes
    body: bytes


class PreparedLookup(msgspec.Struct, frozen=True):
    """The exact body of one ``POST /api/v1/status`` for a report stored before the run."""

    report_id: str
    body: bytes


class Pool(msgspec.Struct, frozen=True):
    submissions: list[PreparedSubmission]
    lookups: list[PreparedLookup]
    # Unix time after which the server may refuse the pool's puzzles (PROTOCOL.md §11).
    puzzles_valid_until: float


class Receipted(msgspec.Struct, frozen=True):
    """A submission the server acknowledged (201) with a receipt for its own envelope."""

    report_id: str
    envelope_sha256: bytes


class EndpointStats(msgspec.Struct, frozen=True):
    """Locust's figures for one request name (latencies in milliseconds)."""

    name: str
    requests: int
    failures: int
    p50: float
    p90: float
    p99: float
    max: float
    per_second: float


class UserResults(msgspec.Struct, frozen=True):
    """What the Locust process saw: Locust's statistics and the answers' contents."""

    endpoints: list[EndpointStats]  # the last one is Locust's total ("Aggregated")
    # Failure text (never a body) -> occurrences, per request name.
    errors: dict[str, dict[str, int]]
    task_errors: int  # exceptions raised in a task (the load generator's own failures)
    receipts: list[Receipted]
    sent_submissions: int
    # Locust's stop can cut a request short: sent minus these had no outcome at all.
    answered_submissions: int
    # HTTP status (0: no answer) -> count, per request name.
    statuses: dict[str, dict[int, int]]
    # Seconds into the run at which the pool of fresh submissions ran out (None: it did not).
    pool_exhausted_after: float | None


def write(path: Path, value: Pool | UserResults) -> None:
    path.write_bytes(msgspec.msgpack.encode(value))


def read_pool(path: Path) -> Pool:
    return msgspec.msgpack.decode(path.read_bytes(), type=Pool)


def read_results(path: Path) -> UserResults:
    return msgspec.msgpack.decode(path.read_bytes(), type=UserResults)
