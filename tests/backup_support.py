"""A working system with real data for the backup and retention tests: reports submitted
through the real intake, officers acting in the console API, a box opening with a letter, a
month's signed summaries, and the audit entries all of that leaves."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import create_async_engine

import crypto
from kiosk_client.client import SedaClient, Submitted
from server.app import create_app
from server.boxes import service as boxes
from server.db.lifecycle import Database
from server.db.models import Body, OfficerRole, ReportRecipient
from server.demo.keys import DemoKeys
from server.settings import Settings
from server.summaries.job import thresholds_of
from server.summaries.store import ensure_months
from tests.console_support import Clock, Device, grant_demo_key, make_account
from tests.intake_support import draft, run_coroutine, with_database

REPRESENTATIVE = "institution_inspection_representative--tehran-central"
REPLY = "پاسخ نهاد: پرونده بررسی شد."


@dataclass
class System:
    """The app on ``url`` with a clock, a reporter's client and the officers made so far."""

    url: str
    keys: DemoKeys
    clock: Clock
    http: TestClient[Litestar]
    reporter: SedaClient
    officers: dict[str, Device] = field(default_factory=dict)

    def officer(self, body: str, role: OfficerRole = OfficerRole.BODY_ADMIN) -> Device:
        """The (one) signed-in officer of ``body``, made on first use."""
        if body not in self.officers:
            username = f"o{len(self.officers)}.{uuid.uuid4().hex[:6]}"
            device = Device(self.http, self.clock, username)
            device.enrol(make_account(self.url, username, role, body, self.clock.now))
            if role != OfficerRole.BOX_TRANSCRIBER:
                grant_demo_key(self.url, self.keys, username)
            assert device.sign_in().status_code == 201
            self.officers[body] = device
        return self.officers[body]

    def holders(self, report_id: str) -> list[str]:
        async def work(database: Database) -> list[str]:
            async with database.sessions() as session:
                rows = await session.scalars(
                    select(Body.code)
                    .join(ReportRecipient, ReportRecipient.body_id == Body.id)
                    .where(ReportRecipient.report_id == uuid.UUID(report_id))
                    .order_by(Body.code)
                )
                return list(rows)

        return with_database(self.url, work)

    def reply(self, report_id: str, text: str = REPLY) -> None:
        """The first holding body acknowledges the report and replies to the reporter."""
        device = self.officer(self.holders(report_id)[0])
        _, envelope, opened = device.open_case(report_id)
        assert device.post(f"/console/api/reports/{report_id}/acknowledge").status_code == 204
        message = device.seal("reply", envelope, opened, text)
        answer = device.post(
            f"/console/api/reports/{report_id}/replies", {"message": message, "status": "under_review"}
        )
        assert answer.status_code == 204, answer.text

    def close(self, report_id: str) -> None:
        """Every body holding the report closes its case (so the report is closed)."""
        for body in self.holders(report_id):
            device = self.officer(body)
            _, envelope, opened = device.open_case(report_id)
            message = device.seal("reply", envelope, opened, "بسته شد.")
            answer = device.post(
                f"/console/api/reports/{report_id}/close", {"outcome": "substantiated", "message": message}
            )
            assert answer.status_code == 200, answer.text

    def box_letter(self, text: str) -> str:
        """A box opening with one transcribed letter; the letter's report id."""
        at = self.clock.now - timedelta(days=20)

        async def register(database: Database) -> int:
            async with database.write_session() as session:
                box = await boxes.register_box(
                    session, f"ward-{uuid.uuid4().hex[:6]}", "tehran-central", "بند ۲", at
                )
                await session.commit()
                return box.id

        box_id = with_database(self.url, register)
        transcriber = self.officer(REPRESENTATIVE, OfficerRole.BOX_TRANSCRIBER)
        opening = transcriber.post(
            f"/console/api/boxes/{box_id}/openings",
            {
                "opened_at": (self.clock.now - timedelta(hours=1)).isoformat(),
                "witnesses": ["رضا احمدی"],
                "seal_numbers": [],
                "letter_count": 1,
            },
        )
        assert opening.status_code == 201, opening.text
        letter = draft(text, channel="box", reporter_type="prisoner", concerns="conditions")
        body = self.reporter.build_submission(letter, None, solve_puzzle=False)
        sent = transcriber.post(
            f"/console/api/boxes/openings/{opening.json()['opening_id']}/letters",
            {"submission": msgspec.to_builtins(body), "claim_id": None},
        )
        assert sent.status_code == 201, sent.text
        return str(sent.json()["receipt"]["report_id"])

    def summaries(self, days_later: int = 40) -> list[str]:
        """The summaries of every month that has closed ``days_later`` days from now."""
        settings = Settings(database_url=self.url)

        async def work(database: Database) -> list[str]:
            later = self.clock.now + timedelta(days=days_later)
            return await ensure_months(database, now=later, thresholds=thresholds_of(settings))

        return with_database(self.url, work)


@contextmanager
def running(url: str, keys: DemoKeys, clock: Clock | None = None, **settings: Any) -> Iterator[System]:
    """The application on ``url`` (jobs off: the tests run each pass themselves)."""
    clock = clock or Clock()
    options: dict[str, Any] = {
        "database_url": url,
        "puzzle_bits": 0,
        "deadline_job_seconds": 0,
        "summary_job_seconds": 0,
        "retention_job_seconds": 0,
        **settings,
    }
    app = create_app(Settings(**options), clock=clock)
    with TestClient(app, base_url="https://seda.test") as http:
        reporter = SedaClient(http, keys.root_public, sleep=lambda _: None, clock=clock)
        yield System(url, keys, clock, http, reporter)


@dataclass(frozen=True)
class Built:
    """What ``build`` made: the reports, the token of the one with a reply, the months."""

    replied: Submitted
    closed: Submitted
    open: Submitted
    letter: str
    months: list[str]


def build(system: System) -> Built:
    """Reports through the real intake, a reply, a closed case, a box letter, summaries."""
    replied = system.reporter.submit(draft("گزارش اول: canary-backup-1", concerns="conditions"))
    closed = system.reporter.submit(draft("گزارش دوم: canary-backup-2", concerns="conditions"))
    still_open = system.reporter.submit(
        draft("گزارش سوم", identity=crypto.ReporterIdentity(name="نام گزارشگر"), concerns="conditions")
    )
    system.reply(replied.receipt.report_id)
    system.close(closed.receipt.report_id)
    letter = system.box_letter("نامهٔ صندوق")
    made = system.summaries()
    assert made, "a month with data has closed 40 days later"
    return Built(replied, closed, still_open, letter, made)


def table_values(url: str) -> dict[str, bytes]:
    """Every value of every table (reflected), per table, as bytes to search in."""

    async def work() -> dict[str, bytes]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                metadata = MetaData()
                await connection.run_sync(metadata.reflect)
                found: dict[str, bytes] = {}
                for table in metadata.sorted_tables:
                    dump = bytearray()
                    for row in (await connection.execute(select(table))).all():
                        for value in row:
                            dump += value if isinstance(value, bytes) else str(value).encode()
                            dump += b"\x00"
                    found[table.name] = bytes(dump)
                return found
        finally:
            await engine.dispose()

    return run_coroutine(work())
