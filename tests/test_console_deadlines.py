"""The deadline job (docs/CONSOLE.md "Deadlines and escalation"): a body that lets a deadline
pass is marked overdue, and the next body up receives the report — with the wrap the
reporter's device escrowed, so it can read it at once. Each case once, whichever process runs
the job, however often (several at once on PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid

from litestar.testing import TestClient
from sqlalchemy import select

from kiosk_client.client import SedaClient
from server.app import create_app
from server.console.deadlines import run_deadlines
from server.db.lifecycle import Database
from server.db.models import Body, OfficerRole, ReportRecipient
from server.demo.keys import DemoKeys
from server.intake.trust import TrustStore
from server.settings import Settings
from tests.console_support import Clock, Device, escrow_targets, grant_demo_key, make_account
from tests.intake_support import draft, run_coroutine


def _run(url: str, clock: Clock, passes: int = 1) -> list[int]:
    """``passes`` runs of the job at once (as several processes would), each its own engine."""

    async def one() -> int:
        database = Database(url)
        try:
            async with database.sessions() as session:
                trusted = await TrustStore(None).current(session, clock())
            return await run_deadlines(database, trusted, clock())
        finally:
            await database.dispose()

    async def all_at_once() -> list[int]:
        return list(await asyncio.gather(*(one() for _ in range(passes))))

    return run_coroutine(all_at_once())


def _rows(url: str, report_id: str) -> list[tuple[str, str, bool, bool, bool]]:
    async def work() -> list[tuple[str, str, bool, bool, bool]]:
        database = Database(url)
        try:
            async with database.sessions() as session:
                rows = await session.execute(
                    select(
                        Body.code,
                        ReportRecipient.reason,
                        ReportRecipient.overdue,
                        ReportRecipient.escalated,
                        ReportRecipient.wrapped_key.is_not(None),
                    )
                    .join(Body, Body.id == ReportRecipient.body_id)
                    .where(ReportRecipient.report_id == uuid.UUID(report_id))
                    .order_by(Body.code)
                )
                return [tuple(r) for r in rows.all()]  # type: ignore[misc]
        finally:
            await database.dispose()

    return run_coroutine(work())


def test_a_missed_deadline_escalates_once_with_the_escrowed_wrap(seeded_any: tuple[str, DemoKeys]) -> None:
    url, keys = seeded_any
    clock = Clock()
    app = create_app(Settings(database_url=url, puzzle_bits=0, deadline_job_seconds=0), clock=clock)
    with TestClient(app, base_url="https://seda.test") as http:
        reporter = SedaClient(http, keys.root_public, sleep=lambda _: None, clock=clock)
        submitted = reporter.submit(
            draft("گزارشی که کسی نخواند", category="living_conditions", concerns="conditions")
        )
        report_id = submitted.receipt.report_id
        before = {row[0] for row in _rows(url, report_id)}
        assert _run(url, clock) == [0]  # nothing is late yet

        clock.tick(15 * 86400)  # past the acknowledgement deadline (end of next week)
        handled = _run(url, clock, passes=3)
        assert sum(handled) == len(before)  # every initial body once, whichever pass took it
        assert _run(url, clock) == [0]  # and never again
        rows = _rows(url, report_id)
        initial = [r for r in rows if r[0] in before]
        assert all(overdue and escalated for _, _, overdue, escalated, _ in initial)
        added = [r for r in rows if r[0] not in before]
        assert added, "someone above the late bodies receives the report"
        assert all(reason.startswith("escalation_from:") for _, reason, *_ in added)
        assert all(has_wrap for *_, has_wrap in added), (rows, before)  # escrowed: readable at once

        target = added[0][0]
        username = "escalated.officer"
        device = Device(http, clock, username)
        device.enrol(make_account(url, username, OfficerRole.OFFICER, target, clock()))
        grant_demo_key(url, keys, username)
        assert device.sign_in().status_code == 201
        _, _, opened = device.open_case(report_id)
        assert opened.payload.text == "گزارشی که کسی نخواند"
        assert any(
            item["report_id"] == report_id for item in device.get("/console/api/inbox").json()["items"]
        )

        status = reporter.status(submitted.token)
        assert target in {r.body for r in status.view.recipients}
        # The reporter's device trusts the escalated body for a follow-up: its own escrow tag.
        reporter.follow_up(submitted.token, "هنوز کسی پاسخ نداده است")


def test_escrow_is_kept_from_everyone_until_the_deadline(seeded_any: tuple[str, DemoKeys]) -> None:
    url, keys = seeded_any
    clock = Clock()
    app = create_app(Settings(database_url=url, puzzle_bits=0, deadline_job_seconds=0), clock=clock)
    with TestClient(app, base_url="https://seda.test") as http:
        reporter = SedaClient(http, keys.root_public, sleep=lambda _: None, clock=clock)
        report_id = reporter.submit(
            draft("x", category="living_conditions", concerns="conditions")
        ).receipt.report_id

        held = escrow_targets(url)
        assert held
        assert all(waiting for _, waiting in held)
        targets = {code for code, _ in held}
        # No escrow body finds the report in its inbox before the deadline.
        for n, target in enumerate(sorted(targets)):
            username = f"waiting.{n}"
            device = Device(http, clock, username)
            device.enrol(make_account(url, username, OfficerRole.OFFICER, target, clock()))
            grant_demo_key(url, keys, username)
            assert device.sign_in().status_code == 201
            assert device.get("/console/api/inbox").json()["items"] == []
            assert device.get(f"/console/api/reports/{report_id}").status_code == 404
