"""A box opening in real headless Chromium, against a running ``seda serve`` (issue 9).

An operator registers a box and prints a batch of token slips (``seda boxes``); a transcriber
enrols, signs in, records an opening with three letters — one with a slip's claim code, one
unsigned, one signed — each sealed on the page, and downloads the minutes; the prisoner who kept
the slip's stub looks the letter up on the web status page with its token. The minutes hold no
letter's content; the server holds no plaintext.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Browser, Page

import crypto
from routing.deadlines import LOCAL_ZONE
from server.i18n import catalogue
from tests.box_support import pair_slips, slips_of
from tests.pdf_support import pdf_text, plain
from tests.test_console_browser import SEDA, enrol_in_browser, next_step, seda, sign_in
from tests.web_support import Site, Visit, assert_no_plaintext_on_the_server, screenshot, text

REPRESENTATIVE = "institution_inspection_representative--tehran-central"
# The text of the letter routed away from the institution (ill-treatment by staff).
AWAY = "بازجویی شبانه در بند ۴ با ضرب و شتم — متن نامه‌ای که به بیرون از زندان رفت"


def shown(page: Page, selector: str, timeout: float = 60_000) -> None:
    """Wait for ``selector``; if the page shows its error summary instead, fail with it."""
    page.wait_for_selector(f"{selector}, #form-errors:not([hidden])", timeout=timeout)
    errors = page.locator("#form-errors:not([hidden])")
    assert errors.count() == 0, errors.text_content()
    page.wait_for_selector(selector, timeout=timeout)


def letter_done(page: Page, count: int) -> None:
    shown(page, f"#opening-letters li:nth-child({count})")


def fill_letter(
    page: Page, *, kind: str, category: str, text_: str, claim: str = "", signer: str = ""
) -> None:
    page.check(f"input[name='letter-type'][value='{kind}']")
    page.select_option("#letter-category", category)
    page.select_option("#letter-concerns", "staff_member" if kind == "complaint" else "conditions")
    page.fill("#letter-text", text_)
    if signer:
        page.check("#letter-signed")
        page.fill("#letter-name", signer)
    if claim:
        page.fill("#letter-claim", claim)
    page.click("#letter-send")


def test_a_transcriber_records_an_opening_with_three_letters_and_the_slip_holder_tracks_one(
    site: Site, browser: Browser, tmp_path: Path
) -> None:
    seda(
        site,
        "boxes",
        "add",
        "tehran-central-ward-4",
        "--institution",
        "tehran-central",
        "--place",
        "بند ۴ (اندرزگاه)",
    )
    sheet = tmp_path / "slips.pdf"
    seda(site, "boxes", "slips", "--count", "2", "--out", str(sheet))
    assert sheet.stat().st_mode & 0o777 == 0o600
    tokens, claims = slips_of(sheet.read_bytes())
    assert len(tokens) == len(claims) == 2
    token = pair_slips(site.url, tokens, claims)[claims[0]]

    code = seda(
        site,
        "officer",
        "create",
        "--username",
        "box.clerk",
        "--display-name",
        "ثبت‌کنندهٔ صندوق",
        "--role",
        "box_transcriber",
        "--body",
        REPRESENTATIVE,
    )
    enrolling = Visit(browser, site, "fa")
    secret = enrol_in_browser(enrolling, "box.clerk", code, shots=False)
    enrolling.finish()
    next_step()

    minutes = record_opening(Visit(browser, site, "fa"), secret, claims[0])

    # The minutes: Persian, Persian digits, the three letters, and no letter's content.
    words = plain(" ".join(pdf_text(minutes)))
    assert "صورتجلسه" in words
    assert "۳" in words  # the number of letters
    for content in (AWAY, "میوه دو بار", "لغو ملاقات", "علی رضایی"):
        assert plain(content) not in words, content
    assert plain(catalogue("fa").gettext("report_type.complaint")) in words
    copy = tmp_path / "minutes.pdf"
    copy.write_bytes(minutes)
    assert "opening" in seda(site, "boxes", "verify-minutes", str(copy))
    copy.write_bytes(minutes + b"\n")  # a changed copy
    changed = subprocess.run(
        [SEDA, "boxes", "verify-minutes", str(copy)], env=_env(site), capture_output=True, check=False
    )
    assert changed.returncode == 1

    # The slip's holder: the stub's token shows the letter's status on the web status page.
    status = Visit(browser, site, "fa")
    page = status.open("status")
    page.fill("#token", token.grouped(persian=True))
    page.click("#show-status")
    page.wait_for_selector("#status-view:not([hidden])", timeout=60_000)
    assert text("fa", "status.received") in (page.text_content("#status-value") or "")
    status.check_accessibility("status of a box letter")
    status.finish()
    assert_no_plaintext_on_the_server(site, AWAY, token)


def record_opening(visit: Visit, secret: str, claim: crypto.ClaimCode) -> bytes:
    """Sign in as the transcriber, record an opening and its three letters, make and
    download the minutes (returned)."""
    page = sign_in(visit, "box.clerk", secret)
    page.wait_for_selector("#boxes:not([hidden])", timeout=30_000)
    page.wait_for_selector("#boxes-list li[data-box='tehran-central-ward-4']", timeout=30_000)
    visit.check_accessibility("boxes")
    page.click("#boxes-list li[data-box='tehran-central-ward-4'] button")
    page.wait_for_selector("#opening-form:not([hidden])")
    opened = datetime.now(UTC).astimezone(LOCAL_ZONE)  # the box was registered just now
    page.fill("#opened-at", opened.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#witnesses", "رضا احمدی، مدیر بند\nمریم کریمی، مددکار")
    page.fill("#seal-numbers", "۴۴۱۲")
    page.fill("#letter-count", "3")
    visit.check_accessibility("boxes, opening")
    screenshot(page, "fa-boxes-opening")
    page.click("#opening-form button[type='submit']")
    shown(page, "#letter-form:not([hidden])")

    fill_letter(
        page, kind="complaint", category="ill_treatment", text_=AWAY, claim=claim.grouped(persian=True)
    )
    letter_done(page, 1)
    fill_letter(page, kind="suggestion", category="living_conditions", text_="پیشنهاد: میوه دو بار در هفته")
    letter_done(page, 2)
    visit.check_accessibility("boxes, letter")
    screenshot(page, "fa-boxes-letter")
    fill_letter(
        page, kind="objection", category="visits_contact", text_="اعتراض به لغو ملاقات", signer="علی رضایی"
    )
    letter_done(page, 3)
    page.wait_for_selector("#make-minutes:not([hidden])")
    page.click("#make-minutes")
    shown(page, "#minutes-link:not([hidden])")
    visit.check_accessibility("boxes, minutes made")
    screenshot(page, "fa-boxes-minutes")
    with page.expect_download() as download:
        page.click("#minutes-link")
    minutes = Path(download.value.path()).read_bytes()
    visit.finish()
    return minutes


def _env(site: Site) -> dict[str, str]:
    return {**site.server.env, "SEDA_DEMO_KEYS_DIR": str(site.workdir.parent / "keys")}
