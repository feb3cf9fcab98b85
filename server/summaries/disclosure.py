"""Disclosure control for the suppressed view: which cells of a month's summaries to withhold.

§1 Primary suppression. A cell with 0 < value < its threshold (``DEFAULT_THRESHOLD`` unless
the caller names another, e.g. 10 for the sensitive categories) could point to a person and
is withheld. Zeros are published: "nobody reported" points to no one.

§2 Complementary suppression. The published figures are tied by additive relations (a
table's total is the sum of its cells, a province's cell the sum of its institutions', one
total shared by several tables, equalities), so a withheld cell could be computed from the
published ones. ``suppress`` withholds more cells until none can:

- the cheap pass: while a relation has exactly one withheld member, withhold the smallest
  positive published member of that relation (parts before the total on ties);
- the room rule (§3) alongside it;
- the exact check (§4): for each connected group of withheld cells, which of them does the
  linear system of the relations determine? For a determined primary cell, find the formula
  an attacker would use (cell = a combination of published cells) and withhold the published
  cell it needs, preferring positive cells, then one that every such formula needs (so that
  withholding it breaks the determination), then the smallest, parts before the total; run
  the cheap pass again and check again, until no primary cell is determined. (The formula
  uses a positive cell: it gives a positive value.)
- the integer audit (§5): a cell that no whole-number solution ≥ 1 can move gets a
  complement next to it, and the checks run again;
- finally, complements that are still determined are published again: they protect nothing
  (every solution of the relations that changes a withheld cell leaves them as they are), so
  publishing them tells an attacker nothing about the others.

§3 The attacker's lower bound. Zeros are published, so a reader knows every withheld cell is
a whole number ≥ 1 (primary cells are, and complements are taken positive: a relation whose
one withheld member is positive always has a positive published member). Within one relation
whose one side is all published, the withheld members W of the other side have a known sum
S, so each is at most S - (|W| - 1): two withheld cells that must add up to 2 are both 1. The
room rule: while that bound is below a withheld primary member's threshold, withhold the
side's smallest published positive member, preferring 2 or more (a cell at 1 sits on the
bound and cannot give anything up), else the other side's. It runs with the cheap pass
until neither adds a cell. It is a rule per relation, a cheap first step: bounds that chain
through several relations are the integer audit's (§5).

§4 The exact check. Unknowns are the withheld cells of a group, equations the relations that
touch them, with published cells moved to the right-hand side. A cell is determined exactly
when every solution v of the homogeneous system has v_c = 0. The system is brought to echelon
form by sparse Gaussian elimination (shortest row first, its rarest column as pivot), modulo
the Mersenne prime 2**61 - 1 (exact, with machine-sized numbers; the relations' coefficients
are ±1, and a rank could only differ from the rational one if that prime divided one of
their minors, which for sums over a few hundred units are tiny). Back-substitution from
pseudo-random values of the free unknowns gives one solution v; a cell with v_c = 0 is
reported determined. A cell that is determined always gets 0; one that is not gets 0 with
probability 2**-61: a primary cell would get one complement more than needed, a complement
would be published again although it is not determined (the audit of §5 then treats it as
published, so every other cell stays unpinned; only that complement's own value could be
exposed, with that probability). The values come from a fixed seed, so the result depends on
nothing but the input.

§5 The integer audit. The reader's program: every published cell fixed, every withheld cell a
whole number ≥ 1, every relation holding. A withheld cell is safe when some solution of that
program gives it another value than its own. For each connected group of withheld cells
(cells the exact check leaves to be published again are fixed like published ones):

- which cells at 1 are forced to stay 1? An integer program (SciPy's HiGHS) maximises the
  number of them that reach 2, and again over those still at 1, until none can;
- the cells the relations determine once the forced cells are known (§4) are pinned too;
- every other cell must be seen at another value in a solution: those the earlier solutions
  already moved are, and for the rest the program minimises, then maximises, the cell.

Every solution is rounded and checked exactly in integers before it counts: a solver's error
can only make a cell look pinned, which withholds one complement more, never publish
anything. What has been shown safe stays safe when more cells are withheld (the reader's
program only gains solutions), so each round solves only for what is still open. The
solver's box (every cell at most twice the largest value of the group, plus 10) can likewise
only make a cell look pinned. A pinned cell gets as complement the nearest published positive
cell of a relation it is in (2 or more first, then the smallest, parts before totals); once
every positive cell of a group is withheld, doubling every withheld value is a solution, so
the rounds end.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeAlias, TypeVar

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array, csr_array, hstack, identity

# The caller's ids, e.g. ("category", "inst:12", "ill_treatment"): their repr orders the cells,
# so it must not change between runs (tuples of strings and numbers; not sets).
CellId: TypeAlias = Hashable
# The caller's own cell type, so that a dict[tuple[str, str, str], int] goes in (Mapping is
# invariant in its keys) and a frozenset[tuple[str, str, str]] comes out.
_Cell = TypeVar("_Cell", bound=Hashable)
DEFAULT_THRESHOLD = 5
_PRIME = (1 << 61) - 1
_LARGEST = 1 << 52  # the integer audit's solver is exact in floating point up to here (§5)
_Row: TypeAlias = tuple[tuple[int, int], ...]  # (cell index, coefficient), by cell index


@dataclass(frozen=True, slots=True)
class Relation:
    """value(total) == sum(value(p) for p in parts) holds for the published data."""

    total: CellId
    parts: tuple[CellId, ...]


@dataclass(frozen=True, slots=True)
class _System(Generic[_Cell]):
    """The relations over cell indices. Cells are numbered in the order of their ``repr`` and
    rows are deduplicated and sorted, so nothing depends on the input's order, nor on hashing
    for ids whose ``repr`` does not (``CellId``)."""

    cells: tuple[_Cell, ...]
    values: tuple[int, ...]
    rows: tuple[_Row, ...]
    touching: tuple[tuple[int, ...], ...]  # cell index -> the rows it appears in


def suppress(
    values: Mapping[_Cell, int], thresholds: Mapping[_Cell, int], relations: Sequence[Relation]
) -> frozenset[_Cell]:
    """The cells to withhold: every cell with 0 < value < threshold (``DEFAULT_THRESHOLD`` for a
    cell missing from ``thresholds``), and complements until no withheld cell's value is
    determined by the published values and the relations (module docstring, §1-§2).

    Raises ``ValueError`` if a relation names a cell without a value, a value is negative or
    above 2**52, or a relation does not hold.
    """
    system = _system(values, relations)
    primary = {
        cell
        for cell, value in enumerate(system.values)
        if 0 < value < thresholds.get(system.cells[cell], DEFAULT_THRESHOLD)
    }
    limits = {cell: thresholds.get(system.cells[cell], DEFAULT_THRESHOLD) for cell in primary}
    withheld = set(primary)
    _settle(system, withheld, limits, range(len(system.rows)))
    cache: dict[frozenset[int], frozenset[int]] = {}
    audit = _Audit()
    while True:
        exposed = _determined(system, withheld, cache)
        if exposed & primary:
            added = {_complement(system, withheld, group) for group in _groups(system, exposed & primary)}
        else:
            added = {_repair(system, withheld, cell) for cell in audit.pinned(system, withheld - exposed)}
            if not added:
                break
        withheld.update(added)
        _settle(system, withheld, limits, (row for cell in added for row in system.touching[cell]))
    # Publishing a determined cell leaves every solution of the homogeneous system as it was.
    return frozenset(system.cells[cell] for cell in withheld - exposed)


def determined(
    values: Mapping[_Cell, int], withheld: Iterable[_Cell], relations: Sequence[Relation]
) -> frozenset[_Cell]:
    """The withheld cells whose value follows from the published cells and the relations
    (module docstring, §4). Raises ``ValueError`` like ``suppress``, and for a withheld cell
    without a value."""
    system = _system(values, relations)
    index = {cell: number for number, cell in enumerate(system.cells)}
    try:
        hidden = {index[cell] for cell in withheld}
    except KeyError as error:
        raise ValueError(f"a withheld cell has no value: {error.args[0]!r}") from None
    return frozenset(system.cells[cell] for cell in _determined(system, hidden, {}))


def _system(values: Mapping[_Cell, int], relations: Sequence[Relation]) -> _System[_Cell]:
    cells = tuple(sorted(values, key=repr))
    index = {cell: number for number, cell in enumerate(cells)}
    numbers = tuple(values[cell] for cell in cells)
    if any(value < 0 for value in numbers):
        raise ValueError("counts cannot be negative")
    if any(value > _LARGEST for value in numbers):
        raise ValueError("counts above 2**52 cannot be audited (the solver works in floating point)")
    rows: set[_Row] = set()
    for relation in relations:
        coefficients: dict[int, int] = {}
        for cell, sign in ((relation.total, 1), *((part, -1) for part in relation.parts)):
            if cell not in index:
                raise ValueError(f"a relation names a cell without a value: {cell!r}")
            coefficients[index[cell]] = coefficients.get(index[cell], 0) + sign
        row = tuple(sorted((cell, a) for cell, a in coefficients.items() if a))
        if sum(a * numbers[cell] for cell, a in row):
            raise ValueError(f"a relation does not hold: {relation.total!r} is not the sum of its parts")
        if row:
            rows.add(row)
    ordered = sorted(rows)
    touching: list[list[int]] = [[] for _ in cells]
    for number, row in enumerate(ordered):
        for cell, _ in row:
            touching[cell].append(number)
    return _System(cells, numbers, tuple(ordered), tuple(map(tuple, touching)))


def _close(system: _System[_Cell], withheld: set[int], rows: Iterable[int]) -> None:
    """The cheap pass: until no relation has exactly one withheld member, withhold the
    smallest positive published member of such a relation (§3: never a zero while a positive
    one is there; a relation whose one withheld member is positive always has one)."""
    heap = sorted(set(rows))
    while heap:
        row = system.rows[heapq.heappop(heap)]
        if sum(cell in withheld for cell, _ in row) != 1:
            continue
        candidates = [_rank(system, cell, a) for cell, a in row if cell not in withheld]
        if candidates:  # none: a relation of one cell, which is then 0 and never withheld
            chosen = min(candidates)[-1]
            withheld.add(chosen)
            for other in system.touching[chosen]:
                heapq.heappush(heap, other)


def _settle(
    system: _System[_Cell], withheld: set[int], limits: Mapping[int, int], rows: Iterable[int]
) -> None:
    """The cheap pass and the room rule (§3), each run again on the relations the other
    touched, until neither withholds anything more."""
    pending = set(rows)
    while pending:
        before = set(withheld)
        _close(system, withheld, pending)
        closed = withheld - before
        _make_room(system, withheld, limits, pending | _touched(system, closed))
        pending = _touched(system, withheld - before - closed)


def _touched(system: _System[_Cell], cells: Iterable[int]) -> set[int]:
    return {row for cell in cells for row in system.touching[cell]}


def _make_room(
    system: _System[_Cell], withheld: set[int], limits: Mapping[int, int], rows: Iterable[int]
) -> None:
    """The room rule (§3). In a relation one side of which is all published, the withheld
    members of the other side W have a known sum S, and each is at least 1, so each is at most
    S - (|W| - 1). While that is below a withheld primary member's threshold, withhold that
    side's smallest published positive member (2 or more first), or else the other side's."""
    heap = sorted(set(rows))
    while heap:
        number = heapq.heappop(heap)
        row = system.rows[number]
        if any(abs(a) != 1 for _, a in row):
            continue  # a cell twice on one side: no such relation among the summaries
        for side in (1, -1):
            if any(cell in withheld for cell, a in row if a != side):
                continue
            hidden = [cell for cell, a in row if a == side and cell in withheld]
            if not hidden:
                continue
            room = sum(system.values[cell] for cell in hidden) - (len(hidden) - 1)
            need = max((limits[cell] for cell in hidden if cell in limits), default=0)
            if room >= need:
                continue
            candidates = [
                (_rank(system, cell, a), a != side)
                for cell, a in row
                if cell not in withheld and system.values[cell] > 0
            ]
            if not candidates:  # pragma: no cover - the other side sums to S ≥ 1
                continue
            chosen = min(candidates, key=lambda item: (item[1], item[0]))[0][-1]
            withheld.add(chosen)
            for other in system.touching[chosen]:
                heapq.heappush(heap, other)
            heapq.heappush(heap, number)
            break


def _rank(system: _System[_Cell], cell: int, coefficient: int) -> tuple[bool, bool, int, bool, int]:
    """Order of preference for a complement: positive first, 2 or more before 1 (a cell at 1
    cannot give up anything: §3), then smallest, parts before the total, then the cell's place
    in ``repr`` order."""
    value = system.values[cell]
    return (value == 0, value == 1, value, coefficient > 0, cell)


def _complement(system: _System[_Cell], withheld: set[int], group: list[int]) -> int:
    """The complement for a group of determined cells: a published cell that the attacker's
    formula for the group's first cell uses (§2), best if every such formula uses it (then
    withholding it breaks the determination), positive before zero, then smallest, parts
    before the total, then ``repr`` order."""
    weights, roles = _formula(system, withheld, group[0])
    ranked = [
        (system.values[cell] == 0, first != second, system.values[cell], roles[cell], cell)
        for cell, (first, second) in weights.items()
        if first or second
    ]
    if not ranked:  # pragma: no cover - the cell was shown determined, so a formula exists
        raise RuntimeError("no formula found for a determined cell")
    return min(ranked)[-1]


def _formula(
    system: _System[_Cell], withheld: set[int], cell: int
) -> tuple[dict[int, tuple[int, int]], dict[int, bool]]:
    """How an attacker computes ``cell``: two random solutions λ of λ·A = e(cell), A being the
    relations restricted to the withheld cells; for each published cell, its weight in the two
    formulas cell = Σ weight · value, and whether it is only ever a total there. A weight that
    is the same in both (and not 0) is the same in every solution (with probability 1 - 2**-61).

    The relations within a few steps of the cell usually suffice; the search widens until
    the component is covered."""
    for radius in (2, 4, 8, 16, len(system.cells)):
        rows = _nearby(system, withheld, cell, radius)
        solutions = _solve_transposed(system, withheld, rows, cell)
        if solutions is not None:
            break
    else:  # pragma: no cover - probability 2**-61 for a determined cell
        return {}, {}
    weights: dict[int, tuple[int, int]] = {}
    roles: dict[int, bool] = {}
    for row, first, second in zip(rows, *solutions, strict=True):
        for member, a in system.rows[row]:
            if member not in withheld and (first or second):
                old = weights.get(member, (0, 0))
                weights[member] = ((old[0] + a * first) % _PRIME, (old[1] + a * second) % _PRIME)
                roles[member] = roles.get(member, True) and a > 0
    return weights, roles


def _nearby(system: _System[_Cell], withheld: set[int], cell: int, radius: int) -> list[int]:
    """The relations at most ``radius`` withheld cells away from ``cell``, sorted."""
    rows: set[int] = set()
    seen, frontier = {cell}, [cell]
    for _ in range(radius):
        new = {row for member in frontier for row in system.touching[member]} - rows
        if not new:
            break
        rows |= new
        frontier = [m for row in sorted(new) for m, _ in system.rows[row] if m in withheld and m not in seen]
        seen.update(frontier)
    return sorted(rows)


def _solve_transposed(
    system: _System[_Cell], withheld: set[int], rows: list[int], cell: int
) -> tuple[list[int], list[int]] | None:
    """Two random solutions λ of Σ λ_r · row_r = e(cell) over the withheld columns, or None
    if these rows do not determine the cell: random solutions (λ, μ) of Σ λ_r · row_r = μ ·
    e(cell), scaled to μ = 1."""
    equations: dict[int, dict[int, int]] = {cell: {len(rows): _PRIME - 1}}
    for number, row in enumerate(rows):
        for member, a in system.rows[row]:
            if member in withheld:
                equations.setdefault(member, {})[number] = a % _PRIME
    solutions = _null_vectors([equations[m] for m in sorted(equations)], len(rows) + 1, 2)
    scales = [solution[-1] for solution in solutions]
    if not all(scales):
        return None
    first, second = (
        [value * pow(scale, _PRIME - 2, _PRIME) % _PRIME for value in solution[:-1]]
        for solution, scale in zip(solutions, scales, strict=True)
    )
    return first, second


def _groups(system: _System[_Cell], cells: set[int]) -> list[list[int]]:
    """Connected groups of ``cells``, two being linked when a relation holds both; each sorted,
    in order of their first cell. (Components of the withheld cells; and groups of determined
    cells, where a chain of them is one group because one complement may free them all.)"""
    parent = {cell: cell for cell in cells}

    def root(cell: int) -> int:
        while parent[cell] != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for row in sorted({row for cell in cells for row in system.touching[cell]}):
        members = [cell for cell, _ in system.rows[row] if cell in cells]
        for cell in members[1:]:
            parent[root(cell)] = root(members[0])
    groups: dict[int, list[int]] = {}
    for cell in sorted(cells):
        groups.setdefault(root(cell), []).append(cell)
    return list(groups.values())


def _determined(
    system: _System[_Cell], withheld: set[int], cache: dict[frozenset[int], frozenset[int]]
) -> set[int]:
    """The determined withheld cells, one connected component at a time (a component's answer
    depends only on its cells, so unchanged components are not checked again)."""
    found: set[int] = set()
    for component in _groups(system, withheld):
        key = frozenset(component)
        if key not in cache:
            cache[key] = _determined_in(system, component)
        found |= cache[key]
    return found


def _determined_in(system: _System[_Cell], component: list[int]) -> frozenset[int]:
    local = {cell: number for number, cell in enumerate(component)}
    rows = sorted({row for cell in component for row in system.touching[cell]})
    equations = [{local[c]: a % _PRIME for c, a in system.rows[row] if c in local} for row in rows]
    (solution,) = _null_vectors(equations, len(component), 1)
    return frozenset(cell for cell, value in zip(component, solution, strict=True) if value == 0)


def _null_vectors(rows: list[dict[int, int]], width: int, count: int) -> list[list[int]]:
    """``count`` pseudo-random solutions of ``rows · v = 0`` modulo the prime (§4), from one
    elimination; ``rows`` is consumed."""
    pivots = _eliminate(rows, width)
    free = sorted(set(range(width)) - {pivot for pivot, _ in pivots})
    generator = random.Random(width)  # fixed seed: the same input gives the same answer  # noqa: S311
    solutions = []
    for _ in range(count):
        solution = [0] * width
        for column in free:
            solution[column] = generator.randrange(1, _PRIME)
        for pivot, row in reversed(pivots):
            solution[pivot] = -sum(a * solution[c] for c, a in row.items() if c != pivot) % _PRIME
        solutions.append(solution)
    return solutions


def _eliminate(rows: list[dict[int, int]], width: int) -> list[tuple[int, dict[int, int]]]:
    """Echelon form: (pivot column, row scaled to 1 at the pivot) in elimination order. The
    shortest remaining row goes first, pivoting on its column held by the fewest rows."""
    holders: list[set[int]] = [set() for _ in range(width)]
    for number, row in enumerate(rows):
        for column in row:
            holders[column].add(number)
    heap = [(len(row), number) for number, row in enumerate(rows)]
    heapq.heapify(heap)
    done = [False] * len(rows)
    pivots: list[tuple[int, dict[int, int]]] = []
    while heap:
        length, number = heapq.heappop(heap)
        row = rows[number]
        if done[number] or length != len(row):
            continue
        done[number] = True
        if not row:
            continue
        pivot = min(row, key=lambda column: (len(holders[column]), column))
        scale = row[pivot] if row[pivot] in (1, _PRIME - 1) else pow(row[pivot], _PRIME - 2, _PRIME)
        for column in row:
            row[column] = row[column] * scale % _PRIME
            holders[column].discard(number)
        for other in sorted(holders[pivot]):
            _subtract(rows[other], other, pivot, row, holders)
            heapq.heappush(heap, (len(rows[other]), other))
        pivots.append((pivot, row))
    return pivots


def _subtract(
    target: dict[int, int], number: int, pivot: int, row: dict[int, int], holders: list[set[int]]
) -> None:
    """target -= target[pivot] · row (row[pivot] is 1), keeping ``holders`` up to date."""
    factor = target[pivot]
    for column, a in row.items():
        value = (target.get(column, 0) - factor * a) % _PRIME
        if value:
            if column not in target:
                holders[column].add(number)
            target[column] = value
        elif column in target:
            del target[column]
            holders[column].discard(number)


# -- the integer audit (§5) ---------------------------------------------------------------------
@dataclass(slots=True)
class _Audit:
    """What the integer audit has shown so far. Both sets only grow: withholding more cells
    only gives the reader's program more solutions."""

    moving: set[int] = field(default_factory=set)  # seen at another value in a checked solution
    lifted: set[int] = field(default_factory=set)  # seen at 2 or more: not forced to 1

    def pinned(self, system: _System[_Cell], withheld: set[int]) -> set[int]:
        """The withheld cells that no solution of the reader's program moves (§5)."""
        found: set[int] = set()
        for component in _groups(system, withheld):
            if self.moving.issuperset(component):
                continue
            program = _Program.of(system, component)
            forced = self._forced(system, withheld, program)
            known = (
                _determined(system, set(component) - forced, {}) if len(forced) < len(component) else set()
            )
            for cell in component:
                if cell in self.moving or cell in forced or cell in known:
                    continue
                for nearby, direction in itertools.product(
                    (_Program.of(system, _around(system, withheld, cell)), program), (1, -1)
                ):
                    self._seen(nearby, nearby.extreme(cell, direction))
                    if cell in self.moving:
                        break
                else:
                    found.add(cell)
            found |= forced | known
        return found

    def _forced(self, system: _System[_Cell], withheld: set[int], program: _Program) -> set[int]:
        """The group's cells at 1 that no solution lifts to 2. While many are open, one
        program over the whole group lifts most of them; in a large group the last few (a
        chain of cells of which only one can be 2 lifts one a round) are tried in their
        neighbourhood first."""
        forced = {cell for cell in program.cells if program.truth[cell] == 1} - self.lifted
        tried: set[int] = set()
        while forced:
            if len(program.cells) > _LARGE and (len(forced) <= _FEW or tried):
                for cell in sorted(forced - tried - self.lifted):
                    nearby = _Program.of(system, _around(system, withheld, cell))
                    self._seen(nearby, nearby.extreme(cell, -1))
                tried |= forced
                forced -= self.lifted
                if not forced:
                    break
            point = program.lift(sorted(forced))
            self._seen(program, point)
            lifted = forced & self.lifted
            if not lifted:
                break
            if len(lifted) * 10 < len(forced):
                tried.add(-1)  # few lifted a round: the neighbourhoods go first from now on
            forced -= lifted
        return forced

    def _seen(self, program: _Program, point: dict[int, int] | None) -> None:
        if point is None:
            return
        self.moving.update(cell for cell, value in point.items() if value != program.truth[cell])
        self.lifted.update(cell for cell, value in point.items() if value >= 2)


