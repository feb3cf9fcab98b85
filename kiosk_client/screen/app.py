"""The kiosk's screen server: Litestar on 127.0.0.1, every path behind a secret made at start
(``/<secret>/``), so no other program on the kiosk can drive it or read it. Every screen is
rendered at that one address from the session in memory, after a form post and a redirect
(``303``): the browser's history holds one address and no form, so "back" can only show the
current screen — after a wipe, the welcome screen. Pages are ``no-store``; nothing is kept in
the browser (no cookie, no storage; a strict CSP).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request, Response, get, post
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

import crypto
from kiosk_client.client import ClientError, ReportDraft, UnavailableError
from kiosk_client.kiosk import Kiosk, OutOfServiceError, Waiting
from kiosk_client.screen.receipt import Printer
from kiosk_client.screen.session import CHOICES, STEPS, TOKEN_DIGITS, Outcome, Session, act
from kiosk_client.screen.speech import Speaker, screen_words
from kiosk_client.screen.texts import Texts
from routing.errors import RoutingError
from routing.taxonomy import CATEGORIES

_HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_FRESH = Session()  # what a session that holds nothing of anyone looks like
_HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": CSP,
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}


@dataclass
class Screen:
    """The screen's state: the kiosk, the current session, and what the screen may use."""

    kiosk: Kiosk
    inactivity: float
    speaker: Speaker | None = None
    printer: Printer | None = None
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    session: Session = field(default_factory=Session)
    lock: threading.Lock = field(default_factory=threading.Lock)
    wipes: int = 0

    @property
    def base(self) -> str:
        return f"/{self.secret}/"

    def body_names(self) -> dict[str, tuple[str, str]]:
        """Body codes to their Persian and English names, from the verified directory."""
        documents = self.kiosk.client.verified  # the last verified: no new fetch
        if documents is None:
            return {}
        return {e.body: (e.name_fa, e.name_en) for e in documents.directory.bodies}

    def wipe(self) -> None:
        """Replace the session whole: the next person finds nothing of this one."""
        self.session = Session()
        self.wipes += 1

    def wipe_if_idle(self, now: float) -> None:
        """Wipe a session nobody touched for a while, whatever screen it is on (choices made
        before going back to the welcome screen are someone's too)."""
        if now - self.session.touched >= self.inactivity and self.session != _FRESH:
            self.wipe()

    def apply(self, form: dict[str, str]) -> None:
        """One touch, and whatever it asks for (sealing and look-ups run here, in a thread).
        Whatever goes wrong, the screen answers with a page of its own, never a raw error."""
        with self.lock:
            session = self.session
            if form.get("do") in {"start", "track"} or (
                form.get("do") == "back" and session.screen == STEPS[0]
            ):
                # A new turn starts from nothing of the last one (only the language and
                # read-aloud this person just chose on the welcome screen stay).
                language, speak = session.language, session.speak
                self.wipe()
                session = self.session
                session.language, session.speak = language, speak
            try:
                outcome = act(session, form)
                self._carry_out(session, outcome)
                if session is self.session and session.screen == "bodies":
                    self._bodies(session)  # every time: the answers before it may have changed
            except Exception:  # noqa: BLE001 (a failure must not leave the screen stuck)
                session.error = "kiosk.failed"
            session.touched = time.monotonic()  # the person waited for this: time starts now

    def _carry_out(self, session: Session, outcome: Outcome) -> None:
        if outcome.wipe:
            self.wipe()
        elif outcome.file:
            self._file(session)
        elif outcome.lookup is not None:
            self._look_up(session, outcome.lookup)
        elif outcome.follow_up is not None:
            self._follow_up(session, outcome.follow_up)
        elif outcome.print_receipt and self.printer is not None and session.token is not None:
            printed = self.printer.print_token(session.token, Texts(session.language))
            session.notice = "kiosk.printed" if printed else "kiosk.print_failed"

    def _draft(self, session: Session, text: str, choices: list[str]) -> ReportDraft:
        answers = session.answers
        identity = (
            crypto.ReporterIdentity(name=session.name, contact=session.contact) if session.name else None
        )
        return self.kiosk.draft(
            text,
            report_type=answers["report_type"],
            category=answers["category"],
            concerns=answers["concerns"],
            urgency="urgent" if session.urgent else "normal",
            identity=identity,
            language=session.language,
            reporter_choices=choices,
        )

    def _bodies(self, session: Session) -> None:
        """The bodies the policy sends this report to, and those the reporter may add (Art. 114:
        "any of the relevant bodies"): national ones, the province's, the institution's own."""
        try:
            documents = self.kiosk.documents()
            decision = self.kiosk.client.decide(self._draft(session, "-", []))
        except (OutOfServiceError, RoutingError):
            session.screen = "out_of_service"
            return
        routed = [r.body for r in decision.recipients]
        place = documents.routing.institution(self.kiosk.device.institution)
        session.routed = routed
        session.candidates = [
            b.code
            for b in documents.routing.bodies
            if b.code not in routed
            and b.active
            and (
                b.level == "national"
                or (b.level == "province" and b.province == place.province)
                or b.institution == place.code
            )
        ]
        session.choices = [code for code in session.choices if code in session.candidates]

    def _file(self, session: Session) -> None:
        draft = self._draft(session, session.text, list(session.choices))
        try:
            session.token = self.kiosk.file(draft)
        except OutOfServiceError:
            session.screen = "out_of_service"
            return
        session.text = session.name = session.contact = ""  # sealed: not kept a moment longer
        session.answers.clear()
        session.screen = "token"

    def _look_up(self, session: Session, digits: str) -> None:
        try:
            token = crypto.parse_token(digits)
        except crypto.TokenFormatError:
            session.error = "kiosk.status.bad_token"
            return
        try:
            session.found = self.kiosk.status(token)
        except OutOfServiceError:
            session.screen = "out_of_service"
            return
        except (ClientError, UnavailableError):
            session.error = "kiosk.status.not_found"
            return
        session.token = token
        session.screen = "status_view"

    def _follow_up(self, session: Session, text: str) -> None:
        if session.token is None:
            session.screen = "welcome"
            return
        try:
            self.kiosk.follow_up(
                session.token, text, retaliation=session.retaliation, protection=session.protection
            )
        except (ClientError, UnavailableError, OutOfServiceError):
            session.error = "kiosk.follow_up.failed"
            return
        session.screen = "follow_up_done"


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def create_screen_app(screen: Screen) -> Litestar:
    templates = _environment()
    categories = {c.code: c for c in CATEGORIES}

    # Every route's path starts with the secret itself: any other path is 404 by construction.
    base = screen.base

    def render() -> Response[str]:
        session = screen.session
        texts = Texts(session.language)
        names = screen.body_names()

        def body_name(code: str) -> str:
            found = names.get(code)
            return (found[0] if texts.language == "fa" else found[1]) if found else code

        category_names = {
            code: (c.name_fa if texts.language == "fa" else c.name_en) for code, c in categories.items()
        }
        html = templates.get_template(f"{session.screen}.html").render(
            s=session,
            t=texts.t,
            n=texts.digits,
            date=texts.date,
            texts=texts,
            base=screen.base,
            choices=CHOICES,
            category_names=category_names,
            inactivity=int(screen.inactivity),
            printer=screen.printer is not None,
            token_digits=TOKEN_DIGITS,
            waiting=isinstance(session.found, Waiting),
            body_name=body_name,
        )
        return Response(html, media_type="text/html", headers=_HEADERS)

    # In a worker thread: the lock may be held by a seal or a look-up for a while, and the
    # event loop must keep serving meanwhile.
    @get(base, sync_to_thread=True)
    def show() -> Response[str]:
        with screen.lock:
            screen.wipe_if_idle(time.monotonic())
            return render()

    @post(f"{base}act", status_code=303)
    async def touch(request: Request[Any, Any, Any]) -> Redirect:
        form = {key: str(value) for key, value in (await request.form()).items()}
        await anyio.to_thread.run_sync(screen.apply, form)
        return Redirect(screen.base, status_code=303, headers=_HEADERS)

    @post(f"{base}alive", status_code=204, sync_to_thread=False)
    def alive() -> None:
        """The page's heartbeat while someone types (no request otherwise for a while)."""
        screen.session.touched = time.monotonic()

    @post(f"{base}speak", status_code=204)
    async def speak() -> None:
        """Read the current screen's instructions aloud (never what was typed, never a token)."""
        if screen.speaker is not None:
            session = screen.session
            words = screen_words(session.screen, Texts(session.language))
            await anyio.to_thread.run_sync(screen.speaker.say, words, session.language)

    def idle_check() -> None:
        with screen.lock:
            screen.wipe_if_idle(time.monotonic())

    @asynccontextmanager
    async def idle_wipes(_: Litestar) -> AsyncIterator[None]:
        async def watch() -> None:
            while True:
                await anyio.sleep(1.0)
                await anyio.to_thread.run_sync(idle_check)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(watch)
            yield
            tasks.cancel_scope.cancel()

    static = create_static_files_router(
        path=f"/{screen.secret}/static", directories=[_HERE / "static"], include_in_schema=False
    )
    return Litestar(
        route_handlers=[show, touch, alive, speak, static],
        lifespan=[idle_wipes],
        openapi_config=None,
        debug=False,
    )
