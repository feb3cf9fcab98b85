"""A monthly summary as an A4 PDF, Persian (right to left, Persian digits) or English.

Laid out like the boxes' documents (``server.boxes.documents``: its stylesheet, Vazirmatn
fonts, the fetcher that loads nothing but them, Solar Hijri dates and page numbers) from
``templates/summary.html``. A withheld figure prints as ``charts.WITHHELD_MARK`` with the
legend saying why, never as a number; a comparison that does not apply is blank. The footer
of every page has the SHA-256 of the summary's canonical JSON and the signing key's id, so a
reader can match a printed copy to the signed JSON. Bars are HTML boxes and the trend's
labels HTML text, because WeasyPrint does not shape SVG text (``charts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint import HTML

from server.printing import FontsOnly, css_string, font_config, jalali_text, page_numbers, stylesheet
from server.summaries import charts, labels
from server.summaries.model import (
    Cell,
    ScopeLevel,
    Section,
    SignedSummary,
    Summary,
    Table,
    Timing,
    Unit,
    View,
)

TEMPLATES = Path(__file__).parent / "templates"
MARK = charts.WITHHELD_MARK
_SEPARATOR = {"fa": "، ", "en": ", "}
_UNITS_TITLE = {ScopeLevel.PROVINCE: "units.province", ScopeLevel.NATIONAL: "units.national"}


@dataclass(frozen=True, slots=True)
class Figure:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Row:
    """One printed table row: the label, then the figures as written."""

    label: str
    figures: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PrintedTable:
    title: str
    total: str  # "" for a table without a total
    rows: tuple[Row, ...]


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


class _Writer:
    """Figures of one summary as written in one language."""

    def __init__(self, summary: Summary, language: str) -> None:
        self.summary = summary
        self.language = language

    def t(self, key: str, **values: object) -> str:
        return labels.text(key, self.language, **values)

    def count(self, value: int | None, withheld: bool = False) -> str:
        if withheld:
            return MARK
        return self.t("not_applicable") if value is None else labels.number(value, self.language)

    def cell(self, value: int | None, withheld: bool) -> str:
        """A table's figure: the mark when withheld, blank when it does not apply."""
        if withheld:
            return MARK
        return "" if value is None else labels.number(value, self.language)

    def share(self, value: float | None, withheld: bool) -> str:
        if value is None:
            return MARK if withheld else ""
        return labels.percent(value, self.language)

    def change(self, value: int | None, withheld: bool) -> str:
        if value is None:
            return MARK if withheld else ""
        return labels.change(value, self.language)

    def table_total(self, name: str) -> str:
        table = self.summary.table(name)
        return self.count(table.total, table.total_withheld)

    def timing(self, name: str) -> Timing | None:
        return next((timing for timing in self.summary.timings if timing.name == name), None)

    def unit_name(self, unit: Unit) -> str:
        name = labels.digits(unit.name_fa, "fa") if self.language == "fa" else unit.name_en
        return self.t("province_of", name=name) if unit.level == ScopeLevel.PROVINCE else name


def _figures(w: _Writer) -> list[Figure]:
    summary = w.summary
    missed = {cell.key: cell for cell in summary.table("missed_deadline").cells}

    def missed_count(key: str) -> str:
        cell = missed.get(key)
        return w.count(cell.value if cell else 0, cell.withheld if cell else False)

    boxes = summary.boxes
    n = labels.number
    return [
        Figure(w.t("figure.reports"), w.table_total("report_type")),
        Figure(w.t("figure.cases"), w.table_total("recipient_body")),
        Figure(
            w.t("figure.acknowledged"),
            w.table_total("acknowledgement_deadline"),
            _within(w, "acknowledgement"),
        ),
        Figure(w.t("figure.closed"), w.table_total("outcome"), _within(w, "closure")),
        Figure(w.t("figure.acknowledgement_hours"), _hours(w, "acknowledgement")),
        Figure(w.t("figure.closure_hours"), _hours(w, "closure")),
        Figure(
            w.t("figure.missed"),
            w.t(
                "figure.missed_value",
                acknowledgement=missed_count("acknowledgement"),
                feedback=missed_count("feedback"),
            ),
        ),
        Figure(w.t("figure.escalations"), w.table_total("escalation")),
        Figure(w.t("figure.referrals"), w.table_total("referral")),
        Figure(w.t("figure.retaliation"), w.table_total("retaliation")),
        Figure(
            w.t("figure.boxes"),
            w.t(
                "figure.boxes_value",
                opened=n(boxes.weeks_opened, w.language),
                expected=n(boxes.weeks_expected, w.language),
                boxes=n(boxes.boxes, w.language),
            ),
        ),
    ]


def _within(w: _Writer, name: str) -> str:
    timing = w.timing(name)
    if timing is None or (timing.within_deadline_share is None and not timing.withheld):
        return ""
    return w.t("figure.within", share=w.share(timing.within_deadline_share, timing.withheld))


def _hours(w: _Writer, name: str) -> str:
    timing = w.timing(name)
    if timing is not None and timing.withheld:
        return MARK
    if timing is None or timing.median_hours is None or timing.p90_hours is None:
        return w.t("not_applicable")
    median, p90 = (labels.number(hours, w.language) for hours in (timing.median_hours, timing.p90_hours))
    return w.t("figure.hours_value", median=median, p90=p90)


