"""The reporters' pages as the server serves them: languages, headers, labels, limits.

What the browser then does with them is in ``tests/test_web_browser.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

import crypto
from crypto.directory import decode_signed
from routing.taxonomy import CATEGORIES
from routing.vocabulary import Concern, RecipientVia, ReportStatus, ReportType
from server.app import create_app
from server.db.models import ProtectionKind
from server.demo.keys import DemoKeys
from server.http import PAGE_CSP
from server.i18n import catalogue, supported_languages
from server.settings import Settings
from server.web.pages import CONSENT, RELATIONSHIPS, WEB_REPORTER_TYPES, page_url
from tests.intake_support import seeded_sqlite

ROOT = Path(__file__).resolve().parents[1]
PAGE_NAMES = ("home", "report", "status")


@pytest.fixture
def published(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, DemoKeys]:
    return seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())


@pytest.fixture
def client(published: tuple[str, DemoKeys]) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(Settings(database_url=published[0]))) as http:
        yield http


class _Collect(HTMLParser):
    """Elements by tag with their attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def parsed(html: str) -> _Collect:
    collector = _Collect()
    collector.feed(html)
    return collector


@pytest.mark.parametrize("language", ["fa", "en"])
@pytest.mark.parametrize("page", PAGE_NAMES)
def test_every_page_is_served_in_its_language_under_the_strict_policy(
    client: TestClient[Litestar], published: tuple[str, DemoKeys], language: str, page: str
) -> None:
    response = client.get(page_url(language, page))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == PAGE_CSP
    assert "'unsafe-inline'" not in PAGE_CSP
    assert "'unsafe-eval'" not in PAGE_CSP
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-language"] == language
    assert "set-cookie" not in response.headers
    html = parsed(response.text)
    (root,) = html.all("html")
    assert root == {"lang": language, "dir": "rtl" if language == "fa" else "ltr"}
    (pinned,) = [m for m in html.all("meta") if m.get("name") == "seda-root-key"]
    assert pinned["content"] == published[1].root_public.hex()
    scripts = html.all("script")
    sources = [s.get("src") or "" for s in scripts if s.get("type") != "application/json"]
    assert sources or page == "home"  # the landing page needs no script
    assert all(source.startswith("/static/js/") for source in sources)
    assert all(not (link.get("href") or "").startswith("http") for link in html.all("link"))


def test_persian_is_the_default_and_other_languages_have_a_prefix(client: TestClient[Litestar]) -> None:
    assert [page_url("fa", p) for p in PAGE_NAMES] == ["/", "/report", "/status"]
    assert [page_url("en", p) for p in PAGE_NAMES] == ["/en", "/en/report", "/en/status"]
    switch = parsed(client.get("/report").text).all("a")
    assert {"href": "/en/report", "hreflang": "en", "lang": "en"} in switch
    unknown = client.get("/de/report")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


def test_the_form_offers_exactly_the_institutions_the_signed_directory_lists(
    client: TestClient[Litestar], published: tuple[str, DemoKeys]
) -> None:
    html = parsed(client.get("/report").text)
    options = {o.get("value") for o in html.all("option")}
    signed_document = decode_signed(client.get("/api/v1/directory").content)
    directory = crypto.verify_directory(signed_document, published[1].root_public, now=datetime.now(UTC))
    signed = {entry.code for entry in directory.institutions}
    institutions = options & signed
    assert institutions == signed
    assert len(html.all("optgroup")) == 31  # one group per province
    assert "tehran-central" in institutions


@pytest.mark.parametrize(("language", "digits"), [("fa", "۸"), ("en", "8")])
def test_limits_are_shown_in_the_pages_digits(
    client: TestClient[Litestar], language: str, digits: str
) -> None:
    html = parsed(client.get(page_url(language, "report")).text)
    hint = next(t for t in html.text if "10" in t or "۱۰" in t)
    assert digits in hint
    (form,) = [f for f in html.all("form") if f.get("id") == "report-form"]
    assert form["data-max-attachments"] == "8"
    assert form["data-max-attachment-bytes"] == str(160 * 64 * 1024)


