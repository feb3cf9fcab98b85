"""The kiosk's touch screen in headless Chromium (docs/KIOSK.md), driven as a prisoner would:
a report in Persian from the first screen to the token; the inactivity wipe, after which
going back shows nothing of the previous person; a status check showing a reply a test
officer sealed, and a retaliation follow-up; a tampered kept directory shows the
out-of-service screen. No file the kiosk or its browser wrote holds the text or the token.
Screenshots of every screen go to docs/screenshots/fa-kiosk-*.png."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, ViewportSize, sync_playwright

import crypto
from kiosk_client.client import SedaClient
from kiosk_client.device import DIRECTORY, OUTBOX, SETTINGS, Device
from kiosk_client.kiosk import Kiosk
from kiosk_client.outbox import Outbox
from kiosk_client.screen.run import start_page
from server.demo.keys import DemoKeys
from tests.browser import AXE, CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, axe_findings, require_browser
from tests.intake_support import LiveServer, Officer, free_port, secret_needles, seeded_sqlite
from tests.kiosk_support import enrolled_kiosk, files_containing, kiosk_reports

INACTIVITY = 6  # seconds: long enough for each step below, short enough to wait out
KIOSK_SIZE: ViewportSize = {"width": 1280, "height": 800}
OFFICER_BODY = "provincial_dg_prisons--tehran"


@dataclass
class Ward:
    url: str
    keys: DemoKeys
    server: LiveServer
    home: Path
    screen: str  # the screen's address, with its secret
    kiosk: subprocess.Popen[bytes]
    log: Path


def _start_screen(home: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        **os.environ,
        "SEDA_KIOSK_HOME": str(home),
        "SEDA_KIOSK_DELAY_LOW": "0",
        "SEDA_KIOSK_DELAY_HIGH": "1",
        "SEDA_KIOSK_RETRY": "2",
        "SEDA_KIOSK_INACTIVITY": str(INACTIVITY),
    }
    with log.open("ab") as errors:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "seda-kiosk"), "run", "--no-browser", "--speech", "none"],
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
        )
    assert process.stdout is not None
    address = process.stdout.readline().decode().strip()
    assert address.startswith("http://127.0.0.1:"), address
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(address, timeout=1).status_code == 200:
                return process, address
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the kiosk screen did not start")


@pytest.fixture(scope="module")
def ward(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ward]:
    require_browser(AXE)
    workdir = tmp_path_factory.mktemp("kiosk-ward")
    url, keys = seeded_sqlite(workdir, tmp_path_factory.getbasetemp())
    with LiveServer(url, workdir, puzzle_bits=4) as server:
        home = workdir / "kiosk"
        enrolled_kiosk(url, httpx.Client(base_url=server.base_url), server.base_url, home, keys.root_public)
        log = workdir / "kiosk.log"
        process, address = _start_screen(home, log)
        try:
            yield Ward(url, keys, server, home, address, process, log)
        finally:
            process.terminate()
            process.wait(15)


@pytest.fixture
def context(tmp_path: Path) -> Iterator[tuple[BrowserContext, Path]]:
    """A fresh Chromium profile on disk, kept for the canary search afterwards."""
    profile = tmp_path / "profile"
    with sync_playwright() as playwright:
        # Playwright turns the back-forward cache off by default; the kiosk's "back" must hold
        # with it on too (the screen's pages are no-store, and a restored page asks again).
        browser = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=KIOSK_SIZE,
            ignore_default_args=["--disable-back-forward-cache"],
        )
        try:
            yield browser, profile
        finally:
            browser.close()


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"fa-kiosk-{name}.png"), full_page=True)


def _accessible(page: Page, where: str) -> None:
    serious = [f for f in axe_findings(page) if f["impact"] in {"serious", "critical"}]
    assert serious == [], (where, [f["id"] for f in serious])


def _screen(page: Page) -> str:
    return str(page.evaluate("document.body.dataset.screen"))


def _file_a_report(page: Page, ward: Ward, text: str, *, shots: bool = False) -> crypto.TrackingToken:
    page.goto(ward.screen)
    assert page.get_attribute("html", "dir") == "rtl"
    if shots:
        _shot(page, "welcome")
        _accessible(page, "welcome")
    page.click("#start")
    for step, value in (("report_type", "complaint"), ("category", "health"), ("concerns", "staff_member")):
        assert _screen(page) == step
        if shots:
            _shot(page, step)
            _accessible(page, step)
        page.click(f"button[value={value}]")
    assert _screen(page) == "bodies"
    assert page.locator("#routed li").count() >= 2  # the policy's bodies, shown before sending
    if shots:
        _shot(page, "bodies")
        _accessible(page, "bodies")
    page.click("#bodies-next")
    assert _screen(page) == "text"
    page.fill("#text", text)
    if shots:
        _shot(page, "text")
    page.click("#next")
    assert _screen(page) == "identity"
    if shots:
        _shot(page, "identity")
    page.click("#anonymous")
    assert _screen(page) == "confirm"
    if shots:
        _shot(page, "confirm")
        _accessible(page, "confirm")
    page.click("#send")
    page.wait_for_selector("#token", timeout=60_000)
    if shots:
        _shot(page, "token")
        _accessible(page, "token")
    return crypto.parse_token(page.text_content(".token-alt") or "")


def _back_shows_nothing(page: Page, *needles: str) -> None:
    """Back, and back again: only the welcome screen (or the blank page before it)."""
    for _ in range(6):
        page.go_back()
        page.wait_for_load_state()
        assert page.url == "about:blank" or _screen(page) == "welcome"
        content = page.content()
        assert not [needle for needle in needles if needle in content]


def _delivered(ward: Ward, token: crypto.TrackingToken) -> str:
    reporter = SedaClient(httpx.Client(base_url=ward.server.base_url, timeout=10), ward.keys.root_public)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            return reporter.status(token).view.report_id
        except Exception:  # noqa: BLE001 (not there yet)
            time.sleep(0.5)
    raise AssertionError("the report never arrived")


def _nothing_written(ward: Ward, profile: Path, canary: str, token: crypto.TrackingToken) -> None:
    secrets = crypto.derive_from_token(token)
    needles = list(secret_needles(canary, token, secrets.lookup_secret).values())
    assert files_containing(ward.home, *needles) == []
    assert files_containing(profile, *needles) == []
    assert files_containing(ward.log.parent, *needles) == []  # the kiosk's and the server's logs


def test_a_report_from_the_first_screen_to_the_token_then_finish(
    ward: Ward, context: tuple[BrowserContext, Path]
) -> None:
    browser, profile = context
    page = browser.new_page()
    canary = "CANARY-kiosk-screen"
    token = _file_a_report(page, ward, f"نگهبان بند ۴ زندانیان را کتک می‌زند. {canary}", shots=True)
    assert token.grouped(persian=True).replace("-", "") in (page.text_content("#token") or "")
    page.click("#finish")
    assert _screen(page) == "welcome"
    _back_shows_nothing(page, canary, token.digits[:8], token.grouped(persian=True)[:9])
    report_id = _delivered(ward, token)
    assert report_id in kiosk_reports(ward.url)
    _, opened = Officer(ward.url, ward.keys, OFFICER_BODY).open(report_id)
    assert canary in opened.payload.text
    page.close()
    browser.close()
    _nothing_written(ward, profile, canary, token)


def test_inactivity_wipes_the_session_and_back_shows_nothing_of_it(
    ward: Ward, context: tuple[BrowserContext, Path]
) -> None:
    browser, profile = context
    page = browser.new_page()
    canary = "CANARY-kiosk-abandoned"
    page.goto(ward.screen)
    page.click("#start")
    page.click("button[value=complaint]")
    page.click("button[value=health]")
    page.click("button[value=none]")
    page.click("#bodies-next")
    page.fill("#text", canary)
    page.click("#next")
    assert _screen(page) == "identity"
    page.wait_for_selector("body[data-screen=welcome]", timeout=(INACTIVITY + 10) * 1000)
    _back_shows_nothing(page, canary)
    # The server wiped it too: a fresh look at the screen's address is the welcome screen.
    assert 'data-screen="welcome"' in httpx.get(ward.screen).text
    page.close()
    browser.close()
    assert files_containing(profile, canary.encode()) == []
    assert files_containing(ward.home, canary.encode()) == []


def test_a_status_check_at_the_kiosk_shows_an_officers_reply_and_takes_a_follow_up(
    ward: Ward, context: tuple[BrowserContext, Path]
) -> None:
    browser, _ = context
    page = browser.new_page()
    token = _file_a_report(page, ward, "غذای بند کافی نیست")
    page.click("#finish")
    report_id = _delivered(ward, token)
    Officer(ward.url, ward.keys, OFFICER_BODY).reply(
        report_id, "گزارش شما بررسی می‌شود؛ بازرس هفتهٔ آینده می‌آید."
    )

    page.click("#track")
    assert _screen(page) == "status_entry"
    for digit in token.digits:
        page.click(f".pad button[data-digit='{digit}']")
    assert page.input_value("#token-input") == token.digits
    _shot(page, "status-entry")
    _accessible(page, "status entry")
    page.click("#show-status")
    page.wait_for_selector("#replies", timeout=60_000)
    assert "بازرس هفتهٔ آینده می‌آید" in (page.text_content("#replies") or "")
    _shot(page, "status")
    _accessible(page, "status")
    page.click("#retaliation")
    assert _screen(page) == "follow_up"
    _shot(page, "follow-up")
    page.fill("#text", "پس از گزارشم مرا به بند دیگری بردند")
    page.click("#send-follow-up")
    page.wait_for_selector("#finish", timeout=60_000)
    assert _screen(page) == "follow_up_done"
    _shot(page, "follow-up-sent")
    page.click("#finish")
    assert _screen(page) == "welcome"


def test_a_tampered_kept_directory_shows_the_out_of_service_screen(
    ward: Ward, context: tuple[BrowserContext, Path], tmp_path: Path
) -> None:
    # A second kiosk whose server does not answer, with its kept directory changed on disk.
    home = tmp_path / "offline-kiosk"
    http = httpx.Client(base_url=ward.server.base_url)
    enrolled_kiosk(ward.url, http, ward.server.base_url, home, ward.keys.root_public)
    Kiosk(Device.load(home), http).documents()  # kept, as a kiosk does while online
    settings = json.loads((home / SETTINGS).read_text())
    (home / SETTINGS).write_text(json.dumps({**settings, "server": f"http://127.0.0.1:{free_port()}"}))
    signed = json.loads((home / DIRECTORY).read_bytes())
    document = bytearray(base64.b64decode(signed["document"]))
    document[10] ^= 0x01
    (home / DIRECTORY).write_bytes(
        json.dumps({**signed, "document": base64.b64encode(bytes(document)).decode()}).encode()
    )
    process, address = _start_screen(home, tmp_path / "offline.log")
    try:
        browser, _ = context
        page = browser.new_page()
        offline = Ward(ward.url, ward.keys, ward.server, home, address, process, tmp_path / "offline.log")
        page.goto(offline.screen)
        page.click("#start")
        page.click("button[value=complaint]")
        page.click("button[value=health]")
        page.click("button[value=none]")  # the bodies come from the directory: it does not verify
        page.wait_for_selector("body[data-screen=out_of_service]", timeout=60_000)
        _shot(page, "out-of-service")
        _accessible(page, "out of service")
    finally:
        process.terminate()
        process.wait(15)
    assert Outbox(home / OUTBOX).count() == 0  # nothing was sealed


def test_chromium_starts_from_a_private_page_not_from_the_secret_address(
    ward: Ward, context: tuple[BrowserContext, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "profile-folder"
    folder.mkdir(mode=0o700)
    page_file = start_page(folder, ward.screen)
    assert page_file.stat().st_mode & 0o077 == 0  # only the kiosk's user reads it
    assert ward.screen.split("/")[3] not in page_file.as_uri()  # the command line carries no secret
    browser, _ = context
    page = browser.new_page()
    page.goto(page_file.as_uri())
    page.wait_for_selector("body[data-screen=welcome]")
    assert page.url == ward.screen
