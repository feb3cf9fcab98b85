"""Suggestion boxes (docs/BOXES.md): the registry, openings and their letters through the
console's API with a transcriber's device simulated in Python, token slips, the refusals, and
missed Saturday-to-Friday weeks across Solar Hijri month and year boundaries."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jdatetime
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

import crypto
from kiosk_client.client import ReportDraft, SedaClient, SlipSecrets
from routing.deadlines import LOCAL_ZONE
from server.app import create_app
from server.boxes import service, weeks
from server.db.lifecycle import Database
from server.db.models import BoxOpening, OfficerRole, Report, SlipClaim
from server.demo.keys import DemoKeys
from server.settings import Settings
from tests.box_support import pair_slips, slips_of
from tests.console_support import Clock, Device, audit_trail, grant_demo_key, make_account
from tests.intake_support import draft, dump_tables, secret_needles, seeded_sqlite, with_database
from tests.pdf_support import pdf_text, plain, qr_codes

INSTITUTION = "tehran-central"
REPRESENTATIVE = "institution_inspection_representative--tehran-central"
CHEAP = crypto.Argon2Params(memory_kib=8, iterations=1)


def jalali(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """A moment in Iran time given as a Solar Hijri date, in UTC."""
    gregorian = jdatetime.date(year, month, day).togregorian()
    return datetime(gregorian.year, gregorian.month, gregorian.day, hour, tzinfo=LOCAL_ZONE).astimezone(UTC)


# -- weeks -------------------------------------------------------------------------------
def test_a_week_starts_on_saturday_at_midnight_iran_time() -> None:
    friday_night = datetime(2026, 3, 20, 23, 59, tzinfo=LOCAL_ZONE)  # Friday 29 Esfand 1404
    saturday = datetime(2026, 3, 21, 0, 0, tzinfo=LOCAL_ZONE)  # Saturday 1 Farvardin 1405
    assert weeks.week_start(friday_night) == datetime(2026, 3, 14, tzinfo=LOCAL_ZONE)
    assert weeks.week_start(saturday) == saturday
    assert weeks.week_start(saturday.astimezone(UTC)) == saturday  # 20:30 UTC on Friday
    assert weeks.jalali_date(saturday) == (1405, 1, 1)


def test_missed_weeks_across_the_solar_hijri_new_year() -> None:
    installed = jalali(1404, 12, 1)  # Friday 1 Esfand 1404: owes from Saturday 2 Esfand
    opened = [jalali(1404, 12, 5), jalali(1404, 12, 16), jalali(1405, 1, 3), jalali(1405, 1, 10, hour=23)]
    now = jalali(1405, 1, 22)
    missed = weeks.missed_weeks(installed, None, opened, now)
    as_jalali = [weeks.jalali_date(start) for start in missed]
    # Weeks from 2, 9, 16, 23 Esfand and 1, 8, 15 Farvardin are due (22 Farvardin's has not ended).
    assert [weeks.jalali_date(s) for s in weeks.due_weeks(installed, None, now)] == [
        (1404, 12, 2),
        (1404, 12, 9),
        (1404, 12, 16),
        (1404, 12, 23),
        (1405, 1, 1),
        (1405, 1, 8),
        (1405, 1, 15),
    ]
    assert as_jalali == [(1404, 12, 9), (1404, 12, 23), (1405, 1, 15)]
    # Counted in the month of their Friday: Esfand has two (they end on 15 and 29 Esfand), Farvardin one.
    assert (
        len(
            weeks.missed_in_month(1404, 12, installed_at=installed, removed_at=None, openings=opened, now=now)
        )
        == 2
    )
    assert (
        len(weeks.missed_in_month(1405, 1, installed_at=installed, removed_at=None, openings=opened, now=now))
        == 1
    )
    # An opening at 23:00 on a Friday belongs to the week that ends that night.
    late = weeks.missed_weeks(installed, None, [jalali(1405, 1, 14, hour=23)], now)
    assert (1405, 1, 8) not in [weeks.jalali_date(s) for s in late]


def test_missed_weeks_across_a_month_boundary_and_a_removal() -> None:
    installed = jalali(1405, 6, 21, hour=0)  # Saturday 21 Shahrivar 1405, midnight: owes that week
    assert weeks.week_start(installed) == installed
    removed = jalali(1405, 7, 15, hour=12)  # Wednesday 15 Mehr: its week is not owed
    now = jalali(1405, 8, 20)
    missed = weeks.missed_weeks(installed, removed, [jalali(1405, 6, 30)], now)
    # Due: 21 and 28 Shahrivar (a week that ends on 3 Mehr) and 4 Mehr; 28 Shahrivar's was opened.
    assert [weeks.jalali_date(s) for s in missed] == [(1405, 6, 21), (1405, 7, 4)]

    def counted(month: int) -> list[tuple[int, int, int]]:
        found = weeks.missed_in_month(
            1405, month, installed_at=installed, removed_at=removed, openings=[], now=now
        )
        return [weeks.jalali_date(start) for start in found]

    # The week of 28 Shahrivar ends on Friday 3 Mehr: it counts in Mehr.
    assert counted(6) == [(1405, 6, 21)]
    assert counted(7) == [(1405, 6, 28), (1405, 7, 4)]
    # Installed a minute after midnight: that week is not owed whole, the next one is.
    later = installed + timedelta(minutes=1)
    assert weeks.jalali_date(weeks.due_weeks(later, None, now)[0]) == (1405, 6, 28)


# -- the console's boxes API -------------------------------------------------------------
@dataclass
class World:
    url: str
    keys: DemoKeys
    clock: Clock
    http: TestClient[Litestar]
    client: SedaClient
    box_id: int

    def account(self, username: str, body: str | None, role: OfficerRole) -> Device:
        device = Device(self.http, self.clock, username)
        device.enrol(make_account(self.url, username, role, body))
        if role != OfficerRole.BOX_TRANSCRIBER and body is not None:
            grant_demo_key(self.url, self.keys, username)
        assert device.sign_in().status_code == 201
        return device


def register(url: str, code: str, institution: str, at: datetime) -> int:
    async def work(database: Database) -> int:
        async with database.write_session() as session:
            box = await service.register_box(session, code, institution, "بند ۴", at)
            await session.commit()
            return box.id

    return int(with_database(url, work))


def make_slips(
    url: str, count: int, params: crypto.Argon2Params = crypto.TOKEN_PARAMS_V1
) -> list[crypto.Slip]:
    slips = service.make_slips(count, lambda *_: None, params)

    async def work(database: Database) -> None:
        await service.store_batch(database, slips, "operator", datetime.now(UTC))

    with_database(url, work)
    return slips


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url, keys = seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    clock = Clock()
    box_id = register(url, "tehran-central-ward-4", INSTITUTION, clock.now - timedelta(days=30))
    app = create_app(Settings(database_url=url, puzzle_bits=0, deadline_job_seconds=0), clock=clock)
    with TestClient(app, base_url="https://seda.test") as http:
        yield World(
            url,
            keys,
            clock,
            http,
            SedaClient(http, keys.root_public, sleep=lambda _: None, clock=clock),
            box_id,
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _open(world: World, device: Device, letters: int, **overrides: Any) -> dict[str, Any]:
    body = {
        "opened_at": (world.clock.now - timedelta(hours=1)).isoformat(),
        "witnesses": ["رضا احمدی، مدیر بند", "مریم کریمی، مددکار"],
        "seal_numbers": ["۱۲۳۴"],
        "letter_count": letters,
        **overrides,
    }
    answer = device.post(f"/console/api/boxes/{world.box_id}/openings", body)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _letter(text: str, **fields: Any) -> ReportDraft:
    values: dict[str, Any] = {
        "channel": "box",
        "reporter_type": "prisoner",
        "concerns": "conditions",
    }
    values.update(fields)
    return draft(text, **values)


def _slip_secrets(device: Device, claim_code: crypto.ClaimCode) -> tuple[bytes, SlipSecrets]:
    """What the transcriber's browser does with a typed claim code (PROTOCOL.md §13)."""
    claim = crypto.derive_claim(crypto.parse_claim_code(claim_code.grouped(persian=True)))
    answer = device.post("/console/api/boxes/claims", {"claim_id": _b64(claim.claim_id)})
    assert answer.status_code == 200, answer.text
    record = msgspec.json.decode(answer.content, type=crypto.SlipRecord)
    thread_key = crypto.open_slip(claim, record)
    return claim.claim_id, SlipSecrets(record.lookup_verifier, record.reporter_key, thread_key)


