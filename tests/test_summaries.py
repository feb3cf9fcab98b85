"""Monthly summaries: every figure against an independent count of a seeded month, Solar
Hijri month edges, both views, the previous-month and year-earlier comparisons, storage
that is made once and never changed, signatures, the CLI and the console API."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

import jdatetime
import msgspec
import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from routing.deadlines import LOCAL_ZONE
from server.app import create_app
from server.db.lifecycle import Database
from server.db.models import Box, BoxOpening, BoxState, Institution, MonthlySummary, Officer, OfficerRole
from server.settings import Settings
from server.summaries import formats, months, store
from server.summaries.build import NATION, SENSITIVE_CATEGORIES, build
from server.summaries.model import ScopeLevel, Summary, Thresholds, View, canonical
from tests.intake_support import seed_database, seeded_sqlite, with_database
from tests.summary_support import HOUR, Synthetic, expected, generate, insert_reports, load_world

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 11 Azar 1405: Aban 1405 has closed
MONTH = (1405, 8)
THRESHOLDS = Thresholds(default=5, sensitive=10, sensitive_keys=SENSITIVE_CATEGORIES)


def _edges(start: datetime, end: datetime) -> dict[str, datetime]:
    """The reports' received hours at the month's edges (first and last local hour inside it,
    the hours just outside), for the edge assertions."""
    return {"first": start, "last": end - HOUR, "before": start - HOUR, "after": end}


async def _seed(database: Database) -> tuple[list[Synthetic], dict[str, str]]:
    rng = random.Random(1405)
    world = await load_world(database, institutions=12)
    start, end = months.window(*MONTH)
    reports = generate(world, rng, start=start, end=end, count=400, now=NOW)
    for month, count in (((1405, 7), 120), ((1404, 8), 60)):
        reports += generate(
            world, rng, start=months.window(*month)[0], end=months.window(*month)[1], count=count, now=NOW
        )
    for moment in _edges(start, end).values():
        reports += generate(world, rng, start=moment, end=moment + HOUR, count=3, now=NOW)
    await insert_reports(database, reports)
    await _boxes(database, [code for _, code, _ in world.institutions[:2]])
    return reports, world.codes


def _local(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime.combine(jdatetime.date(year, month, day).togregorian(), dt_time(hour), LOCAL_ZONE)


# A box week counts in the month of its Friday: Aban 1405's weeks start on 26 Mehr (it ends on
# Friday 2 Aban) and on 2, 9, 16 and 23 Aban; the week of 30 Aban ends in Azar. Box A (first
# institution, installed long before) owes all five and was opened on the 3rd and the 17th
# (and on 1 Azar, a week of Azar's); box B (second institution, installed on the 10th) owes
# the weeks of the 16th and 23rd and was opened once; box C (first institution, removed on the
# 20th) owes the weeks of 26 Mehr, 2 and 9 Aban (the week of the 16th had not ended when it
# was removed) and was never opened.
BOX_WEEKS = {"first": (2, 8, 2), "second": (1, 2, 1), "national": (3, 10, 3)}


async def _boxes(database: Database, institutions: list[str]) -> None:
    async with database.write_session() as session:
        ids = dict((await session.execute(select(Institution.code, Institution.id))).all())
        clerk = Officer(
            username="clerk",
            display_name="clerk",
            role=OfficerRole.BOX_TRANSCRIBER,
            active=True,
            created_at=NOW,
        )
        session.add(clerk)
        first, second = (ids[code] for code in institutions)
        boxes = [
            Box(
                code="a",
                institution_id=first,
                place="1",
                state=BoxState.INSTALLED,
                installed_at=_local(1405, 6, 1),
            ),
            Box(
                code="b",
                institution_id=second,
                place="2",
                state=BoxState.INSTALLED,
                installed_at=_local(1405, 8, 10),
            ),
            Box(
                code="c",
                institution_id=first,
                place="3",
                state=BoxState.REMOVED,
                installed_at=_local(1405, 1, 1),
                removed_at=_local(1405, 8, 20, 12),
            ),
        ]
        session.add_all(boxes)
        await session.flush()
        openings = [
            (boxes[0], _local(1405, 8, 3)),
            (boxes[0], _local(1405, 8, 17)),
            (boxes[0], _local(1405, 9, 1)),
            (boxes[1], _local(1405, 8, 20)),
        ]
        for box, at in openings:
            session.add(
                BoxOpening(
                    id=uuid.uuid4(),
                    box_id=box.id,
                    opened_at=at,
                    transcriber_id=clerk.id,
                    witnesses="[]",
                    seal_numbers="[]",
                    letter_count=0,
                )
            )
        await session.commit()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def seeded_month(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, list[Synthetic], dict[str, str]]:
    """A seeded month (and the months it is compared with), its summaries made: shared by the
    module's tests, which only read it (or try to make it again)."""
    if request.param == "sqlite":
        url = seeded_sqlite(tmp_path_factory.mktemp("summaries"), tmp_path_factory.getbasetemp())[0]
    else:
        url = str(request.getfixturevalue("module_postgres_url"))
        seed_database(url, tmp_path_factory.mktemp("keys"))
    reports, codes = with_database(url, _seed)
    made = with_database(url, lambda db: store.ensure_months(db, now=NOW, thresholds=THRESHOLDS))
    assert made[0] == "1404-08"
    assert made[-1] == "1405-08"
    assert len(made) == 13
    return url, reports, codes


