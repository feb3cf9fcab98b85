"""Disclosure control (server.summaries.disclosure): primary and complementary suppression, and
an attacker with an integer-programming solver who must not recover any withheld cell.

The property test's budget is ``SEDA_TEST_DISCLOSURE_EXAMPLES`` examples (100 by default);
raise it for a longer hunt, e.g. ``SEDA_TEST_DISCLOSURE_EXAMPLES=2000 pytest
tests/test_summary_disclosure.py``. Hypothesis is derandomized and keeps no example database.
"""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.summary_disclosure import country
from server.summaries.disclosure import Relation, determined, suppress
from tests.disclosure_attacker import held_small, primary, recovered

EXAMPLES = int(os.environ.get("SEDA_TEST_DISCLOSURE_EXAMPLES", "100"))
ROOT = Path(__file__).resolve().parent.parent
Values = dict[Hashable, int]
Cell = TypeVar("Cell", bound=Hashable)
Country = dict[tuple[str, str, str], int]  # (table or total, unit, key)


def table(name: str, cells: Mapping[str, int]) -> tuple[Values, list[Relation]]:
    """A one-way table: its cells and their total."""
    values: Values = {(name, key): value for key, value in cells.items()}
    values[name, "*"] = sum(cells.values())
    return values, [Relation((name, "*"), tuple((name, key) for key in cells))]


def grid(rows: Sequence[Sequence[int]]) -> tuple[Values, list[Relation]]:
    """A two-way table with its row, column and grand totals."""
    values: Values = {(i, j): value for i, row in enumerate(rows) for j, value in enumerate(row)}
    width = len(rows[0])
    for i, row in enumerate(rows):
        values[i, "*"] = sum(row)
    for j in range(width):
        values["*", j] = sum(row[j] for row in rows)
    values["*", "*"] = sum(map(sum, rows))
    relations = [Relation((i, "*"), tuple((i, j) for j in range(width))) for i in range(len(rows))]
    relations += [Relation(("*", j), tuple((i, j) for i in range(len(rows)))) for j in range(width)]
    relations.append(Relation(("*", "*"), tuple((i, "*") for i in range(len(rows)))))
    relations.append(Relation(("*", "*"), tuple(("*", j) for j in range(width))))
    return values, relations


# -- unit tests -------------------------------------------------------------------------------
def test_a_small_cell_of_a_one_way_table_gets_the_smallest_positive_other_cell_as_complement() -> None:
    values, relations = table("channel", {"kiosk": 2, "letter": 8, "phone": 12, "visit": 20})
    assert suppress(values, {}, relations) == {("channel", "kiosk"), ("channel", "letter")}


def test_complements_are_never_zero_and_prefer_a_part_to_the_total() -> None:
    values, relations = table("urgency", {"urgent": 3, "high": 0, "normal": 0, "low": 40})
    assert suppress(values, {}, relations) == {("urgency", "urgent"), ("urgency", "low")}


def test_zero_cells_are_published() -> None:
    values, relations = table("concerns", {"staff": 0, "conditions": 0, "health": 25, "other": 10})
    assert suppress(values, {}, relations) == frozenset()


def test_a_small_total_is_withheld_with_its_small_cells_and_nothing_is_determined() -> None:
    values, relations = table("type", {"complaint": 1, "request": 3, "other": 0})
    withheld = suppress(values, {}, relations)
    assert withheld == {("type", "complaint"), ("type", "request"), ("type", "*")}
    assert determined(values, withheld, relations) == frozenset()


def test_a_sensitive_cell_has_its_own_threshold() -> None:
    values, relations = table("category", {"ill_treatment": 7, "health": 7, "food": 43})
    other, more = table("urgency", {"urgent": 7, "normal": 50})
    values |= other
    thresholds: Values = {("category", "ill_treatment"): 10}
    assert suppress(values, thresholds, relations + more) == {
        ("category", "ill_treatment"),
        ("category", "health"),
    }
    assert suppress(values, {}, relations + more) == frozenset()


def test_an_equality_passes_a_withheld_value_on_and_is_protected_too() -> None:
    values, relations = table("category", {"retaliation": 7, "health": 12, "food": 30})
    more_values, more = table("retaliation", {"filed": 7, "raised_later": 0})
    values |= more_values
    relations += [*more, Relation(("category", "retaliation"), (("retaliation", "filed"),))]
    thresholds: Values = {("retaliation", "filed"): 10, ("retaliation", "*"): 10}
    withheld = suppress(values, thresholds, relations)
    # filed = category's retaliation cell, so that one goes, and with it a complement in its table.
    assert withheld == {
        ("retaliation", "filed"),
        ("retaliation", "*"),
        ("category", "retaliation"),
        ("category", "health"),
    }
    assert determined(values, withheld, relations) == frozenset()
    assert recovered(values, withheld, relations) == set()


