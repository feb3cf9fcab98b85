"""The monthly summaries of a whole country: one month of a million reports.

For each of ``--counts`` a fresh database: the demo directory, grown to 270 institutions
(with their institution-level bodies, as the demo makes them), then that many reports
received in Aban 1405 with their cases and status events as ``tests.summary_support.generate``
makes them, bulk-loaded and followed by ``ANALYZE`` (as autovacuum or a DBA would run it).

On each it times ``store.make_month`` (every institution, province and the nation, both
views, disclosure control, signed and stored) and, in the same run on the same database, two
references: the cheapest scan of the month (one ``SELECT category, count(*)`` over the
month's reports) and the cheapest join (the month's cases counted by institution through
their reports, the join nearly every summary query makes). A summary cannot grow more slowly
than the engine's own join; the second reference shows how that grows. Rounds alternate
between the sizes, so a machine that slows down meanwhile slows every size alike; each
figure is the median of three rounds after a warm-up. One more, instrumented, run per size
says where the time goes. On SQLite and on PostgreSQL (scratch databases on
``SEDA_TEST_POSTGRES_URL``'s server, dropped afterwards; skipped if none answers).

Run: ``.venv/bin/python -m benchmarks.summaries --counts 500000,1000000`` (about an hour:
loading is most of it). The default, ``--counts 20000,40000``, takes a few minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import inspect
import itertools
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import make_url

from routing.vocabulary import InstitutionKind, Level
from server.db import migrate
from server.db.lifecycle import Database
from server.db.models import Institution, MonthlySummary, Province, Report, ReportRecipient, StatusEvent
from server.demo import service as demo
from server.summaries import build, figures, months, signing, store
from server.summaries.job import SENSITIVE
from server.summaries.model import ScopeLevel, Thresholds, View
from tests.summary_support import HOUR, World, bulk_insert, generate, load_world

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 11 Azar 1405: Aban has closed
MONTH = (1405, 8)
THRESHOLDS = Thresholds(default=5, sensitive=10, sensitive_keys=SENSITIVE)
INSTITUTIONS = 270
CHUNK = 20_000
REPEATS = 3

# Where make_month spends its time: (module, function, label, depth) for the instrumented run.
PIECES: tuple[tuple[ModuleType, str, str, int], ...] = (
    (store, "month_figures", "figures (SQL and counting)", 0),
    (figures, "_received", "received: reports by each dimension", 1),
    (figures, "_cases", "cases: by body type and state", 1),
    (figures, "_closures", "closures", 1),
    (figures, "_acknowledgements", "acknowledgements", 1),
    (figures, "_joined", "referrals and escalations", 1),
    (figures, "_missed", "missed deadlines", 1),
    (figures, "_boxes", "box compliance", 1),
    (store, "load_country", "the directory", 0),
    (store, "_earlier", "earlier months", 0),
    (store, "_trends", "the trend", 0),
    (store, "build", "build (roll-up, disclosure, documents)", 0),
    (build, "_roll_up", "roll-up to provinces and the nation", 1),
    (build, "_disclosure", "disclosure control", 1),
    (store, "_store", "store (encode, sign, insert, commit)", 0),
    (store, "canonical", "canonical JSON", 1),
    (signing, "sign", "Ed25519 signatures", 1),
)


# What is left of a piece after its parts: (piece, label of the rest).
REST = {
    "figures (SQL and counting)": "the bodies' types",
    "build (roll-up, disclosure, documents)": "documents (tables, shares, timings)",
    "store (encode, sign, insert, commit)": "insert and commit",
}


@dataclass
class Size:
    """What one size measured, in seconds."""

    reports: int
    cases: int
    events: int
    reference: float  # median
    join: float  # median
    make_month: float  # median
    pieces: dict[str, float]  # label → seconds, in the instrumented run
    total: float  # the instrumented run's make_month


async def seed_country(database: Database) -> World:
    """The demo directory, grown to ``INSTITUTIONS`` institutions spread over the provinces."""
    async with database.write_session() as session:
        await demo.seed_demo(session, NOW)
        provinces = list(await session.scalars(select(Province).order_by(Province.position)))
        existing = await session.scalar(select(func.count()).select_from(Institution)) or 0
        kinds = list(InstitutionKind)
        for n in range(INSTITUTIONS - existing):
            province, number = provinces[n % len(provinces)], n // len(provinces) + 1
            institution = Institution(
                code=f"{province.code}-bench-{number}",
                province_id=province.id,
                kind=kinds[n % len(kinds)],
                name_fa=f"زندان شماره {number} {province.name_fa} (آزمایشی)",
                name_en=f"{province.name_en} Prison No. {number} (benchmark)",
                active=True,
            )
            session.add(institution)
            await session.flush()
            names = (institution.name_fa, institution.name_en)
            # The demo's own maker of a place's bodies, so these match the demo's institutions.
            session.add_all(
                demo._offices(
                    Level.INSTITUTION,
                    institution.code,
                    names,
                    province_id=province.id,
                    institution_id=institution.id,
                )
            )
        await session.commit()
    return await load_world(database)


async def add_reports(url: str, database: Database, world: World, rng: random.Random, count: int) -> None:
    """``count`` more reports received in the month, loaded a chunk at a time, then ``ANALYZE``.
    Chunk after chunk covers the month's hours in order, each sorted by the hour its reports
    came in: rows are written in about the order intake writes them, so a month's rows lie
    together in the tables as they do in a live database (a random order would make every
    index lookup a random read, and a test of the loader rather than of the summaries)."""
    start, end = months.window(*MONTH)
    hours = int((end - start) / HOUR)
    chunks = -(-count // CHUNK)
    for number, offset in enumerate(range(0, count, CHUNK)):
        first, last = (start + HOUR * (hours * n // chunks) for n in (number, number + 1))
        chunk = generate(world, rng, start=first, end=last, count=min(CHUNK, count - offset), now=NOW)
        await bulk_insert(url, sorted(chunk, key=lambda report: report.received))
    async with database.write_session() as session:
        await session.execute(text("ANALYZE"))
        await session.commit()


async def reference(database: Database) -> None:
    """The cheapest scan of the month: its reports by category."""
    start, end = months.window(*MONTH)
    async with database.sessions() as session:
        query = (
            select(Report.category, func.count())
            .where(Report.received_hour >= start, Report.received_hour < end)
            .group_by(Report.category)
        )
        (await session.execute(query)).all()


async def join_reference(database: Database) -> None:
    """The cheapest join of the month: its cases by institution, through their reports."""
    start, end = months.window(*MONTH)
    async with database.sessions() as session:
        query = (
            select(Report.institution_id, func.count())
            .select_from(ReportRecipient)
            .join(Report, Report.id == ReportRecipient.report_id)
            .where(Report.received_hour >= start, Report.received_hour < end)
            .group_by(Report.institution_id)
        )
        (await session.execute(query)).all()


async def clear(database: Database) -> None:
    """The month's summaries deleted, so that ``make_month`` makes them again."""
    async with database.write_session() as session:
        await session.execute(delete(MonthlySummary).where(MonthlySummary.month == months.code_of(*MONTH)))
        await session.commit()


