"""The shape of an outcome report: tables of cells, the counts behind them, and how they sum.

Every count in a report has a name; a cell shows a count or a figure derived
from counts (a percentage, a mean) and names the counts it depends on. The
report keeps which counts sum to which (`Group`), so small-cell suppression
(`projections.suppression`) can hide a count together with everything that
would give it away.

Percentages are whole numbers computed from the counts, rounded half up as
published tables round them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from projections.suppression import Group, Hidden, suppress

Value = int | float | str | None

SECONDARY_MARK = "x"
"""Shown for a count hidden to protect another, and for figures derived from hidden counts."""


def percent(part: int, whole: int) -> int | None:
    """`part` of `whole` as a whole-number percentage, rounded half up (None when `whole` is 0)."""
    if whole == 0:
        return None
    return (200 * part + whole) // (2 * whole)


def half_up(value: float, digits: int = 1) -> float:
    """A figure rounded half up to `digits` decimals (as published tables round)."""
    step = Decimal(1).scaleb(-digits)
    return float(Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Cell:
    """One cell: its value, the counts it depends on, and the count it shows (if one)."""

    value: Value
    depends: tuple[str, ...] = ()
    count: str | None = None


BLANK = Cell(None)


@dataclass(frozen=True)
class OutcomeTable:
    """A titled table: column headings and labelled rows of cells."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]

    def value(self, row: str, column: str) -> Value:
        """One cell's value, by row label and column heading (for tests and reading)."""
        cells = dict(self.rows)[row]
        return cells[self.columns.index(column)].value


@dataclass
class Tally:
    """Collects a report's named counts and the sums among them while tables are built."""

    counts: dict[str, int] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)

    def count(self, key: str, value: int) -> Cell:
        """Name a count and return the cell showing it; a count already named (the same
        number in another table of the pull) must have the same value."""
        if self.counts.setdefault(key, value) != value:
            raise ValueError(f"count {key!r}: {value} differs from {self.counts[key]} named before")
        return Cell(value, (key,), key)

    def share(self, key: str, base: str) -> Cell:
        """The percentage the count `key` is of the count `base`."""
        return Cell(percent(self.counts[key], self.counts[base]), (key, base))

    def figure(self, value: Value, *depends: str) -> Cell:
        """A figure (a mean, a minimum) computed over the counts named."""
        return Cell(value, depends)

    def partition(self, total: str, parts: tuple[str, ...]) -> None:
        """The counts `parts` sum to the count `total`."""
        self.groups.append(Group(total, parts))

    def complement(self, key: str, base: str) -> None:
        """`base` minus `key` can be worked out: name it (unshown) so it is protected too."""
        rest = f"{base} - {key}"
        self.counts[rest] = self.counts[base] - self.counts[key]
        self.groups.append(Group(base, (key, rest)))


@dataclass(frozen=True)
class Report:
    """Outcome tables with the counts behind them."""

    tables: tuple[OutcomeTable, ...]
    counts: dict[str, int]
    groups: tuple[Group, ...]

    def table(self, name: str) -> OutcomeTable:
        """One table by name."""
        return next(table for table in self.tables if table.name == name)

    def merged(self, *others: Report) -> Report:
        """This report's tables followed by the others', suppressed as one pull: a count
        of the same name in two reports is one count (it must have one value)."""
        counts = dict(self.counts)
        for other in others:
            for key, value in other.counts.items():
                if counts.setdefault(key, value) != value:
                    raise ValueError(f"count {key!r}: {value} here, {counts[key]} elsewhere")
        tables = (*self.tables, *(t for other in others for t in other.tables))
        groups = tuple(dict.fromkeys([*self.groups, *(g for o in others for g in o.groups)]))
        return Report(tables, counts, groups)

    def only(self, names: Collection[str]) -> Report:
        """The report with only the tables named (the counts and sums behind them kept)."""
        return Report(tuple(t for t in self.tables if t.name in names), self.counts, self.groups)

    def published(self) -> set[str]:
        """The counts some table shows."""
        return {
            cell.count
            for table in self.tables
            for _, cells in table.rows
            for cell in cells
            if cell.count is not None
        }

    def shown(self, below: int | None = None) -> list[dict[str, Any]]:
        """The tables as published: plain values, or with cells under `below` suppressed."""
        unpublished = self.counts.keys() - self.published()
        hidden = {} if below is None else suppress(self.counts, self.groups, below, unpublished)
        return [
            {
                "name": table.name,
                "title": table.title,
                "columns": list(table.columns),
                "rows": [
                    {"label": label, "cells": [_shown(cell, hidden, below) for cell in cells]}
                    for label, cells in table.rows
                ],
            }
            for table in self.tables
        ]


def _shown(cell: Cell, hidden: dict[str, Hidden], below: int | None) -> Value:
    if cell.count is not None and hidden.get(cell.count) is Hidden.PRIMARY:
        return f"<{below}"
    if any(key in hidden for key in cell.depends):
        return SECONDARY_MARK
    return cell.value
