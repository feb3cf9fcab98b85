"""From a month's raw counts to its summaries: roll-up, disclosure control, documents.

One pass makes every summary of the month, for every institution, province and the nation
in both views, because disclosure control has to see the whole country at once: a province's
cell is the sum of its institutions', so a cell withheld in one place must not be computable
from the cells published in the others (``server.summaries.disclosure``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from math import ceil

from routing.bodies import BODY_TYPES
from routing.taxonomy import CATEGORY_CODES
from routing.vocabulary import Channel, Concern, ReporterType, ReportStatus, ReportType, Urgency
from server.db.models import Outcome, Triage
from server.summaries import disclosure
from server.summaries.figures import Counts, MonthFigures
from server.summaries.model import (
    BoxCompliance,
    Cell,
    Growth,
    ScopeLevel,
    Section,
    Summary,
    Table,
    Thresholds,
    Timing,
    TrendPoint,
    Unit,
    UnitTotal,
    View,
)

NATION = "national"
TOTAL = "*"
BODY_TYPE_CODES = tuple(sorted(body.code for body in BODY_TYPES))
SENSITIVE_CATEGORIES = ("ill_treatment", "restraints", "retaliation")
# Tables keyed by body type: the signed routing policy is public and ties body types to
# categories (every ill-treatment report goes to the judiciary's protection intelligence), so
# a body type's count can give a withheld category away. The suppressed view publishes only
# their totals; the full view has them whole (docs/SUMMARIES.md §3).
BODY_TYPE_TABLES = frozenset({"recipient_body", "escalation", "referral"})
GROWTH_SHOWN = 5


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str
    section: Section
    total: str | None  # the group whose total the cells partition; None: no total
    keys: tuple[str, ...]  # always listed (a zero is published as 0); others as found
    sensitive: bool = False  # every cell gets the sensitive threshold


def _values(*members: object) -> tuple[str, ...]:
    return tuple(str(member) for member in members)


SPECS: tuple[TableSpec, ...] = (
    TableSpec("report_type", Section.RECEIVED, "reports", _values(*ReportType)),
    TableSpec("category", Section.RECEIVED, "reports", tuple(sorted(CATEGORY_CODES))),
    TableSpec("concerns", Section.RECEIVED, "reports", _values(*Concern)),
    TableSpec("reporter_type", Section.RECEIVED, "reports", _values(*ReporterType)),
    TableSpec("channel", Section.RECEIVED, "reports", _values(*Channel)),
    TableSpec("urgency", Section.RECEIVED, "reports", _values(*Urgency)),
    TableSpec("retaliation", Section.RECEIVED, "retaliation", ("filed", "raised_later"), sensitive=True),
    TableSpec("recipient_body", Section.RECEIVED, "cases", BODY_TYPE_CODES),
    TableSpec("status", Section.RECEIVED, "cases", _values(*ReportStatus)),
    TableSpec("acknowledgement_deadline", Section.HANDLED, "acknowledged", ("within", "late")),
    TableSpec("outcome", Section.HANDLED, "closed", _values(*Outcome)),
    TableSpec("triage", Section.HANDLED, "closed", (*_values(*Triage), "untriaged")),
    TableSpec("closure_deadline", Section.HANDLED, "closed", ("within", "late")),
    TableSpec("missed_deadline", Section.HANDLED, None, ("acknowledgement", "feedback")),
    TableSpec("escalation", Section.HANDLED, "escalations", ()),
    TableSpec("referral", Section.HANDLED, "referrals", ()),
)
TIMINGS = (
    ("acknowledgement", "acknowledged", "acknowledgement_deadline"),
    ("closure", "closed", "closure_deadline"),
)


@dataclass(frozen=True, slots=True)
class Place:
    """An institution as the builder needs it."""

    id: int
    unit: Unit
    province: str  # the province's code


@dataclass(frozen=True, slots=True)
class Country:
    provinces: tuple[Unit, ...]
    institutions: tuple[Place, ...]
    nation: Unit


@dataclass(frozen=True, slots=True)
class Month:
    code: str
    starts: datetime
    ends: datetime
    made_at: datetime


Earlier = Mapping[str, Mapping[tuple[View, str], Summary]]  # month → (view, unit code) → summary


@dataclass
class _Rolled:
    """Every cell of the month for every unit: (table, unit code, key) → count."""

    cells: dict[tuple[str, str, str], int]
    keys: dict[str, tuple[str, ...]]
    hours: dict[tuple[str, str], Counter[int]]
    boxes: dict[str, tuple[int, int, int]]


def _units(country: Country) -> list[tuple[str, list[str]]]:
    """Each parent unit with its children: provinces with their institutions, the nation with
    the provinces."""
    children: dict[str, list[str]] = {unit_key(p): [] for p in country.provinces}
    for place in country.institutions:
        children[f"{ScopeLevel.PROVINCE}:{place.province}"].append(unit_key(place.unit))
    return [*children.items(), (unit_key(country.nation), [unit_key(p) for p in country.provinces])]


def unit_key(unit: Unit) -> str:
    """A unit's key among the cells: its level and code (an institution may share its
    province's code)."""
    return f"{unit.level}:{unit.code}"


