"""The web form and status page in real headless Chromium, against a running ``seda serve``.

A family member's or lawyer's whole visit, in Persian and in English: file a report with an
attachment and an identity, keep the token, come back with it (typed in Persian digits),
read a reply a test officer sealed, send a follow-up. Along the way: axe-core on every page,
screenshots at phone and desktop width, every request kept to the server's origin, nothing
left in the browser, and no plaintext of the report anywhere on the server. And the ways it
must refuse: a wrong token, a tampered signature, an oversized attachment.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, FilePayload, Page, Response, Route, sync_playwright
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

import crypto
from kiosk_client.client import SedaClient
from server.db.models import Message, Report, Upload, UploadChunk
from server.demo.keys import DemoKeys
from server.i18n import catalogue
from tests.browser import (
    AXE,
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_ASSETS,
    SCREENSHOTS,
    axe_findings,
    require_browser,
)
from tests.intake_support import (
    LiveServer,
    Officer,
    draft,
    dump_tables,
    run_coroutine,
    secret_needles,
    seeded_sqlite,
)

LANGUAGES = ["fa", "en"]
PAGES = {"home": "", "report": "report", "status": "status"}
OFFICER_BODY = "provincial_dg_prisons--tehran"  # every Tehran report reaches it (the policy's overview rule)
CONCERNED_BODY = "institution_health_unit--tehran-central"  # receives health reports, concerned by staff
WIDTHS = {"phone": 360, "desktop": 1280}
MIB = 1024 * 1024


@dataclass(frozen=True)
class Site:
    server: LiveServer
    url: str
    keys: DemoKeys
    workdir: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_browser(*PAGE_ASSETS, AXE)
    workdir = tmp_path_factory.mktemp("web")
    url, keys = seeded_sqlite(workdir, tmp_path_factory.getbasetemp())
    with LiveServer(url, workdir) as server:
        yield Site(server, url, keys, workdir)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_browser(*PAGE_ASSETS, AXE)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


def text(language: str, key: str, **values: str) -> str:
    """A catalogue text as the page shows it, placeholders filled."""
    message = catalogue(language).gettext(key)
    for name, value in values.items():
        message = message.replace(f"{{{name}}}", value)
    return message


class Visit:
    """One reporter's visit: a fresh browser context (no profile, no storage from before),
    with every request, response cookie and page error recorded."""

    def __init__(self, browser: Browser, site: Site, language: str) -> None:
        self.site, self.language = site, language
        self.context = browser.new_context(viewport={"width": WIDTHS["desktop"], "height": 900})
        self.requests: list[tuple[str, str]] = []
        self.cookies_set: list[str] = []
        self.errors: list[str] = []
        self.context.on("request", lambda request: self.requests.append((request.method, request.url)))
        self.context.on(
            "response",
            lambda response: (
                self.cookies_set.append(response.url) if "set-cookie" in response.headers else None
            ),
        )
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.axe: dict[str, list[dict[str, Any]]] = {}

    def _note_cookies(self, response: Response) -> None:
        if "set-cookie" in response.headers:
            self.cookies_set.append(response.url)

    def open(self, name: str) -> Page:
        prefix = "" if self.language == "fa" else f"{self.language}/"
        path = f"{prefix}{PAGES[name]}".rstrip("/")
        self.page.goto(self.site.server.base_url + path)
        if name != "home":
            self.page.wait_for_selector("form[data-ready]", state="attached", timeout=30_000)
        return self.page

    def check_accessibility(self, view: str) -> None:
        findings = axe_findings(self.page)
        self.axe[view] = findings
        serious = [f for f in findings if f["impact"] in ("serious", "critical")]
        assert not serious, f"axe-core on {self.language} {view}: {serious}"

    def posted(self) -> list[tuple[str, str]]:
        return [(method, url) for method, url in self.requests if method not in ("GET", "HEAD")]

    def finish(self) -> None:
        """The page kept everything to the server's origin and left nothing in the browser."""
        stored = self.page.evaluate(
            """async () => ({
                local: localStorage.length, session: sessionStorage.length, cookie: document.cookie,
                databases: (await indexedDB.databases()).length, caches: (await caches.keys()).length,
            })"""
        )
        cookies = self.context.cookies()
        self.context.close()
        origin = self.site.server.base_url
        outside = [url for _, url in self.requests if not url.startswith(origin)]
        assert self.requests, "the visit made requests"
        assert not outside, f"requests outside {origin}: {outside}"
        # Secrets travel in bodies only: no request of a visit carries a query string.
        assert not [url for _, url in self.requests if "?" in url]
        assert stored == {"local": 0, "session": 0, "cookie": "", "databases": 0, "caches": 0}, stored
        assert not cookies
        assert not self.cookies_set, self.cookies_set
        assert not self.errors, self.errors


