"""Durable report commits through Sedā's storage layer, against raw SQLite.

Reference: the standard library's ``sqlite3`` inserting a row of the same size with one
commit each, in WAL mode with ``synchronous=FULL`` (the settings Sedā uses). Measured:
Sedā's async engine and ORM inserting a ``Report`` of the same envelope size, one commit each.
The ratio (Sedā / reference, in commits per second) is what to compare between changes; the
absolute numbers depend on the disk.

Run: ``make bench`` (or ``.venv/bin/python -m benchmarks.storage --count 2000``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from routing.vocabulary import Channel, InstitutionKind, ReporterType, ReportStatus, ReportType, Urgency
from server.db import migrate
from server.db.engine import SQLITE_PRAGMAS
from server.db.lifecycle import Database
from server.db.models import Institution, Province, Report

ENVELOPE_BYTES = 3 * 1024


def reference_commits_per_second(path: Path, count: int) -> float:
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        connection.execute(pragma)
    connection.execute("CREATE TABLE t (id BLOB PRIMARY KEY, envelope BLOB NOT NULL)")
    payload = os.urandom(ENVELOPE_BYTES)
    started = time.perf_counter()
    for _ in range(count):
        connection.execute("BEGIN")
        connection.execute("INSERT INTO t VALUES (?, ?)", (uuid.uuid4().bytes, payload))
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return count / elapsed


async def seda_commits_per_second(url: str, count: int) -> float:
    database = Database(url)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    payload = os.urandom(ENVELOPE_BYTES)
    try:
        async with database.sessions() as session:
            province = Province(code="p", position=1, name_fa="پ", name_en="P")
            session.add(province)
            await session.flush()
            institution = Institution(
                code="i",
                province_id=province.id,
                kind=InstitutionKind.CLOSED_PRISON,
                name_fa="ز",
                name_en="I",
            )
            session.add(institution)
            await session.commit()
            institution_id = institution.id
        started = time.perf_counter()
        for _ in range(count):
            async with database.sessions() as session:
                session.add(
                    Report(
                        id=uuid.uuid4(),
                        protocol_version=1,
                        envelope=payload,
                        envelope_sha256=bytes(32),
                        institution_id=institution_id,
                        report_type=ReportType.COMPLAINT,
                        category="health",
                        concerns="staff_member",
                        reporter_type=ReporterType.PRISONER,
                        channel=Channel.KIOSK,
                        urgency=Urgency.NORMAL,
                        status=ReportStatus.RECEIVED,
                        retaliation=False,
                        received_hour=hour,
                        lookup_verifier=uuid.uuid4().bytes,
                    )
                )
                await session.commit()
        return count / (time.perf_counter() - started)
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="commits per measurement (bounded)")
    args = parser.parse_args()
    count = max(100, min(args.count, 50_000))
    with tempfile.TemporaryDirectory() as folder:
        reference = reference_commits_per_second(Path(folder) / "reference.db", count)
        url = f"sqlite+aiosqlite:///{Path(folder) / 'seda.db'}"
        migrate.upgrade(url)
        seda = asyncio.run(seda_commits_per_second(url, count))
    print(f"commits measured: {count} each, envelope {ENVELOPE_BYTES} bytes, WAL + synchronous=FULL")
    print(f"reference (sqlite3):     {reference:9.0f} commits/s")
    print(f"Sedā (async ORM):        {seda:9.0f} commits/s")
    print(f"ratio Sedā / reference:  {seda / reference:9.2f}")


if __name__ == "__main__":
    main()