def _roll_up(figures: MonthFigures, country: Country) -> _Rolled:
    by_id = {place.id: place for place in country.institutions}
    cells: dict[tuple[str, str, str], int] = {}
    keys: dict[str, tuple[str, ...]] = {}
    for spec in SPECS:
        found: Counts = figures.tables.get(spec.name, {})
        seen = {key for counter in found.values() for key in counter}
        keys[spec.name] = (*spec.keys, *sorted(seen - set(spec.keys)))
        for place in country.institutions:
            counter = found.get(place.id, Counter())
            for key in keys[spec.name]:
                cells[spec.name, unit_key(place.unit), key] = counter[key]
    hours = {
        (name, unit_key(by_id[place_id].unit)): Counter(histogram)
        for name, per_place in figures.hours.items()
        for place_id, histogram in per_place.items()
    }
    boxes = {unit_key(by_id[i].unit): value for i, value in figures.boxes.items() if i in by_id}
    for parent, children in _units(country):
        for spec in SPECS:
            for key in keys[spec.name]:
                cells[spec.name, parent, key] = sum(cells[spec.name, child, key] for child in children)
        for name, _, _ in TIMINGS:
            hours[name, parent] = sum((hours.get((name, child), Counter()) for child in children), Counter())
        sums = [boxes.get(child, (0, 0, 0)) for child in children]
        boxes[parent] = (sum(s[0] for s in sums), sum(s[1] for s in sums), sum(s[2] for s in sums))
    _add_totals(cells, keys)
    return _Rolled(cells, keys, hours, boxes)


def _add_totals(cells: dict[tuple[str, str, str], int], keys: Mapping[str, tuple[str, ...]]) -> None:
    """Each group's total (reports, cases, closed, ...) per unit, the sum of any of its tables."""
    units = {code for (_, code, _) in cells}
    for spec in SPECS:
        if spec.total is None:
            continue
        for unit in units:
            total = sum(cells[spec.name, unit, key] for key in keys[spec.name])
            known = cells.setdefault((spec.total, unit, TOTAL), total)
            if known != total:  # pragma: no cover - the queries count each case once per table
                raise AssertionError(f"table {spec.name} does not add up to its total")


