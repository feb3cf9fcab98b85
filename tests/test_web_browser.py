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
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Browser, FilePayload, Page, Route
from sqlalchemy import func, select

import crypto
from kiosk_client.client import SedaClient
from routing.decide import escalation_targets, facts_from_metadata, route
from server.db.models import Message, ProtectionKind, Report
from tests.browser import (
    axe_findings,
)
from tests.escrow_support import add_referral, escrow_of, last_message, record_measure, release_escrow
from tests.intake_support import (
    Officer,
    draft,
)
from tests.web_support import (
    CONCERNED_BODY,
    LANGUAGES,
    MIB,
    OFFICER_BODY,
    PAGES,
    WIDTHS,
    Site,
    Visit,
    _query,
    assert_no_plaintext_on_the_server,
    chunks_of,
    counts,
    fill_report,
    report_of,
    screenshot,
    text,
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_report_filed_in_the_browser_is_sealed_tracked_and_answered(
    site: Site, browser: Browser, language: str
) -> None:
    canary = f"CANARY{secrets.token_hex(6)}"
    evidence = f"{canary}-photo ".encode() * 9000  # about 200 KB: four sealed chunks
    token, typed = file_a_report(site, browser, language, canary, evidence)
    report_id = report_of(site.url, token)
    escrow_opens_for_the_escalation_targets(site, report_id, token, typed)
    reply = officer_reads_and_replies(site, report_id, language, typed, evidence)
    record_measure(site.url, report_id, OFFICER_BODY, ProtectionKind.LEGAL_SUPPORT)
    follow_up_with_the_token(site, browser, language, token, reply=reply, message=f"{canary}-follow-up")

    follow_ups = _query(
        site.url,
        select(func.count())
        .select_from(Message)
        .where(Message.report_id == uuid.UUID(report_id), Message.kind == "follow-up"),
    )
    assert follow_ups[0][0] == 1
    marked = _query(
        site.url,
        select(Report.retaliation, Report.protection_requested).where(Report.id == uuid.UUID(report_id)),
    )
    # The Persian reporter reported retaliation, the English one asked for protection.
    assert tuple(marked[0]) == (language == "fa", language == "en")
    fields = sealed_follow_up(site, report_id, token).fields
    assert fields == ({"retaliation": "yes"} if language == "fa" else {"protection": "yes"})
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


def escrow_opens_for_the_escalation_targets(
    site: Site, report_id: str, token: crypto.TrackingToken, typed: dict[str, str]
) -> None:
    """The page escrowed the report's keys to exactly routing's escalation targets (made in
    JavaScript, opened in Python), and tagged their key ids with the thread key."""
    client = SedaClient(httpx.Client(base_url=site.server.base_url, timeout=30), site.keys.root_public)
    docs = client.documents()
    envelope, _ = Officer(site.url, site.keys, OFFICER_BODY).open(report_id)
    facts = facts_from_metadata(envelope.routing, datetime.now(UTC))
    recipients = route(facts, docs.policy, docs.routing).recipients
    targets = escalation_targets(recipients, facts, docs.routing)
    escrowed = escrow_of(site.url, report_id)
    assert targets
    assert sorted(escrowed) == [target.body for target in targets]
    for target in targets:
        opened = crypto.open_report(envelope, site.keys.body_seeds[target.body], escrowed[target.body])
        assert opened.payload.text == typed["text"]
        assert (opened.identity is not None) is target.identity
    tag = _query(site.url, select(Report.escrow_tag).where(Report.id == uuid.UUID(report_id)))[0][0]
    thread_key = crypto.derive_from_token(token).thread_key
    assert crypto.check_escrow_tag(thread_key, envelope.header(), [w.key_id for w in escrowed.values()], tag)


def sealed_follow_up(site: Site, report_id: str, token: crypto.TrackingToken) -> crypto.MessageBody:
    """The report's last follow-up, opened by an officer of a receiving body."""
    _, message = last_message(site.url, report_id, "follow-up")
    thread_key = crypto.derive_from_token(token).thread_key
    return crypto.open_message(message, site.keys.body_seeds[OFFICER_BODY], thread_key)


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
    sees the protection measure a body recorded and sends a follow-up (in Persian reporting
    retaliation, in English asking for protection)."""
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
    measures = page.text_content("#status-measures") or ""
    assert text(language, "protection.legal_support") in measures  # the measure the body recorded
    visit.check_accessibility("status, answered")
    if persian:
        screenshot(page, "fa-status")
    page.fill("#follow-up-text", message)
    page.check("#retaliation" if persian else "#protection")
    page.click("#send-follow-up")
    page.wait_for_selector("#follow-up-done:not([hidden])", timeout=60_000)
    assert text(language, "web.js.status.follow_up_sent") in (page.text_content("#follow-up-done") or "")
    if not persian:  # the view is looked up again after sending: it shows the request
        page.wait_for_selector("#status-protection:not([hidden])", timeout=60_000)
    visit.check_accessibility("status, follow-up sent")
    visit.finish()


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


def look_up_and_send(page: Page, token: crypto.TrackingToken, message: str) -> None:
    """On the status page: look the report up with the token, write a follow-up, send it."""
    page.fill("#token", token.grouped())
    page.click("#show-status")
    page.wait_for_selector("#status-view:not([hidden])", timeout=60_000)
    page.fill("#follow-up-text", message)
    page.click("#send-follow-up")


def _steer(how: str, key_id: str) -> Callable[[Route], None]:
    """A hostile server lists the accused institution's own office among the recipients of a
    report about its management, and claims the report was sealed to it (``header``) or that
    the reporter escrowed a wrap to it (``escrow``: its key id among the escrowed ones)."""

    def handle(route: Route) -> None:
        response = route.fetch()
        view = response.json()
        view["recipients"].append({"body": ACCUSED, "via": "policy", "reason": "x", "awaiting_key": False})
        if how == "header":
            view["header"]["recipient_key_ids"].append(key_id)
        elif how == "escrow":
            assert view["escrow_tag"], "the reporter's escrow tag is there to be misused"
            view["escrow_key_ids"].append(key_id)
        route.fulfill(response=response, body=json.dumps(view))

    return handle


@pytest.mark.parametrize(
    "how", ["listed", "header", "escrow"], ids=["listed", "header-rewritten", "escrow-added"]
)
def test_a_server_that_steers_a_follow_up_to_the_accused_body_is_caught_in_the_page(
    site: Site, browser: Browser, how: str
) -> None:
    client = SedaClient(httpx.Client(base_url=site.server.base_url, timeout=30), site.keys.root_public)
    submitted = client.submit(draft("گزارش درباره مدیریت زندان", concerns="institution_management"))
    assert ACCUSED not in submitted.receipt.recipients
    key_id = next(
        base64.b64encode(e.key_id).decode() for e in client.documents().directory.bodies if e.body == ACCUSED
    )
    before = counts(site.url)
    visit = Visit(browser, site, "fa")
    visit.context.route("**/api/v1/status", _steer(how, key_id))
    page = visit.open("status")
    look_up_and_send(page, submitted.token, "CANARY-steered")
    page.wait_for_selector("#form-errors:not([hidden])", timeout=60_000)
    assert text("fa", "web.js.error.follow_up_trust") in (page.text_content("#form-errors") or "")
    assert not [url for method, url in visit.posted() if url.endswith("/api/v1/follow-ups")]
    visit.finish()
    assert counts(site.url) == before


def test_a_follow_up_in_the_page_reaches_bodies_an_escalation_or_a_tagged_referral_added(
    site: Site, browser: Browser
) -> None:
    client = SedaClient(httpx.Client(base_url=site.server.base_url, timeout=30), site.keys.root_public)
    submitted = client.submit(draft("گزارش برای ارجاع", concerns="conditions"))
    report_id, holder = submitted.receipt.report_id, submitted.receipt.recipients[0]
    escalated = min(escrow_of(site.url, report_id))
    release_escrow(site.url, report_id, escalated, from_body=holder)
    envelope, opened = Officer(site.url, site.keys, holder).open(report_id)
    assert opened.payload.thread_key is not None
    thread_key, context = opened.payload.thread_key, envelope.context()

    def refer(body: str, tagged_for: str) -> None:
        public = client.documents().public_key(body)
        wrap = crypto.rewrap_for_referral(envelope, opened.keys, public, include_identity=False)
        tag_key = crypto.public_key_of(site.keys.body_seeds[tagged_for]).key_id
        tag = crypto.referral_tag(thread_key, context, tag_key)
        add_referral(site.url, report_id, body, from_body=holder, wrap=wrap, tag=tag)

    referred = "judiciary_protection_intelligence--national"
    refer(referred, tagged_for=referred)
    visit = Visit(browser, site, "en")
    page = visit.open("status")
    look_up_and_send(page, submitted.token, "CANARY-escalated")
    page.wait_for_selector("#follow-up-done:not([hidden])", timeout=60_000)
    _, message = last_message(site.url, report_id, "follow-up")
    for body in (escalated, referred):
        assert crypto.open_message(message, site.keys.body_seeds[body], thread_key).text == "CANARY-escalated"
    # A referral whose tag names another body's key: the page refuses to seal to it.
    refer("special_inspection_citizens_rights--national", tagged_for=referred)
    page.fill("#follow-up-text", "CANARY-untagged")
    page.click("#send-follow-up")
    page.wait_for_selector("#form-errors:not([hidden])", timeout=60_000)
    assert text("en", "web.js.error.follow_up_trust") in (page.text_content("#form-errors") or "")
    visit.finish()
    assert len(_query(site.url, select(Message.id).where(Message.report_id == uuid.UUID(report_id)))) == 1


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
