"""Retention (docs/OPERATIONS.md "Retention"): a closed case past the retention period is purged
with everything that hangs off it, the audit log keeps the fact and still verifies, and open,
watched, recent or not yet summarised cases are left alone; purging twice, or in two
processes at once, purges once."""

from __future__ import annotations

import asyncio
import sqlite3
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
from routing.vocabulary import ReportStatus
from server.app import create_app
from server.audit import verify_stored_chain
from server.cli import cli
from server.db import engine
from server.db.base import Base
from server.db.lifecycle import Database
from server.db.models import (
    AuditEntry,
    Body,
    EscrowWrap,
    Message,
    ProtectionKind,
    ProtectionMeasure,
    Report,
    ReportRecipient,
    StatusEvent,
    Upload,
    UploadChunk,
)
from server.db.types import round_down_to_hour
from server.demo.keys import DemoKeys
from server.retention import purge as purging
from server.retention.purge import REPORT_TABLES, purge, purgeable
from server.settings import Settings
from tests.backup_support import System, running, table_values
from tests.console_support import Clock
from tests.intake_support import draft, file_haystacks, seed_database, seeded_sqlite, with_database

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


def _activity(url: str, report_id: str, kind: str, hour: datetime) -> None:
    """Record, at ``hour``, one kind of activity on a report whose every holder closed it (each
    row as the console or the deadline job writes it; the hour column alone is what counts)."""
    rid = uuid.UUID(report_id)

    async def work(database: Database) -> None:
        async with database.write_session() as session:
            holder = await session.scalar(select(ReportRecipient).where(ReportRecipient.report_id == rid))
            assert holder is not None
            assert holder.state == ReportStatus.CLOSED
            if kind == "status event":
                seq = len(
                    list(await session.scalars(select(StatusEvent.id).where(StatusEvent.report_id == rid)))
                )
                session.add(
                    StatusEvent(
                        report_id=rid,
                        seq=seq + 1,
                        status=ReportStatus.CLOSED,
                        body_id=holder.body_id,
                        at_hour=hour,
                    )
                )
            elif kind == "protection measure":
                reply = await session.scalar(select(Message.id).where(Message.report_id == rid).limit(1))
                assert reply is not None
                session.add(
                    ProtectionMeasure(
                        message_id=reply,
                        report_id=rid,
                        body_id=holder.body_id,
                        measure=next(iter(ProtectionKind)),
                        at_hour=hour,
                    )
                )
            elif kind == "body added":
                holder.added_hour = hour
            elif kind == "acknowledged":
                holder.acknowledged_hour = hour
            elif kind == "escrow released":
                escrowed = await session.scalar(
                    select(EscrowWrap).where(EscrowWrap.report_id == rid).limit(1)
                )
                if escrowed is None:
                    other = await session.scalar(select(Body.id).where(Body.id != holder.body_id).limit(1))
                    assert other is not None
                    escrowed = EscrowWrap(report_id=rid, body_id=other, wrapped_key=bytes(48), key_id=None)
                    session.add(escrowed)
                escrowed.released_hour = hour
            await session.commit()

    with_database(url, work)


ACTIVITIES = [
    "follow-up",
    "status event",
    "protection measure",
    "body added",
    "acknowledged",
    "escrow released",
]


@pytest.mark.parametrize("kind", ACTIVITIES)
def test_activity_after_closing_restarts_the_period(cases: Cases, kind: str) -> None:
    """The case was received and closed long ago; only what happened since keeps it."""
    system, url = cases.system, cases.system.url
    report_id = cases.purged.receipt.report_id
    system.clock.tick(3600 * 24 * (DAYS + 10))
    activity_hour = round_down_to_hour(system.clock.now)
    assert _closed_hour(url, report_id) < activity_hour - timedelta(days=DAYS)
    if kind == "follow-up":
        receipt = system.reporter.follow_up(cases.purged.token, "they moved me after I complained")
        assert receipt.at_hour == activity_hour
    else:
        _activity(url, report_id, kind, activity_hour)
    system.summaries()
    assert _purge(url, activity_hour + timedelta(days=DAYS - 1)) == 0
    assert _purge(url, activity_hour + timedelta(days=DAYS + 1)) == 1  # the activity alone kept it


def test_a_case_a_body_still_holds_is_kept(cases: Cases) -> None:
    """A retaliation follow-up on a closed case adds bodies that hold it open (waiting for its
    key) while ``reports.status`` stays closed: no time past it purges the case."""
    system, url = cases.system, cases.system.url
    closed = system.reporter.submit(draft("canary-held-open", concerns="conditions"))
    report_id = closed.receipt.report_id
    system.close(report_id)
    system.clock.tick(3600 * 2)
    receipt = system.reporter.follow_up(closed.token, "they beat me after I complained", retaliation=True)
    assert receipt.added_bodies
    _watch(url, report_id, until=system.clock.now)  # the watch is over: only the holders keep it
    system.summaries(days_later=400)
    far = system.clock.now + timedelta(days=300)
    listed = with_database(url, lambda database: purgeable(database, now=far, days=DAYS))
    assert report_id not in [item.report_id for item in listed]
    assert cases.purged.receipt.report_id in [item.report_id for item in listed]  # the control
    _purge(url, far)
    assert system.reporter.status(closed.token).view.report_id == report_id