@pytest.mark.parametrize("language", ["fa", "en"])
def test_the_scripts_get_their_texts_from_the_catalogue_as_inert_json(
    client: TestClient[Litestar], language: str
) -> None:
    body = client.get(page_url(language, "status")).text
    found = re.search(r'<script type="application/json" id="seda-messages">(.*?)</script>', body, re.DOTALL)
    assert found is not None
    assert "<" not in found.group(1)  # escaped: no text can close the element
    messages = json.loads(found.group(1))
    assert messages["web.js.error.token.check"] == catalogue(language).gettext("web.js.error.token.check")
    assert messages["status.received"] == catalogue(language).gettext("status.received")


def _keys_in(paths: list[Path], pattern: str) -> set[str]:
    return {key for path in paths for key in re.findall(pattern, path.read_text(encoding="utf-8"))}


def test_every_text_the_pages_and_their_scripts_use_is_in_every_catalogue() -> None:
    templates = sorted((ROOT / "server" / "web" / "templates").glob("*.html"))
    scripts = sorted((ROOT / "web" / "app").glob("*.mjs"))
    used = _keys_in(templates, r"""\bt\(\s*["']([a-z0-9_.]+)["']""")
    used |= _keys_in(scripts, r"""\bt\(\s*["`]([a-z0-9_.]+)["`]""")
    used |= {f"web.js.error.token.{reason}" for reason in ("character", "length", "check", "not_found")}
    assert len(used) > 100
    for language in supported_languages():
        missing = sorted(key for key in used if key not in catalogue(language))
        assert not missing, f"{language} lacks {missing}"


def test_every_label_a_page_or_script_builds_from_a_code_is_in_every_catalogue() -> None:
    labels = {
        "report_type": [t.value for t in ReportType],
        "category": [c.code for c in CATEGORIES],
        "concern": [c.value for c in Concern],
        "status": [s.value for s in ReportStatus],
        "via": [v.value for v in RecipientVia],
        "reporter_type": list(WEB_REPORTER_TYPES),
        "relationship": list(RELATIONSHIPS),
        "consent": list(CONSENT),
        "protection": [kind.value for kind in ProtectionKind],  # the status page's measures
    }
    for language in supported_languages():
        texts = catalogue(language)
        missing = [f"{prefix}.{code}" for prefix, codes in labels.items() for code in codes]
        assert [key for key in missing if key not in texts] == [], language


def test_the_pages_scripts_run_under_the_pages_policy_and_nothing_is_cached(
    client: TestClient[Litestar],
) -> None:
    require_built = ROOT / "server" / "static" / "js" / "seda-worker.js"
    if not require_built.exists():
        pytest.skip("needs the built bundles (scripts/bootstrap builds them)")
    worker = client.get("/static/js/seda-worker.js")
    assert worker.status_code == 200
    # A dedicated worker runs under its own script's policy, and Argon2id compiles WebAssembly.
    assert worker.headers["content-security-policy"] == PAGE_CSP
    assert worker.headers["cache-control"] == "no-store"
    style = client.get("/static/css/seda.css")
    assert style.status_code == 200
    assert style.headers["content-security-policy"].startswith("default-src 'none'")
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/fonts/Vazirmatn-Regular.woff2").status_code == 200


def test_without_published_keys_the_pages_say_so_and_pin_nothing(migrated_url: str) -> None:
    with TestClient(create_app(Settings(database_url=migrated_url))) as http:
        response = http.get("/report")
    assert response.status_code == 200
    html = parsed(response.text)
    (pinned,) = [m for m in html.all("meta") if m.get("name") == "seda-root-key"]
    assert pinned["content"] == ""
    assert catalogue("fa").gettext("web.out_of_service.title") in response.text
    assert not [o for o in html.all("option") if o.get("value") == "tehran-central"]