async def make_month(database: Database) -> None:
    """Every summary of the month, made and stored."""
    if not await store.make_month(database, *MONTH, now=NOW, thresholds=THRESHOLDS):
        raise AssertionError("make_month made nothing")


async def seconds(work: Callable[[Database], Awaitable[None]], database: Database) -> float:
    started = time.perf_counter()
    await work(database)
    return time.perf_counter() - started


@contextmanager
def instrumented(clock: dict[str, float]) -> Iterator[None]:
    """Every function of ``PIECES`` wrapped to add its wall time to ``clock`` (then restored)."""
    saved = [(module, name, label, getattr(module, name, None)) for module, name, label, _ in PIECES]
    for module, name, label, original in saved:
        if original is None:
            print(f"    ({module.__name__}.{name} not found: not timed)")
        else:
            setattr(module, name, _timed(original, label, clock))
    try:
        yield
    finally:
        for module, name, _, original in saved:
            if original is not None:
                setattr(module, name, original)


def _timed(original: Callable[..., Any], label: str, clock: dict[str, float]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                clock[label] = clock.get(label, 0.0) + time.perf_counter() - started

        return timed_async

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            clock[label] = clock.get(label, 0.0) + time.perf_counter() - started

    return timed


async def load(url: str, count: int) -> tuple[int, int, int]:
    """A fresh database of ``count`` reports; how many reports, cases and status events it holds."""
    database = Database(url)
    try:
        started = time.perf_counter()
        world = await seed_country(database)
        await add_reports(url, database, world, random.Random(1405), count)
        async with database.sessions() as session:
            held = [
                await session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Report, ReportRecipient, StatusEvent)
            ]
        print(f"  loaded {count:,} reports in {time.perf_counter() - started:.0f} s")
        return held[0], held[1], held[2]
    finally:
        await database.dispose()


async def measure_all(urls: list[str], counts: list[int]) -> list[Size]:
    """Warm-up, ``REPEATS`` rounds through every size, then one instrumented run each."""
    databases = [Database(url) for url in urls]
    try:
        for database in databases:
            await reference(database)
            await join_reference(database)
            await clear(database)
            await make_month(database)
        references: list[list[float]] = [[] for _ in databases]
        joins: list[list[float]] = [[] for _ in databases]
        made: list[list[float]] = [[] for _ in databases]
        for _ in range(REPEATS):
            for n, database in enumerate(databases):
                references[n].append(await seconds(reference, database))
                joins[n].append(await seconds(join_reference, database))
                await clear(database)
                made[n].append(await seconds(make_month, database))
        sizes = []
        for n, (database, count) in enumerate(zip(databases, counts, strict=True)):
            clock: dict[str, float] = {}
            await clear(database)
            with instrumented(clock):
                total = await seconds(make_month, database)
            await check_nation(database, count)
            scan, join, made_month = (statistics.median(found[n]) for found in (references, joins, made))
            size = Size(0, 0, 0, scan, join, made_month, clock, total)
            sizes.append(size)
        return sizes
    finally:
        for database in databases:
            await database.dispose()


