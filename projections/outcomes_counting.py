"""Outcome tables as counts: what each course adds, and the tables read from the sums.

Every table is built in two steps (`Builder`): `keys` names what one course
adds to it — the counts it is part of, each a string (mostly the table's own
count names: "with baseline", "4.1 Køn point 1 = M") — and `table` lays the
table out from the sums of those keys over a cohort. A course is counted once
per key, so tables may share keys ("with baseline"). Figures that are not
sums (a minimum, a mean) are read from histograms: a key per value seen
(`~job hours 37.0`), so the exact mean, minimum and maximum are known from the
counts alone. Keys starting with `~` are such helpers; they are never shown.

Because a cohort's tables depend on its courses only through these sums, the
outcomes view can keep the sums, updated as courses change
(`projections.outcomes_aggregate`), and answer without reading any course.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from projections.outcomes_course import CourseOutcome
    from projections.outcomes_report import OutcomeTable, Tally

Counts = Mapping[str, int]
"""Key -> how many courses of the cohort have it (a missing key: none)."""

HELPER = "~"
"""Starts the keys that are histograms for figures, not counts shown."""


@dataclass(frozen=True)
class Builder:
    """One table: the keys a course adds, and the table laid out from their sums."""

    keys: Callable[[CourseOutcome], Iterable[str]]
    table: Callable[[Tally, Counts], OutcomeTable]


def course_keys(course: CourseOutcome, builders: Iterable[Builder]) -> set[str]:
    """Every key the course adds to these tables (each once)."""
    found: set[str] = set()
    for builder in builders:
        found.update(builder.keys(course))
    return found


def count_keys(courses: Iterable[CourseOutcome], builders: Iterable[Builder]) -> Counter[str]:
    """The sums over the courses: how many have each key."""
    chosen = tuple(builders)
    counts: Counter[str] = Counter()
    for course in courses:
        counts.update(course_keys(course, chosen))
    return counts


def histogram(counts: Counts, prefix: str, suffix: str = "") -> Iterator[tuple[str, int]]:
    """(value, how many) for every key `prefix + value + suffix` counted at least once."""
    for key, n in counts.items():
        if n and key.startswith(prefix) and key.endswith(suffix):
            yield key[len(prefix) : len(key) - len(suffix)], n


def exact_mean(values: Iterable[tuple[Fraction, int]], *, ints: bool) -> int | float | None:
    """The mean of values given with their multiplicities, as `statistics.mean` gives it
    for the same data (`ints`: the data are ints, so a whole mean is an int; otherwise
    the float nearest the exact mean)."""
    total, n = Fraction(0), 0
    for value, times in values:
        total += value * times
        n += times
    if n == 0:
        return None
    mean = total / n
    return int(mean) if ints and mean.denominator == 1 else float(mean)
