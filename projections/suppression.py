"""Small-cell suppression: publish no count under N, nor one that subtraction would give back.

The counts of a report are named cells; a `Group` says that one cell (the
total) is the sum of others (its parts) — a row and its total, a column, a
count and the rest of its denominator. Cells under N are suppressed
(*primary*, shown as "<N"). A reader can still work a hidden cell out from a
published total: so, while any primary cell can be pinned down, the next
smallest published cell of a group it belongs to (a part or the total) is
suppressed too (*secondary*, complementary suppression).

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

MIN_THRESHOLD = 3
"""The smallest N for which hiding can always protect a cell (see the module text)."""
_MAX_ROUNDS = 10_000


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


def suppress(counts: Mapping[str, int], groups: Sequence[Group], below: int) -> dict[str, Hidden]:
    """The cells to hide so that no count under `below` is published or can be worked out."""
    if below < MIN_THRESHOLD:
        raise ValueError(f"suppress below: must be at least {MIN_THRESHOLD}, not {below}")
    small = {key: Hidden.PRIMARY for key, value in counts.items() if value < below}
    marked = _protect(counts, groups, small, below, Hidden.SECONDARY)
    if marked is not None:
        return marked
    withheld = dict.fromkeys(small, Hidden.WITHHELD)
    unmarked = _protect(counts, groups, withheld, below, Hidden.WITHHELD)
    if unmarked is not None:
        return unmarked
    return dict.fromkeys(counts, Hidden.WITHHELD)  # pragma: no cover (all hidden pins nothing)


def _protect(
    counts: Mapping[str, int],
    groups: Sequence[Group],
    hidden: dict[str, Hidden],
    below: int,
    extra_as: Hidden,
) -> dict[str, Hidden] | None:
    """Hide more cells (as `extra_as`) until no small cell can be worked out, or None."""
    hidden = dict(hidden)
    for _ in range(len(counts) + 1):
        exposed = disclosed(counts, groups, hidden, below)
        if not exposed:
            return hidden
        extra = complement(min(exposed), counts, groups, hidden)
        if extra is None:
            return None
        hidden[extra] = extra_as
    return None


def complement(
    key: str, counts: Mapping[str, int], groups: Sequence[Group], hidden: Mapping[str, Hidden]
) -> str | None:
    """The cell to hide next to protect `key`: the smallest published cell of one of its
    groups (of equals, the one in the fewest sums, so less else is lost), else the
    smallest published cell anywhere."""
    own = [group for group in groups if key in group.cells]
    candidates = [
        [cell for group in own for cell in group.cells],
        list(counts),
    ]
    uses = {cell: sum(cell in group.cells for group in groups) for cell in counts}
    for cells in candidates:
        shown = [cell for cell in cells if cell != key and cell not in hidden]
        if shown:
            return min(shown, key=lambda cell: (counts[cell], uses[cell], cell))
    return None


def disclosed(
    counts: Mapping[str, int],
    groups: Sequence[Group],
    hidden: Mapping[str, Hidden],
    below: int,
) -> set[str]:
    """The hidden cells under N a reader can work out exactly from what is published."""
    ranges = reader_ranges(counts, groups, hidden, below)
    return {key for key in hidden if counts[key] < below and ranges[key][0] == ranges[key][1]}


def reader_ranges(
    counts: Mapping[str, int],
    groups: Sequence[Group],
    hidden: Mapping[str, Hidden],
    below: int,
) -> dict[str, Interval]:
    """Each cell's range as a reader narrows it from the published cells and the sums."""
    ranges = {key: _initial(counts[key], hidden.get(key), below) for key in counts}
    for _ in range(_MAX_ROUNDS):
        if not any([_narrow(group, ranges) for group in groups]):
            break
    return ranges


def _initial(value: int, why: Hidden | None, below: int) -> Interval:
    if why is None:
        return (value, value)
    if why is Hidden.PRIMARY:
        return (0, below - 1)
    if why is Hidden.WITHHELD:
        return (0, math.inf)
    return (below, math.inf)


def _narrow(group: Group, ranges: dict[str, Interval]) -> bool:
    """Tighten the ranges of one group's cells from its sum; whether any changed."""
    parts = [ranges[part] for part in group.parts]
    changed = _tighten(ranges, group.total, sum(r[0] for r in parts), sum(r[1] for r in parts))
    total_low, total_high = ranges[group.total]
    for i, part in enumerate(group.parts):
        others = [ranges[other] for j, other in enumerate(group.parts) if j != i]
        low = total_low - sum(r[1] for r in others)
        high = total_high - sum(r[0] for r in others)
        changed |= _tighten(ranges, part, low, high)
    return changed


def _tighten(ranges: dict[str, Interval], key: str, low: float, high: float) -> bool:
    old_low, old_high = ranges[key]
    new = (max(old_low, low), min(old_high, high))
    if new == (old_low, old_high) or math.isnan(new[0] + new[1]):
        return False
    ranges[key] = new
    return True


def groups_of(pairs: Iterable[tuple[str, Sequence[str]]]) -> list[Group]:
    """Groups from (total, parts) pairs."""
    return [Group(total, tuple(parts)) for total, parts in pairs]
