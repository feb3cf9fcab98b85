"""Fault tests (docs/FAULTS.md §5): the server's clock jumps forward and back.

Every part of the server reads time from one clock, the ``clock`` that ``create_app`` takes
(intake, the console, the deadline and summary jobs); the test moves it. The reporter's
device keeps its own, true clock. Checked: intake stores hour-rounded times whatever the
jump; a deadline pass escalates a late case once, and neither a jump back nor the jump
forward again escalates anything twice or early; the audit chain stays in ``seq`` order and
verifies although its times go backwards; a month's summaries are made once and not remade;
a TOTP code is never accepted twice, nor an older one after the clock went back; a session
that ended by the clock does not come back when the clock goes back.
"""

from __future__ import annotations

import functools
import itertools
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from kiosk_client.client import SedaClient
from server.app import create_app
from server.audit import verify_stored_chain
from server.console.deadlines import run_deadlines
from server.db.engine import backend_name
from server.db.lifecycle import Database
from server.db.models import AuditEntry, Body, MonthlySummary, OfficerRole, ReportRecipient
from server.db.types import round_down_to_hour
from server.demo.keys import DemoKeys
from server.intake.trust import TrustStore
from server.settings import Settings
from server.summaries.job import run_summaries
from tests.console_support import Clock, Device, make_account
from tests.intake_support import draft, with_database

pytestmark = pytest.mark.fault

DAY = timedelta(days=1)


def deadline_pass(url: str, now: datetime) -> int:
    async def work(database: Database) -> int:
        async with database.sessions() as session:
            trusted = await TrustStore(None).current(session, now)
        return await run_deadlines(database, trusted, now)

    return with_database(url, work)


def summaries_at(url: str, now: datetime) -> list[str]:
    settings = Settings(database_url=url)
    return with_database(url, lambda database: run_summaries(database, settings, now))


async def _state(
    database: Database,
) -> tuple[Counter[str], list[tuple[int, datetime]], bool, dict[str, bytes]]:
    async with database.sessions() as session:
        overdue = Counter(
            f"{subject} {details}"
            for subject, details in await session.execute(
                select(AuditEntry.subject, AuditEntry.details).where(AuditEntry.action == "report.overdue")
            )
        )
        chain = [
            (seq, at)
            for seq, at in await session.execute(
                select(AuditEntry.seq, AuditEntry.at).order_by(AuditEntry.seq)
            )
        ]
        verified = await verify_stored_chain(session)
        documents = {
            f"{m} {lv} {u} {v}": sha
            for m, lv, u, v, sha in await session.execute(
                select(
                    MonthlySummary.month,
                    MonthlySummary.level,
                    MonthlySummary.unit_code,
                    MonthlySummary.view,
                    MonthlySummary.document_sha256,
                )
            )
        }
    return overdue, chain, verified.ok, documents


async def _a_recipient(database: Database, report_id: str) -> str:
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


async def _escalated(database: Database, report_id: str) -> int:
    async with database.sessions() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(ReportRecipient)
            .where(ReportRecipient.report_id == uuid.UUID(report_id), ReportRecipient.escalated.is_(True))
        )
    return int(found or 0)


