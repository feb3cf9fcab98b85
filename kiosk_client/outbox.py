"""The kiosk's store-and-forward outbox: sealed submissions only, in a SQLite file that
survives power loss (a row is on disk before the token is shown), each sent at a random moment
within a window after it was filed so that arrival does not point to when someone stood at
the kiosk. Delivery is exactly once because the server stores a report id once; a row is
deleted (and its bytes zeroed: ``secure_delete``) when a receipt for its envelope comes back.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    report_id TEXT PRIMARY KEY,
    body BLOB NOT NULL,
    envelope_sha256 BLOB NOT NULL,
    lookup_verifier BLOB,
    send_after REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    refused TEXT
)
"""


@dataclass(frozen=True)
class Pending:
    report_id: str
    body: bytes = field(repr=False)
    envelope_sha256: bytes
    send_after: float
    attempts: int = 0


def random_delay(low: float, high: float) -> float:
    """A delay drawn uniformly from [low, high] seconds, from the system's random source."""
    if high <= low:
        return low
    return low + (high - low) * secrets.randbelow(1_000_001) / 1_000_000


class Outbox:
    """One SQLite file; every write is committed with a full fsync before it returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def add(
        self,
        report_id: str,
        body: bytes,
        envelope_sha256: bytes,
        lookup_verifier: bytes | None,
        send_after: float,
    ) -> None:
        """Keep a sealed submission (durable when this returns: only then show the token)."""
        with self._db:
            self._db.execute(
                "INSERT INTO outbox (report_id, body, envelope_sha256, lookup_verifier, send_after)"
                " VALUES (?, ?, ?, ?, ?)",
                (report_id, body, envelope_sha256, lookup_verifier, send_after),
            )

    def due(self, now: float) -> list[Pending]:
        rows = self._db.execute(
            "SELECT report_id, body, envelope_sha256, send_after, attempts FROM outbox"
            " WHERE send_after <= ? ORDER BY send_after",
            (now,),
        ).fetchall()
        return [Pending(*row) for row in rows]

    def tried(self, report_id: str, retry_at: float, refused: str | None = None) -> None:
        """An attempt that did not deliver; ``refused``: the server's refusal code, if any."""
        with self._db:
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, send_after = ?, refused = ? WHERE report_id = ?",
                (retry_at, refused, report_id),
            )

    def delivered(self, report_id: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM outbox WHERE report_id = ?", (report_id,))

    def held(self, lookup_verifier: bytes) -> str | None:
        """The report of this token, if it is still here: ``waiting``, or the code the server
        last refused it with."""
        found = self._db.execute(
            "SELECT refused FROM outbox WHERE lookup_verifier = ?", (lookup_verifier,)
        ).fetchone()
        if found is None:
            return None
        return str(found[0]) if found[0] else "waiting"

    def refusals(self) -> list[str]:
        """The refusal codes of the rows the server refused (no content), for the operator."""
        rows = self._db.execute("SELECT refused FROM outbox WHERE refused IS NOT NULL ORDER BY send_after")
        return [str(row[0]) for row in rows]

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def next_due(self) -> float | None:
        found = self._db.execute("SELECT min(send_after) FROM outbox").fetchone()[0]
        return float(found) if found is not None else None
