"""A body's inbox with 100,000 reports (issue 7): one page of the console's listing.

Seeds ``--count`` reports held by one body (with a realistic spread of states, categories
and overdue flags) straight into a migrated database, then times the console's own
``cases.inbox`` — the query and the page it builds — for the first page, a page deep in the
list (keyset cursor), and filtered pages, on SQLite and on PostgreSQL (a scratch database on
``SEDA_TEST_POSTGRES_URL``'s server, dropped afterwards; skipped if none answers). The
reference measured in the same run is the database's own trivial round trip (``SELECT 1``
through the same engine), so the figures are quoted as a multiple of it as well as in ms.

Run: ``.venv/bin/python -m benchmarks.console_inbox`` (``--count 200000`` shows the scaling).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url

from routing.taxonomy import CATEGORY_CODES
from routing.vocabulary import Channel, RecipientVia, ReporterType, ReportStatus, ReportType, Urgency
from server.console import cases
from server.db import migrate
from server.db.lifecycle import Database
from server.db.models import Body, Institution, Officer, OfficerRole, Report, ReportRecipient
from server.db.types import round_down_to_hour
from server.demo.service import seed_demo

BODY = "provincial_dg_prisons--tehran"
CHUNK = 5_000
REPEATS = 15


async def seed(database: Database, count: int) -> Officer:
    async with database.write_session() as session:
        await seed_demo(session, datetime.now(UTC))
    async with database.write_session() as session:
        body_id = await session.scalar(select(Body.id).where(Body.code == BODY))
        institutions = list(await session.scalars(select(Institution.id).limit(3)))
        officer = Officer(
            body_id=body_id,
            username="bench",
            display_name="bench",
            role=OfficerRole.OFFICER,
            active=True,
            created_at=datetime.now(UTC),
            failed_signins=0,
        )
        session.add(officer)
        await session.commit()
    rng = random.Random(7)
    start = round_down_to_hour(datetime.now(UTC) - timedelta(days=400))
    categories = sorted(CATEGORY_CODES)
    states = [ReportStatus.RECEIVED] * 3 + [
        ReportStatus.ACKNOWLEDGED,
        ReportStatus.UNDER_REVIEW,
        ReportStatus.CLOSED,
    ]
    for offset in range(0, count, CHUNK):
        reports, recipients = [], []
        for n in range(offset, min(count, offset + CHUNK)):
            report_id = uuid.uuid4()
            hour = start + timedelta(hours=n * 400 * 24 // count)
            reports.append(
                {
                    "id": report_id,
                    "protocol_version": 1,
                    "envelope": b"{}",
                    "envelope_sha256": os.urandom(32),
                    "institution_id": rng.choice(institutions),
                    "report_type": ReportType.COMPLAINT,
                    "category": rng.choice(categories),
                    "concerns": "staff_member",
                    "reporter_type": ReporterType.FAMILY,
                    "channel": Channel.WEB,
                    "urgency": Urgency.NORMAL,
                    "status": ReportStatus.RECEIVED,
                    "retaliation": False,
                    "received_hour": hour,
                    "lookup_verifier": os.urandom(32),
                    "directory_serial": 1,
                    "policy_version": "bench",
                    "acknowledge_by": hour + timedelta(days=7),
                    "feedback_by": hour + timedelta(days=30),
                    "protection_requested": False,
                }
            )
            recipients.append(
                {
                    "report_id": report_id,
                    "body_id": body_id,
                    "via": RecipientVia.POLICY,
                    "reason": "bench",
                    "wrapped_key": b"\x00" * 1168,
                    "added_hour": hour,
                    "state": rng.choice(states),
                    "overdue": rng.random() < 0.1,
                    "escalated": False,
                }
            )
        async with database.write_session() as session:
            await session.execute(insert(Report), reports)
            await session.execute(insert(ReportRecipient), recipients)
            await session.commit()
    async with database.sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("ANALYZE"))  # as autovacuum would after such a load
        return await session.get_one(Officer, officer.id)


async def timed(work: Callable[[], Awaitable[object]]) -> float:
    """Median wall time of ``work`` in ms (after one warm-up run)."""
    await work()
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        await work()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(url: str, count: int) -> dict[str, float]:
    migrate.upgrade(url)  # Alembic runs its own event loop
    return asyncio.run(_measure(url, count))


async def _measure(url: str, count: int) -> dict[str, float]:
    database = Database(url)
    try:
        started = time.perf_counter()
        officer = await seed(database, count)
        print(f"  seeded {count:,} reports in {time.perf_counter() - started:.0f} s")

        async def page(**filters: object) -> object:
            async with database.sessions() as session:
                return await cases.inbox(session, officer, **filters)  # type: ignore[arg-type]

        async with database.sessions() as session:
            deep = await cases.inbox(session, officer)
            for _ in range(200):  # 10,000 reports in
                if deep.next_cursor is None:
                    break
                deep = await cases.inbox(session, officer, cursor=deep.next_cursor)
            cursor = deep.next_cursor

        async def trivial() -> object:
            async with database.sessions() as session:
                return await session.execute(text("SELECT 1"))

        return {
            "reference SELECT 1": await timed(trivial),
            "first page": await timed(page),
            "page 201 (keyset)": await timed(lambda: page(cursor=cursor)),
            "state=received": await timed(lambda: page(state=ReportStatus.RECEIVED)),
            "overdue only": await timed(lambda: page(overdue=True)),
            "category=health": await timed(lambda: page(category="health")),
        }
    finally:
        await database.dispose()


def report(backend: str, figures: dict[str, float]) -> None:
    reference = figures["reference SELECT 1"]
    print(f"{backend}:")
    for name, ms in figures.items():
        print(f"  {name:22} {ms:8.1f} ms  ({ms / reference:6.1f} × SELECT 1)")


def postgres(count: int) -> dict[str, float] | None:
    admin = make_url(
        os.environ.get("SEDA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    )
    name = f"seda_bench_{uuid.uuid4().hex[:8]}"

    async def admin_do(statement: str) -> None:
        connection = await asyncpg.connect(
            host=admin.host, port=admin.port, user=admin.username, database=admin.database
        )
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    try:
        asyncio.run(admin_do(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError):
        print("PostgreSQL: not reachable, skipped")
        return None
    try:
        return measure(admin.set(database=name).render_as_string(hide_password=False), count)
    finally:
        asyncio.run(admin_do(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--no-postgres", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sqlite = measure(f"sqlite+aiosqlite:///{Path(folder) / 'inbox.db'}", options.count)
    report(f"SQLite, {options.count:,} reports in one body", sqlite)
    if not options.no_postgres:
        figures = postgres(options.count)
        if figures is not None:
            report(f"PostgreSQL, {options.count:,} reports in one body", figures)


if __name__ == "__main__":
    main()
