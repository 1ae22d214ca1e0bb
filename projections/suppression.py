"""Small-cell suppression: publish no count under N, nor one that subtraction would give back.

The counts of a report are named cells; a `Group` says that one cell (the
total) is the sum of others (its parts) — a row and its total, a column, a
count and the rest of its denominator. Cells under N are suppressed
(*primary*, shown as "<N"). A reader can still work a hidden cell out from a
published total: so, while any primary cell can be pinned down, the next
smallest published cell that protects it, in one of the sums tying it to
what is published, is suppressed too (*secondary*, complementary
suppression). When every small cell is safe, each secondary cell is tried
again, the largest first, and shown if no small cell needs it hidden: so no
row is hidden that needs not be, and the pattern is minimal (no extra cell
can be shown again alone), though not always the smallest possible.

One suppression covers every table of a pull: the counts of all tables are
named together, a count shown in two tables has one name (so it is hidden in
both or in neither), and sums that run across tables (a team is the sum of
its consultants) are groups like any other. A cell hidden in one table
cannot then be worked out from another.

"Pinned down" is judged as a careful reader would: published cells are known
exactly, a "<N" cell lies in 0..N-1, a secondary cell is at least N (it would
be "<N" otherwise), and every group's sum must hold; the reader narrows each
cell's range by repeated subtraction until nothing changes. A primary cell
whose range has shrunk to one value is disclosed.

Saying why a cell is hidden ("<N" against "x", which means "N or more")
can itself give a small cell away: in a table of nothing but small cells,
knowing the hidden totals are N or more pins a part. When marked cells cannot
protect every small cell, every hidden cell is *withheld* instead: shown the
same way, with no hint of its size, and suppression is done again.

N must be at least 3: with "<2" two hidden ones under a hidden total of at
least 2 are each known to be 1, whatever else is hidden.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

MIN_THRESHOLD = 3
"""The smallest N for which hiding can always protect a cell (see the module text)."""


class Hidden(StrEnum):
    """Why a cell is not published."""

    PRIMARY = "primary"
    """The count is under N."""
    SECONDARY = "secondary"
    """The count is N or more, hidden so a primary cell cannot be worked out."""
    WITHHELD = "withheld"
    """Hidden without saying whether it is under N (used when the marks would tell)."""


@dataclass(frozen=True)
class Group:
    """`total` is the sum of `parts`."""

    total: str
    parts: tuple[str, ...]

    @property
    def cells(self) -> tuple[str, ...]:
        """The total and its parts."""
        return (self.total, *self.parts)


Interval = tuple[float, float]
INF = math.inf
MAX_STEPS = 1_000_000
"""A bound on the reader's narrowing steps (ranges without an upper end can narrow slowly)."""


def suppress(
    counts: Mapping[str, int],
    groups: Sequence[Group],
    below: int,
    unpublished: Collection[str] = (),
) -> dict[str, Hidden]:
    """The cells to hide so that no count under `below` is published or can be worked out.

    `unpublished` counts are in no table shown (a remainder, a table left out of this
    report): the reader does not know them unless the sums give them, and a small one
    is protected like any other. Of them, only the small ones are in the answer."""
    if below < MIN_THRESHOLD:
        raise ValueError(f"suppress below: must be at least {MIN_THRESHOLD}, not {below}")
    reader = Reader(counts, groups, below)
    small = [key for key, value in counts.items() if value < below]
    unknown = {key: Hidden.WITHHELD for key in unpublished if counts[key] >= below}
    found = _protect(reader, {**dict.fromkeys(small, Hidden.PRIMARY), **unknown}, Hidden.SECONDARY)
    if found is None:
        withheld = dict.fromkeys([*small, *unknown], Hidden.WITHHELD)
        found = _protect(reader, withheld, Hidden.WITHHELD)
    if found is None:  # pragma: no cover (all hidden pins nothing)
        found = dict.fromkeys(counts, Hidden.WITHHELD)
    return {key: why for key, why in found.items() if key not in unknown}


