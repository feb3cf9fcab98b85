"""Translation catalogues: every user-facing string, Persian first, English beside it.

Catalogues are ordinary gettext ``.po`` files under ``locales/`` (one per language), read
with Babel once per process (``preload`` runs at application start, so no request waits on
a file). Persian is the default language; a client picks
another with ``Accept-Language``. More languages (Art. 111: Azerbaijani, Kurdish, Arabic,
Baluchi) are a new folder, not new code.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "fa"
DOMAIN = "seda"


class Catalogue:
    """The translated messages of one language."""

    def __init__(self, language: str, messages: dict[str, str]) -> None:
        self.language = language
        self._messages = messages

    def gettext(self, msgid: str) -> str:
        """The translation of ``msgid``; the msgid itself when the catalogue lacks it."""
        return self._messages.get(msgid) or msgid

    def __contains__(self, msgid: str) -> bool:
        return bool(self._messages.get(msgid))

    def keys(self) -> frozenset[str]:
        """Every message id this catalogue translates."""
        return frozenset(key for key, value in self._messages.items() if value)


@cache
def supported_languages() -> tuple[str, ...]:
    """Languages with a catalogue, the default first."""
    found = sorted(path.parent.parent.name for path in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (DEFAULT_LANGUAGE, *[lang for lang in found if lang != DEFAULT_LANGUAGE])


@cache
def catalogue(language: str) -> Catalogue:
    """Load (once) the catalogue of a supported language."""
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=language, domain=DOMAIN)
    messages = {str(m.id): str(m.string) for m in po if m.id and isinstance(m.id, str) and m.string}
    return Catalogue(language, messages)


def preload() -> None:
    """Read every catalogue now (called by the app factory)."""
    for language in supported_languages():
        catalogue(language)


def negotiate(accept_language: str | None) -> str:
    """Pick the supported language a client prefers most; Persian when nothing matches.

    Parses ``Accept-Language`` (RFC 9110) leniently: a malformed header means the default.
    """
    if not accept_language:
        return DEFAULT_LANGUAGE
    supported = supported_languages()
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in supported and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE
