"""Shared by the browser tests of the web pages and the console: a seeded server, a
reporter's or officer's visit in a fresh browser context (every request, cookie and page
error recorded), screenshots, the report form filled, database look-ups, the canary search."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

import crypto
from server.db.models import Message, Report, Upload, UploadChunk
from server.demo.keys import DemoKeys
from server.i18n import catalogue
from tests.browser import (
    SCREENSHOTS,
    axe_findings,
)
from tests.intake_support import (
    LiveServer,
    dump_tables,
    file_haystacks,
    run_coroutine,
    secret_needles,
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
        path = f"{prefix}{PAGES.get(name, name)}".rstrip("/")
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
        # (The console's inbox filters are the one exception: states and categories, no secret.)
        assert not [url for _, url in self.requests if "?" in url and "/console/api/inbox?" not in url]
        assert stored == {"local": 0, "session": 0, "cookie": "", "databases": 0, "caches": 0}, stored
        # Reporters get no cookie; an officer's console session is the one, and it is locked down.
        console = [c for c in cookies if c["name"] == "seda_console"]
        assert all(
            (c["path"], c["httpOnly"], c["secure"], c["sameSite"]) == ("/console", True, True, "Strict")
            for c in console
        ), console
        assert len(console) == len(cookies), cookies
        assert all("/console/api/session" in url for url in self.cookies_set), self.cookies_set
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


def assert_no_plaintext_on_the_server(site: Site, canary: str, token: crypto.TrackingToken) -> None:
    """No plaintext of the report, nor the token or its lookup secret: not in any table, the
    server's log, or any file in its working directory (the database, its WAL)."""
    needles = secret_needles(canary, token, crypto.derive_from_token(token).lookup_secret)
    haystacks = {"database": dump_tables(site.url), "log": site.server.log_path.read_bytes()}
    haystacks |= file_haystacks(site.workdir)
    found = [
        (name, where) for name, needle in needles.items() for where, hay in haystacks.items() if needle in hay
    ]
    assert not found, f"leaked: {found}"
