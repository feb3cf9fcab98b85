"""The kiosk's device key and outbox against the app in this process (docs/KIOSK.md): only an
approved kiosk of the report's institution files kiosk reports; a revoked one is refused; a
tampered kept directory or policy puts the kiosk out of service; sealed reports wait in the
outbox, reach the server once, and no file the kiosk wrote holds the text or the token."""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient

import crypto
from kiosk_client.client import TrustError
from kiosk_client.device import DIRECTORY, POLICY, Device
from kiosk_client.kiosk import PERMANENT, Kiosk, KioskSettings, OutOfServiceError, Waiting
from kiosk_client.screen.app import Screen, create_screen_app
from kiosk_client.screen.receipt import Printer
from kiosk_client.screen.session import Session
from kiosk_client.screen.speech import Speaker, screen_words
from kiosk_client.screen.texts import LANGUAGES, Texts, catalogue
from server.app import create_app
from server.db.models import OfficerRole
from server.demo.keys import DemoKeys
from server.i18n import catalogue as server_catalogue
from server.kiosks.service import KioskRefusedError
from server.settings import Settings
from tests.console_support import Clock, audit_trail, make_account
from tests.console_support import Device as Device_
from tests.intake_support import Officer, draft, free_port, secret_needles, seeded_sqlite
from tests.kiosk_support import enrolled_kiosk, files_containing, make_kiosk, set_kiosk

NOW = KioskSettings(delay_low=0, delay_high=0, retry=1)
SCREENS = sorted(
    p.stem
    for p in (Path(__file__).parent.parent / "kiosk_client/screen/templates").glob("*.html")
    if p.stem not in {"base", "choice"}
)


@dataclass
class Ward:
    url: str
    keys: DemoKeys
    http: TestClient[Litestar]
    home: Path
    clock: Clock

    def kiosk(self, *, approve: bool = True) -> Kiosk:
        return self.kiosk_at("kiosk", approve=approve)

    def kiosk_at(self, name: str, *, approve: bool = True) -> Kiosk:
        home = self.home / name
        device = enrolled_kiosk(
            self.url, self.http, "https://seda.test", home, self.keys.root_public, approve=approve
        )
        return Kiosk(device, self.http, NOW)


@pytest.fixture
def ward(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ward]:
    url, keys = seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    clock = Clock()  # the console's codes come from it; kiosks sign with the real time
    app = create_app(Settings(database_url=url, puzzle_bits=8, deadline_job_seconds=0), clock=clock)
    with TestClient(app, base_url="https://seda.test") as http:
        yield Ward(url, keys, http, tmp_path / "kiosks", clock)


def _report(kiosk: Kiosk, text: str = "متن گزارش از کیوسک") -> crypto.TrackingToken:
    return kiosk.file(kiosk.draft(text, report_type="complaint", category="health", concerns="staff_member"))


def test_an_approved_kiosk_files_a_report_that_waits_then_arrives_once(ward: Ward) -> None:
    kiosk = ward.kiosk()
    assert kiosk.state() == "approved"
    token = _report(kiosk, "CANARY-kiosk-text از بند ۳")
    assert isinstance(kiosk.status(token), Waiting)  # sealed here, not sent
    (delivered,) = kiosk.send_due()
    assert kiosk.send_due() == []  # nothing twice
    found = kiosk.status(token)
    assert not isinstance(found, Waiting)
    assert found.view.report_id == delivered
    envelope, opened = Officer(ward.url, ward.keys, "provincial_dg_prisons--tehran").open(delivered)
    assert opened.payload.text == "CANARY-kiosk-text از بند ۳"
    assert envelope.routing.channel == "kiosk"
    assert envelope.routing.institution == "tehran-central"
    # Nothing the kiosk wrote holds the text or the token, before or after sending.
    secrets = crypto.derive_from_token(token)
    needles = secret_needles("CANARY-kiosk-text", token, secrets.lookup_secret).values()
    assert files_containing(ward.home, *needles) == []


def test_the_outbox_keeps_a_sealed_report_until_the_server_answers(ward: Ward) -> None:
    kiosk = ward.kiosk()
    kiosk.documents()  # kept while the server answered
    offline = Kiosk(kiosk.device, httpx.Client(base_url=f"http://127.0.0.1:{free_port()}"), NOW)
    token = _report(offline)  # the kept directory and policy: verified, then sealed
    assert offline.send_due() == []
    assert offline.outbox.count() == 1
    kiosk.outbox.tried(offline.outbox.due(time.time() + 3600)[0].report_id, 0)  # due again now
    assert len(kiosk.send_due()) == 1
    assert not isinstance(kiosk.status(token), Waiting)


