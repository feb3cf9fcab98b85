"""A summary's charts: bars (a table's cells) and the 13-month trend, as self-contained SVG.

Pure functions of the figures: no clock, no I/O, nothing fetched (the font is named, never
linked: ``Vazirmatn, sans-serif``). ElementTree writes the SVG, so every label is escaped.
Persian charts are mirrored: bars grow leftwards from the labels on the right, and the trend
runs from the oldest month on the right to the newest on the left.

Browsers shape SVG text, so the console shows these images as they are. WeasyPrint does not:
it draws SVG text one character at a time, unjoined and left to right (``svg/text.py``), so
the PDF draws bars as HTML boxes from ``bar_rows`` and the trend as ``trend_chart(...,
text=False)`` (geometry only) between HTML rows of values and months from ``trend_columns``.
Both read the same rows, so the two pictures agree.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from server.summaries import labels
from server.summaries.model import Summary, Table, TrendPoint

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "Vazirmatn, sans-serif"
BAR_COLOUR = "#1f78a4"
CURRENT_COLOUR = "#0b3c5d"  # the summary's own month in the trend
WITHHELD_COLOUR = "#8a8a8a"
WITHHELD_MARK = "—"
WIDTH = 640
TREND_WIDTH = 728  # 56 a month: room for "Ordibehesht" under its column
_ROW = 24  # a bar's row, in SVG units (px)
_FONT_SIZE = 12
_VALUE_ROOM = 60  # beside the longest bar, for its value
_PLOT = 140  # the trend's columns' height
_TREND_TOP = 20  # room for the values above the columns
_TREND_BOTTOM = 36  # room for the month and the year below them


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int | None
    withheld: bool = False


@dataclass(frozen=True, slots=True)
class BarRow:
    label: str
    shown: str  # the value as written, or the withheld mark
    fraction: float | None  # of the longest bar; None: no bar (withheld)


@dataclass(frozen=True, slots=True)
class Column:
    month: str  # the month's name
    year: str
    shown: str  # the value as written, the withheld mark, or "" (no summary that month)
    fraction: float | None  # of the tallest column; None: no column
    withheld: bool
    current: bool


def bars_of(table: Table, language: str) -> list[Bar]:
    """A table's cells as bars, labelled in ``language``."""
    return [
        Bar(labels.label(table.name, cell.key, language), cell.value, cell.withheld) for cell in table.cells
    ]


def bar_rows(bars: Sequence[Bar], language: str) -> list[BarRow]:
    """Each bar's label, written value and length; a withheld bar has the mark and no length."""
    longest = max((bar.value for bar in bars if bar.value is not None), default=0)
    return [
        BarRow(bar.label, WITHHELD_MARK, None)
        if bar.value is None
        else BarRow(bar.label, labels.number(bar.value, language), bar.value / longest if longest else 0.0)
        for bar in bars
    ]


def trend_columns(points: Sequence[TrendPoint], language: str) -> list[Column]:
    """The trend's columns, oldest first; the last point is the summary's month."""
    tallest = max((point.reports for point in points if point.reports is not None), default=0)
    columns = []
    for index, point in enumerate(points):
        month, _, year = labels.month_name(point.month, language).rpartition(" ")
        if point.reports is None:
            shown, fraction = (WITHHELD_MARK if point.withheld else ""), None
        else:
            shown = labels.number(point.reports, language)
            fraction = point.reports / tallest if tallest else 0.0
        columns.append(Column(month, year, shown, fraction, point.withheld, index == len(points) - 1))
    return columns


def _svg(width: float, height: float, language: str, title: str | None) -> ET.Element:
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": _n(width),
            "height": _n(height),
            "viewBox": f"0 0 {_n(width)} {_n(height)}",
            "font-family": FONT,
            "font-size": str(_FONT_SIZE),
            "direction": "rtl" if language == "fa" else "ltr",
            "role": "img",
        },
    )
    if title:
        ET.SubElement(root, "title").text = title
    return root


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _text(parent: ET.Element, x: float, y: float, content: str, **attributes: str) -> None:
    # ``text-anchor`` start and end follow ``direction``: in Persian "end" is the left end.
    ET.SubElement(parent, "text", {"x": _n(x), "y": _n(y), **attributes}).text = content


def _label_room(rows: Sequence[BarRow]) -> float:
    # No font metrics on the server: about 0.55 em a character, at most 45% of the width.
    widest = max((len(row.label) for row in rows), default=0) * _FONT_SIZE * 0.55
    return min(max(widest, 80.0), WIDTH * 0.45)


