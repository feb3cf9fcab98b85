"""The load test, short: sustained submissions and look-ups through ``seda serve`` and Locust.

The driver (``benchmarks/load``) runs everything in subprocesses, so Locust (which patches
the standard library with gevent when imported) never enters this process. No timing is
asserted: only that nothing failed except by the deliberate look-up limit, that the 429s
were counted apart, and that every acknowledged submission is stored exactly once.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete

from benchmarks.load.driver import Options, run_config
from benchmarks.load.pool import LOOK_UP, SUBMIT, Receipted, UserResults
from benchmarks.load.results import Phase, check_storage, count_reports
from kiosk_client.wire import Receipt
from server.db.lifecycle import Database
from server.db.models import Report
from tests.intake_support import draft, in_process_client, seeded_sqlite, with_database

SECONDS = 15
# A small look-up budget (per process; every user is 127.0.0.1), so 429s are certain.
BURST, PER_MINUTE = 15, 60


def _options(config: str) -> Options:
    return Options(
        configs=(config,),
        seconds=SECONDS,
        users=8,
        workers=2,
        rate_per_user=4.0,  # bounded rate: the pool's size follows from it
        reference_seconds=3,
        puzzle_bits=8,
        lookup_burst=BURST,
        lookup_per_minute=PER_MINUTE,
        tracked_reports=8,
    )


def _check(main: Phase, workers: int) -> None:
    assert main.errors == 0, main.error_kinds
    assert main.pool_exhausted_after is None
    assert main.refused > 0, "the small look-up budget was never hit: 429s are not being counted"
    # Look-ups answered 200 never exceed what the per-process budgets allow (+ a slack of
    # 15 s over the run for start-up and stopping: a bound, not a timing).
    admitted = main.statuses[LOOK_UP].get(200, 0)
    assert 0 < admitted <= workers * (BURST + PER_MINUTE / 60 * (SECONDS + 15))
    assert main.statuses[LOOK_UP].get(429, 0) == main.refused
    storage = main.storage
    assert storage is not None
    assert storage.receipts == main.statuses[SUBMIT][201] > 0
    assert storage.exactly_once()
    # Every submission sent has an outcome, except those Locust's stop cut short (a few).
    assert storage.sent - storage.receipts == storage.cut_short <= 8


@pytest.mark.parametrize("config", ["sqlite", pytest.param("pg", marks=pytest.mark.postgresql)])
def test_sustained_load_fails_only_by_429_and_stores_each_receipt_once(
    config: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    empty = None if config == "sqlite" else str(request.getfixturevalue("postgres_url"))
    result = run_config(config, _options(config), tmp_path, empty_database=empty)
    assert result is not None
    main, health, trivial = result.phases
    _check(main, result.workers)
    for reference in (health, trivial):
        assert reference.errors == 0, reference.error_kinds
        assert reference.total.requests > 0


def test_storage_check_refuses_lost_doubled_altered_and_unreceipted_reports(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The exactly-once check is not a formality: each way of breaking it is caught."""
    url, keys = seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    before = count_reports(url)
    with in_process_client(url, keys) as (client, _):
        receipts = [_receipted(client.submit(draft()).receipt) for _ in range(3)]

    def verdict(seen: list[Receipted], rows_before: int = before) -> bool:
        results = UserResults(
            endpoints=[],
            errors={},
            task_errors=0,
            receipts=seen,
            sent_submissions=len(seen),
            answered_submissions=len(seen),
            statuses={},
            pool_exhausted_after=None,
        )
        return check_storage(url, rows_before, results).exactly_once()

    assert verdict(receipts)
    assert not verdict([*receipts, receipts[0]])  # one report receipted twice
    assert not verdict(receipts[1:])  # a stored report nobody was given a receipt for
    altered = Receipted(receipts[0].report_id, bytes(32))
    assert not verdict([altered, *receipts[1:]])  # stored, but not the receipted envelope

    async def lose_first(database: Database) -> None:
        async with database.write_session() as session:
            await session.execute(delete(Report).where(Report.id == uuid.UUID(receipts[0].report_id)))

    with_database(url, lose_first)
    assert not verdict(receipts, rows_before=before - 1)  # receipted, then lost


def _receipted(receipt: Receipt) -> Receipted:
    return Receipted(receipt.report_id, receipt.envelope_sha256)
