"""One person's turn at the kiosk: which screen, what they chose and typed, the token shown.
It lives in the kiosk process's memory only and is replaced whole by ``wipe`` (finish, or
inactivity): no screen of a previous turn can be reached again, nothing is written anywhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import crypto
from kiosk_client.client import Status
from kiosk_client.kiosk import Waiting
from routing.taxonomy import CATEGORIES
from routing.vocabulary import Concern, ReportType

# The report's steps, in order; each chooses one thing or takes the text.
STEPS = ("report_type", "category", "concerns", "bodies", "text", "identity", "confirm")
CHOICES: dict[str, tuple[str, ...]] = {
    "report_type": tuple(t.value for t in ReportType),
    "category": tuple(c.code for c in CATEGORIES),
    "concerns": tuple(c.value for c in Concern),
}
MAX_TEXT = 50_000
MAX_NAME = 200
MAX_CONTACT = 300
MAX_CHOICES = 8  # bodies a reporter may add (the server's limit too)
TOKEN_DIGITS = 20


@dataclass
class Session:
    language: str = "fa"
    speak: bool = False
    screen: str = "welcome"
    answers: dict[str, str] = field(default_factory=dict)
    text: str = field(default="", repr=False)
    name: str = field(default="", repr=False)
    contact: str = field(default="", repr=False)
    urgent: bool = False
    # Bodies: those the policy chose (shown), those the reporter may add, those added.
    routed: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    token: crypto.TrackingToken | None = field(default=None, repr=False)
    found: Status | Waiting | None = field(default=None, repr=False)
    retaliation: bool = False
    protection: bool = False
    error: str | None = None  # a catalogue key
    notice: str | None = None  # a catalogue key
    touched: float = field(default_factory=time.monotonic, compare=False)


@dataclass
class Outcome:
    """What an act asks the screen to do besides changing the session."""

    file: bool = False
    lookup: str | None = field(default=None, repr=False)  # the typed token's digits
    follow_up: str | None = field(default=None, repr=False)
    print_receipt: bool = False
    wipe: bool = False


def act(session: Session, form: dict[str, str], clock: Callable[[], float] = time.monotonic) -> Outcome:
    """Apply one touch to the session; what else must happen (seal, look up, print, wipe)."""
    session.touched = clock()
    session.error = None
    session.notice = None
    do = form.get("do", "")
    if do == "language":
        session.language = "en" if session.language == "fa" else "fa"
    elif do == "speak":
        session.speak = not session.speak
    elif do in {"finish", "wipe"}:
        return Outcome(wipe=True)
    elif do == "start":
        session.screen = STEPS[0]
    elif do == "track":
        session.screen = "status_entry"
    elif do == "back":
        _back(session)
    elif session.screen in STEPS:
        return _report_step(session, do, form)
    else:
        return _follow_step(session, do, form)
    return Outcome()


def _report_step(session: Session, do: str, form: dict[str, str]) -> Outcome:  # noqa: PLR0911 (one return per step)
    """A touch on one of the report's screens."""
    screen, value = session.screen, form.get("value", "")
    if do == "choose" and screen in CHOICES:
        if value not in CHOICES[screen]:
            session.error = "kiosk.required"
            return Outcome()
        session.answers[screen] = value
    elif do == "toggle_body" and screen == "bodies":
        _toggle(session, value)
        return Outcome()
    elif do == "text" and screen == "text":
        session.urgent = form.get("urgent") == "yes"
        text = form.get("text", "").strip()
        if not text:
            session.error = "kiosk.required"
            return Outcome()
        session.text = text[:MAX_TEXT]
    elif do == "identity" and screen == "identity":
        signed = value == "signed"
        name = form.get("name", "").strip()[:MAX_NAME]
        if signed and not name:
            session.error = "kiosk.required"
            return Outcome()
        session.name = name if signed else ""
        session.contact = form.get("contact", "").strip()[:MAX_CONTACT] if signed else ""
    elif do == "send" and screen == "confirm":
        return Outcome(file=True)
    elif do != "bodies" or screen != "bodies":
        return Outcome()  # not an act of this screen: nothing changes
    _forward(session)
    return Outcome()


def _follow_step(session: Session, do: str, form: dict[str, str]) -> Outcome:
    """A touch on the token, status or follow-up screens."""
    screen = session.screen
    if do == "print" and screen == "token":
        return Outcome(print_receipt=True)
    if do == "status" and screen == "status_entry":
        return Outcome(lookup="".join(ch for ch in form.get("token", "") if ch.isdigit())[: TOKEN_DIGITS * 2])
    if do == "follow_up" and screen == "status_view":
        session.retaliation = form.get("retaliation") == "yes"
        session.protection = session.retaliation
        session.screen = "follow_up"
    elif do == "send_follow_up" and screen == "follow_up":
        text = form.get("text", "").strip()
        if text:
            return Outcome(follow_up=text[:MAX_TEXT])
        session.error = "kiosk.required"
    return Outcome()


def _toggle(session: Session, body: str) -> None:
    if body in session.choices:
        session.choices.remove(body)
    elif body in session.candidates and len(session.choices) < MAX_CHOICES:
        session.choices.append(body)
    elif body in session.candidates:
        session.error = "kiosk.bodies.full"


def _forward(session: Session) -> None:
    session.screen = STEPS[STEPS.index(session.screen) + 1]


def _back(session: Session) -> None:
    if session.screen in STEPS and session.screen != STEPS[0]:
        session.screen = STEPS[STEPS.index(session.screen) - 1]
    elif session.screen == "follow_up":
        session.screen = "status_view"
    else:  # home: nothing of the report or the look-up stays
        session.screen = "welcome"
        session.answers.clear()
        session.text = session.name = session.contact = ""
        session.choices.clear()
        session.token = None
        session.found = None
