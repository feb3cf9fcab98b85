"""The console's summaries section in real headless Chromium, against a running ``seda serve``.

Two months of synthetic reports (Mehr and Aban 1405) are written to the site's database and
their summaries made, as the summary job would. A reader of the Prisons Organization's national
inspection office signs in, chooses Aban 1405 and the whole country, and reads the full view,
then the suppressed one: the banner says which, a table's figures are those of the JSON the API
gives for the same summary, withheld cells show the mark, the charts load, the PDF and CSV
download with the summary's hash. A reader of an institution's management sees its institution
alone, and no full view. axe-core on every view; Persian digits on the Persian page.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from server.db.lifecycle import Database
from server.summaries import labels, months, store
from server.summaries.build import SENSITIVE_CATEGORIES
from server.summaries.model import Thresholds
from tests.browser import SCREENSHOTS
from tests.intake_support import with_database
from tests.summary_support import generate, insert_reports, load_world
from tests.test_console_browser import enrol_in_browser, next_step, seda, sign_in
from tests.web_support import Site, Visit, text

MONTH = "1405-08"
NATIONAL_READER = "organization_inspection--national"
THRESHOLDS = Thresholds(default=5, sensitive=10, sensitive_keys=SENSITIVE_CATEGORIES)
WRITE_SCREENSHOTS = os.environ.get("SEDA_WRITE_SCREENSHOTS") == "1"
MARK = "—"
LATIN_DIGIT = re.compile("[0-9]")
BASE = "console/api/summaries"


async def _seed_months(database: Database) -> str:
    """Reports in Mehr and Aban 1405 (so Aban compares with Mehr) and the months' summaries;
    returns the code of an institution that has reports."""
    world = await load_world(database, institutions=9)  # East and West Azerbaijan, Ardabil
    now = datetime.now(UTC)
    rng = random.Random(1405)
    for month, count in ((7, 220), (8, 320)):
        start, end = months.window(1405, month)
        await insert_reports(database, generate(world, rng, start=start, end=end, count=count, now=now))
    made = await store.ensure_months(database, now=now, thresholds=THRESHOLDS)
    assert MONTH in made
    return world.institutions[0][1]


@pytest.fixture(scope="module")
def institution(site: Site) -> str:
    return with_database(site.url, _seed_months)


def _account(site: Site, username: str, body: str) -> str:
    return seda(
        site,
        "officer",
        "create",
        "--username",
        username,
        "--display-name",
        "خوانندهٔ خلاصه‌ها",
        "--role",
        "summary_reader",
        "--body",
        body,
    )


def _api(page: Page, site: Site, path: str) -> Any:
    """The API's answer for ``path`` with the page's own session (its cookies)."""
    answer = page.request.get(f"{site.server.base_url}{BASE}/{path}")
    assert answer.ok, (path, answer.status)
    return answer.json()


def _options(page: Page, select: str) -> list[tuple[str, str]]:
    found = page.eval_on_selector_all(
        f"{select} option", "options => options.map(o => [o.value, o.textContent])"
    )
    return [(value, label) for value, label in found]


def _show(page: Page, unit: str, view: str) -> None:
    page.select_option("#summary-month", MONTH)
    page.select_option("#summary-unit", unit)
    page.select_option("#summary-view", view)
    page.click("#summary-show")
    page.wait_for_function(
        "view => document.getElementById('summary-banner').dataset.view === view"
        " && !document.getElementById('summary').hidden"
        " && !document.getElementById('summary').hasAttribute('aria-busy')",
        arg=view,
        timeout=30_000,
    )
    errors = page.locator("#form-errors:not([hidden])")
    assert errors.count() == 0, errors.text_content()
    assert page.evaluate("document.activeElement.id") == "summary"
    page.wait_for_function(
        "() => [...document.querySelectorAll('#summary-charts img')]"
        ".every(image => image.complete && image.naturalWidth > 0)",
        timeout=30_000,
    )


def _expected_rows(table: dict[str, Any], language: str) -> dict[str, list[str]]:
    """Each cell's figures as the page must write them (as the PDF does, labels.py)."""

    def figure(value: int | None, withheld: bool) -> str:
        return MARK if withheld else "" if value is None else labels.number(value, language)

    def derived(value: float | None, withheld: bool, write: Any) -> str:
        return (MARK if withheld else "") if value is None else write(value, language)

    rows = {}
    for cell in table["cells"]:
        withheld = cell.get("withheld", False)
        rows[cell["key"]] = [
            figure(cell["value"], withheld),
            derived(cell.get("share"), withheld or table.get("total_withheld", False), labels.percent),
            figure(cell.get("previous"), False),
            derived(cell.get("change_previous"), withheld, labels.change),
            figure(cell.get("year_ago"), False),
            derived(cell.get("change_year_ago"), withheld, labels.change),
        ]
    return rows


