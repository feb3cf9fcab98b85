"""Fault tests (docs/FAULTS.md §1, §4): PostgreSQL goes away and comes back in the middle of
work. The machine's PostgreSQL keeps running; a TCP proxy of the test's own
(``tests/fault_support.DatabaseProxy``) stands between Sedā and it and cuts, refuses or
stalls connections, and ends one connection right before or right after a chosen statement
reaches the database.

Submissions during the outage get a typed 503 with Retry-After and the real client retries;
afterwards every acknowledged report is stored once and whole. The health endpoint says
the database is down, then up. The deadline and summary jobs fail a pass, try again on the
next tick, and write each escalation, audit entry and month once; a console action cut
before or after its commit is done once; the audit chain verifies.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from kiosk_client.client import SedaClient
from kiosk_client.kiosk import Kiosk, KioskSettings
from routing.vocabulary import ReportStatus
from server.app import create_app
from server.audit import verify_stored_chain
from server.console.deadlines import deadline_job
from server.db.lifecycle import Database
from server.db.models import (
    AuditEntry,
    Body,
    Message,
    MonthlySummary,
    OfficerRole,
    ReportRecipient,
    StatusEvent,
)
from server.intake.abuse import shared_secret
from server.intake.controller import Intake
from server.settings import Settings
from server.summaries import signing
from server.summaries.job import summary_job
from tests.console_support import Clock, Device, grant_demo_key, make_account
from tests.fault_support import (
    DatabaseProxy,
    Tally,
    check_stored,
    join_all,
    log_events,
    read_stored,
    run_clients,
    seda_client,
    submit_reports,
    wait_until,
)
from tests.intake_support import (
    LiveServer,
    draft,
    in_process_client,
    run_coroutine,
    seed_database,
    with_database,
)
from tests.kiosk_support import enrolled_kiosk

pytestmark = [pytest.mark.fault, pytest.mark.postgresql]

CLIENTS = 4
PER_CLIENT = 10
KIOSK_REPORTS = 6
OUTAGE_SECONDS = 2.0
RETRY_LATER = "503 unavailable retry-after=5"


def health(base_url: str) -> int:
    try:
        return httpx.get(base_url + "healthz", timeout=10.0).status_code
    except httpx.TransportError:
        return 0


def file_at_kiosk(kiosk: Kiosk, number: int) -> None:
    kiosk.file(
        kiosk.draft(f"از کیوسک {number}", report_type="complaint", category="health", concerns="conditions")
    )


def test_postgresql_going_away_mid_submissions_costs_retries_not_reports(  # noqa: PLR0915 (one outage, in order)
    postgres_url: str, tmp_path: Path, fault_report: list[str]
) -> None:
    keys = seed_database(postgres_url, tmp_path / "keys")
    proxy, proxied = DatabaseProxy.to_url(postgres_url)
    tally = Tally()
    healths: list[int] = []
    with (
        proxy,
        LiveServer(proxied, tmp_path, workers=2, puzzle_bits=0) as server,
        httpx.Client(base_url=server.base_url, timeout=10.0) as http,
    ):
        device = enrolled_kiosk(postgres_url, http, server.base_url, tmp_path / "kiosk", keys.root_public)
        kiosk = Kiosk(device, http, KioskSettings(delay_low=0, delay_high=0, retry=0.05))
        for n in range(KIOSK_REPORTS // 2):
            file_at_kiosk(kiosk, n)

        def client(number: int) -> None:
            http_client, seda = seda_client(server.base_url, keys, tally, number)
            with http_client:
                submit_reports(seda, tally, PER_CLIENT, f"{number}")

        threads = run_clients(client, CLIENTS)
        assert wait_until(lambda: len(tally.receipts) >= CLIENTS * PER_CLIENT // 4, 60), "no progress"
        proxy.refuse()  # the primary dies: its connections with it, and nobody answers
        healths.append(health(server.base_url))
        # Sealing needs no server: the kiosk files on, and its outbox keeps every report.
        for n in range(KIOSK_REPORTS // 2, KIOSK_REPORTS):
            file_at_kiosk(kiosk, n)
        delivered_during = kiosk.send_due()
        kept_during = kiosk.outbox.count()
        time.sleep(OUTAGE_SECONDS)
        healths.append(health(server.base_url))
        proxy.restore()  # a new primary takes connections
        assert wait_until(lambda: health(server.base_url) == 200, 20), "the server did not recover"
        healths.append(health(server.base_url))
        time.sleep(0.5)
        proxy.cut()  # and a quick restart: every pooled connection dies, new ones work at once
        stuck = join_all(threads, 60)
        for _ in range(100):
            if kiosk.outbox.count() == 0:
                break
            time.sleep(0.06)
            kiosk.send_due()
        kept_after = kiosk.outbox.count()
        kiosk.close()
        errors = [e for e in log_events(server.log_path) if e.get("event") == "unhandled_exception"]
    outcome = check_stored(tally.receipts, read_stored(postgres_url), set())
    answers = sum(tally.answers.values())
    fault_report.append(
        f"fault: PostgreSQL restarted (connections cut, refused {OUTAGE_SECONDS:.0f} s, cut again) during"
        f" {tally.submissions} submissions and {KIOSK_REPORTS} kiosk reports —"
        f" {len(tally.receipts)} acknowledged,"
        f" {outcome.stored - KIOSK_REPORTS} stored once and {KIOSK_REPORTS} kiosk reports stored once,"
        f" {len(outcome.lost)} lost, {outcome.duplicated} duplicated, {len(outcome.partial)} half-written,"
        f" {len(tally.retried_clients)} clients retried after {answers} answers {dict(tally.answers)},"
        f" health {'→'.join(map(str, healths))}, kiosk outbox kept {kept_during} during the outage"
        f" ({len(delivered_during)} sent) and {kept_after} after"
    )
    assert not tally.crashed, tally.crashed
    assert not stuck, f"{stuck} client(s) still waiting"
    assert not tally.refused, tally.refused
    assert tally.unknown == 0, "a client gave up within its patience"
    assert len(tally.receipts) == CLIENTS * PER_CLIENT
    assert answers > 0, "the outage hit no submission: the test tested nothing"
    assert set(tally.answers) == {RETRY_LATER}, tally.answers
    assert not errors, f"500s in the log: {errors}"
    assert healths[:2] == [503, 503]
    assert healths[-1] == 200
    assert not delivered_during
    assert kept_during == KIOSK_REPORTS
    assert kept_after == 0
    assert not outcome.lost
    assert outcome.duplicated == 0
    assert not outcome.partial
    assert outcome.stored == CLIENTS * PER_CLIENT + KIOSK_REPORTS  # the kiosk's, each once


def test_a_partitioned_database_is_a_prompt_503_not_a_hang(
    postgres_url: str, tmp_path: Path, fault_report: list[str]
) -> None:
    """A partition (packets to the old primary vanish) must not hold a request for asyncpg's
    default 60 s connect timeout, nor end in a 500 when the connection attempt times out."""
    keys = seed_database(postgres_url, tmp_path / "keys")
    proxy, proxied = DatabaseProxy.to_url(postgres_url)
    tally = Tally()
    with proxy, LiveServer(proxied, tmp_path, puzzle_bits=0) as server:
        http, seda = seda_client(server.base_url, keys, tally, 0)
        with http:
            seda.submit(draft("پیش از قطع"))
            seda.retries = 0
            proxy.stall()
            started = time.monotonic()
            probe = health(server.base_url)
            probe_seconds = time.monotonic() - started
            started = time.monotonic()
            with pytest.raises(Exception):  # noqa: B017, PT011 (no answer: the outcome is unknown)
                seda.submit(draft("هنگام قطع"))
            submit_seconds = time.monotonic() - started
            proxy.restore()
            seda.retries = 10
            receipt = seda.submit(draft("پس از وصل")).receipt
        errors = [e for e in log_events(server.log_path) if e.get("event") == "unhandled_exception"]
    stored = dict(read_stored(postgres_url).reports)
    fault_report.append(
        f"fault: PostgreSQL partitioned (connections accepted, never answered) — health {probe} in"
        f" {probe_seconds:.1f} s, a submission answered {dict(tally.answers)} in {submit_seconds:.1f} s,"
        f" {len(errors)} 500s; after it healed the next one was stored ({receipt.report_id in stored})"
    )
    assert probe == 503
    assert set(tally.answers) == {RETRY_LATER}, tally.answers
    assert not errors, errors
    assert probe_seconds < 30
    assert submit_seconds < 30
    assert receipt.report_id in stored


# -- the jobs ---------------------------------------------------------------------------------
class PassClock:
    """The jobs' clock: ``start`` plus one minute per pass, so each row tells which pass wrote it."""

    def __init__(self, start: datetime) -> None:
        self.start, self.passes = start, 0

    def __call__(self) -> datetime:
        return self.start + timedelta(minutes=self.passes)