def _summary(url: str, level: ScopeLevel, code: str, view: View, month: str = "1405-08") -> Summary:
    async def work(database: Database) -> Summary:
        async with database.sessions() as session:
            row = await store.stored(session, month, level, code, view)
            assert row is not None, (month, level, code, view)
            return store.signed(row).summary

    return with_database(url, work)


def _check_against_count(summary: Summary, want: dict[str, object]) -> None:
    tables: dict[str, Counter[str]] = want["tables"]  # type: ignore[assignment]
    for table in summary.tables:
        counted = tables.get(table.name, Counter())
        shown = {cell.key: cell.value for cell in table.cells}
        assert {k: v for k, v in shown.items() if v} == {k: v for k, v in counted.items() if v}, table.name
        if table.has_total:
            assert table.total == sum(counted.values()), table.name
            for cell in table.cells:
                share = None if not table.total else round(100 * (cell.value or 0) / table.total, 1)
                assert cell.share == share, (table.name, cell.key)
    timings: dict[str, tuple[int, float | None, float | None]] = want["timings"]  # type: ignore[assignment]
    for timing in summary.timings:
        count, median, p90 = timings[timing.name]
        assert (timing.count, timing.median_hours, timing.p90_hours) == (count, median, p90), timing.name


@pytest.mark.parametrize("scope", ["institution", "province", "national"])
def test_every_figure_matches_an_independent_count(
    seeded_month: tuple[str, list[Synthetic], dict[str, str]], scope: str
) -> None:
    url, reports, _codes = seeded_month
    start, end = months.window(*MONTH)
    busiest = Counter(r.institution for r in reports if start <= r.received < end).most_common(1)[0][0]
    province = next(r.province for r in reports if r.institution == busiest)
    if scope == "institution":
        level, code, mine = ScopeLevel.INSTITUTION, busiest, [r for r in reports if r.institution == busiest]
    elif scope == "province":
        level, code, mine = ScopeLevel.PROVINCE, province, [r for r in reports if r.province == province]
    else:
        level, code, mine = ScopeLevel.NATIONAL, NATION, reports
    summary = _summary(url, level, code, View.FULL)
    assert summary.view == View.FULL
    assert summary.scope.code == code
    assert summary.month == "1405-08"
    _check_against_count(summary, expected(mine, start, end))
    # Units one level down add up to the scope's reports.
    if summary.units:
        assert sum(u.reports or 0 for u in summary.units) == summary.table("report_type").total


def test_box_compliance_counts_the_weeks_whose_saturday_is_in_the_month(
    seeded_month: tuple[str, list[Synthetic], dict[str, str]],
) -> None:
    url = seeded_month[0]
    first, second = _first_two(url)
    for code, level, key in (
        (first, ScopeLevel.INSTITUTION, "first"),
        (second, ScopeLevel.INSTITUTION, "second"),
        (NATION, ScopeLevel.NATIONAL, "national"),
    ):
        for view in View:
            boxes = _summary(url, level, code, view).boxes
            assert (boxes.boxes, boxes.weeks_expected, boxes.weeks_opened) == BOX_WEEKS[key], (code, view)


def _first_two(url: str) -> tuple[str, str]:
    async def work(database: Database) -> tuple[str, str]:
        places = (await load_world(database, institutions=2)).institutions
        return places[0][1], places[1][1]

    return with_database(url, work)


