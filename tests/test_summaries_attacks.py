"""Attacks on the monthly summaries found in review, each kept as a test: recovering withheld
cells, a category through its bodies, unit codes that collide, box weeks at month ends,
deadline hours, forged copies.

Each test here failed when it was written (see the review report); they describe what the
summaries must do, not how.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from routing.vocabulary import RecipientVia
from server.boxes import weeks
from server.cli import cli
from server.db.lifecycle import Database
from server.db.models import Box, BoxState, Institution
from server.summaries import build as summary_build
from server.summaries import disclosure, months, store
from server.summaries.build import NATION, SENSITIVE_CATEGORIES, Country, Month, Place
from server.summaries.figures import MonthFigures
from server.summaries.model import ScopeLevel, Summary, Thresholds, Unit, View
from tests.disclosure_attacker import recovered
from tests.intake_support import seeded_sqlite, with_database
from tests.summary_support import HOUR, Case, Synthetic, generate, insert_reports, load_world

THRESHOLDS = Thresholds(default=5, sensitive=10, sensitive_keys=SENSITIVE_CATEGORIES)
ABAN = (1405, 8)
Cell = tuple[str, str, str]
AZAR = (1405, 9)


# -- a hand-made country for server.summaries.build.build ---------------------------------------
def _unit(level: ScopeLevel, code: str) -> Unit:
    return Unit(level=level, code=code, name_fa=code, name_en=code)


def _country(tree: dict[str, list[str]]) -> tuple[Country, dict[str, int]]:
    ids: dict[str, int] = {}
    places = []
    for province, institutions in tree.items():
        for code in institutions:
            ids[code] = len(ids) + 1
            places.append(Place(id=ids[code], unit=_unit(ScopeLevel.INSTITUTION, code), province=province))
    provinces = tuple(_unit(ScopeLevel.PROVINCE, code) for code in tree)
    return Country(provinces, tuple(places), _unit(ScopeLevel.NATIONAL, NATION)), ids


def _received(category: dict[str, int], **more: dict[str, int]) -> dict[str, dict[str, int]]:
    """Consistent received-section tables: the given categories, every other dimension in one key."""
    reports = sum(category.values())
    return {
        "category": category,
        "report_type": {"complaint": reports},
        "concerns": {"conditions": reports},
        "reporter_type": {"prisoner": reports},
        "channel": {"kiosk": reports},
        "urgency": {"normal": reports},
        **more,
    }


def _build(
    country: Country, ids: dict[str, int], data: dict[str, dict[str, dict[str, int]]]
) -> list[Summary]:
    figures = MonthFigures()
    for institution, tables in data.items():
        for table, cells in tables.items():
            for key, count in cells.items():
                figures.add(table, ids[institution], key, count)
    start, end = months.window(*ABAN)
    month = Month(code="1405-08", starts=start, ends=end, made_at=end + timedelta(hours=1))
    return summary_build.build(
        figures, country, month, THRESHOLDS, earlier={}, previous="1405-07", year_ago="1404-08", trend=[]
    )


def _suppressed(made: list[Summary], code: str) -> Summary:
    return next(s for s in made if s.view == View.SUPPRESSED and s.scope.code == code)


def test_a_sensitive_category_does_not_show_through_the_bodies_the_policy_routes_it_to() -> None:
    """The default policy (routing/policies/default.toml) sends every ill-treatment report to the
    national judiciary_protection_intelligence body, and otherwise only reports concerning
    protection intelligence (0 here, published). Seven ill-treatment reports are withheld in
    the category table (sensitive threshold 10) but published as that body's seven cases."""
    country, ids = _country({"p": ["a", "b"]})
    bodies_a = {
        "provincial_dg_prisons": 47,
        "judiciary_protection_intelligence": 7,
        "special_inspection_citizens_rights": 7,
        "prisoners_rights_protection": 27,
        "institution_health_unit": 20,
        "institution_management": 20,
    }
    bodies_b = {
        "provincial_dg_prisons": 60,
        "prisoners_rights_protection": 30,
        "institution_health_unit": 30,
        "institution_management": 30,
    }
    made = _build(
        country,
        ids,
        {
            "a": _received(
                {"ill_treatment": 7, "health": 20, "living_conditions": 20},
                recipient_body=bodies_a,
                status={"received": sum(bodies_a.values())},
            ),
            "b": _received(
                {"health": 30, "living_conditions": 30},
                recipient_body=bodies_b,
                status={"received": sum(bodies_b.values())},
            ),
        },
    )
    for code in ("a", "p", NATION):
        summary = _suppressed(made, code)
        category = {c.key: c for c in summary.table("category").cells}
        bodies = {c.key: c for c in summary.table("recipient_body").cells}
        concerns = {c.key: c for c in summary.table("concerns").cells}
        assert category["ill_treatment"].withheld, code
        assert concerns["protection_intelligence"].value == 0, code
        assert bodies["judiciary_protection_intelligence"].value != 7, code