@pytest.mark.postgresql
def test_a_follow_up_committed_while_the_candidates_are_read_keeps_its_case(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: a follow-up acknowledged after the candidate query read its snapshot and
    before the purge locked the report is seen by the check after the lock."""
    keys = seed_database(postgres_url, tmp_path / "keys")
    clock = Clock()
    with running(postgres_url, keys, clock) as system:
        submitted = system.reporter.submit(draft("canary-race", concerns="conditions"))
        report_id = submitted.receipt.report_id
        system.close(report_id)
        system.summaries()
        clock.now += timedelta(days=DAYS + 1)  # the follow-up is made when the purge runs
        lock = purging._lock
        acknowledged: list[str] = []

        async def follow_up_first(session: Any, ids: list[Any]) -> list[Any]:
            if uuid.UUID(report_id) in ids and not acknowledged:
                receipt = await asyncio.to_thread(system.reporter.follow_up, submitted.token, "they moved me")
                acknowledged.append(receipt.message_id)
            return await lock(session, ids)

        monkeypatch.setattr(purging, "_lock", follow_up_first)
        assert _purge(postgres_url, clock.now) == 0
        assert acknowledged
        monkeypatch.undo()
        status = system.reporter.status(submitted.token)
        assert status.view.report_id == report_id

    async def stored(database: Database) -> bool:
        async with database.sessions() as session:
            return await session.get(Message, uuid.UUID(acknowledged[0])) is not None

    assert with_database(postgres_url, stored)


def _slices(value: bytes, size: int = 64) -> list[bytes]:
    """Slices of ``value``: a whole value longer than a page is never stored in one piece."""
    return [value[at : at + size] for at in range(0, max(len(value) - size, 0) + 1, size)]


def _in_files(folder: Path, traces: dict[str, bytes], url: str | None = None) -> dict[str, list[str]]:
    """Per trace, the files holding a slice of it; with ``url``, only slices no live row holds
    (a cleartext routing field, say, that a kept report shares)."""
    files = file_haystacks(folder)
    live = b"\x00".join(table_values(url).values()) if url else b""
    found: dict[str, list[str]] = {}
    for name, needle in traces.items():
        pieces = [piece for piece in _slices(needle) if not (url and piece in live)]
        found[name] = [path for path, data in files.items() if any(piece in data for piece in pieces)]
    return found


def _secure_delete_off_from_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SQLite connection opened from now on (the purge's) starts with secure_delete off
    (Debian's SQLite and ``SQLITE_PRAGMAS`` turn it on), so what is tested is the purge's own
    ``PRAGMA secure_delete=ON``; the data was written before, as a server writes it."""
    monkeypatch.setattr(engine, "SQLITE_PRAGMAS", (*engine.SQLITE_PRAGMAS, "PRAGMA secure_delete=OFF"))


def test_the_sqlite_files_keep_no_purged_bytes(sqlite_cases: Cases, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = sqlite_cases
    url = cases.system.url
    cases.system.summaries()
    traces = _traces(url, cases.purged.receipt.report_id)
    folder = Path(str(make_url(url).database)).parent
    before = _in_files(folder, traces)
    assert all(before.values()), f"the search finds nothing even before the purge: {before}"
    _secure_delete_off_from_now(monkeypatch)
    assert _purge(url, cases.later) == 1
    assert {name: found for name, found in _in_files(folder, traces, url).items() if found} == {}


def test_a_checkpoint_a_reader_prevents_is_completed_by_the_next_pass(
    sqlite_cases: Cases, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader holding a snapshot (a backup being written, a page being read) keeps the purged
    pages in the WAL and the old ones in seda.db; the next pass, with nothing to purge,
    checkpoints them out."""
    cases = sqlite_cases
    url = cases.system.url
    cases.system.summaries()
    traces = _traces(url, cases.purged.receipt.report_id)
    path = Path(str(make_url(url).database))
    with sqlite3.connect(path) as settle:
        settle.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # old data lives in seda.db, not in the WAL
    _secure_delete_off_from_now(monkeypatch)
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM reports").fetchall()  # the snapshot is held from here
        assert _purge(url, cases.later) == 1
        assert any(
            _in_files(path.parent, traces, url).values()
        )  # the reader kept the checkpoint from completing
        reader.execute("COMMIT")
    finally:
        reader.close()
    assert _purge(url, cases.later) == 0
    assert {name: found for name, found in _in_files(path.parent, traces, url).items() if found} == {}


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