def _protect(
    reader: Reader, small: dict[str, Hidden], extra_as: Hidden
) -> dict[str, Hidden] | None:
    """Hide more cells (as `extra_as`) until no small cell can be worked out, then show
    again each extra cell not needed for that; None when hiding more cannot protect."""
    hidden = dict(small)
    for _ in range(len(reader.counts) + 1):
        exposed = reader.disclosed(hidden)
        if not exposed:
            return _prune(reader, hidden, [key for key in hidden if key not in small])
        extra = _complement(reader, min(exposed), hidden, extra_as)
        if extra is None:
            return None
        hidden[extra] = extra_as
    return None  # pragma: no cover (each round hides one more cell)


CANDIDATES_TRIED = 12
"""How many of the smallest candidates are tried alone before the smallest is hidden."""


def _complement(
    reader: Reader, key: str, hidden: Mapping[str, Hidden], extra_as: Hidden
) -> str | None:
    """The cell to hide next to protect `key`.

    Candidates are the published cells of the sums tying `key` to what is
    published: first its own groups, then those reached from them through hidden
    cells. Of these, the smallest (of equals, the one in the fewest sums) that
    protects `key` on its own; when none does, the smallest, and the next round
    adds another.
    """
    for cells in reader.neighbourhood(key, hidden):
        shown = sorted((cell for cell in cells if cell not in hidden), key=reader.order)
        for cell in shown[:CANDIDATES_TRIED]:
            if not reader.pins(key, {**hidden, cell: extra_as}):
                return cell
        if shown:
            return shown[0]
    return None


def _prune(reader: Reader, hidden: dict[str, Hidden], extras: list[str]) -> dict[str, Hidden]:
    """Show again each extra cell (the largest first) that no small cell needs hidden."""
    for key in sorted(extras, key=reader.order, reverse=True):
        trial = {cell: why for cell, why in hidden.items() if cell != key}
        if not reader.disclosed_near(key, trial):
            hidden = trial
    return hidden


def disclosed(
    counts: Mapping[str, int],
    groups: Sequence[Group],
    hidden: Mapping[str, Hidden],
    below: int,
) -> set[str]:
    """The hidden cells under N a reader can work out exactly from what is published."""
    return Reader(counts, groups, below).disclosed(hidden)


def reader_ranges(
    counts: Mapping[str, int],
    groups: Sequence[Group],
    hidden: Mapping[str, Hidden],
    below: int,
) -> dict[str, Interval]:
    """Each cell's range as a reader narrows it from the published cells and the sums."""
    return Reader(counts, groups, below).ranges(hidden)


