"""The review console's API with an officer's device simulated in Python (docs/CONSOLE.md):
enrolment, sign-in, the inbox, opening, acting on and referring a case; what the reporter
then sees; lock-out, anti-forgery, and the retaliation watch."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

import crypto
from kiosk_client.client import SedaClient, Submitted
from server.app import create_app
from server.db.models import OfficerRole
from server.demo.keys import DemoKeys
from server.settings import Settings
from tests.console_support import Clock, Device, audit_trail, grant_demo_key, make_account
from tests.intake_support import draft, seeded_sqlite

DG = "provincial_dg_prisons--tehran"
GIO = "general_inspection_organization--national"


@dataclass
class World:
    url: str
    keys: DemoKeys
    clock: Clock
    http: TestClient[Litestar]
    reporter: SedaClient

    def officer(self, username: str, body: str, role: OfficerRole = OfficerRole.OFFICER) -> Device:
        device = Device(self.http, self.clock, username)
        device.enrol(make_account(self.url, username, role, body))
        grant_demo_key(self.url, self.keys, username)
        assert device.sign_in().status_code == 201
        return device


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url, keys = seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    clock = Clock()
    app = create_app(Settings(database_url=url, puzzle_bits=0, deadline_job_seconds=0), clock=clock)
    with TestClient(app, base_url="https://seda.test") as http:
        yield World(
            url, keys, clock, http, SedaClient(http, keys.root_public, sleep=lambda _: None, clock=clock)
        )


def _submit(world: World, text: str = "متن گزارش آزمایشی", **fields: str) -> Submitted:
    return world.reporter.submit(draft(text, **fields))


def test_an_officer_enrols_signs_in_reads_acts_replies_and_refers_and_the_reporter_sees_it(
    world: World,
) -> None:
    submitted = _submit(world, "زندانی بیمار دارو نمی‌گیرد")
    report_id = submitted.receipt.report_id
    dg = world.officer("dg.tehran", DG, OfficerRole.BODY_ADMIN)

    inbox = dg.get("/console/api/inbox").json()
    assert [item["report_id"] for item in inbox["items"]] == [report_id]
    assert inbox["items"][0]["state"] == "received"
    case, envelope, opened = dg.open_case(report_id)
    assert opened.payload.text == "زندانی بیمار دارو نمی‌گیرد"
    assert case["body"] == DG

    assert dg.post(f"/console/api/reports/{report_id}/acknowledge").status_code == 204
    assert dg.post(f"/console/api/reports/{report_id}/triage", {"triage": "acted_upon"}).status_code == 204
    reply = dg.seal("reply", envelope, opened, "پرونده در دست بررسی است.")
    answer = dg.post(
        f"/console/api/reports/{report_id}/replies", {"message": reply, "status": "under_review"}
    )
    assert answer.status_code == 204, answer.text
    note = dg.seal("note", envelope, opened, "یادداشت داخلی")
    assert dg.post(f"/console/api/reports/{report_id}/notes", {"message": note}).status_code == 204

    gio_public = world.reporter.documents().public_key(GIO)
    wrap = crypto.rewrap_for_referral(envelope, opened.keys, gio_public, include_identity=False)
    referral = {"to_body": GIO, "wrap": {"key_id": _s(wrap.key_id), "wrapped": _s(wrap.wrapped)}}
    answer = dg.post(f"/console/api/reports/{report_id}/referrals", referral)
    assert answer.status_code == 204, answer.text

    gio = world.officer("gio", GIO)
    (item,) = gio.get("/console/api/inbox").json()["items"]
    assert (item["report_id"], item["via"]) == (report_id, "referral")
    _, _, referred = gio.open_case(report_id)
    assert referred.payload.text == "زندانی بیمار دارو نمی‌گیرد"
    notes = [
        m for m in gio.get(f"/console/api/reports/{report_id}").json()["messages"] if m["kind"] == "note"
    ]
    assert notes == []  # another body's internal notes are not shown to it

    status = world.reporter.status(submitted.token)
    assert [r.text for r in status.replies] == ["پرونده در دست بررسی است."]
    assert status.view.status == "under_review"
    assert {(r.body, r.via) for r in status.view.recipients} >= {(DG, "policy"), (GIO, "referral")}


def test_five_wrong_sign_ins_lock_the_account_and_every_failure_is_audited(world: World) -> None:
    device = Device(world.http, world.clock, "locked.out")
    device.enrol(make_account(world.url, "locked.out", OfficerRole.OFFICER, DG))
    stranger = Device(world.http, world.clock, "no.such.officer")
    wrong = [device.sign_in(passphrase="not the passphrase at all") for _ in range(5)]
    assert [answer.status_code for answer in wrong] == [401] * 5
    locked = device.sign_in()  # the right passphrase and code, while locked
    unknown = stranger.sign_in(totp="000000")
    # A lock answers as a wrong guess does: it tells nobody the account exists, or the guess was right.
    assert locked.status_code == unknown.status_code == 401
    assert locked.json() == unknown.json() == wrong[0].json()
    world.clock.tick(61)
    assert device.sign_in().status_code == 201  # a minute later, the right passphrase works

    trail = [(actor, action, subject) for actor, action, subject, _ in audit_trail(world.url)]
    officer_id = device.get("/console/api/me").json()["officer"]["id"]
    mine = [
        a for _, a, subject in trail if subject == f"officer:{officer_id}" and a.startswith("officer.sign")
    ]
    assert mine == ["officer.sign_in_failed"] * 5 + ["officer.sign_in_locked", "officer.signed_in"]
    assert ("system", "officer.sign_in_failed", "officer:unknown") in trail


def test_a_code_is_accepted_once_and_the_salt_never_shows_whether_an_account_exists(world: World) -> None:
    def salt(username: str) -> str:
        answer = world.http.post("/console/api/salt", json={"username": username})
        assert answer.status_code == 200
        value: str = answer.json()["salt"]
        assert len(base64.b64decode(value)) == 16
        return value

    before = salt("once")
    assert salt("nobody.here") == salt("nobody.here")
    device = Device(world.http, world.clock, "once")
    code = make_account(world.url, "once", OfficerRole.OFFICER, DG)
    assert salt("once") == before  # made: the same answer
    device.enrol(code)
    assert salt("once") == before  # enrolled: the same answer
    totp = device.code()
    assert device.sign_in(totp=totp).status_code == 201
    assert device.sign_in(totp=totp).status_code == 401  # the same step again


def test_changes_need_the_anti_forgery_token_and_a_refusal_is_audited(world: World) -> None:
    report_id = _submit(world).receipt.report_id
    dg = world.officer("dg.officer", DG)
    path = f"/console/api/reports/{report_id}/acknowledge"
    assert dg.post(path, None, **{"x-csrf-token": "forged"}).status_code == 403
    assert dg.post(path, origin="https://evil.example").status_code == 403
    assert dg.post(path, origin="null").status_code == 403
    no_token = world.http.post(path, json={}, headers={"cookie": f"seda_console={dg.cookie}"})
    assert no_token.status_code == 403  # no Origin header either: the token alone decides
    refusals = [
        details for _, action, subject, details in audit_trail(world.url) if action == "request.refused"
    ]
    assert refusals[-4:] == [{"method": "POST", "code": "forbidden"}] * 4
    assert dg.post(path).status_code == 204  # the token, no Origin header (as the test client sends)


def test_closing_during_the_retaliation_watch_needs_a_second_officer(world: World) -> None:
    report_id = _submit(world, concerns="staff_member").receipt.report_id
    first = world.officer("first", DG, OfficerRole.BODY_ADMIN)
    second = world.officer("second", DG)
    _, envelope, opened = first.open_case(report_id)
    gio_public = world.reporter.documents().public_key(GIO)
    wrap = crypto.rewrap_for_referral(envelope, opened.keys, gio_public, include_identity=False)
    withdrawing = {
        "to_body": GIO,
        "wrap": {"key_id": _s(wrap.key_id), "wrapped": _s(wrap.wrapped)},
        "withdraw": True,
    }
    # Withdrawing by referral closes the body's case: in the watch that is refused too.
    assert first.post(f"/console/api/reports/{report_id}/referrals", withdrawing).status_code == 409
    message = first.seal("reply", envelope, opened, "بسته شد.")
    asked = first.post(
        f"/console/api/reports/{report_id}/close", {"outcome": "substantiated", "message": message}
    )
    assert asked.status_code == 202, asked.text
    approve = f"/console/api/reports/{report_id}/close/approve"
    assert first.post(approve).status_code == 403  # not oneself

    # An account the administrator makes for the occasion is not a second pair of eyes.
    made = first.post(
        "/console/api/body/officers/new", {"username": "sock", "display_name": "S", "role": "officer"}
    )
    sock = Device(world.http, world.clock, "sock")
    fingerprint = sock.enrol(made.json()["enrolment_code"])
    listed = {o["username"]: o for o in first.get("/console/api/body/officers").json()}
    (body_seed,) = first.body_seeds.values()
    grant = crypto.grant_body_key(body_seed, base64.b64decode(listed["sock"]["public_key"]), fingerprint)
    granted = first.post(
        f"/console/api/body/officers/{listed['sock']['id']}/grant",
        {"body_key_id": _s(crypto.public_key_of(body_seed).key_id), "grant": _s(grant)},
    )
    assert granted.status_code == 204
    assert sock.sign_in().status_code == 201
    sock.open_case(report_id)
    assert sock.post(approve).status_code == 403

    assert second.post(approve).status_code == 403  # has not opened the report
    second.open_case(report_id)
    assert second.post(approve).status_code == 204
    case = second.get(f"/console/api/reports/{report_id}").json()
    assert (case["state"], case["outcome"]) == ("closed", "substantiated")

    # A closed case is read, not acted on: no reply, status change, note or triage reopens it.
    reply = second.seal("reply", envelope, opened, "دوباره باز شد؟")
    assert (
        second.post(
            f"/console/api/reports/{report_id}/replies", {"message": reply, "status": "under_review"}
        ).status_code
        == 409
    )
    note = second.seal("note", envelope, opened, "یادداشت")
    assert second.post(f"/console/api/reports/{report_id}/notes", {"message": note}).status_code == 409
    assert (
        second.post(f"/console/api/reports/{report_id}/triage", {"triage": "acted_upon"}).status_code == 409
    )
    assert second.get(f"/console/api/reports/{report_id}").json()["state"] == "closed"


def test_a_note_is_sealed_to_the_body_alone(world: World) -> None:
    report_id = _submit(world).receipt.report_id
    dg = world.officer("dg.notes", DG)
    _, envelope, opened = dg.open_case(report_id)
    holders = [r["body"] for r in dg.get(f"/console/api/reports/{report_id}").json()["recipients"]]
    other = next(code for code in holders if code != DG)
    also = [world.reporter.documents().public_key(other)]
    shared = dg.seal("note", envelope, opened, "یادداشت برای نهاد دیگر", also=also)
    assert dg.post(f"/console/api/reports/{report_id}/notes", {"message": shared}).status_code == 422
    own = dg.seal("note", envelope, opened, "یادداشت داخلی")
    assert dg.post(f"/console/api/reports/{report_id}/notes", {"message": own}).status_code == 204


def _s(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_a_body_administrator_adds_an_officer_and_grants_the_key_after_comparing_fingerprints(
    world: World,
) -> None:
    report_id = _submit(world).receipt.report_id
    admin = world.officer("dg.admin", DG, OfficerRole.BODY_ADMIN)
    created = admin.post(
        "/console/api/body/officers/new",
        {"username": "new.officer", "display_name": "تازه", "role": "officer"},
    )
    assert created.status_code == 201, created.text
    newcomer = Device(world.http, world.clock, "new.officer")
    fingerprint = newcomer.enrol(created.json()["enrolment_code"])  # read out in person
    listed = {o["username"]: o for o in admin.get("/console/api/body/officers").json()}
    assert listed["new.officer"]["enrolled"]
    assert not listed["new.officer"]["has_grant"]
    public = base64.b64decode(listed["new.officer"]["public_key"])
    (body_seed,) = admin.body_seeds.values()
    with pytest.raises(crypto.UnverifiedKeyError):  # a key the server swapped in is not granted
        crypto.grant_body_key(body_seed, crypto.public_key_of(crypto.new_seed()).public_key, fingerprint)
    grant = crypto.grant_body_key(body_seed, public, fingerprint)
    body_key_id = crypto.public_key_of(body_seed).key_id
    answer = admin.post(
        f"/console/api/body/officers/{listed['new.officer']['id']}/grant",
        {"body_key_id": _s(body_key_id), "grant": _s(grant)},
    )
    assert answer.status_code == 204, answer.text
    assert newcomer.sign_in().status_code == 201
    _, _, opened = newcomer.open_case(report_id)
    assert opened.payload.text == "متن گزارش آزمایشی"
    assert (
        admin.post(
            f"/console/api/reports/{report_id}/assign", {"officer_id": listed["new.officer"]["id"]}
        ).status_code
        == 204
    )
    audit = [e["action"] for e in admin.get("/console/api/audit").json()["items"]]
    assert {"officer.created", "officer.enrolled", "officer.body_key_granted", "report.assigned"} <= set(
        audit
    )


def test_a_protection_measure_and_a_rewrap_for_a_body_waiting_after_retaliation(world: World) -> None:
    submitted = _submit(world, concerns="staff_member")
    report_id = submitted.receipt.report_id
    world.reporter.follow_up(submitted.token, "به سبب گزارشم تهدید شده‌ام", retaliation=True, protection=True)
    dg = world.officer("dg.protect", DG)
    case, envelope, opened = dg.open_case(report_id)
    assert case["protection_requested"]
    assert case["retaliation"]
    waiting = [r["body"] for r in case["recipients"] if r["awaiting_key"]]
    assert waiting, "retaliation added bodies that wait for the report's key"
    reply = dg.seal("reply", envelope, opened, "از کارکنان مورد شکایت جدا شدید.")
    answer = dg.post(f"/console/api/reports/{report_id}/replies", {"message": reply, "measure": "separation"})
    assert answer.status_code == 204, answer.text
    status = world.reporter.status(submitted.token)
    assert [m.measure for m in status.view.measures] == ["separation"]

    target = waiting[0]
    wrap = crypto.rewrap_for_referral(
        envelope, opened.keys, world.reporter.documents().public_key(target), False
    )
    assert opened.payload.thread_key is not None
    tag = crypto.referral_tag(opened.payload.thread_key, envelope.context(), wrap.key_id)
    answer = dg.post(
        f"/console/api/reports/{report_id}/rewraps",
        {
            "to_body": target,
            "wrap": {"key_id": _s(wrap.key_id), "wrapped": _s(wrap.wrapped)},
            "referral_tag": _s(tag),
        },
    )
    assert answer.status_code == 204, answer.text
    outside = world.officer("outside.officer", target)
    _, _, reopened = outside.open_case(report_id)
    assert reopened.payload.text == "متن گزارش آزمایشی"