def _send(
    world: World,
    device: Device,
    opening_id: str,
    letter: ReportDraft,
    slip: tuple[bytes, SlipSecrets] | None = None,
) -> Any:
    body = world.client.build_submission(letter, slip[1] if slip else None, solve_puzzle=False)
    payload = {"submission": msgspec.to_builtins(body), "claim_id": _b64(slip[0]) if slip else None}
    return device.post(f"/console/api/boxes/openings/{opening_id}/letters", payload)


def test_a_transcriber_records_an_opening_and_its_letters_and_the_slip_holder_tracks_the_letter(
    world: World,
) -> None:
    (slip,) = make_slips(world.url, 1)
    transcriber = world.account("transcriber", REPRESENTATIVE, OfficerRole.BOX_TRANSCRIBER)
    listed = transcriber.get("/console/api/boxes/").json()
    assert [b["code"] for b in listed] == ["tehran-central-ward-4"]
    assert len(listed[0]["missed_weeks"]) >= 3  # installed 30 days ago, never opened

    opening = _open(world, transcriber, 3)
    opening_id = opening["opening_id"]
    claimed = _send(
        world,
        transcriber,
        opening_id,
        _letter("نامهٔ با برگه", report_type="complaint"),
        _slip_secrets(transcriber, slip.claim_code),
    )
    assert claimed.status_code == 201, claimed.text
    unsigned = _send(world, transcriber, opening_id, _letter("پیشنهاد بی‌نام", report_type="suggestion"))
    assert unsigned.status_code == 201, unsigned.text
    signed = _send(
        world,
        transcriber,
        opening_id,
        _letter(
            "اعتراض با امضا", report_type="objection", identity=crypto.ReporterIdentity(name="علی رضایی")
        ),
    )
    assert signed.status_code == 201, signed.text
    assert [r.json()["position"] for r in (claimed, unsigned, signed)] == [1, 2, 3]

    info = transcriber.get(f"/console/api/boxes/openings/{opening_id}").json()
    rows = [(r["position"], r["report_type"], r["signed"], r["claimed"]) for r in info["letters"]]
    assert rows == [
        (1, "complaint", False, True),
        (2, "suggestion", False, False),
        (3, "objection", True, False),
    ]

    # The slip's holder follows the letter with the stub's token, like any report; replies too.
    status = world.client.status(slip.token)
    assert status.view.report_id == claimed.json()["receipt"]["report_id"]
    assert status.view.routing.channel == "box"

    # The claim code worked once: its record is gone, a second use is "not found".
    again = transcriber.post(
        "/console/api/boxes/claims", {"claim_id": _b64(crypto.derive_claim(slip.claim_code).claim_id)}
    )
    assert again.status_code == 404

    async def claims(database: Database) -> list[SlipClaim]:
        async with database.sessions() as session:
            return list(await session.scalars(select(SlipClaim)))

    (row,) = with_database(world.url, claims)
    assert row.report_id is not None
    assert (row.lookup_verifier, row.reporter_key, row.sealed_thread_key) == (None, None, None)

    # A fourth letter is more than the opening counted.
    extra = _send(world, transcriber, opening_id, _letter("یکی بیشتر"))
    assert extra.status_code == 409
    trail = [a for _, a, _, _ in audit_trail(world.url)]
    assert trail.count("box.letter") == 3

    _check_minutes(world, transcriber, opening_id, slip)