_LARGE = 1000  # a group whose program takes a while to solve (§5)
_FEW = 64  # open cells few enough to try one by one in their neighbourhood (§5)
_AROUND = 3  # a neighbourhood: the withheld cells at most this many relations away


def _around(system: _System[_Cell], withheld: set[int], cell: int) -> list[int]:
    """The withheld cells near ``cell``: a program over them, the rest fixed at their values,
    is a stronger reader's, so what moves there moves in the whole group's too."""
    rows = _nearby(system, withheld, cell, _AROUND)
    return sorted({cell} | {member for row in rows for member, _ in system.rows[row] if member in withheld})


@dataclass(frozen=True, slots=True)
class _Program:
    """The reader's program over one group of withheld cells: matrix · y = bound, y whole and
    1 ≤ y ≤ ceiling, every cell outside the group fixed at its value."""

    cells: list[int]
    matrix: csr_array
    bound: np.ndarray
    truth: dict[int, int]
    ceiling: int

    @classmethod
    def of(cls, system: _System[_Cell], cells: list[int]) -> _Program:
        column = {cell: number for number, cell in enumerate(cells)}
        data: list[int] = []
        places: tuple[list[int], list[int]] = ([], [])
        bound: list[int] = []
        for number, row in enumerate(sorted({row for cell in cells for row in system.touching[cell]})):
            constant = 0
            for cell, a in system.rows[row]:
                if cell in column:
                    data.append(a)
                    places[0].append(number)
                    places[1].append(column[cell])
                else:
                    constant -= a * system.values[cell]
            bound.append(constant)
        matrix = csr_array(
            (np.array(data, dtype=np.int64), places), shape=(len(bound), len(cells)), dtype=np.int64
        )
        truth = {cell: system.values[cell] for cell in cells}
        return cls(cells, matrix, np.array(bound, dtype=np.int64), truth, 2 * max(truth.values()) + 10)

    def lift(self, pending: list[int]) -> dict[int, int] | None:
        """A solution with as many ``pending`` cells at 2 or more as there can be: maximise
        Σ t_c with 0 ≤ t_c ≤ 1 and t_c ≤ y_c - 1."""
        width, count = len(self.cells), len(pending)
        column = {cell: number for number, cell in enumerate(self.cells)}
        select = coo_array(
            (np.ones(count), (np.arange(count), [column[cell] for cell in pending])), shape=(count, width)
        )
        constraints = [
            LinearConstraint(
                hstack([self.matrix, csr_array((self.matrix.shape[0], count))]), self.bound, self.bound
            ),
            LinearConstraint(hstack([select, -identity(count)]), 1, np.inf),
        ]
        bounds = Bounds(
            np.concatenate([np.ones(width), np.zeros(count)]),
            np.concatenate([np.full(width, self.ceiling), np.ones(count)]),
        )
        objective = np.concatenate([np.zeros(width), -np.ones(count)])
        integrality = np.concatenate([np.ones(width), np.zeros(count)])
        return self._checked(_solve(objective, constraints, integrality, bounds)[:width])

    def extreme(self, cell: int, direction: int) -> dict[int, int] | None:
        """A solution where ``cell`` is smallest (direction 1) or largest (-1)."""
        objective = np.zeros(len(self.cells))
        objective[self.cells.index(cell)] = direction
        constraints = [LinearConstraint(self.matrix, self.bound, self.bound)]
        bounds = Bounds(1, self.ceiling)
        return self._checked(_solve(objective, constraints, np.ones(len(self.cells)), bounds))

    def _checked(self, values: np.ndarray) -> dict[int, int] | None:
        """The solver's point rounded, if it is a solution in exact integer arithmetic."""
        point = np.rint(values).astype(np.int64)
        if (point < 1).any() or (point > self.ceiling).any() or (self.matrix @ point != self.bound).any():
            return None
        return dict(zip(self.cells, point.tolist(), strict=True))


def _solve(
    objective: np.ndarray, constraints: list[LinearConstraint], integrality: np.ndarray, bounds: Bounds
) -> np.ndarray:
    """HiGHS's answer. The true values are always a solution, yet HiGHS's presolve has been
    seen to call such a program infeasible; then it runs again without presolve."""
    for options in ({}, {"presolve": False}):
        result = milp(
            objective, constraints=constraints, integrality=integrality, bounds=bounds, options=options
        )
        if result.x is not None:
            return np.asarray(result.x)
    raise RuntimeError("the disclosure audit's integer program could not be solved")


def _repair(system: _System[_Cell], withheld: set[int], cell: int) -> int:
    """The complement for a pinned cell (§5): the nearest published positive cell of a
    relation it or its group is in, 2 or more first, then the smallest, parts before totals."""
    for radius in (1, 2, 4, len(system.cells)):
        ranked = [
            _rank(system, member, a)
            for row in _nearby(system, withheld, cell, radius)
            for member, a in system.rows[row]
            if member not in withheld and system.values[member] > 0
        ]
        if ranked:
            return min(ranked)[-1]
    # pragma: no cover - a group with no published positive neighbour is scaled freely (§5)
    raise RuntimeError("a pinned cell has no published positive neighbour")
