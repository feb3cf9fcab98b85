"""The boxes' printed documents, as PDF: the minutes of an opening and sheets of token slips.

HTML and CSS (Jinja2 templates in ``templates/``, autoescaped) laid out by WeasyPrint with
the Vazirmatn font, so Persian letters join (HarfBuzz shaping) and run right to left. Texts
come from the translation catalogues; dates are Solar Hijri in Iran time; digits are Persian
in Persian. WeasyPrint fetches nothing but the font files of ``server/static/fonts``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import msgspec
import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from crypto.token import group_digits
from routing.deadlines import JALALI_MONTHS, LOCAL_ZONE
from server.boxes.weeks import jalali_date
from server.i18n import catalogue

TEMPLATES = Path(__file__).parent / "templates"
FONTS = Path(__file__).resolve().parents[1] / "static" / "fonts"
_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
SLIPS_PER_PAGE = 5


class MinutesLetter(msgspec.Struct, frozen=True):
    """One row of the minutes' numbered list. ``category`` is None for a letter routed away
    from the institution (the head of the institution must not learn what it is about)."""

    number: int
    report_type: str  # routing code: complaint, suggestion, criticism, objection
    signed: bool
    category: str | None  # routing category code, or None when withheld
    bodies: list[str]  # names of the bodies it was routed to, in the minutes' language


class MinutesFacts(msgspec.Struct, frozen=True):
    opening_id: str
    institution_name: str
    province_name: str
    box_code: str
    box_place: str  # the ward or hall, as registered
    opened_at: datetime  # aware, UTC; shown as a Solar Hijri date and time in Tehran time
    week_start: datetime  # aware: Saturday 00:00 Tehran time of the opening's week
    transcriber_name: str
    witnesses: list[str]
    seal_numbers: list[str]
    letter_count: int
    letters: list[MinutesLetter]


class SlipFace(msgspec.Struct, frozen=True):
    """What one printed slip shows: the stub's token (and its QR code) and the box half's
    claim code, both as canonical Latin digits (the renderer groups and translates them)."""

    number: int  # 1-based position in the batch
    token_digits: str  # 20 digits
    claim_digits: str  # 16 digits

    def __repr__(self) -> str:
        return f"SlipFace({self.number}, <hidden>)"


class DocumentFetchError(Exception):
    """A document tried to load something other than its own fonts."""


class _FontsOnly(URLFetcher):  # type: ignore[misc]  # untyped library
    """Fetches the bundled fonts and nothing else: no network, no other file."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"file"}, allow_redirects=False, fail_on_errors=True)

    def fetch(self, url: str, headers: Any = None) -> Any:
        path = Path(unquote(urlsplit(url).path)).resolve()
        if not url.startswith("file://") or not path.is_relative_to(FONTS):
            raise DocumentFetchError("a box document may load its fonts only")
        return super().fetch(url, headers)


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def _digits(language: str) -> Callable[[object], str]:
    def shown(value: object) -> str:
        text = str(value)
        return text.translate(_PERSIAN) if language == "fa" else text

    return shown


def jalali_text(moment: datetime, language: str, *, with_time: bool = True) -> str:
    """``12 Esfand 1404, 10:30`` in Iran time, in the language's digits and month names."""
    year, month, day = jalali_date(moment)
    text = f"{day} {JALALI_MONTHS[language][month - 1]} {year}"
    if with_time:
        local = moment.astimezone(LOCAL_ZONE)
        text += f"{'، ساعت' if language == 'fa' else ','} {local.hour:02d}:{local.minute:02d}"
    return _digits(language)(text)


def _render(template: str, language: str, **context: Any) -> bytes:
    texts = catalogue(language)
    css = (
        _environment()
        .get_template("base.css")
        .render(
            font_regular=(FONTS / "Vazirmatn-Regular.woff2").as_uri(),
            font_bold=(FONTS / "Vazirmatn-Bold.woff2").as_uri(),
        )
    )
    html = (
        _environment()
        .get_template(template)
        .render(
            lang=language,
            dir="rtl" if language == "fa" else "ltr",
            t=texts.gettext,
            n=_digits(language),
            css=css,
            separator="، " if language == "fa" else ", ",
            **context,
        )
    )
    document = HTML(string=html, base_url=str(TEMPLATES), url_fetcher=_FontsOnly())
    return bytes(document.write_pdf(font_config=FontConfiguration()))


def render_minutes(facts: MinutesFacts, language: str = "fa") -> bytes:
    week_end = facts.week_start + timedelta(days=6)
    week = catalogue(language).gettext("boxes.minutes.week_range")
    week = week.replace("{start}", jalali_text(facts.week_start, language, with_time=False))
    week = week.replace("{end}", jalali_text(week_end, language, with_time=False))
    return _render(
        "minutes.html", language, facts=facts, opened_at=jalali_text(facts.opened_at, language), week=week
    )


def _qr_svg(digits: str) -> str:
    svg: str = segno.make_qr(digits, error="m").svg_inline(scale=4, border=2, omitsize=True)
    return svg


def render_slips(
    slips: Sequence[SlipFace],
    *,
    batch_label: str,
    language: str = "fa",
    progress: Callable[[int, int], None] = lambda *_: None,
) -> bytes:
    shown = _digits(language)
    faces = []
    for index, slip in enumerate(slips, start=1):
        faces.append(
            {
                "number": shown(slip.number),
                "qr": _qr_svg(slip.token_digits),
                "token_local": group_digits(slip.token_digits, persian=language == "fa"),
                "token_latin": group_digits(slip.token_digits),
                "claim_local": group_digits(slip.claim_digits, persian=language == "fa"),
                "claim_latin": group_digits(slip.claim_digits),
            }
        )
        if index % SLIPS_PER_PAGE == 0:
            progress(index // 2, len(slips))  # the layout is the other half of the work
    pdf = _render("slips.html", language, slips=faces, batch=shown(batch_label))
    progress(len(slips), len(slips))
    return pdf
