"""A body-key rotation in real headless Chromium (docs/KEYS.md), against a running server: the
administrator's console page makes the new body key (granted to the administrator's own key),
the ceremony signs the next directory with it and the operator publishes it; the reporter's
status page then refuses a follow-up on the old report (its tags name the old key) until the
administrator opens the case, whose page re-tags it; the follow-up is then sealed to the new
key, and the page reads it and replies on the old case with the new key."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page

import crypto
from crypto.primitives import key_id
from kiosk_client.client import SedaClient
from tests.escrow_support import last_message
from tests.intake_support import draft
from tests.test_console_browser import enrol_in_browser, next_step, open_report, seda, sign_in
from tests.web_support import Site, Visit, text

DG = "provincial_dg_prisons--tehran"


def make_key_in_the_page(page: Page) -> bytes:
    """The administrator's page: the rotation form; the new public key it shows."""
    page.click("#show-admin")
    page.wait_for_selector("#admin:not([hidden])")
    page.click("#rotate-key")
    page.wait_for_selector("#rotate-result:not([hidden])", timeout=30_000)
    public = base64.b64decode(page.text_content("#rotate-public-key") or "")
    assert page.text_content("#rotate-fingerprint") == crypto.key_fingerprint(public)
    return public


def ceremony(site: Site, tmp_path: Path, new_public: bytes) -> None:
    """The ceremony's commands and publication, as an operator runs them."""
    (tmp_path / "published.json").write_bytes(httpx.get(site.server.base_url + "api/v1/directory").content)
    (tmp_path / "root.key").write_text(site.keys.root_seed.hex() + "\n", encoding="ascii")
    root = site.keys.root_public.hex()
    published, unsigned, signed = (
        str(tmp_path / name) for name in ("published.json", "next.json", "signed.json")
    )
    new_key = base64.b64encode(new_public).decode()
    seda(site, "keys", "rotate-body-key", published, "--root-public", root, "--body", DG,
         "--public-key", new_key, "--out", unsigned)  # fmt: skip
    seda(site, "keys", "sign-directory", unsigned, "--root-key", str(tmp_path / "root.key"), "--out", signed)
    seda(site, "publish", signed, "--root-public", root)


def follow_up_in_the_page(visit: Visit, token: crypto.TrackingToken, message: str) -> Page:
    page = visit.open("status")
    page.fill("#token", token.grouped())
    page.click("#show-status")
    page.wait_for_selector("#status-view:not([hidden])", timeout=60_000)
    page.fill("#follow-up-text", message)
    page.click("#send-follow-up")
    page.wait_for_selector("#form-errors:not([hidden]), #follow-up-done:not([hidden])", timeout=60_000)
    return page


def test_the_console_makes_a_new_body_key_and_re_tags_old_cases_so_follow_ups_reach_it(
    site: Site, browser: Browser, tmp_path: Path
) -> None:
    code = seda(site, "officer", "create", "--username", "dg.rotating", "--display-name", "مدیر",
                "--role", "body_admin", "--body", DG)  # fmt: skip
    enrolling = Visit(browser, site, "fa")
    secret = enrol_in_browser(enrolling, "dg.rotating", code, shots=False)
    enrolling.finish()
    seda(site, "officer", "grant-demo-key", "dg.rotating", "--keys-dir", str(site.workdir.parent / "keys"))
    client = SedaClient(httpx.Client(base_url=site.server.base_url, timeout=30), site.keys.root_public)
    old = client.submit(draft("گزارش پیش از چرخش"))
    report_id = old.receipt.report_id

    next_step()
    admin = Visit(browser, site, "fa")
    page = sign_in(admin, "dg.rotating", secret)
    new_public = make_key_in_the_page(page)
    admin.check_accessibility("console, administration after making a key")
    admin.finish()
    ceremony(site, tmp_path, new_public)

    reporter = Visit(browser, site, "en")
    page = follow_up_in_the_page(reporter, old.token, "before the re-tag")
    assert text("en", "web.js.error.follow_up_trust") in (page.text_content("#form-errors") or "")

    next_step()
    admin = Visit(browser, site, "fa")
    page = sign_in(admin, "dg.rotating", secret)  # the page now holds the old and the new grant
    page.wait_for_selector(f"#inbox-list button[data-report='{report_id}']")
    with page.expect_response(lambda answer: answer.url.endswith("/rekey-tag")) as retagged:
        open_report(page, report_id)  # the page re-tags the case for the new key
    assert retagged.value.status == 204
    assert page.text_content("#case-text") == "گزارش پیش از چرخش"

    sent = follow_up_in_the_page(reporter, old.token, "after the re-tag")
    assert sent.is_visible("#follow-up-done")
    reporter.finish()
    _, message = last_message(site.url, report_id, "follow-up")
    sealed_to = {wrap.key_id for wrap in message.recipients}
    assert key_id(new_public) in sealed_to
    assert crypto.public_key_of(site.keys.body_seeds[DG]).key_id not in sealed_to

    page.click("#show-inbox")
    page.wait_for_selector(f"#inbox-list button[data-report='{report_id}']")
    open_report(page, report_id)
    assert "after the re-tag" in (page.text_content("#case-messages") or "")  # opened with the new seed
    page.fill("#reply-text", "پاسخ پس از چرخش کلید")
    page.click("#send-reply")
    page.wait_for_function(
        "(text) => document.getElementById('case-done').textContent === text",
        arg=text("fa", "console.js.done.replied"),
        timeout=30_000,
    )
    admin.finish()
    assert [r.text for r in client.status(old.token).replies] == ["پاسخ پس از چرخش کلید"]
