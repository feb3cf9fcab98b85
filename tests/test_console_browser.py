"""The review console in real headless Chromium, against a running ``seda serve`` (issue 7).

Two officers enrol in the browser (passphrase and TOTP); a family member files a report with
the web form; the first officer signs in, opens it (decrypted on the page), triages it,
replies and refers it to another body; the second body's officer signs in and reads it; the
reporter's status page shows the reply and the referral. axe-core on every console page;
screenshots; nothing from another origin; no plaintext on the server.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pyotp
from playwright.sync_api import Browser, Page

import crypto
from server.i18n import catalogue
from tests.web_support import (
    Site,
    Visit,
    assert_no_plaintext_on_the_server,
    fill_report,
    report_of,
    screenshot,
)

SEDA = str(Path(sys.executable).parent / "seda")
DG = "provincial_dg_prisons--tehran"
GIO = "general_inspection_organization--national"
PASSPHRASE = "سه واژه که فقط من می‌دانم"


def seda(site: Site, *args: str) -> str:
    env = {**site.server.env, "SEDA_DEMO_KEYS_DIR": str(site.workdir.parent / "keys")}
    result = subprocess.run([SEDA, *args], capture_output=True, text=True, env=env, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def enrol_in_browser(visit: Visit, username: str, code: str, *, shots: bool) -> str:
    """Enrolment as the officer does it; returns the TOTP secret shown (as the app reads it)."""
    page = visit.open("enrol")
    visit.check_accessibility("enrolment")
    page.fill("#username", username)
    page.fill("#code", code)
    page.fill("#passphrase", PASSPHRASE)
    page.fill("#passphrase2", PASSPHRASE)
    if shots:
        screenshot(page, "fa-console-enrol")
    page.click("#enrol-start")
    page.wait_for_selector("#totp-step:not([hidden])", timeout=60_000)
    secret = page.text_content("#totp-secret") or ""
    visit.check_accessibility("enrolment, second factor")
    if shots:
        screenshot(page, "fa-console-totp")
    page.fill("#totp", pyotp.TOTP(secret).now())
    page.click("#totp-confirm")
    page.wait_for_selector("#enrolled:not([hidden])", timeout=30_000)
    assert len((page.text_content("#fingerprint") or "").replace(" ", "")) == 24
    visit.check_accessibility("enrolment, done")
    return secret


def next_step() -> None:
    """Wait for a fresh 30-second step: a TOTP code is accepted once."""
    time.sleep(30 - time.time() % 30 + 0.5)


def sign_in(visit: Visit, username: str, secret: str) -> Page:
    page = visit.open("console")
    page.fill("#username", username)
    page.fill("#passphrase", PASSPHRASE)
    page.fill("#totp", pyotp.TOTP(secret).now())
    page.click("#sign-in-button")
    page.wait_for_selector("#workspace:not([hidden])", timeout=60_000)
    return page


def open_report(page: Page, report_id: str) -> None:
    page.click(f"#inbox-list button[data-report='{report_id}']")
    page.wait_for_selector("#case:not([hidden])", timeout=30_000)


def done(page: Page, key: str) -> None:
    page.wait_for_function(
        "(text) => document.getElementById('case-done').textContent === text",
        arg=catalogue("fa").gettext(key),
        timeout=30_000,
    )


def test_officers_enrol_sign_in_read_triage_reply_and_refer_a_web_report(
    site: Site, browser: Browser
) -> None:
    dg_code = seda(
        site, "officer", "create", "--username", "dg.tehran", "--display-name", "مدیر", "--body", DG
    )
    gio_code = seda(
        site,
        "officer",
        "create",
        "--username",
        "gio.officer",
        "--display-name",
        "بازرس",
        "--role",
        "officer",
        "--body",
        GIO,
    )
    enrolling = Visit(browser, site, "fa")
    dg_secret = enrol_in_browser(enrolling, "dg.tehran", dg_code, shots=True)
    gio_secret = enrol_in_browser(enrolling, "gio.officer", gio_code, shots=False)
    enrolling.finish()
    seda(site, "officer", "grant-demo-key", "dg.tehran", "--keys-dir", str(site.workdir.parent / "keys"))
    seda(site, "officer", "grant-demo-key", "gio.officer", "--keys-dir", str(site.workdir.parent / "keys"))

    canary = "CANARY-console-report"
    reporter = Visit(browser, site, "fa")
    page = reporter.open("report")
    typed = fill_report(page, canary, [])
    page.click("#submit-report")
    page.wait_for_selector("#token-view:not([hidden])", timeout=60_000)
    token = crypto.parse_token(page.text_content("#token-value") or "")
    reporter.finish()
    report_id = report_of(site.url, token)

    next_step()
    first_officer_acts(site, browser, report_id, typed["text"], dg_secret)

    other = Visit(browser, site, "fa")
    page = sign_in(other, "gio.officer", gio_secret)
    page.wait_for_selector(f"#inbox-list button[data-report='{report_id}']")
    referred = catalogue("fa").gettext("console.js.via.referral")
    assert referred in (page.text_content("#inbox-list li") or "")
    open_report(page, report_id)
    assert page.text_content("#case-text") == typed["text"]
    # The first body's replies were sealed before the referral, to the reporter and that body:
    # the new body sees that they exist, not what they say.
    sealed_elsewhere = catalogue("fa").gettext("console.js.case.sealed_elsewhere")
    assert sealed_elsewhere in (page.text_content("#case-messages") or "")
    assert "پرونده در دست بررسی است" not in (page.text_content("#case-messages") or "")
    other.finish()

    status = Visit(browser, site, "fa")
    page = status.open("status")
    page.fill("#token", token.grouped(persian=True))
    page.click("#show-status")
    page.wait_for_selector("#status-view:not([hidden])", timeout=60_000)
    replies = page.text_content("#status-replies") or ""
    assert "پرونده در دست بررسی است؛ نتیجه را خبر می‌دهیم." in replies
    assert "پرونده به سازمان بازرسی کل کشور ارجاع شد." in replies
    bodies = page.text_content("#status-bodies") or ""
    assert "سازمان بازرسی کل کشور" in bodies  # the referral shows
    status.finish()
    assert_no_plaintext_on_the_server(site, canary, token)


def first_officer_acts(site: Site, browser: Browser, report_id: str, text: str, secret: str) -> None:
    """The first body's officer signs in, opens the case (decrypted on the page), acknowledges,
    triages, replies with a status change, refers it to the General Inspection Organization."""
    officer = Visit(browser, site, "fa")
    page = sign_in(officer, "dg.tehran", secret)
    page.wait_for_selector(f"#inbox-list button[data-report='{report_id}']")
    officer.check_accessibility("console, inbox")
    screenshot(page, "fa-console-inbox")
    texts = catalogue("fa").gettext
    row = page.text_content("#inbox-list li") or ""
    assert "زندان مرکزی تهران (نمونه)" in row  # the institution's name, not its code
    assert texts("console.js.inbox.acknowledge_by").split("{")[0] in row
    assert texts("console.js.inbox.feedback_by").split("{")[0] in row
    assert texts("console.js.age.today") in row
    page.select_option("#filter-category", "shop_prices")  # the report is about health
    page.wait_for_selector(f"#inbox-list button[data-report='{report_id}']", state="detached")
    page.select_option("#filter-category", "health")
    page.wait_for_selector(f"#inbox-list button[data-report='{report_id}']")
    open_report(page, report_id)
    assert page.text_content("#case-text") == text  # decrypted on this page
    officer.check_accessibility("console, case")
    page.click("#acknowledge")
    done(page, "console.js.done.acknowledged")
    page.check("input[name=triage][value=acted_upon]")
    page.click("#triage-form button[type=submit]")
    done(page, "console.js.done.triaged")
    page.fill("#reply-text", "پرونده در دست بررسی است؛ نتیجه را خبر می‌دهیم.")
    page.select_option("#reply-status", "under_review")
    page.click("#send-reply")
    done(page, "console.js.done.replied")
    page.select_option("#refer-to", GIO)
    page.fill("#refer-text", "پرونده به سازمان بازرسی کل کشور ارجاع شد.")
    page.click("#send-referral")
    done(page, "console.js.done.referred")
    screenshot(page, "fa-console-case")
    officer.check_accessibility("console, case acted on")
    page.click("#sign-out")
    page.wait_for_selector("#sign-in:not([hidden])")
    officer.finish()
