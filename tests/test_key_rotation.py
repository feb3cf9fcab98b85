"""A body's key rotated end to end (docs/KEYS.md, PROTOCOL.md §6.1): an officer leaves, the
administrator's device makes a new body seed and grants it to the remaining officers, the
ceremony writes and signs the next directory (`seda keys rotate-body-key`, `sign-directory`)
and the operator publishes it (`seda publish`). New reports go to the new key, old ones stay
readable, the leaver holds nothing of the new key, a report sealed to the old key is refused,
and a reporter's follow-up on an old report works once an officer's device re-tagged it."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

import crypto
from crypto.directory import decode_signed
from crypto.primitives import key_id
from kiosk_client.client import ClientError, Documents, SedaClient, Submitted, TrustError
from kiosk_client.kiosk import Kiosk, KioskSettings, Waiting
from server.app import create_app
from server.cli import cli
from server.db.lifecycle import Database
from server.db.models import BodyKeyGrant, Message, OfficerRole
from server.db.models import Officer as OfficerRow
from server.demo.keys import DIRECTORY_LIFETIME, DemoKeys
from server.intake.trust import TrustStore, earlier_key_ids
from server.settings import Settings
from tests.console_support import Clock, Device, audit_trail, grant_demo_key, make_account
from tests.intake_support import Officer, draft, run_coroutine, seeded_sqlite
from tests.kiosk_support import enrolled_kiosk

DG = "provincial_dg_prisons--tehran"
OLD_TEXT = "گزارش پیش از چرخش کلید"


@dataclass
class World:
    url: str
    keys: DemoKeys
    clock: Clock
    http: TestClient[Litestar]
    reporter: SedaClient
    fingerprints: dict[str, str]  # kept on the administrator's device as each officer was added

    def officer(self, username: str, role: OfficerRole = OfficerRole.OFFICER) -> Device:
        device = Device(self.http, self.clock, username)
        self.fingerprints[username] = device.enrol(make_account(self.url, username, role, DG))
        grant_demo_key(self.url, self.keys, username)
        assert device.sign_in().status_code == 201
        return device


@pytest.fixture
def world(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    url, keys = seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    monkeypatch.setenv("SEDA_DATABASE_URL", url)  # for `seda publish`
    clock = Clock()
    app = create_app(Settings(database_url=url, puzzle_bits=0, deadline_job_seconds=0), clock=clock)
    with TestClient(app, base_url="https://seda.test") as http:
        reporter = SedaClient(http, keys.root_public, sleep=lambda _: None, clock=clock)
        yield World(url, keys, clock, http, reporter, {})


def _s(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _b(text: str) -> bytes:
    return base64.b64decode(text)


def rotate_on_admin_device(admin: Device, fingerprints: dict[str, str]) -> bytes:
    """The administrator's device: a new body seed granted to every remaining enrolled officer
    (itself included), each checked against the fingerprint confirmed when they were added
    (``UnverifiedKeyError`` otherwise); the grants go up through the console. The new seed."""
    listed = admin.get("/console/api/body/officers").json()
    remaining = [o for o in listed if o["active"] and o["enrolled"]]
    seed, grants = crypto.rotate_body_key(
        [(_b(o["public_key"]), fingerprints[o["username"]]) for o in remaining]
    )
    new_key_id = crypto.public_key_of(seed).key_id
    for o in remaining:
        grant = grants[key_id(_b(o["public_key"]))]
        body = {"body_key_id": _s(new_key_id), "grant": _s(grant)}
        answer = admin.post(f"/console/api/body/officers/{o['id']}/grant", body)
        assert answer.status_code == 204, answer.text
    return seed


def ceremony(world: World, tmp_path: Path, new_public: bytes) -> None:
    """The key ceremony and publication, through the operator's commands."""
    published, _ = world.reporter.fetch_documents()
    (tmp_path / "published.json").write_bytes(published)
    runner = CliRunner()
    root = world.keys.root_public.hex()
    (tmp_path / "root.key").write_text(world.keys.root_seed.hex() + "\n", encoding="ascii")
    steps = [
        ["keys", "rotate-body-key", str(tmp_path / "published.json"), "--root-public", root, "--body", DG,
         "--public-key", _s(new_public), "--out", str(tmp_path / "next.json")],
        ["keys", "sign-directory", str(tmp_path / "next.json"), "--root-key", str(tmp_path / "root.key"),
         "--out", str(tmp_path / "signed.json")],
        ["publish", str(tmp_path / "signed.json"), "--root-public", root],
    ]  # fmt: skip
    for step in steps:
        result = runner.invoke(cli, step)
        assert result.exit_code == 0, (step[:2], result.output)
    again = runner.invoke(cli, [*steps[0][:-1], str(tmp_path / "again.json")])
    assert crypto.key_fingerprint(new_public) in again.output  # for the ceremony to compare
    time.sleep(TrustStore(None).recheck + 0.1)  # a process looks for newer documents this often


def grants_of(url: str, username: str) -> set[bytes]:
    async def work() -> set[bytes]:
        database = Database(url)
        try:
            async with database.write_session() as session:
                officer = await session.scalar(select(OfficerRow).where(OfficerRow.username == username))
                assert officer is not None
                found = await session.scalars(
                    select(BodyKeyGrant.body_key_id).where(BodyKeyGrant.officer_id == officer.id)
                )
                return set(found)
        finally:
            await database.dispose()

    return run_coroutine(work())


def newest_follow_up(url: str, report_id: str) -> crypto.SealedMessage:
    async def work() -> bytes:
        database = Database(url)
        try:
            async with database.write_session() as session:
                found = await session.scalars(
                    select(Message.sealed)
                    .where(Message.kind == "follow-up")
                    .order_by(Message.report_id, Message.seq.desc())
                )
                return next(
                    sealed for sealed in found if msgspec.json.decode(sealed)["report_id"] == report_id
                )
        finally:
            await database.dispose()

    return msgspec.json.decode(run_coroutine(work()), type=crypto.SealedMessage)


def _submit(world: World, text: str) -> Submitted:
    return world.reporter.submit(draft(text))


def test_a_rotated_body_key_reaches_new_reports_keeps_old_ones_and_the_leaver_gets_none(
    world: World, tmp_path: Path
) -> None:
    old_seed = world.keys.body_seeds[DG]
    old_key_id = crypto.public_key_of(old_seed).key_id
    admin = world.officer("dg.admin", OfficerRole.BODY_ADMIN)
    alice = world.officer("dg.alice")
    leaver = world.officer("dg.leaver")
    old = _submit(world, OLD_TEXT)
    old_signed = world.reporter.fetch_documents()

    leaver_id = leaver.get("/console/api/me").json()["officer"]["id"]
    removed = admin.http.request(
        "DELETE",
        f"/console/api/body/officers/{leaver_id}",
        headers=admin._headers(**{"x-csrf-token": admin.csrf}),
    )
    assert removed.status_code == 204
    new_seed = rotate_on_admin_device(admin, world.fingerprints)
    new = crypto.public_key_of(new_seed)
    ceremony(world, tmp_path, new.public_key)

    docs = world.reporter.documents(refresh=True)
    assert docs.public_key(DG) == new.public_key
    fresh = _submit(world, "گزارش پس از چرخش کلید")

    assert alice.sign_in().status_code == 201  # the page unlocks both grants
    assert set(alice.body_seeds) == {old_key_id, new.key_id}
    alice.current_key_id = new.key_id
    case, envelope, opened = alice.open_case(fresh.receipt.report_id)
    assert opened.payload.text == "گزارش پس از چرخش کلید"
    sealed_to = {wrap.key_id for wrap in envelope.recipients}
    assert new.key_id in sealed_to
    assert old_key_id not in sealed_to
    assert _b(case["wrap"]["key_id"]) == new.key_id
    case, _, opened = alice.open_case(old.receipt.report_id)
    assert opened.payload.text == OLD_TEXT
    assert _b(case["wrap"]["key_id"]) == old_key_id  # the old report is opened with the old grant

    # The leaver: no grant of either key, no session; the new key was never sealed to them.
    assert grants_of(world.url, "dg.leaver") == set()
    assert grants_of(world.url, "dg.alice") == grants_of(world.url, "dg.admin") == {old_key_id, new.key_id}
    assert leaver.get("/console/api/me").status_code == 401
    listed = {o["username"]: o for o in admin.get("/console/api/body/officers").json()}
    assert {_b(k) for k in listed["dg.alice"]["grant_key_ids"]} == {old_key_id, new.key_id}
    assert listed["dg.leaver"]["grant_key_ids"] == []

    # A reporter's device still holding the old directory is told it is stale (no overlap),
    # fetches the new one and seals again, to the new key.
    stale = SedaClient(world.http, world.keys.root_public, sleep=lambda _: None, clock=world.clock)
    old_docs = stale.trust(*old_signed)
    resealed = stale.submit(draft("با فهرست قدیمی"))
    assert stale.documents().serial == docs.serial
    assert alice.open_case(resealed.receipt.report_id)[2].payload.text == "با فهرست قدیمی"
    # Sealed to the old key but claiming the new directory's serial: refused by routing.
    stale._documents = Documents(docs.serial, old_docs.directory, old_docs.routing, old_docs.policy)
    with pytest.raises(ClientError) as refused:
        stale.submit(draft("با کلید قدیمی"))
    assert refused.value.code == "routing-refused"