def _disclosure(rolled: _Rolled, country: Country, thresholds: Thresholds) -> frozenset[tuple[str, str, str]]:
    """The cells the suppressed view withholds."""
    cells = rolled.cells
    sensitive = set(thresholds.sensitive_keys)
    limits = dict.fromkeys(cells, thresholds.default)
    relations: list[disclosure.Relation] = []
    families = _units(country)
    units = [unit_key(place.unit) for place in country.institutions] + [parent for parent, _ in families]
    by_body = {cell for cell in cells if cell[0] in BODY_TYPE_TABLES}
    for spec in SPECS:
        if spec.name in BODY_TYPE_TABLES:
            continue  # withheld whole, below; their totals stay in the model
        for unit in units:
            ids = [(spec.name, unit, key) for key in rolled.keys[spec.name]]
            if spec.total is not None:
                relations.append(disclosure.Relation((spec.total, unit, TOTAL), tuple(ids)))
            for cell in ids:
                if spec.sensitive or (spec.name == "category" and cell[2] in sensitive):
                    limits[cell] = thresholds.sensitive
        for key in rolled.keys[spec.name]:
            for parent, children in families:
                parts = tuple((spec.name, child, key) for child in children)
                relations.append(disclosure.Relation((spec.name, parent, key), parts))
    for group in {spec.total for spec in SPECS if spec.total is not None}:
        for parent, children in families:
            parts = tuple((group, child, TOTAL) for child in children)
            relations.append(disclosure.Relation((group, parent, TOTAL), parts))
    for unit in units:
        limits["retaliation", unit, TOTAL] = thresholds.sensitive
        # The same reports counted twice: the category's cell and the retaliation table's.
        relations.append(
            disclosure.Relation(("category", unit, "retaliation"), (("retaliation", unit, "filed"),))
        )
    kept = {cell: value for cell, value in cells.items() if cell not in by_body}
    withheld: frozenset[tuple[str, str, str]] = disclosure.suppress(
        kept, {cell: limit for cell, limit in limits.items() if cell in kept}, relations
    )
    return withheld | by_body


def percentile(histogram: Counter[int], fraction: float) -> float | None:
    """The nearest-rank percentile of a histogram of whole hours (the median is 0.5: the
    lower middle value)."""
    count = sum(histogram.values())
    if count == 0:
        return None
    rank = max(1, ceil(fraction * count))
    seen = 0
    for hours in sorted(histogram):
        seen += histogram[hours]
        if seen >= rank:
            return float(hours)
    raise AssertionError("unreachable")  # pragma: no cover