def _rect(parent: ET.Element, x: float, y: float, width: float, height: float, **paint: str) -> None:
    box = {"x": _n(x), "y": _n(y), "width": _n(width), "height": _n(height)}
    ET.SubElement(parent, "rect", {**box, **paint})


def bar_chart(bars: Sequence[Bar], language: str, *, title: str | None = None) -> str:
    """Horizontal bars, one row a bar, labels at the start side (right in Persian); a withheld
    bar is not drawn, its value the withheld mark."""
    rows = bar_rows(bars, language)
    rtl = language == "fa"
    room = _label_room(rows)
    start, track = room + 8, WIDTH - room - 8 - _VALUE_ROOM
    root = _svg(WIDTH, _ROW * len(rows) + 4, language, title)

    def x(left: float, width: float = 0) -> float:  # mirrored in Persian
        return WIDTH - left - width if rtl else left

    for number, row in enumerate(rows):
        baseline = number * _ROW + 18
        _text(root, x(room), baseline, row.label, **{"text-anchor": "end"})
        length = (row.fraction or 0.0) * track
        if length:
            _rect(root, x(start, length), baseline - 12, length, 16, fill=BAR_COLOUR)
        shown = {"fill": WITHHELD_COLOUR} if row.fraction is None else {}
        _text(root, x(start + length + 4), baseline, row.shown, **{"text-anchor": "start", **shown})
    return ET.tostring(root, encoding="unicode")


def _trend_column(root: ET.Element, column: Column, centre: float, base: float, wide: float) -> float:
    """One month's column, or the withheld month's dashed outline; returns its height."""
    if column.fraction is not None:
        tall = column.fraction * (_PLOT - 4)
        _rect(
            root,
            centre - wide / 2,
            base - tall,
            wide,
            tall,
            fill=CURRENT_COLOUR if column.current else BAR_COLOUR,
        )
        return tall
    if column.withheld:
        tall = _PLOT * 0.3
        dashed = {"fill": "none", "stroke": WITHHELD_COLOUR, "stroke-dasharray": "3 2"}
        _rect(root, centre - wide / 2, base - tall, wide, tall, **dashed)
        return tall
    return 0.0


def trend_chart(
    points: Sequence[TrendPoint], language: str, *, title: str | None = None, text: bool = True
) -> str:
    """The trend as columns, one a month, the summary's month darker; a withheld month is a
    dashed outline and the withheld mark, a month without a summary an empty slot. With
    ``text`` false, only the columns (the PDF writes the values and months in HTML)."""
    columns = trend_columns(points, language)
    top, bottom = (_TREND_TOP, _TREND_BOTTOM) if text else (0, 0)
    root = _svg(TREND_WIDTH, top + _PLOT + bottom, language, title)
    if not text:
        root.set("preserveAspectRatio", "none")  # stretched to the HTML columns' width
    slot, base = TREND_WIDTH / max(len(columns), 1), top + _PLOT
    ET.SubElement(
        root, "line", {"x1": "0", "x2": _n(TREND_WIDTH), "y1": _n(base), "y2": _n(base), "stroke": "#555"}
    )
    for index, column in enumerate(columns):
        centre = ((len(columns) - 1 - index if language == "fa" else index) + 0.5) * slot
        tall = _trend_column(root, column, centre, base, slot * 0.62)
        if text:
            middle = {"text-anchor": "middle", "font-size": "10"}
            for y, line in (
                (base - tall - 4, column.shown),
                (base + 14, column.month),
                (base + 28, column.year),
            ):
                _text(root, centre, y, line, **middle)
    return ET.tostring(root, encoding="unicode")


def _table_chart(name: str) -> Callable[[Summary, str], str]:
    def chart(summary: Summary, language: str) -> str:
        title = labels.text(f"chart.{name}", language)
        return bar_chart(bars_of(summary.table(name), language), language, title=title)

    return chart


def _trend(summary: Summary, language: str) -> str:
    return trend_chart(summary.trend, language, title=labels.text("chart.trend", language))


# The charts the console serves by name (``/console/api/summaries/.../charts/{name}``).
CHARTS: dict[str, Callable[[Summary, str], str]] = {
    "category": _table_chart("category"),
    "channel": _table_chart("channel"),
    "report_type": _table_chart("report_type"),
    "trend": _trend,
}
