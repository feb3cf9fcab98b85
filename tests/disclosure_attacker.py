"""The reader of a suppressed view as an attacker: an integer-programming solver (SciPy's HiGHS)
that knows every published cell, every relation, and that each withheld cell is a whole number
≥ 1 (zeros are published). Independent of ``server.summaries.disclosure``'s own audit."""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from server.summaries.disclosure import DEFAULT_THRESHOLD, Relation

Cell = TypeVar("Cell", bound=Hashable)


def recovered(
    values: Mapping[Cell, int], withheld: frozenset[Cell], relations: Sequence[Relation]
) -> set[Cell]:
    """The withheld cells whose value an attacker pins down: everything published is fixed, every
    withheld cell a whole number ≥ 1 (zeros are published), every relation holds. A cell is
    safe once the solver finds such a point where it differs from its true value (checked
    exactly, in integers); otherwise the solver could move it neither down (minimising it) nor
    up (maximising it)."""
    unknowns, unsafe = sorted(withheld, key=repr), set(withheld)
    for cell, direction in itertools.product(unknowns, (1, -1)):
        if cell in unsafe:
            point = _extreme(values, unknowns, relations, cell, direction)
            unsafe -= {other for other in unknowns if point[other] != values[other]}
    return unsafe


def held_small(
    values: Mapping[Cell, int],
    thresholds: Mapping[Cell, int],
    withheld: frozenset[Cell],
    relations: Sequence[Relation],
) -> set[Cell]:
    """The withheld primary cells that the same attacker can show to be below their threshold:
    the largest whole value the suppressed view allows them is still small."""
    unknowns = sorted(withheld, key=repr)
    return {
        cell
        for cell in unknowns
        if cell in primary(values, thresholds)
        and _extreme(values, unknowns, relations, cell, -1)[cell] < thresholds.get(cell, DEFAULT_THRESHOLD)
    }


def _extreme(
    values: Mapping[Cell, int],
    unknowns: list[Cell],
    relations: Sequence[Relation],
    cell: Cell,
    direction: int,
) -> dict[Cell, int]:
    """A point of the attacker's program (whole numbers ≥ 1, every relation) where ``cell`` is
    smallest (direction 1) or largest (-1), checked exactly."""
    matrix, bound = _program(dict(values.items()), unknowns, relations)
    objective = np.zeros(len(unknowns))
    objective[unknowns.index(cell)] = direction
    # A finite box keeps every program bounded; it only makes the attacker's job easier.
    result = milp(
        objective,
        constraints=LinearConstraint(matrix, bound, bound),
        integrality=np.ones(len(unknowns)),
        bounds=Bounds(1, 2 * sum(values.values()) + 10),
    )
    assert result.status == 0, result.message  # the true values are always feasible
    point = np.round(result.x).astype(int)
    assert (point >= 1).all()
    assert (matrix @ point == bound).all()
    return dict(zip(unknowns, point.tolist(), strict=True))


def _program(
    values: dict[Hashable, int], unknowns: Sequence[Hashable], relations: Sequence[Relation]
) -> tuple[np.ndarray, np.ndarray]:
    """The relations as matrix · unknowns = bound, the published cells moved to the right."""
    index = {cell: number for number, cell in enumerate(unknowns)}
    rows, bound = [], []
    for relation in relations:
        row, constant = np.zeros(len(unknowns)), 0
        for cell, sign in [(relation.total, 1), *((part, -1) for part in relation.parts)]:
            if cell in index:
                row[index[cell]] += sign
            else:
                constant -= sign * values[cell]
        if row.any():
            rows.append(row)
            bound.append(constant)
    return np.array(rows).reshape(len(rows), len(unknowns)), np.array(bound, dtype=float)


def primary(values: Mapping[Cell, int], thresholds: Mapping[Cell, int]) -> set[Cell]:
    return {cell for cell, value in values.items() if 0 < value < thresholds.get(cell, DEFAULT_THRESHOLD)}
