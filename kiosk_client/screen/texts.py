"""The screen's words, digits and dates: catalogues in ``kiosk_client/locales`` (gettext
``.po``, Persian first), Persian digits, Solar Hijri dates in Tehran time."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jdatetime
from babel.messages.pofile import read_po

from routing.deadlines import JALALI_MONTHS

LANGUAGES = ("fa", "en")
RTL = frozenset({"fa"})
_LOCALES = Path(__file__).parent.parent / "locales"
_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_TEHRAN = ZoneInfo("Asia/Tehran")


@cache
def catalogue(language: str) -> dict[str, str]:
    with (_LOCALES / language / "LC_MESSAGES" / "kiosk.po").open("rb") as handle:
        messages = read_po(handle)
    return {str(m.id): str(m.string) for m in messages if m.id and m.string}


class Texts:
    """One language's texts for the templates: ``t(key)``, ``digits(x)``, ``date(moment)``."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else LANGUAGES[0]
        self._messages = catalogue(self.language)

    @property
    def direction(self) -> str:
        return "rtl" if self.language in RTL else "ltr"

    def t(self, key: str) -> str:
        return self._messages.get(key, key)

    def digits(self, value: object) -> str:
        text = str(value)
        return text.translate(_PERSIAN) if self.language == "fa" else text

    def date(self, moment: datetime | None) -> str:
        """A Solar Hijri date and hour in Tehran time, in the language's digits."""
        if moment is None:
            return "—"
        local = moment.astimezone(_TEHRAN)
        day = jdatetime.date.fromgregorian(date=local.date())
        months = JALALI_MONTHS["fa" if self.language == "fa" else "en"]
        text = f"{day.day} {months[day.month - 1]} {day.year}, {local.hour}:{local.minute:02d}"
        if self.language == "fa":
            text = text.replace(",", " ساعت")
        return self.digits(text)