def screenshot(page: Page, name: str) -> None:
    """``docs/screenshots/<name>-phone.png`` and ``-desktop.png`` of the page as it is."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})


def fill_report(page: Page, canary: str, attachments: list[dict[str, Any]]) -> dict[str, str]:
    """A lawyer files for a client who agreed, signed, with attachments; returns what was typed."""
    typed = {
        "text": f"موکل من سه روز است داروی قلبش را نگرفته. {canary}-text",
        "prisoner": f"{canary}-prisoner",
        "name": f"{canary}-name",
        "contact": f"{canary}-contact",
    }
    page.check("input[name=reporter_type][value=lawyer]")
    page.check("#on_behalf")
    page.select_option("#relationship", "lawyer")
    page.check("input[name=consent][value=yes]")
    page.fill("#prisoner_name", typed["prisoner"])
    page.select_option("#institution", "tehran-central")
    page.check("input[name=report_type][value=complaint]")
    page.select_option("#category", "health")
    page.select_option("#concerns", "staff_member")
    page.fill("#text", typed["text"])
    if attachments:
        page.set_input_files("#attachments", files=attachments)  # type: ignore[arg-type]
    page.check("input[name=identity][value=signed]")
    page.fill("#name", typed["name"])
    page.fill("#contact", typed["contact"])
    return typed


def _query(url: str, statement: Any) -> list[Any]:
    async def work() -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return list((await connection.execute(statement)).all())
        finally:
            await engine.dispose()

    return run_coroutine(work())


def counts(url: str) -> dict[str, int]:
    """Rows that any submission, upload or follow-up would add."""
    return {
        model.__tablename__: _query(url, select(func.count()).select_from(model))[0][0]
        for model in (Report, Message, Upload, UploadChunk)
    }


def report_of(url: str, token: crypto.TrackingToken) -> str:
    """The id of the report a token tracks, found as the server finds it (by the verifier)."""
    verifier = crypto.lookup_verifier(crypto.derive_from_token(token).lookup_secret)
    rows = _query(url, select(Report.id).where(Report.lookup_verifier == verifier))
    assert len(rows) == 1
    return str(rows[0][0])


def chunks_of(url: str, attachment_id: str) -> list[bytes]:
    rows = _query(
        url,
        select(UploadChunk.data)
        .where(UploadChunk.upload_id == uuid.UUID(attachment_id))
        .order_by(UploadChunk.position),
    )
    return [row[0] for row in rows]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_report_filed_in_the_browser_is_sealed_tracked_and_answered(
    site: Site, browser: Browser, language: str
) -> None:
    canary = f"CANARY{secrets.token_hex(6)}"
    evidence = f"{canary}-photo ".encode() * 9000  # about 200 KB: four sealed chunks
    token, typed = file_a_report(site, browser, language, canary, evidence)
    report_id = report_of(site.url, token)
    reply = officer_reads_and_replies(site, report_id, language, typed, evidence)
    follow_up_with_the_token(site, browser, language, token, reply=reply, message=f"{canary}-follow-up")

    follow_ups = _query(
        site.url,
        select(func.count())
        .select_from(Message)
        .where(Message.report_id == uuid.UUID(report_id), Message.kind == "follow-up"),
    )
    assert follow_ups[0][0] == 1
    marked = _query(site.url, select(Report.retaliation).where(Report.id == uuid.UUID(report_id)))
    assert marked[0][0] is (language == "fa")  # the Persian reporter reported retaliation
    assert_no_plaintext_on_the_server(site, canary, token)


def file_a_report(
    site: Site, browser: Browser, language: str, canary: str, evidence: bytes
) -> tuple[crypto.TrackingToken, dict[str, str]]:
    """Landing page, the form filled and sent, the token page: returns the token shown."""
    persian = language == "fa"
    visit = Visit(browser, site, language)
    page = visit.open("home")
    visit.check_accessibility("landing")
    if persian:
        screenshot(page, "fa-landing")
    page = visit.open("report")
    visit.check_accessibility("report form")
    typed = fill_report(page, canary, [{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": evidence}])
    page.wait_for_selector("#recipients-preview ul li")
    visit.check_accessibility("report form, filled")
    if persian:
        screenshot(page, "fa-report")
    page.click("#submit-report")
    page.wait_for_selector("#token-view:not([hidden])", timeout=60_000)
    shown = page.text_content("#token-value") or ""
    assert any("\u06f0" <= c <= "\u06f9" for c in shown) == persian  # Persian digits on Persian pages
    assert page.text_content("#receipt-bodies")
    visit.check_accessibility("token")
    if persian:
        screenshot(page, "fa-token")
    # Leaving the page wipes the token (a browser may keep the page for "back").
    page.evaluate(PAGEHIDE)
    assert (page.text_content("#token-value"), page.text_content("#token-alt")) == ("", "")
    if not persian:  # "I have kept it": the page leaves, and "back" shows nothing of it
        page.click("#finish")
        page.wait_for_url(site.server.base_url + "en")
        page.go_back()
        page.wait_for_load_state()
        assert shown not in page.content()
    visit.finish()
    return crypto.parse_token(shown), typed


def officer_reads_and_replies(
    site: Site, report_id: str, language: str, typed: dict[str, str], evidence: bytes
) -> str:
    """An officer of a receiving body opens the report on "their device": everything typed is
    there, the attachment opens and matches, the identity (with the client's name) is sealed
    apart. The officer seals a reply; returns its text."""
    officer = Officer(site.url, site.keys, OFFICER_BODY)
    envelope, opened = officer.open(report_id)
    assert opened.payload.text == typed["text"]
    assert opened.payload.fields == {
        "on_behalf_of_prisoner": "yes",
        "relationship": "lawyer",
        "prisoner_consent": "yes",
    }
    assert opened.payload.language == language
    assert opened.identity is not None
    assert (opened.identity.name, opened.identity.contact) == (typed["name"], typed["contact"])
    assert opened.identity.fields == {"prisoner_name": typed["prisoner"]}
    assert (envelope.routing.channel, envelope.routing.reporter_type) == ("web", "lawyer")
    (ref,) = opened.payload.attachments
    assert (ref.name, ref.media_type, ref.size) == ("photo.jpg", "image/jpeg", len(evidence))
    chunks = chunks_of(site.url, ref.attachment_id)
    assert crypto.open_attachment(opened.keys, envelope.context(), ref, chunks) == evidence
    # The institution's own health unit receives a health report about its staff, but not who
    # sent it: the report concerns the institution's staff (docs/ROUTING.md §4).
    _, concerned = Officer(site.url, site.keys, CONCERNED_BODY).open(report_id)
    assert concerned.payload.text == typed["text"]
    assert concerned.identity is None
    assert concerned.identity_withheld
    reply = "داروی موکل شما از امروز داده می‌شود." if language == "fa" else "The medicine is given from today."
    officer.reply(report_id, reply)
    return reply


def follow_up_with_the_token(
    site: Site, browser: Browser, language: str, token: crypto.TrackingToken, *, reply: str, message: str
) -> None:
    """The reporter comes back later, in a new visit, types the token, reads the reply and
    sends a follow-up (in Persian: reporting retaliation)."""
    persian = language == "fa"
    visit = Visit(browser, site, language)
    page = visit.open("status")
    visit.check_accessibility("status")
    page.fill("#token", token.grouped(persian=persian))
    page.click("#show-status")
    page.wait_for_selector("#status-view:not([hidden])", timeout=60_000)
    assert reply in (page.text_content("#status-replies") or "")
    assert text(language, "status.received") in (page.text_content("#status-value") or "")
    assert page.input_value("#token") == ""  # the token is not left in the field
    visit.check_accessibility("status, answered")
    if persian:
        screenshot(page, "fa-status")
    page.fill("#follow-up-text", message)
    if persian:
        page.check("#retaliation")
    page.click("#send-follow-up")
    page.wait_for_selector("#follow-up-done:not([hidden])", timeout=60_000)
    assert text(language, "web.js.status.follow_up_sent") in (page.text_content("#follow-up-done") or "")
    visit.check_accessibility("status, follow-up sent")
    visit.finish()


def assert_no_plaintext_on_the_server(site: Site, canary: str, token: crypto.TrackingToken) -> None:
    """No plaintext of the report, nor the token or its lookup secret: not in any table, the
    server's log, or any file in its working directory (the database, its WAL)."""
    needles = secret_needles(canary, token, crypto.derive_from_token(token).lookup_secret)
    haystacks = {"database": dump_tables(site.url), "log": site.server.log_path.read_bytes()}
    for path in site.workdir.rglob("*"):
        if path.is_file():
            haystacks[f"file {path.name}"] = path.read_bytes()
    found = [
        (name, where) for name, needle in needles.items() for where, hay in haystacks.items() if needle in hay
    ]
    assert not found, f"leaked: {found}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_wrong_or_mistyped_token_is_explained_in_the_pages_language_and_changes_nothing(
    site: Site, browser: Browser, language: str
) -> None:
    before = counts(site.url)
    visit = Visit(browser, site, language)
    page = visit.open("status")
    persian = language == "fa"
    token = crypto.new_token()  # well formed, but no report has it
    digits = token.digits
    mistyped = str((int(digits[0]) + 1) % 10) + digits[1:]  # the check digit catches it

    def shown(latin: str) -> str:
        return latin.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) if persian else latin

    cases = {
        "web.js.error.token.not_found": token.grouped(persian=persian),
        "web.js.error.token.check": shown(mistyped),
        "web.js.error.token.length": shown(digits[:-2]),
        "web.js.error.token.character": shown(digits[:-1]) + "x",
    }
    for key, typed in cases.items():
        page.fill("#token", typed)
        page.click("#show-status")
        page.wait_for_function(
            "(expected) => document.getElementById('token-error').textContent === expected",
            arg=text(language, key),
            timeout=60_000,
        )
        assert page.get_attribute("#token", "aria-invalid") == "true"
        assert page.is_visible("#form-errors")
        assert page.evaluate("document.activeElement.id") == "form-errors"
    visit.check_accessibility("status, wrong token")
    if language == "fa":
        screenshot(page, "fa-status-wrong-token")
    visit.finish()
    assert counts(site.url) == before


def _tamper_signature(route: Route) -> None:
    response = route.fetch()
    signed = response.json()
    signature = bytearray(base64.b64decode(signed["signature"]))
    signature[7] ^= 0x01
    signed["signature"] = base64.b64encode(bytes(signature)).decode()
    route.fulfill(response=response, body=json.dumps(signed))


@pytest.mark.parametrize("document", ["directory", "policy"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_tampered_signature_stops_the_form_before_anything_is_sealed(
    site: Site, browser: Browser, language: str, document: str
) -> None:
    before = counts(site.url)
    visit = Visit(browser, site, language)
    visit.context.route(f"**/api/v1/{document}", _tamper_signature)
    page = visit.open("report")
    assert page.get_attribute("#report-form", "data-ready") == "failed"
    assert page.is_visible("#trust-error")
    assert text(language, "web.js.trust_failed.body") in (page.text_content("#trust-error") or "")
    assert page.is_disabled("#submit-report")
    fill_report(page, "CANARY-tampered", [])
    page.evaluate("document.getElementById('report-form').requestSubmit()")  # even if forced
    page.wait_for_selector("#form-errors:not([hidden])")
    assert text(language, "web.js.trust_failed.body") in (page.text_content("#form-errors") or "")
    visit.check_accessibility("report form, keys refused")
    if language == "fa" and document == "directory":
        screenshot(page, "fa-report-tampered")
    assert visit.posted() == []
    visit.finish()
    assert counts(site.url) == before


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_oversized_attachment_is_refused_in_the_page_and_nothing_is_sent(
    site: Site, browser: Browser, language: str
) -> None:
    before = counts(site.url)
    visit = Visit(browser, site, language)
    page = visit.open("report")
    big = {"name": "video.mp4", "mimeType": "video/mp4", "buffer": b"\x00" * (10 * MIB + 1)}
    fill_report(page, "CANARY-big", [big])
    page.click("#submit-report")
    page.wait_for_selector("#attachments-error:not([hidden])")
    size = "۱۰" if language == "fa" else "10"
    expected = text(language, "web.js.error.attachment_too_large", name="video.mp4", size=size)
    assert page.text_content("#attachments-error") == expected
    assert expected in (page.text_content("#form-errors") or "")
    assert page.evaluate("document.activeElement.id") == "form-errors"
    visit.check_accessibility("report form, attachment refused")
    assert visit.posted() == []
    page.evaluate(PAGEHIDE)  # leaving wipes what was typed and never sent
    assert [page.input_value(f"#{name}") for name in ("text", "name", "contact", "prisoner_name")] == [""] * 4
    visit.finish()
    assert counts(site.url) == before


# What the browser does when the reporter leaves (or the tab is put away for "back").
PAGEHIDE = "window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }))"

SINK_PROBE = """() => {
    try { document.createElement("div").innerHTML = "<b>x</b>"; return "allowed"; }
    catch (error) { return error.name; }
}"""

WORD_BOXES = """(selector) => {
    const node = document.querySelector(selector).firstChild;
    const words = node.textContent.trim().split(/\\s+/);
    const start = node.textContent.indexOf(words[0]);
    const end = node.textContent.lastIndexOf(words[words.length - 1]);
    const range = document.createRange();
    range.setStart(node, start); range.setEnd(node, start + words[0].length);
    const first = range.getBoundingClientRect();
    range.setStart(node, end); range.setEnd(node, end + words[words.length - 1].length);
    const last = range.getBoundingClientRect();
    return { first: [first.left, first.right, first.top], last: [last.left, last.right, last.top],
             direction: getComputedStyle(node.parentElement).direction };
}"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_read_in_their_direction_and_reflow_on_a_narrow_screen_and_at_200_percent_text(
    site: Site, browser: Browser, language: str
) -> None:
    visit = Visit(browser, site, language)
    for name in PAGES:
        page = visit.open(name)
        # Trusted Types are enforced: markup cannot be written into the page from a string.
        assert page.evaluate(SINK_PROBE) == "TypeError"
        assert page.get_attribute("html", "lang") == language
        assert page.get_attribute("html", "dir") == ("rtl" if language == "fa" else "ltr")
        boxes = page.evaluate(WORD_BOXES, "h1")
        assert boxes["first"][2] == boxes["last"][2], "the heading fits on one line"
        if language == "fa":  # the first word is at the right, the last at the left
            assert boxes["direction"] == "rtl"
            assert boxes["first"][0] > boxes["last"][1], boxes
        else:
            assert boxes["direction"] == "ltr"
            assert boxes["first"][1] < boxes["last"][0], boxes
        if name == "report":  # a long file name, as a phone's camera may give
            long_name = FilePayload(name="IMG_" + "9" * 180 + ".jpg", mimeType="image/jpeg", buffer=b"x")
            page.set_input_files("#attachments", files=[long_name])
        for width, zoom in ((320, "100%"), (640, "200%")):
            page.set_viewport_size({"width": width, "height": 800})
            page.evaluate("(zoom) => { document.documentElement.style.fontSize = zoom; }", zoom)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} at {width}px, text {zoom}: {overflow}px of horizontal scrolling"
            page.evaluate("document.documentElement.style.fontSize = ''")
        page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})
    visit.finish()


ACCUSED = "institution_management--tehran-central"


def _steer(rewrite_header: bool, key_id: str) -> Callable[[Route], None]:
    """A hostile server lists the accused institution's own office among the recipients of a
    report about its management, and (``rewrite_header``) claims the report was sealed to it."""

    def handle(route: Route) -> None:
        response = route.fetch()
        view = response.json()
        view["recipients"].append({"body": ACCUSED, "via": "policy", "reason": "x", "awaiting_key": False})
        if rewrite_header:
            view["header"]["recipient_key_ids"].append(key_id)
        route.fulfill(response=response, body=json.dumps(view))

    return handle


@pytest.mark.parametrize("rewrite_header", [False, True], ids=["listed", "header-rewritten"])
def test_a_server_that_steers_a_follow_up_to_the_accused_body_is_caught_in_the_page(
    site: Site, browser: Browser, rewrite_header: bool
) -> None:
    client = SedaClient(httpx.Client(base_url=site.server.base_url, timeout=30), site.keys.root_public)
    submitted = client.submit(draft("گزارش درباره مدیریت زندان", concerns="institution_management"))
    assert ACCUSED not in submitted.receipt.recipients
    key_id = next(
        base64.b64encode(e.key_id).decode() for e in client.documents().directory.bodies if e.body == ACCUSED
    )
    before = counts(site.url)
    visit = Visit(browser, site, "fa")
    visit.context.route("**/api/v1/status", _steer(rewrite_header, key_id))
    page = visit.open("status")
    page.fill("#token", submitted.token.grouped())
    page.click("#show-status")
    page.wait_for_selector("#status-view:not([hidden])", timeout=60_000)
    page.fill("#follow-up-text", "CANARY-steered")
    page.click("#send-follow-up")
    page.wait_for_selector("#form-errors:not([hidden])", timeout=60_000)
    assert text("fa", "web.js.error.follow_up_trust") in (page.text_content("#form-errors") or "")
    assert not [url for method, url in visit.posted() if url.endswith("/api/v1/follow-ups")]
    visit.finish()
    assert counts(site.url) == before


def _answer_lost(how: str) -> Callable[[Route], None]:
    """The report reaches the server and is stored; the answer the page gets is not its receipt."""

    def handle(route: Route) -> None:
        response = route.fetch()
        if how == "error-after-commit":  # e.g. a proxy's 500 once the server had committed
            route.fulfill(
                status=500, content_type="application/problem+json", body='{"code": "internal-error"}'
            )
        elif how == "cut-off":
            route.fulfill(status=response.status, content_type="application/json", body='{"report_id": "')
        else:  # "forged": a receipt, but not for this envelope
            receipt = response.json()
            receipt["envelope_sha256"] = base64.b64encode(b"\x00" * 32).decode()
            route.fulfill(response=response, body=json.dumps(receipt))

    return handle


@pytest.mark.parametrize("how", ["error-after-commit", "cut-off", "forged"])
def test_a_report_whose_answer_is_lost_still_shows_its_token_and_is_stored_once(
    site: Site, browser: Browser, how: str
) -> None:
    before = counts(site.url)
    visit = Visit(browser, site, "fa")
    visit.context.route("**/api/v1/reports", _answer_lost(how))
    page = visit.open("report")
    fill_report(page, f"CANARY-{how}", [])
    page.click("#submit-report")
    page.wait_for_selector("#token-view:not([hidden])", timeout=60_000)
    assert page.is_visible("#token-unknown")  # "it may or may not be stored: check later"
    assert not page.is_visible("#receipt")
    token = crypto.parse_token(page.text_content("#token-value") or "")
    visit.finish()
    assert counts(site.url)["reports"] == before["reports"] + 1  # stored exactly once
    report_of(site.url, token)  # and the token shown is the one that finds it


def test_the_form_stops_at_the_number_of_bodies_the_server_accepts(site: Site, browser: Browser) -> None:
    visit = Visit(browser, site, "en")
    page = visit.open("report")
    fill_report(page, "CANARY-bodies", [])
    page.click("#extra-bodies summary")
    boxes = page.locator("#extra-bodies-list input[type=checkbox]")
    assert boxes.count() > 8
    for index in range(boxes.count()):
        if boxes.nth(index).is_enabled():
            boxes.nth(index).check()
    assert page.locator("#extra-bodies-list input:checked").count() == 8
    assert page.locator("#extra-bodies-list input:disabled").count() == boxes.count() - 8
    assert page.is_visible("#extra-bodies-full")
    visit.check_accessibility("report form, eight bodies added")
    visit.finish()


def test_the_accessibility_check_finds_what_it_is_meant_to(browser: Browser) -> None:
    page = browser.new_page()
    page.set_content('<html><body><img src="x.png"><input type="text"></body></html>')
    found = {finding["id"] for finding in axe_findings(page)}
    page.close()
    assert {"image-alt", "label", "html-has-lang"} <= found


def test_a_follow_up_whose_answer_is_lost_is_sent_again_unchanged_and_stored_once(
    site: Site, browser: Browser
) -> None:
    client = SedaClient(httpx.Client(base_url=site.server.base_url, timeout=30), site.keys.root_public)
    submitted = client.submit(draft("گزارش برای پیگیری"))
    report_id = submitted.receipt.report_id
    visit = Visit(browser, site, "en")
    page = visit.open("status")
    page.fill("#token", submitted.token.grouped())
    page.click("#show-status")
    page.wait_for_selector("#status-view:not([hidden])", timeout=60_000)
    visit.context.route("**/api/v1/follow-ups", _answer_lost("error-after-commit"))
    page.fill("#follow-up-text", "CANARY-lost-answer")
    page.click("#send-follow-up")
    page.wait_for_selector("#form-errors:not([hidden])", timeout=60_000)
    assert text("en", "web.js.status.follow_up_unknown") in (page.text_content("#form-errors") or "")
    visit.context.unroute("**/api/v1/follow-ups")
    page.click("#send-follow-up")  # the same text: the same sealed message goes again
    page.wait_for_selector("#follow-up-done:not([hidden])", timeout=60_000)
    stored = _query(
        site.url,
        select(func.count())
        .select_from(Message)
        .where(Message.report_id == uuid.UUID(report_id), Message.kind == "follow-up"),
    )
    assert stored[0][0] == 1
    visit.finish()