async def check_nation(database: Database, count: int) -> None:
    """The stored national summary counted every report of the month."""
    async with database.sessions() as session:
        row = await store.stored(session, months.code_of(*MONTH), ScopeLevel.NATIONAL, "national", View.FULL)
    if row is None or row.reports != count:
        raise AssertionError(f"the national summary counted {row and row.reports}, not {count}")


def measure(urls: list[str], counts: list[int]) -> list[Size]:
    held = []
    for url, count in zip(urls, counts, strict=True):
        migrate.upgrade(url)  # Alembic runs its own event loop
        held.append(asyncio.run(load(url, count)))
    sizes = asyncio.run(measure_all(urls, counts))
    for size, (reports, cases, events) in zip(sizes, held, strict=True):
        size.reports, size.cases, size.events = reports, cases, events
    return sizes


def show(backend: str, sizes: list[Size]) -> None:
    print(f"{backend}:")
    for size in sizes:
        ratio = size.make_month / size.reference
        print(
            f"  {size.reports:,} reports ({size.cases:,} cases, {size.events:,} status events):"
            f" make_month {size.make_month:.2f} s,"
            f" reference {size.reference:.3f} s ({ratio:.1f} × reference),"
            f" join {size.join:.3f} s ({size.make_month / size.join:.1f} × join)"
        )
        print(f"    where the time goes (one instrumented run, {size.total:.2f} s):")
        _breakdown(size)
        outer = sum(size.pieces.get(label, 0.0) for _, _, label, depth in PIECES if depth == 0)
        print(f"    {'the rest (sessions, the made-already check)':46} {size.total - outer:7.2f} s")
    for smaller, larger in itertools.pairwise(sizes):
        print(
            f"  {larger.reports:,} / {smaller.reports:,} reports:"
            f" make_month × {larger.make_month / smaller.make_month:.2f},"
            f" reference × {larger.reference / smaller.reference:.2f},"
            f" join × {larger.join / smaller.join:.2f}"
        )


def _breakdown(size: Size) -> None:
    """Each timed piece, and what is left of a piece after its parts (``REST``)."""
    parent, parts = "", 0.0
    for label, depth in [*((label, depth) for _, _, label, depth in PIECES), ("", 0)]:
        if depth == 0:
            if parent in REST and parent in size.pieces:
                _line(REST[parent], 1, size.pieces[parent] - parts, size.total)
            parent, parts = label, 0.0
        else:
            parts += size.pieces.get(label, 0.0)
        if label in size.pieces:
            _line(label, depth, size.pieces[label], size.total)


def _line(label: str, depth: int, spent: float, total: float) -> None:
    print(f"    {'  ' * depth}{label:{46 - 2 * depth}} {spent:7.2f} s {100 * spent / total:5.1f} %")


def postgres(counts: list[int]) -> list[Size] | None:
    admin = make_url(
        os.environ.get("SEDA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    )
    names = [f"seda_bench_{uuid.uuid4().hex[:8]}" for _ in counts]

    async def admin_do(*statements: str) -> None:
        connection = await asyncpg.connect(
            host=admin.host,
            port=admin.port,
            user=admin.username,
            password=admin.password,
            database=admin.database,
        )
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    try:
        asyncio.run(admin_do(*(f'CREATE DATABASE "{name}"' for name in names)))
    except (OSError, asyncpg.PostgresError):
        print("PostgreSQL: not reachable, skipped")
        return None
    try:
        print("PostgreSQL:")
        urls = [admin.set(database=name).render_as_string(hide_password=False) for name in names]
        return measure(urls, counts)
    finally:
        asyncio.run(admin_do(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--counts",
        type=lambda value: sorted(int(n) for n in value.split(",")),
        default=[20_000, 40_000],
        help="reports in the month, one fresh database each, comma-separated (default: 20000,40000)",
    )
    parser.add_argument("--no-postgres", "--sqlite-only", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    options = parser.parse_args()
    if not options.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            print("SQLite:")
            urls = [f"sqlite+aiosqlite:///{Path(folder) / f'summaries-{n}.db'}" for n in options.counts]
            show("SQLite", measure(urls, options.counts))
    if not options.no_postgres:
        found = postgres(options.counts)
        if found is not None:
            show("PostgreSQL", found)


if __name__ == "__main__":
    main()
