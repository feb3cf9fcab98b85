"""Summaries through the console API and ``seda summary``: who reads which unit and view,
every read audited, the downloads, and checking copies at the terminal."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from typer.testing import CliRunner

from server.app import create_app
from server.cli import cli
from server.db.lifecycle import Database
from server.db.models import OfficerRole
from server.settings import Settings
from server.summaries import months, store
from server.summaries.build import SENSITIVE_CATEGORIES
from server.summaries.model import Thresholds
from tests.console_support import Clock, Device, audit_trail, make_account
from tests.intake_support import seeded_sqlite, with_database
from tests.summary_support import generate, insert_reports, load_world

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
THRESHOLDS = Thresholds(default=5, sensitive=10, sensitive_keys=SENSITIVE_CATEGORIES)
BASE = "/console/api/summaries"


@dataclass
class World:
    url: str
    http: TestClient[Litestar]
    clock: Clock

    def account(self, username: str, body: str | None, role: OfficerRole) -> Device:
        device = Device(self.http, self.clock, username)
        device.enrol(make_account(self.url, username, role, body))
        assert device.sign_in().status_code == 201
        return device


async def _month(database: Database) -> None:
    world = await load_world(database, institutions=9)  # Tehran, East and West Azerbaijan...
    start, end = months.window(1405, 8)
    await insert_reports(
        database, generate(world, random.Random(8), start=start, end=end, count=150, now=NOW)
    )
    await store.ensure_months(database, now=NOW, thresholds=THRESHOLDS)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = seeded_sqlite(tmp_path_factory.mktemp("summaries"), tmp_path_factory.getbasetemp())[0]
    with_database(url, _month)
    clock = Clock()
    app = create_app(
        Settings(database_url=url, puzzle_bits=0, deadline_job_seconds=0, summary_job_seconds=0), clock=clock
    )
    with TestClient(app, base_url="https://seda.test") as http:
        yield World(url, http, clock)


def _institution_of(world: World) -> tuple[str, str]:
    async def work(database: Database) -> tuple[str, str]:
        places = (await load_world(database, institutions=1)).institutions
        return places[0][1], places[0][2]

    return with_database(world.url, work)


def test_who_reads_which_unit_and_view(world: World) -> None:
    institution, province = _institution_of(world)
    national = world.account("org.reader", "organization_inspection--national", OfficerRole.SUMMARY_READER)
    index = national.get(f"{BASE}/").json()
    assert index["months"][0] == "1405-08"
    assert index["full"] is True
    assert {u["level"] for u in index["units"]} == {"national", "province", "institution"}
    for view in ("full", "suppressed"):
        answer = national.get(f"{BASE}/1405-08/national/national/{view}")
        assert answer.status_code == 200
        assert answer.json()["summary"]["view"] == view
    assert national.get(f"{BASE}/1405-08/institution/{institution}/full").status_code == 200

    # The province's directorate-general: its province and institutions, both views.
    dg = world.account("dg.reader", f"provincial_dg_prisons--{province}", OfficerRole.OFFICER)
    units = {(u["level"], u["code"]) for u in dg.get(f"{BASE}/").json()["units"]}
    assert ("province", province) in units
    assert ("national", "national") not in units
    assert all(level != "province" or code == province for level, code in units)
    assert dg.get(f"{BASE}/1405-08/province/{province}/full").status_code == 200
    assert dg.get(f"{BASE}/1405-08/national/national/suppressed").status_code == 404
    other = next(code for code in ("isfahan", "fars", "tehran") if code != province)
    assert dg.get(f"{BASE}/1405-08/province/{other}/suppressed").status_code == 404

    # The head of an institution: only the suppressed view of its own institution.
    head = world.account("head", f"institution_management--{institution}", OfficerRole.BODY_ADMIN)
    seen = head.get(f"{BASE}/").json()
    assert seen["full"] is False
    assert [(u["level"], u["code"]) for u in seen["units"]] == [("institution", institution)]
    assert head.get(f"{BASE}/1405-08/institution/{institution}/suppressed").status_code == 200
    assert head.get(f"{BASE}/1405-08/institution/{institution}/full").status_code == 404
    assert head.get(f"{BASE}/1405-08/province/{province}/suppressed").status_code == 404

    # A national body outside the Prisons Organization: every unit, suppressed only.
    judiciary = world.account(
        "judiciary.officer", "general_inspection_organization--national", OfficerRole.OFFICER
    )
    assert judiciary.get(f"{BASE}/").json()["full"] is False
    assert judiciary.get(f"{BASE}/1405-08/national/national/suppressed").status_code == 200
    assert judiciary.get(f"{BASE}/1405-08/national/national/full").status_code == 404

    # Accounts with no part in the summaries.
    transcriber = world.account(
        "transcriber", f"institution_inspection_representative--{institution}", OfficerRole.BOX_TRANSCRIBER
    )
    operator = world.account("operator.person", None, OfficerRole.OPERATOR)
    for device in (transcriber, operator):
        assert device.get(f"{BASE}/").status_code == 403
        assert device.get(f"{BASE}/1405-08/national/national/suppressed").status_code in {403, 404}
        assert device.get(f"{BASE}/labels/fa").status_code == 403
    # Unknown months, levels, views and languages are refused, not guessed at.
    assert national.get(f"{BASE}/1405-09/national/national/full").status_code == 404
    assert national.get(f"{BASE}/1405-08/planet/national/full").status_code == 400
    assert national.get(f"{BASE}/1405-08/national/national/raw").status_code == 400
    assert national.get(f"{BASE}/1405-08/national/national/full/pdf/de").status_code == 400


def test_reads_are_audited_and_downloads_carry_the_hash(world: World) -> None:
    reader = world.account("audited.reader", "organization_inspection--national", OfficerRole.SUMMARY_READER)
    signed = reader.get(f"{BASE}/1405-08/national/national/suppressed").json()
    digest = signed["content_sha256"]
    csv = reader.get(f"{BASE}/1405-08/national/national/suppressed/csv/fa")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert digest in csv.content.decode("utf-8-sig")
    pdf = reader.get(f"{BASE}/1405-08/national/national/suppressed/pdf/en")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    names = reader.get(f"{BASE}/labels/fa").json()
    assert names["tables"]["category"]
    assert names["keys"]["category"]["ill_treatment"]
    me = f"officer:{reader.get('/console/api/me').json()['officer']['id']}"
    reads = [
        (subject, details)
        for who, action, subject, details in audit_trail(world.url)
        if who == me and action == "summary.read"
    ]
    assert [details["format"] for _, details in reads] == ["json", "csv", "pdf"]
    assert all(
        s == "summary:1405-08:national:national" and d["view"] == "suppressed" and d["sha256"] == digest
        for s, d in reads
    )


def _cli(url: str, *args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(cli, list(args), env={"SEDA_DATABASE_URL": url, "COLUMNS": "200"})
    return result.exit_code, result.stdout_bytes, result.stderr


def test_the_cli_writes_each_format_and_verifies_copies(world: World, tmp_path: Path) -> None:
    institution, _ = _institution_of(world)
    code, out, _ = _cli(world.url, "summary", "--month", "1405-08", "--institution", institution)
    assert code == 0
    document = msgspec.json.decode(out)
    assert document["summary"]["scope"]["code"] == institution
    assert document["summary"]["view"] == "suppressed"
    for output in ("json", "csv", "pdf"):
        target = tmp_path / f"national.{output}"
        code, _, _ = _cli(
            world.url, "summary", "--month", "1405-08", "--format", output, "--out", str(target)
        )
        assert code == 0
        assert target.stat().st_size > 0
    assert (tmp_path / "national.pdf").read_bytes().startswith(b"%PDF")
    for name in ("national.json", "national.csv"):
        code, _, err = _cli(world.url, "summary", "verify", str(tmp_path / name))
        assert code == 0, err
        assert "Genuine" in err
    # A changed figure, in either format, is caught.
    rows = list(
        csv.reader(io.StringIO((tmp_path / "national.csv").read_text(encoding="utf-8-sig"), newline=""))
    )
    cell = next(row for row in rows if row[0] == "cell" and row[5])
    cell[5] = str(int(cell[5]) + 1)
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    changed = tmp_path / "changed.csv"
    changed.write_bytes(("\ufeff" + text.getvalue()).encode())
    assert _cli(world.url, "summary", "verify", str(changed))[0] == 1
    document = msgspec.json.decode((tmp_path / "national.json").read_bytes())
    document["summary"]["units"] = []
    forged = tmp_path / "forged.json"
    forged.write_bytes(msgspec.json.encode(document))
    assert _cli(world.url, "summary", "verify", str(forged))[0] == 1
    # An existing file is never overwritten; an open month and a malformed one are refused.
    assert _cli(world.url, "summary", "--month", "1405-08", "--out", str(tmp_path / "national.json"))[0] == 1
    assert _cli(world.url, "summary", "--month", "1405-10")[0] == 1
    assert _cli(world.url, "summary", "--month", "1405-13")[0] == 2
    assert _cli(world.url, "summary", "--month", "۱۴۰۵-۰۸")[0] == 2
