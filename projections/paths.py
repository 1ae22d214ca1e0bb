"""Paths through the states: time in each state, the common paths, the way into work.

All three read the courses of a cohort folded as of a date (as known at a
moment): their spells (`projections.spells`) and the jobs they started.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median, quantiles

from domain.values import OPEN_STATES, CourseState
from projections.outcomes_course import CourseOutcome
from projections.spells import path, spells

Quarter = tuple[int, int]
"""A calendar quarter: (year, 1..4)."""


def quarter(day: date) -> Quarter:
    """The calendar quarter a day falls in."""
    return day.year, (day.month - 1) // 3 + 1


def quarter_label(q: Quarter) -> str:
    """A quarter as printed: 2018Q3."""
    return f"{q[0]}Q{q[1]}"


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from `first` to `last`, both included."""
    found = []
    year, number = first
    while (year, number) <= last:
        found.append((year, number))
        year, number = (year + 1, 1) if number == 4 else (year, number + 1)
    return found


@dataclass(frozen=True)
class TimeInState:
    """How long courses stayed in one state: completed stays and those still under way."""

    state: CourseState
    ended: int
    ongoing: int
    first_quartile: float | None
    median: float | None
    third_quartile: float | None
    """Quartiles of the ended stays, in days (the inclusive method: R's type 7)."""


def time_in_state(courses: Sequence[CourseOutcome], as_of: date) -> list[TimeInState]:
    """Per open state: how many stays in it ended and how long they lasted, and how many
    are still under way as of the date."""
    ended: dict[CourseState, list[int]] = {state: [] for state in OPEN_STATES}
    ongoing: Counter[CourseState] = Counter()
    for course in courses:
        for spell in spells(course):
            if not spell.state.is_open:
                continue
            if spell.ended:
                ended[spell.state].append(spell.days(as_of))
            else:
                ongoing[spell.state] += 1
    return [_summary(state, days, ongoing[state]) for state, days in ended.items()]


def _summary(state: CourseState, days: list[int], ongoing: int) -> TimeInState:
    if not days:
        return TimeInState(state, 0, ongoing, None, None, None)
    if len(days) == 1:
        return TimeInState(state, 1, ongoing, days[0], days[0], days[0])
    first, _, third = quantiles(days, n=4, method="inclusive")
    return TimeInState(state, len(days), ongoing, first, median(days), third)


@dataclass(frozen=True)
class Variant:
    """One path through the states, and how many courses took it."""

    states: tuple[CourseState, ...]
    courses: int

    @property
    def label(self) -> str:
        """The path as printed: visitation → baseline → active."""
        return " → ".join(state.value for state in self.states)


def variants(courses: Sequence[CourseOutcome]) -> list[Variant]:
    """Every path the courses took so far, the most common first (then in state order)."""
    order = {state: i for i, state in enumerate(CourseState)}
    counts = Counter(path(course) for course in courses if course.moves)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], [order[s] for s in item[0]]))
    return [Variant(states, n) for states, n in ranked]


@dataclass(frozen=True)
class WayIntoWork:
    """The first ordinary jobs started in a quarter: after a praktik, or directly."""

    quarter: Quarter
    via_praktik: int
    direct: int


def way_into_work(courses: Sequence[CourseOutcome]) -> list[WayIntoWork]:
    """Per quarter (from the first with a first job to the last), each course's first
    ordinary job counted once: via praktik (one started before it in the course) or direct."""
    firsts = [course.jobs[0] for course in courses if course.jobs]
    if not firsts:
        return []
    via = Counter(quarter(job.on) for job in firsts if job.after_praktik)
    direct = Counter(quarter(job.on) for job in firsts if not job.after_praktik)
    span = quarters_between(min(quarter(j.on) for j in firsts), max(quarter(j.on) for j in firsts))
    return [WayIntoWork(q, via[q], direct[q]) for q in span]