class Reader:
    """A careful reader of the published cells: narrows each hidden cell's range by the
    sums until nothing changes (only the sums holding a hidden cell can tell anything)."""

    def __init__(self, counts: Mapping[str, int], groups: Sequence[Group], below: int) -> None:
        self.counts, self.groups, self.below = counts, list(groups), below
        self.of: dict[str, list[int]] = defaultdict(list)
        for index, group in enumerate(self.groups):
            for cell in dict.fromkeys(group.cells):
                self.of[cell].append(index)
        self.order: Callable[[str], tuple[int, int, str]] = lambda cell: (
            counts[cell],
            len(self.of[cell]),
            cell,
        )

    def disclosed(self, hidden: Mapping[str, Hidden]) -> set[str]:
        """The hidden cells under N the reader works out exactly."""
        ranges = self.ranges(hidden)
        below = self.below
        return {k for k in hidden if self.counts[k] < below and ranges[k][0] == ranges[k][1]}

    def pins(self, key: str, hidden: Mapping[str, Hidden]) -> bool:
        """Whether the reader works out `key` exactly: only the sums tied to it through
        hidden cells can tell anything about it, so only they are read."""
        return key in self.disclosed_near(key, hidden)

    def disclosed_near(self, key: str, hidden: Mapping[str, Hidden]) -> set[str]:
        """The hidden cells under N worked out exactly among those tied to `key` (hidden
        or not) through hidden cells: all a change at `key` can disclose."""
        component = self.component(key, {**hidden, key: Hidden.WITHHELD})
        cells = {cell for index in component for cell in self.groups[index].cells}
        ranges = self.ranges(hidden, cells, component)
        small = (c for c in cells if c in hidden and self.counts[c] < self.below)
        return {c for c in small if ranges[c][0] == ranges[c][1]}

    def component(self, key: str, hidden: Mapping[str, Hidden]) -> list[int]:
        """The groups reached from `key` through hidden cells."""
        seen = dict.fromkeys(self.of[key])
        waiting = [c for i in seen for c in self.groups[i].cells if c in hidden]
        visited = set(waiting)
        while waiting:
            for index in self.of[waiting.pop()]:
                if index not in seen:
                    seen[index] = None
                    cells = self.groups[index].cells
                    fresh = [c for c in cells if c in hidden and c not in visited]
                    visited.update(fresh)
                    waiting += fresh
        return list(seen)

    def ranges(
        self,
        hidden: Mapping[str, Hidden],
        cells: Iterable[str] | None = None,
        groups: Iterable[int] | None = None,
    ) -> dict[str, Interval]:
        """The cells' ranges (every cell's by default): published cells exact, hidden ones
        narrowed by the sums (those given, else every one holding a hidden cell)."""
        below, counts = self.below, self.counts
        ranges: dict[str, Interval] = {
            key: _initial(counts[key], hidden.get(key), below) for key in (cells or counts)
        }
        if groups is None:
            groups = (i for key in hidden for i in self.of[key])
        waiting = list(dict.fromkeys(groups))
        queued = set(waiting)
        for _ in range(MAX_STEPS):
            if not waiting:
                break
            index = waiting.pop()
            queued.discard(index)
            for cell in _narrow(self.groups[index], ranges):
                for other in self.of[cell]:
                    if other not in queued:
                        queued.add(other)
                        waiting.append(other)
        return ranges

    def neighbourhood(self, key: str, hidden: Mapping[str, Hidden]) -> tuple[list[str], list[str]]:
        """The cells of `key`'s own groups, and of every group reached from them through
        hidden cells."""
        own = [cell for i in self.of[key] for cell in self.groups[i].cells]
        seen, reached = set(self.of[key]), []
        waiting = [cell for cell in own if cell in hidden]
        visited = set(waiting)
        while waiting:
            for index in self.of[waiting.pop()]:
                if index in seen:
                    continue
                seen.add(index)
                for cell in self.groups[index].cells:
                    reached.append(cell)
                    if cell in hidden and cell not in visited:
                        visited.add(cell)
                        waiting.append(cell)
        return own, reached


def _initial(value: int, why: Hidden | None, below: int) -> Interval:
    if why is None:
        return (value, value)
    if why is Hidden.PRIMARY:
        return (0, below - 1)
    if why is Hidden.WITHHELD:
        return (0, INF)
    return (below, INF)


def _narrow(group: Group, ranges: dict[str, Interval]) -> list[str]:
    """Tighten the ranges of one group's cells from its sum; the cells that changed."""
    parts = [ranges[part] for part in group.parts]
    low_sum = sum(r[0] for r in parts)
    finite = [r[1] for r in parts if r[1] != INF]
    high_sum, unbounded = sum(finite), len(parts) - len(finite)
    changed = []
    if _tighten(ranges, group.total, low_sum, INF if unbounded else high_sum):
        changed.append(group.total)
    total_low, total_high = ranges[group.total]
    for part, (low, high) in zip(group.parts, parts, strict=True):
        others_high = INF if unbounded - (high == INF) else high_sum - (0 if high == INF else high)
        new_low = -INF if others_high == INF else total_low - others_high
        new_high = total_high - (low_sum - low)
        if _tighten(ranges, part, new_low, new_high):
            changed.append(part)
    return changed


def _tighten(ranges: dict[str, Interval], key: str, low: float, high: float) -> bool:
    old_low, old_high = ranges[key]
    new = (max(old_low, low), min(old_high, high))
    if new == (old_low, old_high) or math.isnan(new[0] + new[1]) or new[0] > new[1]:
        return False  # (crossed bounds: sums that do not hold tell the reader nothing)
    ranges[key] = new
    return True


def groups_of(pairs: Iterable[tuple[str, Sequence[str]]]) -> list[Group]:
    """Groups from (total, parts) pairs."""
    return [Group(total, tuple(parts)) for total, parts in pairs]
