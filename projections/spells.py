"""State spells: how long each course stayed in each state, as of a date.

A course folded as of a date and as known at a moment (`CourseOutcome`) holds
every state it entered with the date it did (`moves`). A spell is one stay in
one state: from the day the course entered it to the day it entered the next.
The spell the course is still in as of the date is open: its time in the state
so far runs to that date (it is censored there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.values import CourseState
from projections.outcomes_course import CourseOutcome


@dataclass(frozen=True)
class Spell:
    """One stay of a course in one state."""

    state: CourseState
    start: date
    end: date | None
    """The day the next state began; None while the course is still in this one."""

    @property
    def ended(self) -> bool:
        """Whether the course has left the state."""
        return self.end is not None

    def days(self, as_of: date) -> int:
        """Days in the state: to the next state's start, or (still in it) to `as_of`."""
        return ((self.end or as_of) - self.start).days


def spells(course: CourseOutcome) -> list[Spell]:
    """The course's spells in date order; an exit is a spell that never ends and is not open."""
    found = []
    for (start, state), following in zip(course.moves, [*course.moves[1:], None], strict=True):
        end = None if following is None else following[0]
        found.append(Spell(state, start, end))
    return found


def path(course: CourseOutcome) -> tuple[CourseState, ...]:
    """The states the course went through, in order (a state entered again appears again)."""
    return tuple(state for _, state in course.moves)
