"""The monthly summary document (schema ``seda.summary/1``, docs/SUMMARIES.md).

A summary is made for one Solar Hijri month and one scope (an institution, a province or the
nation) in one view: ``full`` for the Prisons Organization's own readers, ``suppressed`` for
wider distribution (small cells withheld, ``server.summaries.disclosure``). Every figure is a
count of routing metadata or case events; no field can hold report content.

Fields are only appended, with defaults, so an older reader keeps reading a newer summary.
A withheld figure is ``None`` (JSON ``null``) with ``withheld`` true; a figure that does not
apply (no previous month yet) is ``None`` with ``withheld`` false.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec

SCHEMA = "seda.summary/1"


class View(StrEnum):
    FULL = "full"
    SUPPRESSED = "suppressed"


class ScopeLevel(StrEnum):
    INSTITUTION = "institution"
    PROVINCE = "province"
    NATIONAL = "national"


class Section(StrEnum):
    """``received``: the reports received in the month (and their cases, as they stood when
    the summary was made); ``handled``: what bodies did in the month, whichever month the
    report came in."""

    RECEIVED = "received"
    HANDLED = "handled"


class Cell(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    key: str
    value: int | None
    withheld: bool = False
    # Percent of the table's total, one decimal; withheld with the cell or the total.
    share: float | None = None
    # The same cell in the previous month's and the year-earlier month's summary (same view
    # and scope), and the change from each; None where either side is withheld.
    previous: int | None = None
    year_ago: int | None = None
    change_previous: int | None = None
    change_year_ago: int | None = None


class Table(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    name: str
    section: Section
    # Whether the cells partition the total (a report has one category) or may overlap or
    # leave some out (a report has several recipient bodies): then there is no total.
    has_total: bool
    total: int | None
    total_withheld: bool = False
    cells: tuple[Cell, ...] = ()


class Timing(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Hours from a body receiving a case to acknowledging or closing it, over the cases
    acknowledged or closed in the month; withheld below the threshold."""

    name: str  # "acknowledgement" or "closure"
    count: int | None
    median_hours: float | None = None
    p90_hours: float | None = None
    within_deadline_share: float | None = None
    withheld: bool = False


class BoxCompliance(msgspec.Struct, frozen=True, kw_only=True):
    """Weeks whose Saturday falls in the month that a box owed an opening in, and how many of
    them had one (docs/BOXES.md); about staff duties, not reporters, so never withheld."""

    boxes: int
    weeks_expected: int
    weeks_opened: int

    @property
    def weeks_missed(self) -> int:
        return self.weeks_expected - self.weeks_opened


class TrendPoint(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    month: str
    reports: int | None
    withheld: bool = False


class Growth(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A category or concern that grew most against an earlier month (Art. 115's causes and
    factors), from published cells only."""

    table: str
    key: str
    value: int
    earlier: int
    change: int
    against: str  # "previous" or "year_ago"


class Unit(msgspec.Struct, frozen=True, kw_only=True):
    level: ScopeLevel
    code: str
    name_fa: str
    name_en: str


class UnitTotal(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A unit one level down (an institution of a province, a province of the nation) and
    its reports in the month."""

    unit: Unit
    reports: int | None
    withheld: bool = False


class Thresholds(msgspec.Struct, frozen=True, kw_only=True):
    default: int
    sensitive: int
    sensitive_keys: tuple[str, ...]


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    schema: str = SCHEMA
    month: str  # "1405-08"
    starts: datetime
    ends: datetime
    view: View
    scope: Unit
    province: Unit | None = None  # an institution's province
    made_at: datetime
    thresholds: Thresholds
    tables: tuple[Table, ...]
    timings: tuple[Timing, ...]
    boxes: BoxCompliance
    trend: tuple[TrendPoint, ...] = ()
    growth: tuple[Growth, ...] = ()
    units: tuple[UnitTotal, ...] = ()

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)


class SignedSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A summary as it is handed out: its canonical JSON's SHA-256 and an Ed25519 signature
    over that JSON by the server's summary key (``server.summaries.signing``)."""

    summary: Summary
    content_sha256: str
    signature: str
    key_id: str
    public_key: str


class SignedDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A ``SignedSummary`` with the summary as the exact stored bytes: what the terminal
    writes and ``seda summary verify`` reads, so that the hash covers every byte of the copy
    (an added field changes it) and a summary made before a field was appended still hashes
    as it was made."""

    summary: msgspec.Raw
    content_sha256: str
    signature: str
    key_id: str
    public_key: str


_encoder = msgspec.json.Encoder()


def canonical(summary: Summary) -> bytes:
    """The bytes a summary's hash and signature cover: msgspec's JSON, fields in their
    declared order (no mapping anywhere, so the order is fixed)."""
    return _encoder.encode(summary)


def month_code(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def parse_month(code: str) -> tuple[int, int]:
    """``"1405-08"`` → (1405, 8); ``ValueError`` for anything else."""
    year, sep, month = code.partition("-")
    if not sep or len(year) != 4 or len(month) != 2 or not (year + month).isascii():
        raise ValueError("a month is written YYYY-MM in the Solar Hijri calendar, e.g. 1405-08")
    number = int(month) if month.isdigit() else 0
    if not year.isdigit() or not 1 <= number <= 12:
        raise ValueError("a month is written YYYY-MM in the Solar Hijri calendar, e.g. 1405-08")
    return int(year), number