def test_determined_finds_a_lone_withheld_cell_and_not_a_pair() -> None:
    values, relations = table("t", {"a": 2, "b": 8, "c": 12})
    assert determined(values, [("t", "a")], relations) == {("t", "a")}
    assert determined(values, [("t", "a"), ("t", "b")], relations) == frozenset()
    assert determined(values, [], relations) == frozenset()


def test_the_same_input_in_any_order_gives_the_same_cells() -> None:
    place = country(institutions=12, provinces=3)
    expected = suppress(place.values, place.thresholds, place.relations)
    rng = random.Random(7)
    for _ in range(3):
        relations = [Relation(r.total, tuple(rng.sample(r.parts, len(r.parts)))) for r in place.relations]
        rng.shuffle(relations)
        cells = list(place.values)
        rng.shuffle(cells)
        values = {cell: place.values[cell] for cell in cells}
        assert suppress(values, place.thresholds, relations) == expected


def test_the_answer_does_not_depend_on_hash_randomisation() -> None:
    program = (
        "from benchmarks.summary_disclosure import country\n"
        "from server.summaries.disclosure import suppress\n"
        "place = country(institutions=12, provinces=3)\n"
        "print(sorted(map(repr, suppress(place.values, place.thresholds, place.relations))))\n"
    )
    answers = {
        subprocess.run(
            [sys.executable, "-c", program],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(answers) == 1


@pytest.mark.parametrize(
    ("values", "relations", "message"),
    [
        ({"a": 1, "b": 2}, [Relation("a", ("b",))], "does not hold"),
        ({"a": 1}, [Relation("a", ("b",))], "without a value"),
        ({"a": -1, "b": -1}, [Relation("a", ("b",))], "negative"),
        ({"a": 2**53, "b": 2**53}, [Relation("a", ("b",))], "2\\*\\*52"),
    ],
)
def test_inconsistent_input_is_refused(
    values: dict[Hashable, int], relations: list[Relation], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        suppress(values, {}, relations)
    with pytest.raises(ValueError, match=message):
        determined(values, [], relations)


def test_a_country_shaped_month_leaves_no_cell_determined() -> None:
    place = country(institutions=24, provinces=4)
    withheld = suppress(place.values, place.thresholds, place.relations)
    assert primary(place.values, place.thresholds) <= withheld
    assert all(place.values[cell] > 0 for cell in withheld)
    assert determined(place.values, withheld, place.relations) == frozenset()


# -- regressions: where "every relation has 0 or ≥ 2 withheld cells" is not enough ------------
def test_a_bridge_between_two_blocks_is_computable_until_the_exact_check_adds_a_complement() -> None:
    values, relations = grid([[1, 2, 20, 30], [3, 4, 2, 40], [25, 35, 1, 3], [45, 50, 4, 2]])
    small = primary(values, {})
    # Every row and column holds 0 or ≥ 2 small cells, yet rows 0-1 minus columns 0-1 give (1, 2).
    assert determined(values, small, relations) == {(1, 2)}
    assert recovered(values, frozenset(small), relations) == {(1, 2)}
    withheld = suppress(values, {}, relations)
    assert withheld > small
    assert determined(values, withheld, relations) == frozenset()
    assert recovered(values, withheld, relations) == set()


def test_an_institutions_cell_computable_through_the_province_gets_a_complement() -> None:
    counts = {  # institution: (k3, k4, k5); B has only k4, D and E form a protected rectangle
        "A": (2, 2, 0),
        "B": (0, 1, 0),
        "C": (30, 40, 50),
        "D": (3, 0, 2),
        "E": (1, 0, 4),
    }
    values: Values = {}
    relations = []
    for unit, cells in [*counts.items(), ("P", tuple(map(sum, zip(*counts.values(), strict=True))))]:
        keys = [("k3", unit), ("k4", unit), ("k5", unit)]
        values |= dict(zip(keys, cells, strict=True))
        values["closed", unit] = sum(cells)
        relations.append(Relation(("closed", unit), tuple(keys)))
    relations += [
        Relation((key, "P"), tuple((key, unit) for unit in counts)) for key in ("k3", "k4", "k5", "closed")
    ]
    small = primary(values, {})
    # A's k3 = A's closed - A's k4, and closed and k4 of A and B add up to published figures.
    assert determined(values, small, relations) == {("k3", "A")}
    assert recovered(values, frozenset(small), relations) == {("k3", "A")}
    withheld = suppress(values, {}, relations)
    # closed D breaks the determination; the room rule (every withheld cell ≥ 1) adds the rest.
    assert withheld == small | {("closed", "D"), ("closed", "E"), ("k3", "C"), ("k4", "C")}
    assert recovered(values, withheld, relations) == set()
    assert held_small(values, {}, withheld, relations) == set()


def test_two_withheld_cells_that_must_add_up_to_two_get_a_complement_with_room() -> None:
    values, relations = table("category", {"ill_treatment": 1, "restraints": 1, "health": 20, "food": 18})
    withheld = suppress(values, {}, relations)
    assert withheld == {("category", "ill_treatment"), ("category", "restraints"), ("category", "food")}
    assert recovered(values, withheld, relations) == set()
    assert held_small(values, {}, withheld, relations) == set()


# -- the attacker over random hierarchies -----------------------------------------------------
SMALL = st.one_of(st.integers(0, 4), st.integers(0, 15))


@st.composite
def hierarchies(draw: st.DrawFn) -> tuple[Country, Country, list[Relation]]:
    """A nation of 1-3 provinces of 1-4 institutions, each unit with 2-3 tables of 2-5 cells
    and their totals: tables 0 and 1 share the unit's report total, an optional equality ties
    a cell of one table to a cell of a later one, and every province and national cell is the
    sum of the cells below it. Built bottom-up, so every relation holds."""
    widths = draw(st.lists(st.integers(2, 5), min_size=2, max_size=3))
    links = [
        (a, i, b, j)
        for a, b in itertools.combinations(range(len(widths)), 2)
        for i in range(widths[a])
        for j in range(widths[b])
    ]
    equality = draw(st.none() | st.sampled_from(links))
    families = [[f"i{p}.{n}" for n in range(draw(st.integers(1, 4)))] for p in range(draw(st.integers(1, 3)))]
    values: Country = {}
    for unit in itertools.chain.from_iterable(families):
        values |= draw(_unit(unit, widths, equality))
    tree = [(f"p{p}", family) for p, family in enumerate(families)] + [
        ("n", [f"p{p}" for p in range(len(families))])
    ]
    cells = [(f"t{t}", str(i)) for t, width in enumerate(widths) for i in range(width)]
    totals = ["reports", "reports", "t2"][: len(widths)]
    relations = []
    for parent, children in tree:
        for name, key in [*cells, *((total, "*") for total in dict.fromkeys(totals))]:
            parts = tuple((name, child, key) for child in children)
            values[name, parent, key] = sum(values[part] for part in parts)
            relations.append(Relation((name, parent, key), parts))
    for unit in [*itertools.chain.from_iterable(families), *(parent for parent, _ in tree)]:
        for t, width in enumerate(widths):
            parts = tuple((f"t{t}", unit, str(i)) for i in range(width))
            relations.append(Relation((totals[t], unit, "*"), parts))
        if equality is not None:
            a, i, b, j = equality
            relations.append(Relation((f"t{a}", unit, str(i)), ((f"t{b}", unit, str(j)),)))
    sensitive = draw(st.sets(st.sampled_from(cells), max_size=2))
    thresholds: Country = {cell: 10 for cell in values if (cell[0], cell[2]) in sensitive}
    return values, thresholds, relations


@st.composite
def _unit(
    draw: st.DrawFn, unit: str, widths: list[int], equality: tuple[int, int, int, int] | None
) -> Country:
    """One institution's tables: table 1 splits table 0's total, and a cell tied by the
    equality copies the earlier table's value."""
    tables: list[list[int]] = []
    for t, width in enumerate(widths):
        tied = equality is not None and equality[2] == t
        copied = tables[equality[0]][equality[1]] if equality is not None and tied else 0
        free = width - 1 if tied else width
        if t == 1:
            rest = sum(tables[0]) - copied
            cuts = sorted(draw(st.lists(st.integers(0, rest), min_size=free - 1, max_size=free - 1)))
            row = [b - a for a, b in zip([0, *cuts], [*cuts, rest], strict=True)]
        else:
            row = draw(st.lists(SMALL, min_size=free, max_size=free))
        if equality is not None and tied:
            row.insert(equality[3], copied)
        tables.append(row)
    values: Country = {
        (f"t{t}", unit, str(i)): value for t, row in enumerate(tables) for i, value in enumerate(row)
    }
    values["reports", unit, "*"] = sum(tables[0])
    if len(tables) > 2:
        values["t2", unit, "*"] = sum(tables[2])
    return values


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(hierarchies())
def test_an_attacker_with_an_integer_solver_recovers_no_withheld_cell(
    data: tuple[Country, Country, list[Relation]],
) -> None:
    values, thresholds, relations = data
    withheld = suppress(values, thresholds, relations)
    assert primary(values, thresholds) <= withheld
    assert all(values[cell] > 0 for cell in withheld)
    assert determined(values, withheld, relations) == frozenset()
    assert recovered(values, withheld, relations) == set()


def test_a_small_cell_in_no_relation_is_withheld_alone() -> None:
    assert suppress({"a": 2, "b": 7}, {}, []) == {"a"}
    assert suppress({"a": 3}, {}, [Relation("a", ("a",))]) == {"a"}
