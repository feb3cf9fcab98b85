"""Printed documents (the boxes' minutes and slips, the monthly summaries) as PDF.

HTML and CSS laid out by WeasyPrint with the bundled Vazirmatn font, so Persian letters join
(HarfBuzz shaping) and run right to left; dates in the Solar Hijri calendar, Iran time; digits
Persian in Persian. WeasyPrint fetches nothing but the font files of ``server/static/fonts``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jdatetime
from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from routing.deadlines import JALALI_MONTHS, LOCAL_ZONE
from server.i18n import catalogue

FONTS = Path(__file__).resolve().parents[1] / "static" / "fonts"
# Latin and Arabic-Indic digits (either may be typed) shown as Persian ones.
_PERSIAN = str.maketrans("0123456789٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹" * 2)


class DocumentFetchError(Exception):
    """A document tried to load something other than its own fonts."""


class FontsOnly(URLFetcher):  # type: ignore[misc]  # untyped library
    """Fetches the bundled fonts and nothing else: no network, no other file. A refusal stops
    the rendering (``fail_on_errors``) instead of leaving a resource out silently."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"file"}, allow_redirects=False, fail_on_errors=True)

    def fetch(self, url: str, headers: Any = None) -> Any:
        path = Path(unquote(urlsplit(url).path)).resolve()
        if not url.startswith("file://") or not path.is_relative_to(FONTS):
            raise DocumentFetchError("a printed document may load its fonts only")
        return super().fetch(url, headers)


_fonts = threading.local()


def font_config() -> FontConfiguration:
    """This thread's font configuration, made once: it keeps the fonts it has loaded, and
    decompressing Vazirmatn's two WOFF2 files would otherwise take half of every rendering.
    One a thread, because Pango's font maps are not meant to be shared between threads."""
    config: FontConfiguration | None = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = FontConfiguration()
    return config


def digits(language: str) -> Callable[[object], str]:
    """Shows a value with the language's digits."""

    def shown(value: object) -> str:
        text = str(value)
        return text.translate(_PERSIAN) if language == "fa" else text

    return shown


def jalali_text(moment: datetime, language: str, *, with_time: bool = True) -> str:
    """``12 Esfand 1404, 10:30`` in Iran time, in the language's digits and month names."""
    local = moment.astimezone(LOCAL_ZONE)
    day = jdatetime.date.fromgregorian(date=local.date())
    text = f"{day.day} {JALALI_MONTHS[language][day.month - 1]} {day.year}"
    if with_time:
        text += f"{'، ساعت' if language == 'fa' else ','} {local.hour:02d}:{local.minute:02d}"
    return digits(language)(text)


def css_string(text: str) -> str:
    """``text`` as a CSS string literal (for generated content)."""
    escaped = "".join(f"\\{ord(char):x} " if char in '"\\\n\r' else char for char in text)
    return f'"{escaped}"'


def page_numbers(language: str) -> str:
    """The ``content`` of a page-number margin box: ``Page 1 of 2`` in the language's digits."""
    style = "persian" if language == "fa" else "decimal"
    before, _, rest = catalogue(language).gettext("document.page").partition("{page}")
    between, _, after = rest.partition("{pages}")
    parts = (before, f"counter(page, {style})", between, f"counter(pages, {style})", after)
    return " ".join(part if part.startswith("counter(") else css_string(part) for part in parts)


@cache
def stylesheet() -> str:
    """The documents' shared CSS (``base.css``), its fonts pointing at the bundled files."""
    environment = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape())
    return environment.get_template("base.css").render(
        font_regular=(FONTS / "Vazirmatn-Regular.woff2").as_uri(),
        font_bold=(FONTS / "Vazirmatn-Bold.woff2").as_uri(),
    )