def test_a_follow_up_on_an_old_report_is_refused_until_an_officer_re_tags_it_then_reaches_the_new_key(
    world: World, tmp_path: Path
) -> None:
    admin = world.officer("dg.admin", OfficerRole.BODY_ADMIN)
    alice = world.officer("dg.alice")
    old = _submit(world, OLD_TEXT)
    report_id = old.receipt.report_id
    new_seed = rotate_on_admin_device(admin, world.fingerprints)
    new = crypto.public_key_of(new_seed)
    ceremony(world, tmp_path, new.public_key)
    world.reporter.documents(refresh=True)

    with pytest.raises(TrustError):  # the tags name the old key id only
        world.reporter.follow_up(old.token, "پیش از برچسب تازه")

    assert alice.sign_in().status_code == 201
    alice.current_key_id = new.key_id
    forged = {"key_id": _s(new.key_id), "tag": _s(os.urandom(32))}
    assert alice.post(f"/console/api/reports/{report_id}/rekey-tag", forged).status_code == 204
    with pytest.raises(TrustError):  # the server's word (a tag it made up) is not enough
        world.reporter.follow_up(old.token, "با برچسب جعلی")

    # A key the verified directory does not name for the body: refused, the forged tag stays.
    other = {"key_id": _s(crypto.public_key_of(crypto.new_seed()).key_id), "tag": _s(os.urandom(32))}
    assert (
        alice.post(f"/console/api/reports/{report_id}/rekey-tag", other).json()["code"] == "routing-refused"
    )
    assert alice.retag(report_id).status_code == 204
    receipt = world.reporter.follow_up(old.token, "پس از برچسب تازه")
    assert receipt.message_id

    message = newest_follow_up(world.url, report_id)
    sealed_to = {wrap.key_id for wrap in message.recipients}
    assert new.key_id in sealed_to
    assert crypto.public_key_of(world.keys.body_seeds[DG]).key_id not in sealed_to
    _, _, opened = alice.open_case(report_id)
    assert opened.payload.thread_key is not None
    assert crypto.open_message(message, new_seed, opened.payload.thread_key).text == "پس از برچسب تازه"

    # A reply on the old report goes to the new key, and the reporter reads it.
    _, envelope, opened = alice.open_case(report_id)
    alice.current_key_id = crypto.public_key_of(world.keys.body_seeds[DG]).key_id
    to_old = alice.seal("reply", envelope, opened, "به کلید قدیمی")
    refused = alice.post(f"/console/api/reports/{report_id}/replies", {"message": to_old})
    assert refused.json()["code"] == "routing-refused"
    alice.current_key_id = new.key_id
    reply = alice.seal("reply", envelope, opened, "پاسخ پس از چرخش")
    assert alice.post(f"/console/api/reports/{report_id}/replies", {"message": reply}).status_code == 204
    assert [r.text for r in world.reporter.status(old.token).replies] == ["پاسخ پس از چرخش"]
    trail = [(action, subject) for _, action, subject, _ in audit_trail(world.url)]
    assert ("report.retagged", f"report:{report_id}") in trail


def test_a_re_tag_is_refused_for_a_report_sealed_to_the_current_key(world: World) -> None:
    alice = world.officer("dg.alice")
    report_id = _submit(world, "بدون چرخش").receipt.report_id
    alice.current_key_id = crypto.public_key_of(world.keys.body_seeds[DG]).key_id
    answer = alice.retag(report_id)  # the reporter's own thread tag already covers this key
    assert (answer.status_code, answer.json()["code"]) == (409, "conflict")
    assert all(
        item.rekey_tag is None for item in world.reporter.status(_submit(world, "دیگر").token).view.recipients
    )