def test_an_institution_sharing_its_provinces_code_does_not_stop_the_summaries() -> None:
    """Units are told apart by level as well as code (the store's key is month, level, unit,
    view): a province "qom" with a prison "qom" must still get its summaries."""
    country, ids = _country({"qom": ["qom", "qom-camp"], "tehran": ["tehran-central"]})
    made = _build(
        country,
        ids,
        {
            "qom": _received({"health": 30}),
            "qom-camp": _received({"health": 20}),
            "tehran-central": _received({"health": 100}),
        },
    )
    totals = {
        (s.scope.level, s.scope.code): s.table("report_type").total for s in made if s.view == View.FULL
    }
    assert totals[ScopeLevel.INSTITUTION, "qom"] == 30
    assert totals[ScopeLevel.PROVINCE, "qom"] == 50


# -- through the database --------------------------------------------------------------------
def _database(tmp_path: Path, root: Path) -> str:
    return seeded_sqlite(tmp_path, root)[0]


def test_every_due_box_week_counts_in_one_month_when_summaries_are_made_as_months_close(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The job makes a month within minutes of its close: every week it counts (those whose
    Friday is in the month) has ended by then, and each due week is counted exactly once."""
    url = _database(tmp_path, tmp_path_factory.getbasetemp())
    azar_end = months.window(*AZAR)[1]
    installed = months.window(1405, 6)[0]

    async def seed(database: Database) -> None:
        async with database.write_session() as session:
            institution = await session.scalar(select(Institution.id).order_by(Institution.id))
            assert institution is not None
            session.add(
                Box(
                    code="r",
                    institution_id=institution,
                    place="1",
                    state=BoxState.INSTALLED,
                    installed_at=installed,
                )
            )
            await session.commit()
        for month in (ABAN, AZAR):
            end = months.window(*month)[1]
            assert await store.make_month(
                database, *month, now=end + timedelta(minutes=15), thresholds=THRESHOLDS
            )

    with_database(url, seed)

    def expected_of(summary: Summary) -> int:
        return summary.boxes.weeks_expected

    async def read(database: Database) -> list[Summary]:
        async with database.sessions() as session:
            found = []
            for code in ("1405-08", "1405-09"):
                row = await store.stored(session, code, ScopeLevel.NATIONAL, NATION, View.FULL)
                assert row is not None
                found.append(store.signed(row).summary)
            return found

    counted = sum(map(expected_of, with_database(url, read)))
    due = [
        week
        for week in weeks.due_weeks(installed, None, azar_end + weeks.WEEK)
        if weeks.jalali_month(week) in (ABAN, AZAR)
    ]
    assert len(due) == 9  # 26 Mehr to 23 Aban, and 30 Aban to 28 Azar
    assert counted == len(due)


def test_an_acknowledgement_in_the_hour_after_its_deadline_is_late(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Times are kept as the start of their local hour, so an acknowledgement whose hour is
    the deadline's hour happened at or after the deadline (the deadline job had already found
    it overdue): it is not "within" the deadline."""
    url = _database(tmp_path, tmp_path_factory.getbasetemp())
    start, _ = months.window(*ABAN)
    received = start + 100 * HOUR

    async def seed(database: Database) -> None:
        world = await load_world(database, institutions=1)
        place_id, place, province = world.institutions[0]
        reports = []
        for _ in range(6):
            report = Synthetic(
                id=uuid.uuid4(),
                institution_id=place_id,
                institution=place,
                province=province,
                report_type="complaint",
                category="health",
                concerns="conditions",
                reporter_type="prisoner",
                channel="kiosk",
                urgency="normal",
                retaliation=False,
                received=received,
                acknowledge_by=received + 24 * HOUR,
                feedback_by=received + 24 * 30 * HOUR,
            )
            body_id, body_type, _ = world.bodies[place_id][0]
            case = Case(body_id, body_type, RecipientVia.POLICY, "synthetic", received, None, None)
            case.acknowledged = report.acknowledge_by  # the hour that starts at the deadline
            report.cases.append(case)
            reports.append(report)
        await insert_reports(database, reports)
        now = months.window(*ABAN)[1] + timedelta(days=1)
        assert await store.make_month(database, *ABAN, now=now, thresholds=THRESHOLDS)

    with_database(url, seed)

    async def read(database: Database) -> Summary:
        async with database.sessions() as session:
            row = await store.stored(session, "1405-08", ScopeLevel.NATIONAL, NATION, View.FULL)
            assert row is not None
            return store.signed(row).summary

    summary = with_database(url, read)
    deadline = {c.key: c.value for c in summary.table("acknowledgement_deadline").cells}
    assert deadline == {"within": 0, "late": 6}


def _cli(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"SEDA_DATABASE_URL": url, "COLUMNS": "200"})
    return result.exit_code, result.stderr