def _share(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return round(100 * part / whole, 1)


@dataclass(frozen=True, slots=True)
class _Reader:
    """The figures of one unit in one view."""

    rolled: _Rolled
    withheld: frozenset[tuple[str, str, str]]
    unit: str

    def get(self, table: str, key: str, unit: str | None = None) -> int | None:
        cell = (table, unit or self.unit, key)
        return None if cell in self.withheld else self.rolled.cells[cell]


def _table(reader: _Reader, spec: TableSpec, earlier: Sequence[Summary | None]) -> Table:
    total = reader.get(spec.total, TOTAL) if spec.total else None
    before = [_cells_of(summary, spec.name) for summary in earlier]
    cells = []
    for key in reader.rolled.keys[spec.name]:
        value = reader.get(spec.name, key)
        previous, year_ago = (found.get(key) for found in before)
        cells.append(
            Cell(
                key=key,
                value=value,
                withheld=value is None,
                share=_share(value, total) if spec.total else None,
                previous=previous,
                year_ago=year_ago,
                change_previous=None if value is None or previous is None else value - previous,
                change_year_ago=None if value is None or year_ago is None else value - year_ago,
            )
        )
    return Table(
        name=spec.name,
        section=spec.section,
        has_total=spec.total is not None,
        total=total,
        total_withheld=spec.total is not None and total is None,
        cells=tuple(cells),
    )


def _cells_of(summary: Summary | None, table: str) -> dict[str, int | None]:
    if summary is None:
        return {}
    try:
        return {cell.key: cell.value for cell in summary.table(table).cells}
    except KeyError:
        return {}


def _timings(reader: _Reader) -> tuple[Timing, ...]:
    timings = []
    for name, group, deadline in TIMINGS:
        count = reader.get(group, TOTAL)
        histogram = reader.rolled.hours.get((name, reader.unit), Counter())
        shown = count is not None and count > 0
        timings.append(
            Timing(
                name=name,
                count=count,
                median_hours=percentile(histogram, 0.5) if shown else None,
                p90_hours=percentile(histogram, 0.9) if shown else None,
                within_deadline_share=_share(reader.get(deadline, "within"), count),
                withheld=count is None,
            )
        )
    return tuple(timings)


def _growth(tables: Sequence[Table]) -> tuple[Growth, ...]:
    """The published categories and concerns that grew most against each earlier month."""
    grown = []
    for table in tables:
        if table.name not in {"category", "concerns"}:
            continue
        for against in ("previous", "year_ago"):
            found = []
            for cell in table.cells:
                earlier = cell.previous if against == "previous" else cell.year_ago
                if cell.value is not None and earlier is not None and cell.value > earlier:
                    found.append(
                        Growth(
                            table=table.name,
                            key=cell.key,
                            value=cell.value,
                            earlier=earlier,
                            change=cell.value - earlier,
                            against=against,
                        )
                    )
            found.sort(key=lambda g: (-g.change, g.key))
            grown.extend(found[:GROWTH_SHOWN])
    return tuple(grown)


def build(
    figures: MonthFigures,
    country: Country,
    month: Month,
    thresholds: Thresholds,
    *,
    earlier: Earlier,
    previous: str,
    year_ago: str,
    trend: Sequence[tuple[str, Mapping[tuple[View, str], int | None]]],
) -> list[Summary]:
    """Every summary of the month: each unit in both views."""
    rolled = _roll_up(figures, country)
    withheld = _disclosure(rolled, country, thresholds)
    provinces = {unit.code: unit for unit in country.provinces}
    scopes: list[tuple[Unit, Unit | None, list[Unit]]] = [
        (place.unit, provinces[place.province], []) for place in country.institutions
    ]
    for region in country.provinces:
        members = [p.unit for p in country.institutions if p.province == region.code]
        scopes.append((region, None, members))
    scopes.append((country.nation, None, list(country.provinces)))
    made = []
    for view, hidden in ((View.FULL, frozenset[tuple[str, str, str]]()), (View.SUPPRESSED, withheld)):
        for unit, province, members in scopes:
            reader = _Reader(rolled, hidden, unit_key(unit))
            before = [earlier.get(m, {}).get((view, unit_key(unit))) for m in (previous, year_ago)]
            tables = tuple(_table(reader, spec, before) for spec in SPECS)
            reports = reader.get("reports", TOTAL)
            points = [_trend_point(m, found, (view, unit_key(unit))) for m, found in trend]
            points.append(TrendPoint(month=month.code, reports=reports, withheld=reports is None))
            boxes = rolled.boxes.get(unit_key(unit), (0, 0, 0))
            made.append(
                Summary(
                    month=month.code,
                    starts=month.starts,
                    ends=month.ends,
                    view=view,
                    scope=unit,
                    province=province,
                    made_at=month.made_at,
                    thresholds=thresholds,
                    tables=tables,
                    timings=_timings(reader),
                    boxes=BoxCompliance(boxes=boxes[0], weeks_expected=boxes[1], weeks_opened=boxes[2]),
                    trend=tuple(points),
                    growth=_growth(tables),
                    units=tuple(
                        UnitTotal(
                            unit=m,
                            reports=reader.get("reports", TOTAL, unit_key(m)),
                            withheld=reader.get("reports", TOTAL, unit_key(m)) is None,
                        )
                        for m in members
                    ),
                )
            )
    return made


def _trend_point(
    month: str, found: Mapping[tuple[View, str], int | None], key: tuple[View, str]
) -> TrendPoint:
    """An earlier month's reports as its stored summary showed them (none stored: unknown)."""
    if key not in found:
        return TrendPoint(month=month, reports=None)
    reports = found[key]
    return TrendPoint(month=month, reports=reports, withheld=reports is None)


__all__ = [
    "NATION",
    "SPECS",
    "TOTAL",
    "Country",
    "Earlier",
    "Month",
    "Place",
    "ScopeLevel",
    "build",
    "percentile",
]
