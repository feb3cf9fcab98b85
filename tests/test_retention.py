"""Retention (docs/OPERATIONS.md "Retention"): a closed case past the retention period is purged
with everything that hangs off it, the audit log keeps the fact and still verifies, and open,
watched, recent or not yet summarised cases are left alone; purging twice, or in two
processes at once, purges once."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from kiosk_client.client import Attachment, ClientError, Submitted
from server.app import create_app
from server.audit import verify_stored_chain
from server.cli import cli
from server.db.base import Base
from server.db.lifecycle import Database
from server.db.models import AuditEntry, Message, Report, StatusEvent, Upload, UploadChunk
from server.db.types import round_down_to_hour
from server.demo.keys import DemoKeys
from server.retention.purge import REPORT_TABLES, purge, purgeable
from server.settings import Settings
from tests.backup_support import System, running, table_values
from tests.console_support import Clock
from tests.intake_support import draft, file_haystacks, seeded_sqlite, with_database

DAYS = 30
ATTACHMENT = b"canary-retention-attachment " * 64


@dataclass
class Cases:
    system: System
    purged: Submitted
    watched: Submitted
    still_open: Submitted
    later: datetime  # a moment past the retention period of every case here


@pytest.fixture
def cases(seeded_any: tuple[str, DemoKeys]) -> Iterator[Cases]:
    with _cases(*seeded_any) as made:
        yield made


@pytest.fixture
def sqlite_cases(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cases]:
    with _cases(*seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())) as made:
        yield made


@contextmanager
def _cases(url: str, keys: DemoKeys) -> Iterator[Cases]:
    """A closed case with a reply and an attachment, a closed case under watch, an open case."""
    clock = Clock()
    with running(url, keys, clock) as system:
        purged = system.reporter.submit(
            draft(
                "canary-retention-text",
                concerns="conditions",
                attachments=[Attachment("photo.jpg", "image/jpeg", ATTACHMENT)],
            )
        )
        system.reply(purged.receipt.report_id)
        system.close(purged.receipt.report_id)
        watched = system.reporter.submit(draft("زیر نظر", concerns="conditions"))
        system.close(watched.receipt.report_id)
        _watch(url, watched.receipt.report_id, until=clock.now + timedelta(days=3650))
        still_open = system.reporter.submit(draft("باز", concerns="conditions"))
        yield Cases(system, purged, watched, still_open, clock.now + timedelta(days=75))


def _watch(url: str, report_id: str, until: datetime) -> None:
    """A retaliation watch on a closed case (as a retaliation follow-up before closing leaves it)."""

    async def work(database: Database) -> None:
        async with database.write_session() as session:
            await session.execute(
                update(Report)
                .where(Report.id == uuid.UUID(report_id))
                .values(watch_until=round_down_to_hour(until))
            )
            await session.commit()

    with_database(url, work)


def _purge(url: str, now: datetime, days: int = DAYS) -> int:
    return with_database(url, lambda database: purge(database, now=now, days=days))


def _traces(url: str, report_id: str) -> dict[str, bytes]:
    """Every stored byte string of a report: ciphertext, wraps, verifier, uploads."""

    async def work(database: Database) -> dict[str, bytes]:
        rid = uuid.UUID(report_id)
        async with database.sessions() as session:
            report = await session.get_one(Report, rid)
            found = {"envelope": report.envelope, "verifier": report.lookup_verifier or b""}
            for n, sealed in enumerate(
                await session.scalars(select(Message.sealed).where(Message.report_id == rid))
            ):
                found[f"message {n}"] = sealed
            chunks = await session.scalars(
                select(UploadChunk.data)
                .join(Upload, Upload.id == UploadChunk.upload_id)
                .where(Upload.report_id == rid)
            )
            for n, data in enumerate(chunks):
                found[f"chunk {n}"] = data
            return found

    return with_database(url, work)


def _audit(url: str) -> tuple[bool, list[AuditEntry]]:
    async def work(database: Database) -> tuple[bool, list[AuditEntry]]:
        async with database.sessions() as session:
            chain = await verify_stored_chain(session)
            return chain.ok, list(await session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))

    return with_database(url, work)


def _closed_hour(url: str, report_id: str) -> datetime:
    async def work(database: Database) -> datetime:
        async with database.sessions() as session:
            found = await session.scalar(
                select(StatusEvent.at_hour)
                .where(StatusEvent.report_id == uuid.UUID(report_id), StatusEvent.status == "closed")
                .order_by(StatusEvent.at_hour.desc())
                .limit(1)
            )
            assert found is not None
            return found

    return with_database(url, work)


def test_a_closed_case_past_retention_is_purged_without_a_trace_and_the_chain_still_verifies(
    cases: Cases,
) -> None:
    system, url = cases.system, cases.system.url
    report_id = cases.purged.receipt.report_id
    traces = _traces(url, report_id)
    assert {"envelope", "verifier", "message 0", "chunk 0"} <= set(traces)
    closed = _closed_hour(url, report_id)
    system.summaries()
    ok, before = _audit(url)
    assert ok

    assert _purge(url, cases.later) == 1

    tables = table_values(url)
    for name, needle in traces.items():
        assert needle, name
        holding = [table for table, values in tables.items() if needle in values]
        assert holding == [], f"{name} is still in {holding}"
    rid = uuid.UUID(report_id)
    for form in (str(rid), rid.hex):
        holding = [table for table, values in tables.items() if form.encode() in values]
        assert set(holding) <= {"audit_log"}, f"the report id is still in {holding}"
    ok, after = _audit(url)
    assert ok
    assert [(e.seq, e.entry_hash) for e in after[: len(before)]] == [(e.seq, e.entry_hash) for e in before]
    (entry,) = after[len(before) :]
    assert (entry.actor, entry.action, entry.subject) == ("system", "report.purged", f"report:{report_id}")
    assert entry.details == f'{{"closed_hour":"{closed.isoformat()}"}}'

    with pytest.raises(ClientError) as caught:
        system.reporter.status(cases.purged.token)
    assert caught.value.code == "not-found"
    assert system.reporter.status(cases.still_open.token).view.report_id == cases.still_open.receipt.report_id
    assert system.reporter.status(cases.watched.token).view.report_id == cases.watched.receipt.report_id


def test_purging_again_or_in_two_processes_at_once_purges_once(cases: Cases) -> None:
    url = cases.system.url
    cases.system.summaries()
    _, before = _audit(url)

    async def two_processes() -> list[int]:
        first, second = Database(url), Database(url)
        try:
            return list(
                await asyncio.gather(
                    purge(first, now=cases.later, days=DAYS), purge(second, now=cases.later, days=DAYS)
                )
            )
        finally:
            await first.dispose()
            await second.dispose()

    assert sorted(asyncio.run(two_processes())) == [0, 1]
    assert _purge(url, cases.later) == 0
    assert _purge(url, cases.later + timedelta(days=1)) == 0
    ok, after = _audit(url)
    assert ok
    assert [e.action for e in after[len(before) :]] == ["report.purged"]


def test_open_watched_recent_and_unsummarised_cases_are_kept(cases: Cases) -> None:
    url = cases.system.url
    assert _purge(url, cases.later) == 0  # no summaries of its months yet: they would lose it
    cases.system.summaries()
    assert _purge(url, cases.later, days=3650) == 0  # recent
    assert _purge(url, cases.later, days=0) == 0  # retention off
    listed = with_database(url, lambda database: purgeable(database, now=cases.later, days=DAYS))
    assert [item.report_id for item in listed] == [cases.purged.receipt.report_id]  # not open, not watched
    assert _purge(url, cases.later) == 1
    for kept in (cases.watched, cases.still_open):
        assert cases.system.reporter.status(kept.token).view.report_id == kept.receipt.report_id


def test_a_new_event_restarts_the_period(cases: Cases) -> None:
    url = cases.system.url
    cases.system.summaries()
    report_id = cases.purged.receipt.report_id
    assert _purge(url, _closed_hour(url, report_id) + timedelta(days=DAYS - 1)) == 0


def test_the_sqlite_files_keep_no_purged_bytes(sqlite_cases: Cases) -> None:
    cases = sqlite_cases
    url = cases.system.url
    cases.system.summaries()
    traces = _traces(url, cases.purged.receipt.report_id)
    assert _purge(url, cases.later) == 1
    folder = Path(str(make_url(url).database)).parent
    files = file_haystacks(folder)
    for name, needle in traces.items():
        holding = [path for path, data in files.items() if needle in data]
        assert holding == [], f"{name} is still in {holding}"


def test_every_table_that_refers_to_a_report_is_purged() -> None:
    handled = {model.__table__.name for model in (*REPORT_TABLES, Upload, UploadChunk, Report)}
    referring = {
        table.name
        for table in Base.metadata.sorted_tables
        for key in table.foreign_keys
        if key.column.table.name in {"reports", "uploads", "messages"}
    }
    assert referring <= handled, f"purge does not delete from {referring - handled}"


def test_the_command_line_purge_and_dry_run(seeded_any: tuple[str, DemoKeys]) -> None:
    url, _ = seeded_any
    runner = CliRunner()

    def seda(*args: str, **env: str) -> Any:
        return runner.invoke(cli, list(args), env={"SEDA_DATABASE_URL": url, **env}, catch_exceptions=False)

    off = seda("retention", "purge", SEDA_RETENTION_DAYS="0")
    assert off.exit_code == 0
    assert "Retention is off" in off.output
    dry = seda("retention", "purge", "--dry-run", SEDA_RETENTION_DAYS="30")
    assert dry.exit_code == 0
    assert "0 closed case(s) would be purged" in dry.output
    done = seda("retention", "purge", SEDA_RETENTION_DAYS="30")
    assert done.exit_code == 0
    assert "0 closed case(s) purged" in done.output
    bad = seda("retention", "purge", SEDA_RETENTION_DAYS="-1")
    assert bad.exit_code == 2


def test_the_job_of_a_server_process_purges_what_is_due(cases: Cases) -> None:
    url = cases.system.url
    cases.system.summaries()
    report_id = uuid.UUID(cases.purged.receipt.report_id)

    def present() -> bool:
        async def work(database: Database) -> bool:
            async with database.sessions() as session:
                return await session.get(Report, report_id) is not None

        return with_database(url, work)

    settings = Settings(
        database_url=url,
        puzzle_bits=0,
        deadline_job_seconds=0,
        summary_job_seconds=0,
        retention_days=DAYS,
        retention_job_seconds=1,
    )
    with TestClient(create_app(settings, clock=lambda: cases.later)):
        deadline = time.monotonic() + 30  # a bound on the wait, not a timing assertion
        while present() and time.monotonic() < deadline:
            time.sleep(0.2)
    assert not present()
    assert [e.action for e in _audit(url)[1]].count("report.purged") == 1