def _row(w: _Writer, table: Table, cell: Cell) -> Row:
    return Row(
        labels.label(table.name, cell.key, w.language),
        (
            w.cell(cell.value, cell.withheld),
            w.share(cell.share, cell.withheld or table.total_withheld),
            w.cell(cell.previous, False),
            w.change(cell.change_previous, cell.withheld),
            w.cell(cell.year_ago, False),
            w.change(cell.change_year_ago, cell.withheld),
        ),
    )


def _table(w: _Writer, table: Table) -> PrintedTable:
    total = w.t("total", total=w.count(table.total, table.total_withheld)) if table.has_total else ""
    rows = tuple(_row(w, table, cell) for cell in table.cells)
    return PrintedTable(labels.table_title(table.name, w.language), total, rows)


def _sections(w: _Writer) -> list[tuple[str, list[PrintedTable]]]:
    return [
        (w.t(f"section.{section.value}"), [_table(w, t) for t in w.summary.tables if t.section == section])
        for section in Section
    ]


def _growth(w: _Writer) -> list[tuple[str, list[Row]]]:
    groups = []
    for against in ("previous", "year_ago"):
        rows = [
            Row(
                labels.label(g.table, g.key, w.language),
                (
                    labels.table_title(g.table, w.language),
                    labels.number(g.value, w.language),
                    labels.number(g.earlier, w.language),
                    labels.change(g.change, w.language),
                ),
            )
            for g in w.summary.growth
            if g.against == against
        ]
        groups.append((w.t(f"growth.{against}"), rows))
    return groups


def _units(w: _Writer) -> tuple[str, list[Row]]:
    title = _UNITS_TITLE.get(w.summary.scope.level)
    if title is None or not w.summary.units:
        return "", []
    rows = [Row(w.unit_name(u.unit), (w.cell(u.reports, u.withheld),)) for u in w.summary.units]
    return w.t(title), rows


def _heading(w: _Writer) -> tuple[str, str, str]:
    """The title, the scope's line and the period."""
    summary, language = w.summary, w.language
    scope = w.unit_name(summary.scope)
    if summary.province is not None:  # an institution's
        scope = f"{scope}{_SEPARATOR[language]}{w.unit_name(summary.province)}"
    # A colon, not a dash: the dash is the withheld mark, and appears for nothing else.
    title = f"{w.t('title')}: {labels.month_name(summary.month, language)}"
    last_day = summary.ends - timedelta(microseconds=1)
    period = w.t(
        "period_range",
        start=jalali_text(summary.starts, language, with_time=False),
        end=jalali_text(last_day, language, with_time=False),
    )
    return title, scope, period


def _legend(w: _Writer) -> str:
    thresholds = w.summary.thresholds
    sensitive = _SEPARATOR[w.language].join(
        labels.label("category", k, w.language) for k in thresholds.sensitive_keys
    )
    return w.t(
        "legend.withheld",
        threshold=labels.number(thresholds.default, w.language),
        sensitive=labels.number(thresholds.sensitive, w.language),
        sensitive_keys=sensitive,
    )


def _context(summary: Summary, language: str) -> dict[str, Any]:
    w = _Writer(summary, language)
    title, scope, period = _heading(w)
    units_title, units = _units(w)

    def bars(name: str) -> list[charts.BarRow]:
        return charts.bar_rows(charts.bars_of(summary.table(name), language), language)

    return {
        "lang": language,
        "dir": "rtl" if language == "fa" else "ltr",
        "t": w.t,
        "title": title,
        "scope": scope,
        "period": period,
        "made_at": jalali_text(summary.made_at, language),
        "full": summary.view == View.FULL,
        "legend": _legend(w),
        "mark": MARK,
        "figures": _figures(w),
        "category": bars("category"),
        "channel": bars("channel"),
        "report_type": bars("report_type"),
        "trend": charts.trend_columns(summary.trend, language),
        "trend_svg": charts.trend_chart(summary.trend, language, text=False),
        "bar_colour": charts.BAR_COLOUR,
        "sections": _sections(w),
        "growth": _growth(w),
        "units_title": units_title,
        "units": units,
    }


def _footer(language: str, content_sha256: str, key_id: str) -> str:
    """The ``content`` of every page's footer: the content hash, and the key on a second line."""
    hashed = labels.text("footer.hash", language)
    key = labels.text("footer.key", language)
    return css_string(f"{hashed}: {content_sha256}\n{key}: {key_id}")


def render_summary(summary: Summary, language: str, *, content_sha256: str, key_id: str) -> bytes:
    """The summary as an A4 PDF in ``language`` (``fa`` or ``en``), its footer naming
    ``content_sha256`` (of the canonical JSON) and the signing ``key_id``."""
    html = (
        _environment()
        .get_template("summary.html")
        .render(
            css=stylesheet(),
            page_numbers=page_numbers(language),
            footer=_footer(language, content_sha256, key_id),
            **_context(summary, language),
        )
    )
    document = HTML(string=html, base_url=str(TEMPLATES), url_fetcher=FontsOnly())
    return bytes(document.write_pdf(font_config=font_config()))


def render_signed(signed: SignedSummary, language: str) -> bytes:
    """A stored summary's PDF, with its own hash and key id."""
    return render_summary(
        signed.summary, language, content_sha256=signed.content_sha256, key_id=signed.key_id
    )