def _shown_rows(page: Page, name: str) -> dict[str, list[str]]:
    pairs = page.eval_on_selector_all(
        f"#summary-tables table[data-table='{name}'] tbody tr",
        "rows => rows.map(row => [row.dataset.key, [...row.querySelectorAll('td')].map(c => c.textContent)])",
    )
    return dict(pairs)


def _table(signed: dict[str, Any], name: str) -> dict[str, Any]:
    return next(table for table in signed["summary"]["tables"] if table["name"] == name)


def _download(page: Page, link: str) -> bytes:
    with page.expect_download() as download:
        page.click(link)
    return Path(download.value.path()).read_bytes()


def _screenshot(page: Page, name: str) -> None:
    if WRITE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_summary_readers_read_the_views_their_body_may_read(
    site: Site, browser: Browser, institution: str
) -> None:
    national_code = _account(site, "org.summaries", NATIONAL_READER)
    local_code = _account(site, "head.summaries", f"institution_management--{institution}")
    enrolling = Visit(browser, site, "fa")
    national_secret = enrol_in_browser(enrolling, "org.summaries", national_code, shots=False)
    local_secret = enrol_in_browser(enrolling, "head.summaries", local_code, shots=False)
    enrolling.finish()
    next_step()

    national_reader_reads_the_nation(Visit(browser, site, "fa"), site, national_secret)
    institution_reader_reads_its_institution(Visit(browser, site, "en"), site, local_secret, institution)


def national_reader_reads_the_nation(visit: Visit, site: Site, secret: str) -> None:
    page = sign_in(visit, "org.summaries", secret)
    # A summary reader reads no report: the console opens on the summaries.
    page.wait_for_selector("#summaries:not([hidden])", timeout=30_000)
    page.wait_for_selector("#summary-month option", state="attached")
    assert page.is_hidden("#show-inbox")
    assert page.is_visible("#show-summaries")
    assert page.evaluate("document.activeElement.id") == "summaries"
    assert (MONTH, "آبان ۱۴۰۵") in _options(page, "#summary-month")
    assert [value for value, _ in _options(page, "#summary-view")] == ["suppressed", "full"]
    units = dict(_options(page, "#summary-unit"))
    assert units["national/national"] == text("fa", "console.summary.nation")
    assert "province/tehran" in units
    visit.check_accessibility("summaries")
    full = reads_the_full_view(visit, site)
    suppressed = reads_the_suppressed_view(visit, site)
    assert suppressed["content_sha256"] != full["content_sha256"]
    _screenshot(page, "fa-console-summaries")

    # Downloads in the page's language, each carrying the summary's hash.
    digest = suppressed["content_sha256"]
    assert _download(page, "#summary-pdf").startswith(b"%PDF")
    rows = list(csv.reader(io.StringIO(_download(page, "#summary-csv").decode("utf-8-sig"))))
    assert ["meta", "", "", "content_sha256", "", digest] in [row[:6] for row in rows]
    assert any(row[0] == "cell" and row[4] == text("fa", "category.health") for row in rows)  # Persian labels
    copy = json.loads(_download(page, "#summary-json"))
    assert copy["content_sha256"] == digest
    assert copy["summary"] == suppressed["summary"]
    visit.finish()


def reads_the_full_view(visit: Visit, site: Site) -> dict[str, Any]:
    """The banner says it is not for distribution; the figures are the JSON's."""
    page = visit.page
    _show(page, "national/national", "full")
    banner = page.text_content("#summary-banner") or ""
    assert text("fa", "console.summary.view.full.text") in banner
    assert page.is_hidden("#summary-legend")  # nothing is withheld in the full view
    full: dict[str, Any] = _api(page, site, f"{MONTH}/national/national/full")
    assert full["summary"]["view"] == "full"
    for name in ("category", "channel", "outcome"):
        assert _shown_rows(page, name) == _expected_rows(_table(full, name), "fa"), name
    reports = labels.number(_table(full, "report_type")["total"], "fa")
    assert reports in (page.text_content("#summary-figures") or "")
    assert MARK not in "".join(row[0] for row in _shown_rows(page, "category").values())
    # Aban compares with Mehr: the previous month's column and the causes and factors show.
    assert any(row[2] for row in _shown_rows(page, "category").values())
    assert page.locator("#summary-growth table[data-growth='previous'] tbody tr").count() > 0
    assert page.locator("#summary-units tbody tr").count() == 31  # the provinces
    alts = page.eval_on_selector_all("#summary-charts img", "images => images.map(i => i.alt)")
    assert len(alts) == 4
    assert all(alts)
    assert page.text_content("#summary-hash") == full["content_sha256"]
    persian_digits_only(page)
    visit.check_accessibility("summaries, full view")
    return full