def _check_minutes(world: World, transcriber: Device, opening_id: str, slip: crypto.Slip) -> None:
    # The minutes: made once every letter is in, kept with their hash, in the audit log too.
    made = transcriber.post(f"/console/api/boxes/openings/{opening_id}/close", {"language": "fa"})
    assert made.status_code == 200, made.text
    minutes = transcriber.get(f"/console/api/boxes/openings/{opening_id}/minutes")
    assert minutes.headers["content-type"] == "application/pdf"
    digest = hashlib.sha256(minutes.content).digest()
    assert base64.b64decode(made.json()["minutes_sha256"]) == digest
    (entry,) = [d for _, action, _, d in audit_trail(world.url) if action == "box.minutes"]
    assert entry["sha256"] == digest.hex()
    words = plain(" ".join(pdf_text(minutes.content)))
    for content in ("نامهٔ با برگه", "پیشنهاد بی‌نام", "اعتراض با امضا", "علی رضایی"):
        assert plain(content) not in words
    # A retry after a lost answer gets the recorded hash again, nothing new is made.
    retried = transcriber.post(f"/console/api/boxes/openings/{opening_id}/close", {})
    assert retried.status_code == 200
    assert retried.json()["minutes_sha256"] == made.json()["minutes_sha256"]
    assert [a for _, a, _, _ in audit_trail(world.url)].count("box.minutes") == 1
    # A retaliation follow-up adds bodies to the slip's letter: the boxes view and anyone
    # overseeing it still see only the bodies it was sealed to at transcription.
    before = transcriber.get(f"/console/api/boxes/openings/{opening_id}").json()["letters"][0]["bodies"]
    world.client.follow_up(slip.token, "از روز نوشتن نامه مرا تهدید می‌کنند", retaliation=True)
    after = transcriber.get(f"/console/api/boxes/openings/{opening_id}").json()["letters"][0]["bodies"]
    assert after == before
    # The province's directorate-general downloads the same minutes (read-only).
    dg = world.account("dg.officer", "provincial_dg_prisons--tehran", OfficerRole.OFFICER)
    assert dg.get(f"/console/api/boxes/openings/{opening_id}/minutes").content == minutes.content
    assert dg.post(f"/console/api/boxes/openings/{opening_id}/close", {}).status_code == 403
    seen = dg.get(f"/console/api/boxes/openings/{opening_id}").json()["letters"]
    assert all(row["report_id"] == "" for row in seen)  # an overseer opens no report
    assert all(row["bodies"] == [] for row in seen if not row["at_home"])  # they would tell its subject