def test_clock_jumps_change_no_count_and_repeat_no_action(  # noqa: PLR0915 (one clock, moved in order)
    seeded_any: tuple[str, DemoKeys], fault_report: list[str]
) -> None:
    url, keys = seeded_any
    # The server's clock starts ahead of true time (the directory was published just now, so
    # a jump back stays inside its validity), on an odd minute, so rounding shows.
    base = (datetime.now(UTC) + 10 * DAY).replace(minute=37, second=12)
    clock = Clock(base)
    settings = Settings(database_url=url, puzzle_bits=0, deadline_job_seconds=0, summary_job_seconds=0)
    received: list[tuple[datetime, datetime]] = []
    with TestClient(create_app(settings, clock=clock), base_url="https://seda.test") as http:
        reporter = SedaClient(http, keys.root_public, sleep=lambda _: None)

        def submit(text: str) -> str:
            at = clock()
            receipt = reporter.submit(draft(text)).receipt
            received.append((at, receipt.received_hour))
            return receipt.report_id

        late = [submit("پیش از پرش"), submit("پیش از پرش، دومی")]
        officer_body = with_database(url, lambda database: _a_recipient(database, late[0]))
        device = Device(http, clock, "clock.officer")
        device.enrol(make_account(url, "clock.officer", OfficerRole.OFFICER, officer_body, clock()))

        # -- TOTP and sessions -----------------------------------------------------------
        code = device.code()
        assert device.sign_in(totp=code).status_code == 201
        replayed = device.sign_in(totp=code).status_code  # the same code again
        clock.now -= timedelta(minutes=3)  # the clock goes back: older steps' codes are valid "now"
        older = device.sign_in(totp=pyotp.TOTP(device.totp_secret).at(clock.now)).status_code
        clock.now += timedelta(minutes=4)
        fresh = device.sign_in().status_code  # a later step than any used: taken
        me_before = device.get("/console/api/me").status_code
        signed_in_at = clock.now
        clock.now = signed_in_at + timedelta(hours=settings.session_hours, minutes=1)
        me_expired = device.get("/console/api/me").status_code
        clock.now = signed_in_at + timedelta(minutes=1)  # and back
        me_back = device.get("/console/api/me").status_code

        # -- deadlines ---------------------------------------------------------------------
        clock.now = base + 15 * DAY  # forward: the first report is late
        handled_forward = deadline_pass(url, clock())
        ahead = submit("هنگام جلو بودن ساعت")
        clock.now = base + timedelta(hours=1)  # back, by two weeks
        handled_back = deadline_pass(url, clock())
        submit("پس از برگشت ساعت")
        device.sign_in()  # an audited action at the earlier time
        clock.now = base + 15 * DAY + timedelta(hours=2)  # forward again
        handled_again = deadline_pass(url, clock())

        # -- summaries ---------------------------------------------------------------------
        clock.now = base + 70 * DAY
        made_first = summaries_at(url, clock())
        documents_first = with_database(url, _state)[3]
        clock.now = base + timedelta(hours=3)
        submit("در ماهی که خلاصه‌اش ساخته شده")  # lands in a month already made
        made_back = summaries_at(url, clock())
        clock.now = base + 70 * DAY + timedelta(hours=1)
        made_again = summaries_at(url, clock())

    overdue, chain, chain_ok, documents = with_database(url, _state)
    escalated_late = sum(with_database(url, functools.partial(_escalated, report_id=id_)) for id_ in late)
    escalated_ahead = with_database(url, functools.partial(_escalated, report_id=ahead))
    rounded = all(hour == round_down_to_hour(at) < at for at, hour in received)
    seqs = [seq for seq, _ in chain]
    backwards = sum(1 for (_, a), (_, b) in itertools.pairwise(chain) if b < a)
    fault_report.append(
        f"fault: server clock moved ({backend_name(url)}; +15 d, −15 d, +15 d, +70 d, −70 d) —"
        f" {len(received)} reports stored"
        f" hour-rounded: {rounded}; deadline passes handled {handled_forward}/{handled_back}/{handled_again}"
        f" cases, each late case escalated once ({sum(n - 1 for n in overdue.values())} repeated);"
        f" audit chain of {len(chain)} in seq order with {backwards} steps back in time verifies: {chain_ok};"
        f" summaries made {len(made_first)} months then {len(made_back)}/{len(made_again)}, remade"
        f" {sum(documents[k] != v for k, v in documents_first.items())}; TOTP replay {replayed}, older code"
        f" after the clock went back {older}, a later one {fresh}; session {me_before}, expired {me_expired},"
        f" clock back {me_back}"
    )
    assert rounded, received
    assert handled_forward == escalated_late > 0
    assert handled_back == 0
    assert set(overdue.values()) == {1}, overdue
    assert escalated_ahead == 0, "a report received while the clock was ahead escalated early"
    assert seqs == list(range(1, len(seqs) + 1))
    assert chain_ok
    assert backwards > 0, "the chain holds no entry written after the clock went back"
    assert made_first
    assert not made_back
    assert not made_again
    assert documents == documents_first, "a month was remade"
    assert (replayed, older, fresh) == (401, 401, 201)
    assert (me_before, me_expired) == (200, 401)
    assert me_back == 401, "a session the clock ended came back when the clock went back"