def reads_the_suppressed_view(visit: Visit, site: Site) -> dict[str, Any]:
    """Small cells withheld and shown as the mark, with the legend."""
    page = visit.page
    _show(page, "national/national", "suppressed")
    banner = page.text_content("#summary-banner") or ""
    assert text("fa", "console.summary.view.suppressed.text") in banner
    assert page.is_visible("#summary-legend")
    suppressed: dict[str, Any] = _api(page, site, f"{MONTH}/national/national/suppressed")
    withheld = [
        (table["name"], cell["key"])
        for table in suppressed["summary"]["tables"]
        for cell in table["cells"]
        if cell.get("withheld")
    ]
    assert withheld, "the suppressed view withholds something"
    for name in {name for name, _ in withheld}:
        shown = _shown_rows(page, name)
        assert shown == _expected_rows(_table(suppressed, name), "fa"), name
        for key in (key for table, key in withheld if table == name):
            assert shown[key][0] == MARK
            assert page.get_attribute(f"table[data-table='{name}'] tr[data-key='{key}']", "data-withheld")
    assert _shown_rows(page, "category") == _expected_rows(_table(suppressed, "category"), "fa")
    persian_digits_only(page)
    visit.check_accessibility("summaries, suppressed view")
    return suppressed


def persian_digits_only(page: Page) -> None:
    """Every figure, date and name on the summary is written in Persian digits."""
    shown = page.eval_on_selector_all(
        "#summary-title, #summary-scope, #summary-meta, #summary-figures, #summary-growth, "
        "#summary-units, #summary-tables, #summary-month, #summary-status",
        "nodes => nodes.map(n => n.textContent).join(' ')",
    )
    alts = page.eval_on_selector_all("#summary-charts img", "images => images.map(i => i.alt).join(' ')")
    assert re.search("[۰-۹]", shown)
    assert not LATIN_DIGIT.search(shown), LATIN_DIGIT.findall(shown)
    assert not LATIN_DIGIT.search(alts), alts


def institution_reader_reads_its_institution(visit: Visit, site: Site, secret: str, institution: str) -> None:
    page = sign_in(visit, "head.summaries", secret)
    page.wait_for_selector("#summaries:not([hidden])", timeout=30_000)
    page.wait_for_selector("#summary-month option", state="attached")
    assert [value for value, _ in _options(page, "#summary-unit")] == [f"institution/{institution}"]
    assert [value for value, _ in _options(page, "#summary-view")] == ["suppressed"]  # no full view
    assert (MONTH, "Aban 1405") in _options(page, "#summary-month")
    visit.check_accessibility("summaries (en)")

    _show(page, f"institution/{institution}", "suppressed")
    banner = page.text_content("#summary-banner") or ""
    assert text("en", "console.summary.view.suppressed.text") in banner
    signed = _api(page, site, f"{MONTH}/institution/{institution}/suppressed")
    assert signed["summary"]["scope"]["code"] == institution
    assert _shown_rows(page, "report_type") == _expected_rows(_table(signed, "report_type"), "en")
    assert page.is_hidden("#summary-units")  # an institution has no units below it
    # The scope's line names the institution's province, which this reader may not read; nor
    # may it read the full view of its own institution.
    province = signed["summary"]["province"]["name_en"]
    assert f"{province} Province" in (page.text_content("#summary-scope") or "")
    for path in (f"{MONTH}/institution/{institution}/full", f"{MONTH}/national/national/suppressed"):
        assert page.request.get(f"{site.server.base_url}{BASE}/{path}").status == 404
    visit.check_accessibility("summaries, suppressed view (en)")
    _screenshot(page, "en-console-summaries")
    assert _download(page, "#summary-pdf").startswith(b"%PDF")
    visit.finish()