def test_box_letters_are_refused_unless_they_are_a_box_letter_of_the_box_institution(world: World) -> None:
    (slip,) = make_slips(world.url, 1)
    transcriber = world.account("transcriber", REPRESENTATIVE, OfficerRole.BOX_TRANSCRIBER)
    opening_id = _open(world, transcriber, 5)["opening_id"]

    def count() -> int:
        async def work(database: Database) -> int:
            async with database.sessions() as session:
                return len(list(await session.scalars(select(Report.id))))

        return int(with_database(world.url, work))

    before = count()
    # Someone who saw the stub files a web report with its token first: refused (the slip's
    # verifier is reserved for its letter), and the letter is then recorded with the slip.
    stolen = crypto.derive_from_token(slip.token)
    hijack = world.client.build_submission(draft("سرقت کد"), stolen, solve_puzzle=False)
    answer = world.http.post(
        "/api/v1/reports", content=msgspec.json.encode(hijack), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 409, answer.text
    assert count() == before
    refused = {
        "web channel": _send(world, transcriber, opening_id, _letter("x", channel="web")),
        "another institution": _send(
            world, transcriber, opening_id, _letter("x", institution="isfahan-central")
        ),
    }
    # A tracked letter without a slip (a token the transcriber would know) is refused.
    token_secrets = crypto.derive_from_token(crypto.new_token(), CHEAP)
    tokened = world.client.build_submission(_letter("x"), token_secrets, solve_puzzle=False)
    refused["token without slip"] = transcriber.post(
        f"/console/api/boxes/openings/{opening_id}/letters", {"submission": msgspec.to_builtins(tokened)}
    )
    # A slip's claim with another reply key (a swapped record) is refused.
    claim_id, secrets = _slip_secrets(transcriber, slip.claim_code)
    swapped = SlipSecrets(secrets.lookup_verifier, token_secrets.reporter_public_key, secrets.thread_key)
    refused["swapped reply key"] = _send(world, transcriber, opening_id, _letter("x"), (claim_id, swapped))
    for reason, answer in refused.items():
        assert answer.status_code == 422, (reason, answer.text)
        assert answer.json()["code"] == "box-refused", reason
    assert count() == before
    # Box letters never come through the public intake, with or without a puzzle.
    public = world.client.build_submission(_letter("x"), token_secrets, solve_puzzle=False)
    answer = world.http.post(
        "/api/v1/reports", content=msgspec.json.encode(public), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "channel-refused"
    assert count() == before


def test_who_may_see_and_record_boxes(world: World) -> None:
    other_box = register(
        world.url, "isfahan-central-ward-1", "isfahan-central", world.clock.now - timedelta(days=9)
    )
    transcriber = world.account("transcriber", REPRESENTATIVE, OfficerRole.BOX_TRANSCRIBER)
    assert (
        transcriber.post(
            f"/console/api/boxes/{other_box}/openings",
            {
                "opened_at": world.clock.now.isoformat(),
                "witnesses": ["a"],
                "letter_count": 0,
            },
        ).status_code
        == 404
    )
    # The province's directorate-general sees its boxes (read-only); a health unit does not.
    dg = world.account("dg.officer", "provincial_dg_prisons--tehran", OfficerRole.OFFICER)
    seen = dg.get("/console/api/boxes/")
    assert seen.status_code == 200
    assert [b["code"] for b in seen.json()] == ["tehran-central-ward-4"]
    refused = dg.post(
        f"/console/api/boxes/{world.box_id}/openings",
        {
            "opened_at": world.clock.now.isoformat(),
            "witnesses": ["a"],
            "letter_count": 0,
        },
    )
    assert refused.status_code == 403
    health = world.account("health.officer", "institution_health_unit--tehran-central", OfficerRole.OFFICER)
    assert health.get("/console/api/boxes/").status_code == 403
    national = world.account("national.officer", "organization_inspection--national", OfficerRole.OFFICER)
    assert {b["code"] for b in national.get("/console/api/boxes/").json()} == {
        "tehran-central-ward-4",
        "isfahan-central-ward-1",
    }
    # A transcriber's account reads no report.
    opening_id = _open(world, transcriber, 1)["opening_id"]
    stored = _send(world, transcriber, opening_id, _letter("نامه"))
    report_id = stored.json()["receipt"]["report_id"]
    assert transcriber.get(f"/console/api/reports/{report_id}").status_code in {403, 404}


def test_openings_refuse_bad_facts_and_change_nothing(world: World) -> None:
    transcriber = world.account("transcriber", REPRESENTATIVE, OfficerRole.BOX_TRANSCRIBER)
    now = world.clock.now
    bad: dict[str, dict[str, Any]] = {
        "no witness": {"witnesses": []},
        "in the future": {"opened_at": (now + timedelta(hours=2)).isoformat()},
        "before installation": {"opened_at": (now - timedelta(days=40)).isoformat()},
        "too many letters": {"letter_count": 501},
        "a long seal": {"seal_numbers": ["1" * 41]},
    }
    for reason, override in bad.items():
        body = {"opened_at": now.isoformat(), "witnesses": ["a"], "letter_count": 1, **override}
        answer = transcriber.post(f"/console/api/boxes/{world.box_id}/openings", body)
        assert answer.status_code in {400, 422}, (reason, answer.text)

    async def openings(database: Database) -> int:
        async with database.sessions() as session:
            return len(list(await session.scalars(select(BoxOpening.id))))

    assert with_database(world.url, openings) == 0
    # One opening at a time: the next waits until the last one's letters are in.
    _open(world, transcriber, 1)
    second = transcriber.post(
        f"/console/api/boxes/{world.box_id}/openings",
        {"opened_at": now.isoformat(), "witnesses": ["a"], "letter_count": 0},
    )
    assert second.status_code == 409
    # A miscount is corrected (audited), never below the letters already recorded.
    (opening_id,) = [b["open_opening"] for b in transcriber.get("/console/api/boxes/").json()]
    stored = _send(world, transcriber, opening_id, _letter("نامه"))
    assert stored.status_code == 201
    path = f"/console/api/boxes/openings/{opening_id}/count"
    assert transcriber.post(path, {"letter_count": 0}).status_code == 422
    corrected = transcriber.post(path, {"letter_count": 2})
    assert corrected.status_code == 200
    assert corrected.json()["letter_count"] == 2
    assert transcriber.post(path, {"letter_count": 1}).json()["letter_count"] == 1
    assert transcriber.post(f"/console/api/boxes/openings/{opening_id}/close", {}).status_code == 200
    assert transcriber.post(path, {"letter_count": 3}).status_code == 409  # closed
    changes = [d for _, a, _, d in audit_trail(world.url) if a == "box.count.corrected"]
    assert [(c["from"], c["to"]) for c in changes] == [(1, 2), (2, 1)]


def test_the_database_after_making_slips_holds_nothing_that_gives_a_token_back(tmp_path: Path) -> None:
    """Real Argon2id parameters: every secret of every slip is searched for in every table."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'seda.db'}"
    from server.db import migrate

    migrate.upgrade(url)
    slips = make_slips(url, 3)
    dump = dump_tables(url)
    files = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    for slip in slips:
        secrets = crypto.derive_from_token(slip.token)
        claim = crypto.derive_claim(slip.claim_code)
        needles = secret_needles("-", slip.token, secrets.lookup_secret)
        del needles["canary"], needles["canary (utf-16)"]
        needles |= {
            "reporter seed": secrets.reporter_seed,
            "thread key": secrets.thread_key,
            "claim digits": slip.claim_code.digits.encode(),
            "claim grouped": slip.claim_code.grouped().encode(),
            "claim persian": slip.claim_code.grouped(persian=True).encode(),
            "claim key": claim.claim_key,
        }
        for name, needle in needles.items():
            assert needle not in dump, name
            assert needle not in files, name
        # What is there is what PROTOCOL.md §13 says, and opens only with the claim code.
        assert slip.record.claim_id in dump
        assert crypto.lookup_verifier(secrets.lookup_secret) in dump
        with pytest.raises(crypto.OpenError):
            crypto.open_slip(crypto.derive_claim(crypto.new_claim_code()), slip.record)
        assert crypto.open_slip(claim, slip.record) == secrets.thread_key


def test_every_boxes_endpoint_refuses_accounts_outside_its_reach(world: World) -> None:
    transcriber = world.account("transcriber", REPRESENTATIVE, OfficerRole.BOX_TRANSCRIBER)
    opening_id = _open(world, transcriber, 1)["opening_id"]
    stored = _send(world, transcriber, opening_id, _letter("نامه"))
    assert stored.status_code == 201
    outsiders = {
        "elsewhere": world.account(
            "far.transcriber",
            "institution_inspection_representative--isfahan-central",
            OfficerRole.BOX_TRANSCRIBER,
        ),
        "health unit": world.account(
            "health.officer", "institution_health_unit--tehran-central", OfficerRole.OFFICER
        ),
        "operator": world.account("the.operator", None, OfficerRole.OPERATOR),
    }
    requests: list[tuple[str, str, Any]] = [
        (
            "POST",
            f"/console/api/boxes/{world.box_id}/openings",
            {"opened_at": world.clock.now.isoformat(), "witnesses": ["a"]},
        ),
        ("GET", f"/console/api/boxes/openings/{opening_id}", None),
        ("POST", f"/console/api/boxes/openings/{opening_id}/letters", {"submission": {}}),
        ("POST", f"/console/api/boxes/openings/{opening_id}/close", {}),
        ("POST", f"/console/api/boxes/openings/{opening_id}/count", {"letter_count": 3}),
        ("GET", f"/console/api/boxes/openings/{opening_id}/minutes", None),
        ("POST", "/console/api/boxes/claims", {"claim_id": _b64(bytes(32))}),
    ]
    served = {r.path for r in world.http.app.routes if r.path.startswith("/console/api/boxes")}
    assert len(served) == len(requests) + 1  # and the listing, below
    for name, device in outsiders.items():
        listing = device.get("/console/api/boxes/")
        assert listing.status_code == 403 or listing.json() == [], name
        for method, path, body in requests:
            answer = device.get(path) if method == "GET" else device.post(path, body)
            assert answer.status_code in {400, 403, 404}, (name, method, path, answer.status_code)
            assert opening_id.encode() not in answer.content or answer.status_code >= 400


def test_a_batch_of_100_slips_is_printed_with_progress_and_every_slip_reads_back_and_pairs(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'seda.db'}"
    from server.db import migrate

    migrate.upgrade(url)
    sheet = tmp_path / "slips.pdf"
    seda = Path(sys.executable).parent / "seda"
    env = {**os.environ, "SEDA_DATABASE_URL": url, "COLUMNS": "100"}
    done = subprocess.run(
        [seda, "boxes", "slips", "--count", "100", "--out", sheet],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    shown = done.stdout + done.stderr
    assert "making slips" in shown
    assert "laying out pages" in shown
    assert "100/100" in shown
    assert sheet.stat().st_mode & 0o777 == 0o600
    pdf = sheet.read_bytes()
    assert len(pdf_text(pdf)) == 20
    tokens, claims = slips_of(pdf)
    assert len(tokens) == len(claims) == 100
    pairs = pair_slips(url, tokens, claims)  # every claim code's record holds its own token's verifier
    assert sorted(qr_codes(pdf)) == sorted(token.digits for token in pairs.values())
    # Nothing printed reached the terminal.
    assert not any(token.digits[:8] in shown or token.grouped()[:9] in shown for token in tokens)
    # An existing file is never overwritten.
    again = subprocess.run(
        [seda, "boxes", "slips", "--count", "1", "--out", sheet], env=env, capture_output=True, check=False
    )
    assert again.returncode != 0
    assert sheet.read_bytes() == pdf
