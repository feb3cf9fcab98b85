"""The JavaScript protocol, bundled as the browser gets it, in real headless Chromium.

It must pass every known-answer vector, and interoperate both ways with Python: a report
sealed in the browser opens in Python, a reply sealed in Python opens in the browser.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

import crypto
from crypto.keys import new_seed
from tests.browser import CHROMIUM, CHROMIUM_ARGS, protocol_test_site, require_browser, serve_directory


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Browser, str]]:
    """A fresh Chromium (new profile) and the URL of the protocol test page."""
    require_browser()
    folder = protocol_test_site(tmp_path_factory.mktemp("site"))
    with serve_directory(folder) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser, url
        finally:
            browser.close()


def _open(site: tuple[Browser, str], requested: list[str] | None = None) -> Page:
    browser, url = site
    page = browser.new_page()
    if requested is not None:
        page.on("request", lambda request: requested.append(request.url))
    page.goto(url)
    page.wait_for_function("window.sedaResults !== undefined", timeout=120_000)
    return page


@pytest.fixture(scope="module")
def page(site: tuple[Browser, str]) -> Page:
    return _open(site)


def test_every_vector_passes_in_chromium(page: Page) -> None:
    results: list[dict[str, Any]] = page.evaluate("window.sedaResults")
    failed = [r for r in results if not r["ok"]]
    assert not failed, failed
    assert len(results) >= 15
    assert any(r["name"].startswith("slips:") for r in results)  # box token slips (§13) too


def test_a_report_sealed_in_the_browser_opens_in_python(page: Page) -> None:
    seeds = [new_seed(), new_seed()]
    publics = [base64.b64encode(crypto.public_key_of(s).public_key).decode() for s in seeds]
    report_id = str(uuid.uuid4())
    envelope_json = page.evaluate(
        """async ({publics, reportId}) => {
            const p = window.seda;
            const keys = publics.map((k) => p.fromBase64(k));
            const token = p.newToken();
            const secrets = await p.deriveFromToken(token, {memory_kib: 1024, iterations: 1, lanes: 1});
            const { envelope } = await p.sealReport({
                reportId,
                routing: { institution: "tehran-central", report_type: "complaint",
                           category: "health", concerns: "staff_member", reporter_type: "family",
                           channel: "web", urgency: "normal" },
                payload: { text: "از مرورگر: canary-browser", fields: { visit: "yes" } },
                recipients: keys,
                reporterPublicKey: secrets.reporterPublicKey,
                identity: { name: "خانواده", contact: "—" },
            });
            return JSON.stringify(envelope);
        }""",
        {"publics": publics, "reportId": report_id},
    )
    envelope = crypto.decode_envelope(envelope_json.encode())
    assert envelope.report_id == report_id
    for seed in seeds:
        opened = crypto.open_report(envelope, seed)
        assert opened.payload.text == "از مرورگر: canary-browser"
        assert opened.payload.fields == {"visit": "yes"}
        assert opened.identity == crypto.ReporterIdentity(name="خانواده", contact="—")
    assert "canary-browser" not in envelope_json


def test_a_reply_sealed_in_python_opens_in_the_browser(page: Page) -> None:
    token_digits = page.evaluate("window.seda.newToken()")
    params = crypto.Argon2Params(memory_kib=1024, iterations=1)
    secrets = crypto.derive_from_token(crypto.parse_token(token_digits), params)
    body_seed = new_seed()
    reply = crypto.seal_message(
        kind="reply",
        report_id=str(uuid.uuid4()),
        message_id=str(uuid.uuid4()),
        body=crypto.MessageBody(text="پاسخ نهاد: پیگیری شد"),
        recipients=[secrets.reporter_public_key, crypto.public_key_of(body_seed).public_key],
        thread_key=secrets.thread_key,
    )
    text = page.evaluate(
        """async ({reply, token}) => {
            const p = window.seda;
            const secrets = await p.deriveFromToken(token, {memory_kib: 1024, iterations: 1, lanes: 1});
            return (await p.openMessage(JSON.parse(reply), secrets.reporterSeed, secrets.threadKey)).text;
        }""",
        {"reply": msgspec.json.encode(reply).decode(), "token": token_digits},
    )
    assert text == "پاسخ نهاد: پیگیری شد"


def test_the_page_loads_nothing_from_elsewhere(site: tuple[Browser, str]) -> None:
    requested: list[str] = []
    _open(site, requested).close()
    assert requested
    assert all(address.startswith(site[1]) for address in requested), json.dumps(requested)
