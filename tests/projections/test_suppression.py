"""Small-cell suppression: nothing under N is published, directly or by subtraction."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from projections.suppression import Group, Hidden, disclosed, suppress

P, S, W = Hidden.PRIMARY, Hidden.SECONDARY, Hidden.WITHHELD


def test_a_small_cell_is_hidden_with_the_next_smallest_of_its_row() -> None:
    counts = {"total": 20, "a": 3, "b": 8, "c": 9}
    hidden = suppress(counts, [Group("total", ("a", "b", "c"))], below=5)
    assert hidden == {"a": P, "b": S}


def test_nothing_is_hidden_when_every_cell_is_large_enough() -> None:
    counts = {"total": 30, "a": 10, "b": 20}
    assert suppress(counts, [Group("total", ("a", "b"))], below=5) == {}


def test_two_small_cells_protect_each_other() -> None:
    counts = {"total": 30, "a": 2, "b": 3, "c": 25}
    assert suppress(counts, [Group("total", ("a", "b", "c"))], below=5) == {"a": P, "b": P}


def test_a_small_total_hides_its_parts_and_itself() -> None:
    counts = {"total": 4, "a": 1, "b": 3}
    hidden = suppress(counts, [Group("total", ("a", "b"))], below=5)
    assert hidden == {"total": P, "a": P, "b": P}


def test_when_no_part_is_left_to_hide_the_total_is_hidden() -> None:
    """Two hidden parts under 5 with a published total of 8 must be 4 and 4."""
    counts = {"total": 8, "a": 4, "b": 4}
    hidden = suppress(counts, [Group("total", ("a", "b"))], below=5)
    assert hidden == {"a": P, "b": P, "total": S}


def test_a_hidden_cell_is_protected_in_every_group_it_belongs_to() -> None:
    """A 2 x 2 table with margins: the small cell's row and column both need a partner."""
    counts = {"r1": 12, "r2": 30, "c1": 20, "c2": 22, "all": 42}
    counts |= {"11": 2, "12": 10, "21": 18, "22": 12}
    groups = [
        Group("r1", ("11", "12")),
        Group("r2", ("21", "22")),
        Group("c1", ("11", "21")),
        Group("c2", ("12", "22")),
        Group("all", ("r1", "r2")),
        Group("all", ("c1", "c2")),
    ]
    hidden = suppress(counts, groups, below=5)
    assert hidden["11"] is P
    assert not disclosed(counts, groups, hidden, below=5)
    assert not solved_by_subtraction(counts, groups, hidden) & {"11"}


def test_thresholds_under_three_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        suppress({"a": 1}, [], below=2)


# The property ------------------------------------------------------------------


def solved_by_subtraction(
    counts: dict[str, int], groups: list[Group], hidden: dict[str, Hidden]
) -> set[str]:
    """The hidden cells a reader gets back by subtracting published cells from totals."""
    known = {key for key in counts if key not in hidden}
    while True:
        found = set()
        for group in groups:
            unknown = [cell for cell in group.cells if cell not in known]
            if len(unknown) == 1:
                found.add(unknown[0])
        if not found:
            return {key for key in hidden if key in known}
        known |= found


@st.composite
def tables(draw: st.DrawFn, most: int = 30) -> tuple[dict[str, int], list[Group]]:
    """A table of counts with row, column and grand totals (rows x columns, 1-4 each)."""
    rows, columns = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    cells = draw(st.lists(st.integers(0, most), min_size=rows * columns, max_size=rows * columns))
    counts = {f"{r}.{c}": cells[r * columns + c] for r in range(rows) for c in range(columns)}
    groups = []
    for r in range(rows):
        parts = tuple(f"{r}.{c}" for c in range(columns))
        counts[f"row{r}"] = sum(counts[p] for p in parts)
        groups.append(Group(f"row{r}", parts))
    for c in range(columns):
        parts = tuple(f"{r}.{c}" for r in range(rows))
        counts[f"col{c}"] = sum(counts[p] for p in parts)
        groups.append(Group(f"col{c}", parts))
    counts["all"] = sum(cells)
    groups.append(Group("all", tuple(f"row{r}" for r in range(rows))))
    groups.append(Group("all", tuple(f"col{c}" for c in range(columns))))
    return counts, groups


@settings(max_examples=300, deadline=None)
@given(tables(), st.integers(3, 8))
def test_suppression_never_reveals_a_cell_under_n(
    table: tuple[dict[str, int], list[Group]], below: int
) -> None:
    counts, groups = table
    hidden = suppress(counts, groups, below)

    small = {key for key, value in counts.items() if value < below}
    assert small <= set(hidden)
    assert {key for key, why in hidden.items() if why is P} <= small
    assert all(counts[key] >= below for key, why in hidden.items() if why is S)
    assert not solved_by_subtraction(counts, groups, hidden) & small
    assert not disclosed(counts, groups, hidden, below)


def alternatives(
    counts: dict[str, int], hidden: dict[str, Hidden], below: int, inner: list[str]
) -> dict[str, set[int]]:
    """Every value each hidden inner cell can take in a 2 x 2 table consistent with what
    is shown: published cells exact, "<N" cells under N, secondary cells N or more."""
    ranges = [
        range(below)
        if hidden.get(k) is P
        else range(below, 2 * below + 8)
        if hidden.get(k) is S
        else range(2 * below + 8)
        if hidden.get(k) is W
        else [counts[k]]
        for k in inner
    ]
    seen: dict[str, set[int]] = {k: set() for k in hidden}
    for a, b, c, d in product(*ranges):
        table = {"0.0": a, "0.1": b, "1.0": c, "1.1": d}
        table |= {"row0": a + b, "row1": c + d, "col0": a + c, "col1": b + d, "all": a + b + c + d}
        if all(_fits(table[k], counts[k], hidden.get(k), below) for k in table):
            for k in hidden:
                seen[k].add(table[k])
    return seen


def _fits(value: int, shown: int, why: Hidden | None, below: int) -> bool:
    if why is None:
        return value == shown
    if why is W:
        return True
    return value < below if why is P else value >= below


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 8), min_size=4, max_size=4), st.integers(3, 5))
@example(cells=[1, 1, 2, 2], below=3)  # marking totals as "N or more" would pin row 0
def test_no_2x2_table_consistent_with_what_is_shown_pins_a_small_cell(
    cells: list[int], below: int
) -> None:
    """An exhaustive reader: every filling of the hidden cells that matches the shown table."""
    inner = ["0.0", "0.1", "1.0", "1.1"]
    counts = dict(zip(inner, cells, strict=True))
    a, b, c, d = cells
    counts |= {"row0": a + b, "row1": c + d, "col0": a + c, "col1": b + d, "all": a + b + c + d}
    groups = [
        Group("row0", ("0.0", "0.1")),
        Group("row1", ("1.0", "1.1")),
        Group("col0", ("0.0", "1.0")),
        Group("col1", ("0.1", "1.1")),
        Group("all", ("row0", "row1")),
        Group("all", ("col0", "col1")),
    ]
    hidden = suppress(counts, groups, below)

    possible = alternatives(counts, hidden, below, inner)
    for key in hidden:
        if counts[key] < below:
            assert len(possible[key]) >= 2, (key, counts, hidden)