async def _audit(database: Database) -> tuple[Counter[tuple[str, str]], set[datetime], bool, int]:
    async with database.sessions() as session:
        rows = (
            await session.execute(
                select(AuditEntry.subject, AuditEntry.details, AuditEntry.at).where(
                    AuditEntry.action == "report.overdue"
                )
            )
        ).all()
        chain = await verify_stored_chain(session)
    entries = Counter((subject, details) for subject, details, _ in rows)
    return entries, {at for *_, at in rows}, chain.ok, chain.checked


async def _wait(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll ``condition`` (set by the proxy's thread, which cannot set an asyncio event)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():  # noqa: ASYNC110 (another thread's state)
        await asyncio.sleep(0.05)
    return condition()


def test_the_deadline_job_survives_a_restart_mid_pass_and_escalates_once(
    postgres_url: str, tmp_path: Path, fault_report: list[str]
) -> None:
    keys = seed_database(postgres_url, tmp_path / "keys")
    with in_process_client(postgres_url, keys, puzzle_bits=0) as (client, _):
        report_ids = [client.submit(draft(f"بی‌پاسخ {n}")).receipt.report_id for n in range(3)]
    initial = run_coroutine(_recipients(postgres_url))
    proxy, proxied = DatabaseProxy.to_url(postgres_url, sql_visible=True)
    clock = PassClock(datetime.now(UTC) + timedelta(days=40))  # every deadline has passed
    # Pass 1 loses its connection before its first audit entry reaches the database; pass 2
    # after its COMMIT did (it committed, but saw a failure); pass 3 onwards find nothing late.
    proxy.cut_on(b"INSERT INTO audit_log", delivered=False)
    proxy.cut_on(b"COMMIT", delivered=True)

    async def work() -> tuple[Counter[tuple[str, str]], set[datetime], bool, int, int]:
        database = Database(proxied)
        intake = Intake(Settings(database_url=proxied), database, clock)

        async def trusted() -> object:
            clock.passes += 1
            return await intake.trusted_now()

        try:
            async with deadline_job(database, trusted, clock, 0.2):  # type: ignore[arg-type]
                assert await _wait(lambda: proxy.fired == 2 and clock.passes >= 4, 30), "the job stopped"
            return (*await _audit(database), await _count_recipients(database))
        finally:
            await database.dispose()

    with proxy:
        entries, times, chain_ok, chain_length, recipients = run_coroutine(work())
    late_cases = sum(initial.values())
    written_by = sorted({int((at - clock.start).total_seconds() // 60) for at in times})
    fault_report.append(
        f"fault: PostgreSQL connection lost mid deadline pass (before its audit insert), then after its"
        f" COMMIT — {clock.passes} passes, {late_cases} late cases of {len(report_ids)} reports escalated"
        f" by pass {written_by} only, {sum(entries.values())} audit entries"
        f" ({sum(n - 1 for n in entries.values())} duplicated), {recipients - late_cases} bodies added,"
        f" chain of {chain_length} verifies: {chain_ok}"
    )
    assert proxy.fired == 2
    assert written_by == [2], "pass 2 committed (its answer was lost); no other pass wrote"
    assert len(entries) == late_cases, entries
    assert set(entries.values()) == {1}, entries
    assert recipients > late_cases  # somebody above each late body got the case, once (primary key)
    assert chain_ok


async def _recipients(url: str) -> Counter[str]:
    database = Database(url)
    try:
        async with database.sessions() as session:
            rows = await session.scalars(select(ReportRecipient.report_id))
            return Counter(str(row) for row in rows)
    finally:
        await database.dispose()


async def _count_recipients(database: Database) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ReportRecipient)) or 0)


def test_the_summary_job_survives_a_restart_mid_month_and_makes_each_month_once(
    postgres_url: str, tmp_path: Path, fault_report: list[str]
) -> None:
    keys = seed_database(postgres_url, tmp_path / "keys")
    with in_process_client(postgres_url, keys, puzzle_bits=0) as (client, _):
        for n in range(3):
            client.submit(draft(f"برای خلاصه {n}"))

    async def make_signing_secret() -> None:  # so the only COMMITs the job sends store months
        database = Database(postgres_url)
        try:
            async with database.write_session() as session:
                await shared_secret(session, signing.SECRET_NAME)
        finally:
            await database.dispose()

    run_coroutine(make_signing_secret())
    proxy, proxied = DatabaseProxy.to_url(postgres_url, sql_visible=True)
    clock = PassClock(datetime.now(UTC) + timedelta(days=70))  # two more months have closed
    proxy.cut_on(b"INSERT INTO monthly_summaries", delivered=False)
    proxy.cut_on(b"COMMIT", delivered=True)
    settings = Settings(database_url=proxied, summary_job_seconds=1)

    async def work() -> list[tuple[str, int, int]]:
        database = Database(proxied)
        done = threading.Event()

        async def watch() -> None:
            while True:
                async with database.sessions() as session:
                    made = await session.scalar(select(func.count(func.distinct(MonthlySummary.month))))
                if proxy.fired == 2 and made and made >= 2:
                    done.set()
                    return
                await asyncio.sleep(0.2)

        def tick() -> datetime:
            clock.passes += 1
            return clock()

        try:
            async with summary_job(database, settings, tick):
                await asyncio.wait_for(watch(), 60)
                await asyncio.sleep(1.5)  # one more pass, which must find nothing to make
            async with database.sessions() as session:
                rows = await session.execute(
                    select(
                        MonthlySummary.month,
                        func.count(),
                        func.count(func.distinct(MonthlySummary.made_at)),
                    ).group_by(MonthlySummary.month)
                )
                return sorted((str(m), int(n), int(d)) for m, n, d in rows.all())
        finally:
            await database.dispose()

    with proxy:
        months = run_coroutine(work())
    fault_report.append(
        f"fault: PostgreSQL connection lost while the summary job stored a month (before the insert,"
        f" then after its COMMIT) — {clock.passes} passes, months {[m for m, *_ in months]} made once each"
        f" ({[n for _, n, _ in months]} documents, {[d for *_, d in months]} making time each), none remade"
    )
    assert proxy.fired == 2
    assert len(months) >= 2
    assert all(made_at == 1 for *_, made_at in months), months  # one set per month, never remade


def _case_writes(url: str, report_id: str) -> tuple[Counter[str], int, int, bool]:
    async def work(database: Database) -> tuple[Counter[str], int, int, bool]:
        subject = f"report:{report_id}"
        async with database.sessions() as session:
            actions = Counter(
                await session.scalars(select(AuditEntry.action).where(AuditEntry.subject == subject))
            )
            messages = await session.scalar(
                select(func.count()).select_from(Message).where(Message.report_id == uuid.UUID(report_id))
            )
            acknowledged = await session.scalar(
                select(func.count())
                .select_from(StatusEvent)
                .where(
                    StatusEvent.report_id == uuid.UUID(report_id),
                    StatusEvent.status == ReportStatus.ACKNOWLEDGED,
                )
            )
            chain = await verify_stored_chain(session)
        return actions, int(messages or 0), int(acknowledged or 0), chain.ok

    return with_database(url, work)


def test_a_console_action_cut_by_a_restart_is_done_once(
    postgres_url: str, tmp_path: Path, fault_report: list[str]
) -> None:
    """An officer's acknowledgement loses its connection before its audit entry is written
    (nothing is kept: retried, done); a reply loses it after its COMMIT reached the database
    (kept, but the officer saw a 503: the retry is refused as a conflict, not written twice)."""
    keys = seed_database(postgres_url, tmp_path / "keys")
    proxy, proxied = DatabaseProxy.to_url(postgres_url, sql_visible=True)
    clock = Clock()
    settings = Settings(database_url=proxied, puzzle_bits=0, deadline_job_seconds=0, summary_job_seconds=0)
    with proxy, TestClient(create_app(settings, clock=clock), base_url="https://seda.test") as http:
        reporter = SedaClient(http, keys.root_public, sleep=lambda _: None, clock=clock)
        report_id = reporter.submit(draft("برای اقدام هنگام قطع")).receipt.report_id
        body = with_database(postgres_url, functools.partial(_first_recipient, report_id=report_id))
        device = Device(http, clock, "fault.officer")
        device.enrol(make_account(postgres_url, "fault.officer", OfficerRole.OFFICER, body, clock()))
        grant_demo_key(postgres_url, keys, "fault.officer")
        assert device.sign_in().status_code == 201
        _, envelope, opened = device.open_case(report_id)
        path = f"/console/api/reports/{report_id}"

        proxy.cut_on(b"INSERT INTO audit_log", delivered=False)
        acknowledge = [device.post(f"{path}/acknowledge").status_code]
        acknowledge.append(device.post(f"{path}/acknowledge").status_code)
        reply = device.seal("reply", envelope, opened, "در دست بررسی است")
        proxy.cut_on(b"COMMIT", delivered=True)
        replies = [device.post(f"{path}/replies", {"message": reply, "status": "under_review"})]
        replies.append(device.post(f"{path}/replies", {"message": reply, "status": "under_review"}))
        codes = [r.json().get("code") if r.status_code >= 400 else r.status_code for r in replies]
    actions, messages, acknowledged, chain_ok = _case_writes(postgres_url, report_id)
    fault_report.append(
        f"fault: PostgreSQL connection lost during console actions — acknowledge before its audit"
        f" entry: answers {acknowledge}, stored {acknowledged} time(s), audited"
        f" {actions['report.acknowledged']}; reply after its COMMIT: answers {codes}, {messages} message(s),"
        f" audited {actions['report.replied']}; chain verifies: {chain_ok}"
    )
    assert proxy.fired == 2
    assert acknowledge == [503, 204]
    assert acknowledged == actions["report.acknowledged"] == 1
    assert codes == ["unavailable", "conflict"]  # stored by the first; the retry writes nothing
    assert messages == actions["report.replied"] == 1
    assert chain_ok


async def _first_recipient(database: Database, report_id: str) -> str:
    async with database.sessions() as session:
        code = await session.scalar(
            select(Body.code)
            .join(ReportRecipient, ReportRecipient.body_id == Body.id)
            .where(ReportRecipient.report_id == uuid.UUID(report_id))
            .order_by(Body.code)
            .limit(1)
        )
    assert code is not None
    return str(code)
