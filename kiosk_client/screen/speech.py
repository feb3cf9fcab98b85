"""Read-aloud for people who cannot read: each screen's instructions (and its choices) spoken
by espeak-ng, which speaks Persian. Never what someone typed, never a token: a ward hears it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from kiosk_client.screen.session import CHOICES
from kiosk_client.screen.texts import Texts

# The catalogue texts each screen reads out, in order.
_WORDS = {
    "welcome": ("kiosk.lead", "kiosk.start", "kiosk.track"),
    "report_type": ("kiosk.step.report_type",),
    "category": ("kiosk.step.category",),
    "concerns": ("kiosk.step.concerns",),
    "bodies": ("kiosk.step.bodies", "kiosk.bodies.routed", "kiosk.bodies.add"),
    "text": ("kiosk.step.text", "kiosk.step.text.hint", "kiosk.urgent"),
    "identity": (
        "kiosk.step.identity",
        "kiosk.identity.anonymous",
        "kiosk.identity.signed",
        "kiosk.identity.note",
    ),
    "confirm": ("kiosk.step.confirm", "kiosk.send"),
    "token": ("kiosk.token.title", "kiosk.token.lead"),
    "status_entry": ("kiosk.status.title",),
    "status_view": ("kiosk.status.state",),
    "follow_up": ("kiosk.follow_up.title",),
    "follow_up_done": ("kiosk.follow_up.sent",),
    "out_of_service": ("kiosk.out_of_service.title", "kiosk.out_of_service.lead"),
}
_PREFIX = {"report_type": "report_type", "category": "category", "concerns": "concern"}


def screen_words(screen: str, texts: Texts) -> str:
    words = [texts.t(key) for key in _WORDS.get(screen, ())]
    if screen in CHOICES:
        words += [texts.t(f"{_PREFIX[screen]}.{value}") for value in CHOICES[screen]]
    return ". ".join(words)


class Speaker:
    """espeak-ng (or ``command``); ``out`` writes a WAV file instead of playing (tests)."""

    def __init__(self, command: str = "espeak-ng", out: Path | None = None) -> None:
        found = shutil.which(command)
        if found is None:
            raise FileNotFoundError(command)
        self.command = found
        self.out = out

    def say(self, words: str, language: str) -> None:
        voice = "fa" if language == "fa" else "en"
        target = ["-w", str(self.out)] if self.out is not None else []
        subprocess.run(  # noqa: S603 (a fixed program; the words are catalogue texts)
            [self.command, "-v", voice, *target, "--", words],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