def test_only_an_approved_kiosk_of_the_reports_institution_files_kiosk_reports(ward: Ward) -> None:
    pending = ward.kiosk(approve=False)
    assert pending.state() == "kiosk-refused"
    _report(pending)
    assert pending.send_due() == []
    assert pending.outbox.refusals() == ["kiosk-refused"]
    assert pending.outbox.count() == 1  # refused, but kept: nothing filed is ever dropped

    body = pending.outbox.due(time.time() + 3600)[0].body
    # Without a signature, or signed with another key, or long ago: refused.
    unsigned = ward.http.post("/api/v1/reports", content=body, headers={"content-type": "application/json"})
    assert unsigned.status_code == 403
    assert unsigned.json()["code"] == "kiosk-refused"
    set_kiosk(ward.url, pending.device.kiosk_id, fingerprint=pending.device.fingerprint)
    stranger = Device(
        pending.device.home, "", pending.device.kiosk_id, "tehran-central", b"", crypto.new_device_seed()
    )
    assert _signed_post(ward.http, stranger, body).json()["code"] == "kiosk-refused"
    changed = body[:-1] + b" }"  # the same report, other bytes than were signed
    assert _signed_post(ward.http, pending.device, body, sent=changed).json()["code"] == "kiosk-refused"
    long_ago = int(time.time()) - 3600
    old = crypto.KioskRequest(pending.device.kiosk_id, "POST", "/api/v1/reports", long_ago, body)
    replayed = {
        "x-seda-kiosk": str(pending.device.kiosk_id),
        "x-seda-kiosk-time": str(long_ago),
        "x-seda-kiosk-signature": base64.b64encode(crypto.sign_request(pending.device.seed, old)).decode(),
        "content-type": "application/json",
    }
    assert ward.http.post("/api/v1/reports", content=body, headers=replayed).json()["code"] == "kiosk-refused"
    assert _signed_post(ward.http, pending.device, body).status_code == 201  # now approved


def _signed_post(
    http: TestClient[Litestar], device: Device, body: bytes, sent: bytes | None = None
) -> httpx.Response:
    headers = {"content-type": "application/json", **device.sign("POST", "/api/v1/reports", body)}
    return http.post("/api/v1/reports", content=body if sent is None else sent, headers=headers)


def test_a_revoked_kiosk_is_refused_and_a_web_report_cannot_claim_a_kiosk(ward: Ward) -> None:
    kiosk = ward.kiosk()
    set_kiosk(ward.url, kiosk.device.kiosk_id, revoke=True)
    _report(kiosk)
    assert kiosk.send_due() == []
    assert kiosk.outbox.refusals() == ["kiosk-refused"]
    assert kiosk.state() == "kiosk-refused"

    other = ward.kiosk_at("second")
    web = other.client.build_submission(
        draft("x"), crypto.derive_from_token(crypto.new_token()), solve_puzzle=False
    )
    assert _signed_post(ward.http, other.device, msgspec.json.encode(web)).json()["code"] == "kiosk-refused"


def test_a_kiosk_files_for_its_own_institution_only(ward: Ward) -> None:
    kiosk = ward.kiosk()
    codes = [i.code for i in kiosk.documents().directory.institutions if i.code != kiosk.device.institution]
    elsewhere = draft("x", institution=codes[0], channel="kiosk", reporter_type="prisoner")
    kiosk.file(elsewhere)
    assert kiosk.send_due() == []
    assert kiosk.outbox.refusals() == ["kiosk-refused"]


def test_approval_needs_the_fingerprint_on_the_kiosks_screen(ward: Ward) -> None:
    kiosk = ward.kiosk(approve=False)
    with pytest.raises(KioskRefusedError):
        set_kiosk(ward.url, kiosk.device.kiosk_id, fingerprint="0000 0000 0000 0000 0000 0000")
    assert kiosk.state() == "kiosk-refused"
    set_kiosk(ward.url, kiosk.device.kiosk_id, fingerprint=kiosk.device.fingerprint)
    assert kiosk.state() == "approved"


@pytest.mark.parametrize("kept", [DIRECTORY, POLICY])
def test_a_tampered_kept_document_puts_the_kiosk_out_of_service(ward: Ward, kept: str) -> None:
    kiosk = ward.kiosk()
    kiosk.documents()  # fetched, verified, kept
    path = kiosk.device.home / kept
    signed = msgspec.json.decode(path.read_bytes())
    document = bytearray(base64.b64decode(signed["document"]))
    document[len(document) // 2] ^= 0x01
    path.write_bytes(msgspec.json.encode({**signed, "document": base64.b64encode(bytes(document)).decode()}))
    offline = Kiosk(kiosk.device, httpx.Client(base_url=f"http://127.0.0.1:{free_port()}"), NOW)
    with pytest.raises(OutOfServiceError):
        _report(offline)
    assert offline.outbox.count() == 0  # nothing sealed


def test_a_refused_enrolment_code_and_a_used_one(ward: Ward) -> None:
    _, code = make_kiosk(ward.url)
    public = base64.b64encode(crypto.device_public_key(crypto.new_device_seed())).decode()
    assert (
        ward.http.post(
            "/api/v1/kiosks/enrolment", json={"code": "WRONG-CODE", "public_key": public}
        ).status_code
        == 401
    )
    assert (
        ward.http.post("/api/v1/kiosks/enrolment", json={"code": code, "public_key": public}).status_code
        == 201
    )
    again = base64.b64encode(crypto.device_public_key(crypto.new_device_seed())).decode()
    assert (
        ward.http.post("/api/v1/kiosks/enrolment", json={"code": code, "public_key": again}).status_code
        == 401
    )


def test_only_a_system_operator_manages_kiosks_in_the_console(ward: Ward) -> None:
    clock = ward.clock
    devices = {}
    for role, body in [
        (OfficerRole.OFFICER, "provincial_dg_prisons--tehran"),
        (OfficerRole.BODY_ADMIN, "provincial_dg_prisons--tehran"),
        (OfficerRole.BOX_TRANSCRIBER, "institution_inspection_representative--tehran-central"),
        (OfficerRole.SUMMARY_READER, "provincial_dg_prisons--tehran"),
        (OfficerRole.OPERATOR, None),
    ]:
        device = Device_(ward.http, clock, role.value.replace("_", "."))
        device.enrol(make_account(ward.url, device.username, role, body))
        assert device.sign_in().status_code == 201
        devices[role] = device
    operator = devices.pop(OfficerRole.OPERATOR)
    made = operator.post("/console/api/kiosks/new", {"institution": "tehran-central", "label": "بند ۲"})
    assert made.status_code == 201, made.text
    kiosk_id = made.json()["kiosk_id"]
    requests: list[tuple[str, str, dict[str, str] | None]] = [
        ("GET", "/console/api/kiosks", None),
        ("POST", "/console/api/kiosks/new", {"institution": "tehran-central", "label": "x"}),
        ("POST", f"/console/api/kiosks/{kiosk_id}/approve", {"fingerprint": "0"}),
        ("POST", f"/console/api/kiosks/{kiosk_id}/revoke", {}),
    ]
    for role, device in devices.items():
        for method, path, payload in requests:
            headers = device._headers(**{"x-csrf-token": device.csrf})
            answer = ward.http.request(method, path, json=payload, headers=headers)
            assert answer.status_code == 403, (role, path, answer.status_code)

    seed = crypto.new_device_seed()
    public = base64.b64encode(crypto.device_public_key(seed)).decode()
    enrolled = ward.http.post(
        "/api/v1/kiosks/enrolment", json={"code": made.json()["enrolment_code"], "public_key": public}
    )
    assert enrolled.status_code == 201
    approve = f"/console/api/kiosks/{kiosk_id}/approve"
    assert operator.post(approve, {"fingerprint": "1234 5678"}).status_code == 403
    approved = operator.post(approve, {"fingerprint": enrolled.json()["fingerprint"]})
    assert approved.status_code == 200
    assert approved.json()["state"] == "approved"
    listed = operator.get("/console/api/kiosks").json()
    assert [(k["id"], k["state"]) for k in listed] == [(kiosk_id, "approved")]
    assert operator.post(f"/console/api/kiosks/{kiosk_id}/revoke").json()["state"] == "revoked"
    trail = [action for _, action, _, _ in audit_trail(ward.url)]
    assert [a for a in trail if a.startswith("kiosk.")] == [
        "kiosk.created",
        "kiosk.enrolled",
        "kiosk.approved",
        "kiosk.revoked",
    ]


def test_the_screen_seals_prints_speaks_switches_language_and_forgets(  # noqa: PLR0915 (one walk)
    ward: Ward, tmp_path: Path
) -> None:
    kiosk = ward.kiosk()
    paper = tmp_path / "printer"
    os.mkfifo(paper)  # a printer is a device or a spooler's pipe, never a file the kiosk makes
    printed: list[bytes] = []
    reader = threading.Thread(target=lambda: printed.append(paper.read_bytes()), daemon=True)
    reader.start()
    speech = tmp_path / "speech.wav"
    screen = Screen(kiosk, inactivity=90, speaker=_speaker(speech), printer=Printer(paper))
    with TestClient(create_screen_app(screen)) as local:
        base = screen.base
        assert local.get("/").status_code == 404  # nothing answers without the secret
        assert local.get(f"/{'x' * len(screen.secret)}/").status_code == 404
        welcome = local.get(base)
        assert welcome.headers["cache-control"] == "no-store"
        assert 'lang="fa" dir="rtl"' in welcome.text
        for form in (
            {"do": "start"},
            {"do": "choose", "value": "complaint"},
            {"do": "choose", "value": "health"},
            {"do": "choose", "value": "none"},
        ):
            assert local.post(f"{base}act", data=form, follow_redirects=False).status_code == 303
        assert screen.session.screen == "bodies"
        assert screen.session.routed
        added = screen.session.candidates[0]  # the reporter adds a body (Art. 114)
        local.post(f"{base}act", data={"do": "toggle_body", "value": added})
        local.post(f"{base}act", data={"do": "toggle_body", "value": "not-a-body"})
        assert screen.session.choices == [added]
        for form in (
            {"do": "bodies"},
            {"do": "text", "text": "CANARY-screen-text", "urgent": "yes"},
            {"do": "identity", "value": "signed", "name": "CANARY-screen-name", "contact": "CANARY-contact"},
        ):
            local.post(f"{base}act", data=form)
        assert "CANARY-screen-text" in local.get(base).text  # the confirmation shows it
        local.post(f"{base}act", data={"do": "send"})
        token = screen.session.token
        assert token is not None
        shown = local.get(base).text
        assert token.grouped() in shown
        assert "CANARY-screen-text" not in shown
        assert screen.session.text == screen.session.name == ""  # sealed: not kept
        local.post(f"{base}act", data={"do": "print"})
        reader.join(10)
        assert token.grouped().split("-")[0].encode() in printed[0]
        assert screen.session.notice == "kiosk.printed" or "رسید چاپ شد" in local.get(base).text
        if screen.speaker is not None:
            assert local.post(f"{base}speak").status_code == 204
            assert speech.stat().st_size > 1000  # espeak-ng spoke the token screen's words
        local.post(f"{base}act", data={"do": "language"})
        assert 'lang="en" dir="ltr"' in local.get(base).text
        local.post(f"{base}act", data={"do": "finish"})
        assert screen.session.token is None
        assert 'data-screen="welcome"' in local.get(base).text
        # Inactivity: the server wipes a session nobody touched, whatever the page does.
        local.post(f"{base}act", data={"do": "start"})
        screen.wipe_if_idle(time.monotonic() + 91)
        assert 'data-screen="welcome"' in local.get(base).text
    assert kiosk.outbox.count() == 1
    assert files_containing(ward.home, b"CANARY-screen-text", b"CANARY-screen-name", b"CANARY-contact") == []
    (report_id,) = kiosk.send_due()
    view = kiosk.status(token)
    assert not isinstance(view, Waiting)
    assert (added, "reporter_choice") in {(r.body, r.via) for r in view.view.recipients}
    envelope, opened = Officer(ward.url, ward.keys, "provincial_dg_prisons--tehran").open(report_id)
    assert envelope.routing.urgency == "urgent"
    assert opened.payload.text == "CANARY-screen-text"


def _speaker(out: Path) -> Speaker | None:
    try:
        return Speaker(out=out)
    except FileNotFoundError:
        if os.environ.get("SEDA_TEST_REQUIRE_BROWSER") == "1":
            raise  # CI installs espeak-ng (scripts/install-debian-packages)
        return None


def test_the_read_aloud_words_are_the_screens_never_what_was_typed() -> None:
    for language in LANGUAGES:
        texts = Texts(language)
        for name in SCREENS:
            words = screen_words(name, texts)
            assert words, name
            assert "kiosk." not in words, (name, words)  # every key has its text


def test_the_kiosk_catalogues_agree_with_each_other_and_with_the_servers_labels() -> None:
    fa, en = catalogue("fa"), catalogue("en")
    assert fa.keys() == en.keys()
    for language, kiosk_texts in (("fa", fa), ("en", en)):
        server_texts = server_catalogue(language)
        for key, text in kiosk_texts.items():
            if not key.startswith("kiosk."):
                assert server_texts.gettext(key) == text, (language, key)


def _touch(local: TestClient[Litestar], screen: Screen, **form: str) -> None:
    assert local.post(f"{screen.base}act", data=form, follow_redirects=False).status_code == 303


def test_the_next_person_finds_nothing_of_the_last_ones_choices(ward: Ward) -> None:
    screen = Screen(ward.kiosk(), inactivity=90)
    with TestClient(create_screen_app(screen)) as local:
        _touch(local, screen, do="start")
        for value in ("complaint", "health", "none"):
            _touch(local, screen, do="choose", value=value)
        first_routed = list(screen.session.routed)
        _touch(local, screen, do="bodies")
        _touch(local, screen, do="text", text="CANARY-first-person", urgent="yes")
        for _ in range(6):  # back, back, … to the welcome screen
            _touch(local, screen, do="back")
        assert screen.session.screen == "welcome"
        assert screen.session == Session()  # nothing of it: not the text, not "urgent", not the bodies
        # The next person, about something else: the bodies are worked out for them.
        _touch(local, screen, do="start")
        for value in ("complaint", "ill_treatment", "institution_management"):
            _touch(local, screen, do="choose", value=value)
        assert screen.session.routed
        assert screen.session.routed != first_routed
        page = local.get(screen.base).text
        assert "CANARY-first-person" not in page
        _touch(local, screen, do="bodies")
        assert not screen.session.urgent
        # Within one turn too: going back and changing the answer changes the bodies.
        _touch(local, screen, do="back")
        _touch(local, screen, do="back")
        _touch(local, screen, do="choose", value="none")
        expected = screen.kiosk.client.decide(
            screen.kiosk.draft("-", report_type="complaint", category="ill_treatment", concerns="none")
        )
        assert screen.session.routed == [r.body for r in expected.recipients]
        # The welcome screen is wiped too when nobody touches it (the language chosen there).
        _touch(local, screen, do="finish")
        _touch(local, screen, do="language")
        screen.wipe_if_idle(time.monotonic() + 91)
        assert screen.session == Session()


def test_a_failure_on_the_screen_is_a_page_of_its_own(ward: Ward, monkeypatch: pytest.MonkeyPatch) -> None:
    kiosk = ward.kiosk()
    screen = Screen(kiosk, inactivity=90)

    def broken(_: crypto.TrackingToken) -> None:
        raise TrustError("the server's account does not match")

    monkeypatch.setattr(kiosk, "status", broken)
    with TestClient(create_screen_app(screen)) as local:
        _touch(local, screen, do="track")
        _touch(local, screen, do="status", token=crypto.new_token().digits)
        page = local.get(screen.base)
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert Texts("fa").t("kiosk.failed") in page.text


def test_a_report_the_server_refuses_for_good_is_kept_and_shown_as_undeliverable(ward: Ward) -> None:
    kiosk = ward.kiosk()
    token = _report(kiosk)
    (row,) = kiosk.outbox.due(time.time() + 3600)
    body = msgspec.json.decode(row.body)
    body["reporter_choices"] = ["no_such_body--national"]  # as if the policy had changed since
    kiosk.outbox.delivered(row.report_id)
    verifier = crypto.lookup_verifier(crypto.derive_from_token(token).lookup_secret)
    kiosk.outbox.add(row.report_id, msgspec.json.encode(body), row.envelope_sha256, verifier, 0.0)
    assert kiosk.send_due() == []
    (code,) = kiosk.outbox.refusals()
    assert code in PERMANENT
    assert kiosk.status(token) == Waiting(undeliverable=True)
    assert kiosk.outbox.count() == 1  # kept: nothing filed is dropped without a person deciding
    assert kiosk.send_due() == []  # and not hammered: tried again in a day


@pytest.mark.parametrize(("name", "value"), [("x-seda-kiosk", "9" * 30), ("x-seda-kiosk-time", "1" * 400)])
def test_oversized_kiosk_headers_are_a_refusal_not_a_crash(ward: Ward, name: str, value: str) -> None:
    kiosk = ward.kiosk()
    _report(kiosk)
    body = kiosk.outbox.due(time.time() + 3600)[0].body
    headers = {
        "content-type": "application/json",
        **kiosk.device.sign("POST", "/api/v1/reports", body),
        name: value,
    }
    answer = ward.http.post("/api/v1/reports", content=body, headers=headers)
    assert answer.status_code == 403
    assert answer.json()["code"] == "kiosk-refused"