def test_the_ceremony_command_refuses_what_is_not_a_rotation_and_changes_nothing(
    world: World, tmp_path: Path
) -> None:
    published, _ = world.reporter.fetch_documents()
    (tmp_path / "published.json").write_bytes(published)
    root = world.keys.root_public.hex()
    current = crypto.public_key_of(world.keys.body_seeds[DG]).public_key
    fresh = crypto.public_key_of(crypto.new_seed()).public_key
    runner = CliRunner()

    def run(*, body: str = DG, key: bytes = fresh, root_public: str = root, out: str = "next.json") -> int:
        args = ["keys", "rotate-body-key", str(tmp_path / "published.json"), "--root-public", root_public]
        args += ["--body", body, "--public-key", _s(key), "--out", str(tmp_path / out)]
        return runner.invoke(cli, args).exit_code

    other_root = crypto.root_public_key(crypto.new_seed()).hex()
    assert run(body="no-such-body") == 1
    assert run(key=current) == 1  # the key it has already
    assert run(key=fresh[:-1]) == 1  # not an X-Wing public key
    assert run(key=b"\xff" * len(fresh)) == 1  # the right size, but no key HPKE could seal to
    another = next(
        e
        for e in crypto.verify_directory(
            decode_signed(published), world.keys.root_public, now=world.clock()
        ).bodies
        if e.body != DG
    )
    assert run(key=another.public_key) == 1  # another body's key: they would read each other's
    assert run(root_public=other_root) == 1  # the directory does not verify against this root
    assert not (tmp_path / "next.json").exists()
    assert run() == 0
    assert run() == 2  # a ceremony's product is never overwritten
    written = msgspec.json.decode((tmp_path / "next.json").read_bytes(), type=crypto.KeyDirectory)
    before = crypto.verify_directory(decode_signed(published), world.keys.root_public, now=world.clock())
    assert written.serial == before.serial + 1
    old_keys = {e.body: e.public_key for e in before.bodies}
    new_keys = {e.body: e.public_key for e in written.bodies}
    assert set(new_keys) == set(old_keys)
    assert {body for body, key in new_keys.items() if key != old_keys[body]} == {DG}
    assert next(e for e in written.bodies if e.body == DG).key_id == key_id(fresh)


def test_a_kiosk_report_sealed_before_the_rotation_is_taken_under_its_still_valid_directory(
    world: World, tmp_path: Path
) -> None:
    old_key_id = crypto.public_key_of(world.keys.body_seeds[DG]).key_id
    device = enrolled_kiosk(
        world.url, world.http, "https://seda.test", tmp_path / "kiosk", world.keys.root_public
    )
    kiosk = Kiosk(device, world.http, KioskSettings(delay_low=0, delay_high=0, retry=1))
    token = kiosk.file(
        kiosk.draft(
            "از کیوسک، پیش از چرخش", report_type="complaint", category="health", concerns="staff_member"
        )
    )
    admin = world.officer("dg.admin", OfficerRole.BODY_ADMIN)
    ceremony(
        world, tmp_path, crypto.public_key_of(rotate_on_admin_device(admin, world.fingerprints)).public_key
    )

    (delivered,) = kiosk.send_due()  # sealed to the old key, under the older directory
    assert kiosk.outbox.count() == 0
    envelope, opened = Officer(world.url, world.keys, DG).open(delivered)  # the old seed opens it
    assert opened.payload.text == "از کیوسک، پیش از چرخش"
    assert old_key_id in {wrap.key_id for wrap in envelope.recipients}
    found = kiosk.status(token)
    assert not isinstance(found, Waiting)
    assert found.view.report_id == delivered


def test_an_older_directory_names_its_keys_only_while_it_is_valid(world: World, tmp_path: Path) -> None:
    published, _ = world.reporter.fetch_documents()
    serial = crypto.verify_directory(
        decode_signed(published), world.keys.root_public, now=world.clock()
    ).serial
    admin = world.officer("dg.admin", OfficerRole.BODY_ADMIN)
    ceremony(
        world, tmp_path, crypto.public_key_of(rotate_on_admin_device(admin, world.fingerprints)).public_key
    )

    async def work(now_offset: timedelta, wanted: int, root: bytes) -> dict[str, bytes] | None:
        database = Database(world.url)
        try:
            async with database.write_session() as session:
                return await earlier_key_ids(session, wanted, root, world.clock() + now_offset)
        finally:
            await database.dispose()

    root = world.keys.root_public
    found = run_coroutine(work(timedelta(0), serial, root))
    assert found is not None
    assert found[DG] == crypto.public_key_of(world.keys.body_seeds[DG]).key_id
    assert run_coroutine(work(timedelta(days=DIRECTORY_LIFETIME.days + 1), serial, root)) is None  # expired
    assert run_coroutine(work(timedelta(0), serial + 99, root)) is None  # never published
    assert run_coroutine(work(timedelta(0), serial, crypto.root_public_key(crypto.new_seed()))) is None