def test_a_json_copy_with_an_added_field_is_not_genuine(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`seda summary verify` says "Genuine" of a copy; a copy that says more than the stored
    summary (here a forged note beside the figures) is not that summary."""
    url = _database(tmp_path, tmp_path_factory.getbasetemp())
    now = months.window(*ABAN)[1] + timedelta(days=2)

    async def seed(database: Database) -> None:
        world = await load_world(database, institutions=3)
        start, end = months.window(*ABAN)
        reports = generate(world, random.Random(4), start=start, end=end, count=40, now=now)
        await insert_reports(database, reports)
        await store.make_month(database, *ABAN, now=now, thresholds=THRESHOLDS)

    with_database(url, seed)
    genuine = tmp_path / "genuine.json"
    assert _cli(url, "summary", "--month", "1405-08", "--out", str(genuine))[0] == 0
    assert _cli(url, "summary", "verify", str(genuine))[0] == 0
    document = msgspec.json.decode(genuine.read_bytes())
    document["summary"]["note"] = "Confirmed: 3 cases of ill-treatment at the juvenile centre"
    document["summary"]["tables"][0]["cells"][0]["comment"] = "withheld value was 2"
    forged = tmp_path / "forged.json"
    forged.write_bytes(msgspec.json.encode(document))
    code, said = _cli(url, "summary", "verify", str(forged))
    assert code == 1, said


def test_withheld_cells_cannot_be_pinned_down_knowing_that_zeros_are_published(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader of the suppressed view knows each withheld cell is a whole number ≥ 1 (zeros
    are published). Over a seeded month of the whole pipeline, an integer-programming solver
    with that bound must find, for every withheld cell, a consistent value other than its own."""
    url = _database(tmp_path, tmp_path_factory.getbasetemp())
    captured: list[tuple[dict[Cell, int], list[disclosure.Relation], frozenset[Cell]]] = []
    real_suppress = disclosure.suppress

    def spy(
        values: Mapping[Cell, int], thresholds: Mapping[Cell, int], relations: Sequence[disclosure.Relation]
    ) -> frozenset[Cell]:
        withheld = real_suppress(values, thresholds, relations)
        captured.append((dict(values), list(relations), withheld))
        return withheld

    monkeypatch.setattr(disclosure, "suppress", spy)
    start, end = months.window(*ABAN)

    async def seed(database: Database) -> None:
        world = await load_world(database, institutions=12)
        rng = random.Random(1405)
        await insert_reports(
            database, generate(world, rng, start=start, end=end, count=300, now=end + timedelta(days=20))
        )
        assert await store.make_month(database, *ABAN, now=end + timedelta(minutes=15), thresholds=THRESHOLDS)

    with_database(url, seed)
    ((values, relations, withheld),) = captured
    assert len(withheld) > 20  # the month is small enough that many cells are withheld
    assert recovered(values, withheld, relations) == set()