def test_month_edges_follow_the_solar_hijri_calendar(
    seeded_month: tuple[str, list[Synthetic], dict[str, str]],
) -> None:
    url, reports, _ = seeded_month
    start, end = months.window(*MONTH)
    # 1 Aban 1405 00:00 Tehran time is 2026-10-22 20:30 UTC; 1 Azar is 2026-11-21 20:30 UTC.
    assert start == datetime(2026, 10, 22, 20, 30, tzinfo=UTC)
    assert end == datetime(2026, 11, 21, 20, 30, tzinfo=UTC)
    inside = sum(1 for r in reports if start <= r.received < end)
    national = _summary(url, ScopeLevel.NATIONAL, NATION, View.FULL)
    assert national.table("report_type").total == inside
    # The three reports of the first hour and of the last hour count; the hour before the
    # month and the first hour of Azar do not (they count in Mehr and Azar).
    at = Counter(r.received for r in reports)
    assert at[start] >= 3
    assert at[end - HOUR] >= 3
    assert at[start - HOUR] >= 3
    assert at[end] >= 3
    mehr = _summary(url, ScopeLevel.NATIONAL, NATION, View.FULL, month="1405-07")
    mehr_start, mehr_end = months.window(1405, 7)
    assert mehr_end == start
    assert mehr.table("report_type").total == sum(1 for r in reports if mehr_start <= r.received < mehr_end)
    assert national.trend[-2].month == "1405-07"
    assert national.trend[-2].reports == mehr.table("report_type").total
    assert [p.month for p in national.trend][:2] == ["1404-08", "1404-09"]
    assert len(national.trend) == 13


def test_comparisons_come_from_the_earlier_months_summaries(
    seeded_month: tuple[str, list[Synthetic], dict[str, str]],
) -> None:
    url, _, _ = seeded_month
    now = _summary(url, ScopeLevel.NATIONAL, NATION, View.FULL)
    before = _summary(url, ScopeLevel.NATIONAL, NATION, View.FULL, month="1405-07")
    year_ago = _summary(url, ScopeLevel.NATIONAL, NATION, View.FULL, month="1404-08")
    for name in ("category", "concerns", "channel"):
        earlier = {c.key: c.value for c in before.table(name).cells}
        older = {c.key: c.value for c in year_ago.table(name).cells}
        for cell in now.table(name).cells:
            assert cell.previous == earlier[cell.key]
            assert cell.year_ago == older[cell.key]
            assert cell.change_previous == (cell.value or 0) - (earlier[cell.key] or 0)
    grew = [g for g in now.growth if g.table == "category" and g.against == "previous"]
    changes = sorted(((c.value or 0) - (c.previous or 0), c.key) for c in now.table("category").cells)
    top = [key for change, key in sorted(changes, key=lambda t: (-t[0], t[1])) if change > 0][:5]
    assert [g.key for g in grew] == top


def test_the_suppressed_view_withholds_small_cells_and_publishes_the_rest(
    seeded_month: tuple[str, list[Synthetic], dict[str, str]],
) -> None:
    url, reports, _ = seeded_month
    institution = reports[0].institution
    full = _summary(url, ScopeLevel.INSTITUTION, institution, View.FULL)
    shown = _summary(url, ScopeLevel.INSTITUTION, institution, View.SUPPRESSED)
    assert shown.view == View.SUPPRESSED
    withheld = 0
    for whole, part in zip(full.tables, shown.tables, strict=True):
        for cell, published in zip(whole.cells, part.cells, strict=True):
            sensitive = whole.name == "retaliation" or (
                whole.name == "category" and cell.key in SENSITIVE_CATEGORIES
            )
            limit = 10 if sensitive else 5
            if cell.value and cell.value < limit:
                assert published.value is None, (whole.name, cell.key)
                assert published.withheld, (whole.name, cell.key)
            if published.withheld:
                withheld += 1
                assert published.share is None
                assert published.change_previous is None
            else:
                assert published.value == cell.value
    assert withheld > 0
    # Tables keyed by body type give categories away through the public policy: totals only.
    for name in ("recipient_body", "escalation", "referral"):
        assert all(cell.withheld for cell in shown.table(name).cells), name
        assert any(cell.value for cell in full.table(name).cells) or name != "recipient_body"


def test_a_month_is_made_once_and_never_changed(
    seeded_month: tuple[str, list[Synthetic], dict[str, str]],
) -> None:
    url, _, _ = seeded_month

    async def rows(database: Database) -> list[tuple[str, bytes, bytes]]:
        async with database.sessions() as session:
            found = await session.execute(
                select(MonthlySummary.unit_code, MonthlySummary.document_sha256, MonthlySummary.signature)
                .where(MonthlySummary.month == "1405-08")
                .order_by(MonthlySummary.id)
            )
            return [tuple(r) for r in found.all()]  # type: ignore[misc]

    before = with_database(url, rows)

    async def again(database: Database) -> list[bool]:
        # Several processes at once, and again later: nothing is made twice.
        return list(
            await asyncio.gather(
                *(
                    store.make_month(database, *MONTH, now=NOW + timedelta(days=3), thresholds=THRESHOLDS)
                    for _ in range(3)
                )
            )
        )

    assert with_database(url, again) == [False, False, False]
    assert with_database(url, rows) == before

    # One row per unit and view: 12 + 31 provinces... every institution, province and the nation.
    async def count(database: Database) -> int:
        async with database.sessions() as session:
            return int(
                await session.scalar(
                    select(func.count()).select_from(MonthlySummary).where(MonthlySummary.month == "1405-08")
                )
                or 0
            )

    assert with_database(url, count) == len({code for code, _, _ in before}) * 2


