"""Disclosure control over a whole country's month: ``server.summaries.disclosure.suppress``.

A synthetic country shaped like the real summaries (``server.summaries.build``): a nation,
its provinces and their institutions, each unit with the same tables of about 15 cells; the
tables of a group partition one shared total (reports, cases, closed, ...), one table has no
total, the retaliation table's ``filed`` equals the category table's ``retaliation`` cell, and
every province and national cell is the sum of the cells below it. Institution sizes are
spread log-normally, so small institutions have mostly small cells.

Reference: the same run on half the units (half the provinces, half the institutions). The
ratio full / half is what to compare between changes: 2 means the time grows linearly with
the country.

Run: ``.venv/bin/python -m benchmarks.summary_disclosure`` (``--institutions 270 --provinces 31``).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass

from server.summaries.disclosure import Relation, suppress

Cell = tuple[str, str, str]
TOTAL = "*"
NATION = "national"
KEYS = 14  # cells per table, besides its total
# (table, group whose total it partitions, the group's size relative to the unit's reports)
TABLES: tuple[tuple[str, str | None, float], ...] = (
    *((name, "reports", 1.0) for name in ("type", "category", "concerns", "reporter", "channel", "urgency")),
    ("recipient", "cases", 1.4),
    ("status", "cases", 1.4),
    ("acknowledgement", "acknowledged", 0.9),
    ("outcome", "closed", 0.6),
    ("triage", "closed", 0.6),
    ("closure", "closed", 0.6),
    ("missed", None, 0.2),
    ("escalation", "escalations", 0.1),
    ("referral", "referrals", 0.2),
)
SENSITIVE = ("category", "k00"), ("category", "k01")


@dataclass(frozen=True, slots=True)
class Country:
    values: dict[Cell, int]
    thresholds: dict[Cell, int]
    relations: list[Relation]


def country(institutions: int = 270, provinces: int = 31, seed: int = 1405) -> Country:
    """Counts for every unit, built bottom-up so that every relation holds."""
    rng = random.Random(seed)
    weights = {table: _zipf(rng) for table, _, _ in TABLES}
    families = [
        (f"prov:{p}", [f"inst:{i}" for i in range(p, institutions, provinces)]) for p in range(provinces)
    ]
    tree = [(parent, children) for parent, children in families if children]
    tree.append((NATION, [parent for parent, _ in tree]))
    values: dict[Cell, int] = {}
    for _, children in tree[:-1]:
        for unit in children:
            _institution(rng, unit, weights, values)
    relations: list[Relation] = []
    for parent, children in tree:
        for table, key in _layout():
            parts = tuple((table, child, key) for child in children)
            values[table, parent, key] = sum(values[part] for part in parts)
            relations.append(Relation((table, parent, key), parts))
    relations += _tables([unit for _, children in tree for unit in children] + [NATION])
    thresholds = {cell: 10 for cell in values if (cell[0], cell[2]) in SENSITIVE or cell[0] == "retaliation"}
    return Country(values, thresholds, relations)


def _layout() -> list[tuple[str, str]]:
    """Every unit's cells, as (table or group, key)."""
    cells = [(table, f"k{key:02}") for table, _, _ in TABLES for key in range(KEYS)]
    cells += [(group, TOTAL) for group in dict.fromkeys(group for _, group, _ in TABLES if group)]
    return [*cells, ("retaliation", "filed"), ("retaliation", "raised_later"), ("retaliation", TOTAL)]


def _zipf(rng: random.Random) -> list[float]:
    weights = [1 / (rank + 1) ** 1.3 for rank in range(KEYS)]
    rng.shuffle(weights)
    return weights


def _institution(
    rng: random.Random, unit: str, weights: dict[str, list[float]], values: dict[Cell, int]
) -> None:
    reports = round(rng.lognormvariate(math.log(35), 1.1))
    totals: dict[str, int] = {}
    for table, group, share in TABLES:
        size = totals.setdefault(group or table, round(reports * share))
        drawn = Counter(rng.choices(range(KEYS), weights[table], k=size))
        for key in range(KEYS):
            values[table, unit, f"k{key:02}"] = drawn[key]
        if group is not None:
            values[group, unit, TOTAL] = size
    retaliation = values["category", unit, "k03"]
    values["retaliation", unit, "filed"] = retaliation
    values["retaliation", unit, "raised_later"] = later = rng.randrange(3)
    values["retaliation", unit, TOTAL] = retaliation + later


def _tables(units: list[str]) -> list[Relation]:
    relations = []
    for unit in units:
        for table, group, _ in TABLES:
            if group is not None:
                parts = tuple((table, unit, f"k{key:02}") for key in range(KEYS))
                relations.append(Relation((group, unit, TOTAL), parts))
        relations.append(
            Relation(
                ("retaliation", unit, TOTAL),
                (("retaliation", unit, "filed"), ("retaliation", unit, "raised_later")),
            )
        )
        relations.append(Relation(("category", unit, "k03"), (("retaliation", unit, "filed"),)))
    return relations


def measure(place: Country, repeats: int) -> tuple[float, int]:
    """The median time of ``suppress`` over the place, and how many cells it withholds."""
    times, withheld = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        withheld = len(suppress(place.values, place.thresholds, place.relations))
        times.append(time.perf_counter() - started)
    return statistics.median(times), withheld


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=270)
    parser.add_argument("--provinces", type=int, default=31)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    institutions, provinces = max(2, min(args.institutions, 5000)), max(1, min(args.provinces, 500))
    full = country(institutions, provinces)
    half = country(institutions // 2, max(1, provinces // 2))
    for name, place in (("full", full), ("half", half)):
        primary = sum(0 < v < place.thresholds.get(c, 5) for c, v in place.values.items())
        seconds, withheld = measure(place, args.repeats)
        print(
            f"{name}: {len(place.values):,} cells, {len(place.relations):,} relations, "
            f"{primary:,} primary, {withheld:,} withheld: {seconds:.2f} s"
        )
        if name == "full":
            full_seconds = seconds
    print(f"ratio full / half: {full_seconds / seconds:.2f}")


if __name__ == "__main__":
    main()
