"""What a run found: Locust's figures per endpoint, errors apart from 429s, and whether every
acknowledged submission is stored exactly once."""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy import func, select

from benchmarks.load import pool
from server.db.lifecycle import Database
from server.db.models import Report
from tests.intake_support import with_database

TOTAL = "Aggregated"  # Locust's name for its total row
REFUSED_SUFFIX = " (429)"


class Storage(msgspec.Struct, frozen=True):
    """Receipts against rows, read after the servers stopped."""

    receipts: int
    distinct_receipts: int
    stored_as_receipted: int  # the row exists and holds the receipted envelope digest
    new_rows: int  # rows added during the timed phase
    sent: int
    cut_short: int  # sent, but Locust stopped before any outcome (neither answer nor error)

    @property
    def stored_without_receipt(self) -> int:
        return self.new_rows - self.stored_as_receipted

    def exactly_once(self) -> bool:
        """Each receipt names its own report, stored once with its envelope, and a report
        stored without a receipt is one whose outcome its client never learnt (refused,
        timed out, or cut short by the stop): never one the server turned away."""
        counted = self.receipts == self.distinct_receipts == self.stored_as_receipted
        return counted and 0 <= self.stored_without_receipt <= self.sent - self.receipts


class Phase(msgspec.Struct, frozen=True):
    """One Locust run against one server."""

    label: str
    users: int
    seconds: int
    endpoints: list[pool.EndpointStats]
    errors: int  # failures other than 429
    refused: int  # 429 answers
    error_kinds: dict[str, dict[str, int]]
    statuses: dict[str, dict[int, int]]
    pool_exhausted_after: float | None = None
    storage: Storage | None = None

    @property
    def total(self) -> pool.EndpointStats:
        return next(entry for entry in self.endpoints if entry.name == TOTAL)

    def passed(self) -> bool:
        stored = self.storage is None or self.storage.exactly_once()
        return self.errors == 0 and stored and self.pool_exhausted_after is None


def phase_of(label: str, users: int, seconds: int, seen: pool.UserResults) -> Phase:
    counted = [entry for entry in seen.endpoints if entry.name != TOTAL]
    refused = sum(entry.requests for entry in counted if entry.name.endswith(REFUSED_SUFFIX))
    errors = seen.task_errors
    errors += sum(entry.failures for entry in counted if not entry.name.endswith(REFUSED_SUFFIX))
    return Phase(
        label=label,
        users=users,
        seconds=seconds,
        endpoints=seen.endpoints,
        errors=errors,
        refused=refused,
        error_kinds={name: kinds for name, kinds in seen.errors.items() if not name.endswith(REFUSED_SUFFIX)},
        statuses=seen.statuses,
        pool_exhausted_after=seen.pool_exhausted_after,
    )


def count_reports(url: str) -> int:
    async def work(database: Database) -> int:
        async with database.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(Report)) or 0)

    return with_database(url, work)


def check_storage(url: str, rows_before: int, seen: pool.UserResults) -> Storage:
    """Count the receipted reports in the database (after the servers stopped)."""

    async def work(database: Database) -> dict[uuid.UUID, bytes]:
        async with database.sessions() as session:
            rows = await session.execute(select(Report.id, Report.envelope_sha256))
            return {row.id: row.envelope_sha256 for row in rows}

    stored = with_database(url, work)
    receipted = {uuid.UUID(receipt.report_id): receipt.envelope_sha256 for receipt in seen.receipts}
    as_receipted = sum(1 for report_id, digest in receipted.items() if stored.get(report_id) == digest)
    return Storage(
        receipts=len(seen.receipts),
        distinct_receipts=len(receipted),
        stored_as_receipted=as_receipted,
        new_rows=len(stored) - rows_before,
        sent=seen.sent_submissions,
        cut_short=seen.sent_submissions - seen.answered_submissions,
    )
