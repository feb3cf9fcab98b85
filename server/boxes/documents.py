"""The boxes' printed documents, as PDF: the minutes of an opening and sheets of token slips.

HTML and CSS (Jinja2 templates in ``templates/``, autoescaped) laid out by WeasyPrint with
the Vazirmatn font (``server.printing``), so Persian letters join and run right to left. Dates
are Solar Hijri in Iran time. In Persian every digit is Persian, the typed facts' too (a seal
number entered as ``4412`` prints ``۴۴۱۲``), except in the two identifiers a reader may have
to type or compare character by character: the box's code and the opening's id (in the
footer of every page), printed as they are. WeasyPrint fetches nothing but the font files of
``server/static/fonts``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint import HTML

from crypto.token import group_digits
from server.i18n import catalogue
from server.printing import FontsOnly, digits, font_config, jalali_text, page_numbers, stylesheet

__all__ = [
    "MinutesFacts",
    "MinutesLetter",
    "SlipFace",
    "jalali_text",
    "render_minutes",
    "render_slips",
    "stylesheet",
]

TEMPLATES = Path(__file__).parent / "templates"
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


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def _text(language: str, key: str) -> str:
    return catalogue(language).gettext(key)


def _html(template: str, language: str, **context: Any) -> HTML:
    html = (
        _environment()
        .get_template(template)
        .render(
            lang=language,
            dir="rtl" if language == "fa" else "ltr",
            t=lambda key: _text(language, key),
            n=digits(language),
            css=stylesheet(),
            **context,
        )
    )
    return HTML(string=html, base_url=str(TEMPLATES), url_fetcher=FontsOnly())


def render_minutes(facts: MinutesFacts, language: str = "fa") -> bytes:
    """The minutes of one opening, an A4 PDF in ``language`` (``fa`` or ``en``)."""
    week = _text(language, "boxes.minutes.week_range")
    week = week.replace("{start}", jalali_text(facts.week_start, language, with_time=False))
    week = week.replace("{end}", jalali_text(facts.week_start + timedelta(days=6), language, with_time=False))
    shown = digits(language)
    separator = "، " if language == "fa" else ", "
    document = _html(
        "minutes.html",
        language,
        facts=facts,
        listed=lambda items: separator.join(map(shown, items)),
        opened_at=jalali_text(facts.opened_at, language),
        week=week,
        page_numbers=page_numbers(language),
    )
    return bytes(document.write_pdf(font_config=font_config()))


def _qr_svg(digits: str) -> str:
    # Error correction at least M; segno raises it to Q while the symbol stays version 1
    # (20 digits fit either way), which only makes a worn slip easier to scan.
    svg: str = segno.make_qr(digits, error="m", boost_error=True).svg_inline(scale=1, border=2, omitsize=True)
    return svg


def _face(slip: SlipFace, language: str) -> dict[str, str]:
    persian = language == "fa"
    return {
        "number": digits(language)(slip.number),
        "qr": _qr_svg(slip.token_digits),
        "token_local": group_digits(slip.token_digits, persian=persian),
        "token_latin": group_digits(slip.token_digits),
        "claim_local": group_digits(slip.claim_digits, persian=persian),
        "claim_latin": group_digits(slip.claim_digits),
    }


def render_slips(
    slips: Sequence[SlipFace],
    *,
    batch_label: str,
    language: str = "fa",
    progress: Callable[[int, int], None] = lambda *_: None,
) -> bytes:
    """A4 sheets of ``SLIPS_PER_PAGE`` slips each. Each sheet is laid out on its own so that
    ``progress(slips laid out, total)`` moves as the work does; the last call, once the PDF
    is written, is ``(total, total)``. Raises ``ValueError`` for no slips."""
    if not slips:
        raise ValueError("a batch has at least one slip")
    fonts = font_config()
    batch = digits(language)(batch_label)
    sheets = []
    for start in range(0, len(slips), SLIPS_PER_PAGE):
        if start:
            progress(start, len(slips))
        faces = [_face(slip, language) for slip in slips[start : start + SLIPS_PER_PAGE]]
        sheets.append(_html("slips.html", language, slips=faces, batch=batch).render(font_config=fonts))
    # Any rendered document writes the pages of all of them (WeasyPrint's documented recipe).
    pdf = bytes(sheets[0].copy([page for sheet in sheets for page in sheet.pages]).write_pdf())
    progress(len(slips), len(slips))
    return pdf