def test_racing_processes_store_exactly_one_set(seeded_any: tuple[str, object]) -> None:
    url = seeded_any[0]

    async def race(database: Database) -> list[bool]:
        world = await load_world(database, institutions=4)
        start, end = months.window(*MONTH)
        await insert_reports(
            database, generate(world, random.Random(3), start=start, end=end, count=50, now=NOW)
        )
        return list(
            await asyncio.gather(
                *(store.make_month(Database(url), *MONTH, now=NOW, thresholds=THRESHOLDS) for _ in range(3))
            )
        )

    results = with_database(url, race)
    assert sorted(results) == [False, False, True]


def test_a_month_is_built_and_signed_off_the_event_loop(
    seeded_any: tuple[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job runs inside serving processes: building (disclosure control can take many
    seconds) and signing must not stall the requests the event loop is serving."""
    url = seeded_any[0]
    on_loop: list[str] = []

    def off_loop(name: str, original: Callable[..., object]) -> Callable[..., object]:
        def checked(*args: object, **kwargs: object) -> object:
            try:
                asyncio.get_running_loop()
                on_loop.append(name)
            except RuntimeError:
                pass  # a worker thread: no loop runs here
            return original(*args, **kwargs)

        return checked

    monkeypatch.setattr("server.summaries.store.build", off_loop("build", build))
    monkeypatch.setattr("server.summaries.store.canonical", off_loop("canonical", canonical))

    async def make(database: Database) -> bool:
        world = await load_world(database, institutions=3)
        start, end = months.window(*MONTH)
        await insert_reports(
            database, generate(world, random.Random(5), start=start, end=end, count=30, now=NOW)
        )
        return await store.make_month(database, *MONTH, now=NOW, thresholds=THRESHOLDS)

    assert with_database(url, make) is True
    assert on_loop == []


def test_an_open_month_is_refused() -> None:
    with pytest.raises(store.MonthNotClosedError):
        asyncio.run(
            store.make_month(Database("sqlite+aiosqlite://"), 1405, 9, now=NOW, thresholds=THRESHOLDS)
        )


def test_json_copies_verify_and_tampering_is_caught(
    seeded_month: tuple[str, list[Synthetic], dict[str, str]],
) -> None:
    url, _, _ = seeded_month

    async def signed(database: Database) -> bytes:
        async with database.sessions() as session:
            row = await store.stored(session, "1405-08", ScopeLevel.NATIONAL, NATION, View.SUPPRESSED)
            assert row is not None
            return formats.to_json(store.signed(row))

    data = with_database(url, signed)
    checked = formats.check_json(data)
    assert checked.summary.view == View.SUPPRESSED
    document = msgspec.json.decode(data)
    document["summary"]["tables"][0]["cells"][0]["value"] = 10_000
    with pytest.raises(formats.NotASummaryError):
        formats.check_json(msgspec.json.encode(document))
    with pytest.raises(formats.NotASummaryError):
        formats.check_json(b"{not json")


def test_no_report_id_reaches_a_summary(seeded_month: tuple[str, list[Synthetic], dict[str, str]]) -> None:
    url, reports, _ = seeded_month

    async def contents(database: Database) -> bytes:
        async with database.sessions() as session:
            return b"".join(await session.scalars(select(MonthlySummary.document)))

    blob = with_database(url, contents)
    assert all(str(r.id).encode() not in blob and r.id.hex.encode() not in blob for r in reports)


def test_the_job_of_a_running_server_makes_the_closed_months(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())[0]

    async def seed(database: Database) -> None:
        world = await load_world(database, institutions=3)
        start, end = months.window(*MONTH)
        await insert_reports(
            database, generate(world, random.Random(5), start=start, end=end, count=20, now=NOW)
        )

    with_database(url, seed)
    settings = Settings(database_url=url, puzzle_bits=0, deadline_job_seconds=0, summary_job_seconds=1)

    def made() -> bool:
        async def work(database: Database) -> bool:
            async with database.sessions() as session:
                return await store.is_made(session, "1405-08")

        return with_database(url, work)

    with TestClient(create_app(settings, clock=lambda: NOW)):
        deadline = time.monotonic() + 30
        while not made() and time.monotonic() < deadline:
            time.sleep(0.5)
    assert made()
