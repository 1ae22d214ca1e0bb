"""The export's columns: name, type, meaning, allowed values and how a course gives the value.

One definition serves the rows, the Parquet schema and the codebook
(`projections.codebook`), so the codebook describes exactly the columns written.
Types are Table Schema's: string, integer, number, boolean, date (ISO, a day).
An empty value means missing: not recorded, not reached, or not applicable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from domain.programme import Outcomes
from domain.values import (
    CourseState,
    FollowUpOutcome,
    HealthLevel,
    YesNoUnknown,
)
from projections.outcomes_course import CourseOutcome
from projections.outcomes_tables import CITIZEN, STAFF, last_point
from projections.spells import Spell

ColumnType = Literal["string", "integer", "number", "boolean", "date"]
STATUSES = ("ongoing", "exited_planned", "exited_unplanned")
EXIT_INTO = ("job", "education")
"""What a planned exit from the course's own state is after (else: a destination)."""
SPELL_ENDS = ("moved", "censored", "exit")
"""How a spell ended: the course moved to the next state; it was still in the state on
the censoring date; or the state is an exit, where the course ends."""


@dataclass(frozen=True)
class Column:
    """One column of an export file."""

    name: str
    type: ColumnType
    description: str
    value: Callable[[Any], Any]
    enum: tuple[str, ...] | None = None
    required: bool = False
    """Never missing."""


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """An enumeration's values, as the export writes them."""
    return tuple(member.value for member in enum)


def _job(field: str) -> Callable[[CourseOutcome], Any]:
    return lambda c: None if c.first_job is None else getattr(c.first_job, field)


def _first(days: Sequence[date]) -> date | None:
    return min(days) if days else None


def exit_kind(course: CourseOutcome) -> str:
    """ongoing, exited_planned or exited_unplanned."""
    if course.is_open:
        return "ongoing"
    return course.state.value if course.state is not None else "ongoing"


def course_columns(censored_on: date, outcomes: Outcomes | None = None) -> tuple[Column, ...]:
    """The columns every course row has (the pseudonyms are filled in by the export); the
    exits' values are the backbone's and those the programme's `outcomes` add."""
    added = outcomes or Outcomes()
    return (
        Column("pseudonym", "string", "the citizen: a keyed hash of their random subject id, "
               "the same in every course and export under the same key", lambda c: None,
               required=True),
        Column("course", "string", "the course: a keyed hash of its id (joins the spells)",
               lambda c: None, required=True),
        Column("programme", "string", "the programme's short name", lambda c: c.programme,
               required=True),
        Column("referred_on", "date", "the day of the referral", lambda c: c.referred_on),
        Column("baseline_on", "date", "the day the baseline was completed (missing: none yet)",
               lambda c: c.baseline_on),
        Column("state", "string", "the course's state on the censoring date",
               lambda c: c.state.value if c.state else None, values(CourseState)),
        Column("state_since", "date", "the day the course entered that state",
               lambda c: c.state_since),
        Column("status", "string", "ongoing, or how the course ended", exit_kind, STATUSES,
               required=True),
        Column("exit_after", "string", "what a planned exit was into (missing: not a planned "
               "exit)", lambda c: c.exit_after, (*EXIT_INTO, *added.exit_destination_codes())),
        Column("exit_reason", "string", "the reason of an unplanned exit (missing: not an "
               "unplanned exit)", lambda c: c.exit_reason, added.exit_reason_codes()),
        Column("citizen_forms", "integer", "citizen forms taken during the course",
               lambda c: sum(form == CITIZEN for _, form in c.forms), required=True),
        Column("staff_forms", "integer", "staff forms taken during the course",
               lambda c: sum(form == STAFF for _, form in c.forms), required=True),
        Column("ever_praktik", "boolean", "whether a praktik started during the course",
               lambda c: bool(c.praktik_starts), required=True),
        Column("praktik_starts", "integer", "praktik (virksomhedspraktik) periods started",
               lambda c: len(c.praktik_starts), required=True),
        Column("first_praktik_on", "date", "the day the first praktik started",
               lambda c: _first(c.praktik_starts)),
        Column("ever_job", "boolean", "whether an ordinary job started during the course",
               lambda c: bool(c.jobs), required=True),
        Column("first_job_on", "date", "the day the first ordinary job started",
               lambda c: c.first_job.on if c.first_job else None),
        Column("job_after_praktik", "boolean", "whether the first job came after a praktik",
               _job("after_praktik")),
        Column("job_hours", "number", "agreed hours per week of the first job", _job("hours")),
        Column("ever_education", "boolean", "whether an education started during the course",
               lambda c: bool(c.education_starts), required=True),
        Column("first_education_on", "date", "the day the first education started",
               lambda c: _first(c.education_starts)),
        Column("network_meetings_held", "integer", "network meetings held",
               lambda c: len(c.meetings_held), required=True),
        Column("follow_up", "string", "the follow-up observation after exit",
               lambda c: c.follow_up, values(FollowUpOutcome)),
        Column("follow_up_on", "date", "the day of the follow-up", lambda c: c.follow_up_on),
        Column("censored_on", "date", "the censoring date: the export's as-of date; nothing "
               "after it is counted", lambda c: censored_on, required=True),
    )  # fmt: skip


def point_columns(point: int) -> tuple[Column, ...]:
    """The columns of one measurement point: health, WHO-5 index, the network answer."""

    def citizen(field: str) -> Callable[[CourseOutcome], Any]:
        def value(c: CourseOutcome) -> Any:
            form = c.form(point, CITIZEN)
            return None if form is None else getattr(form, field)

        return value

    def network(c: CourseOutcome) -> str | None:
        form = c.form(point, STAFF)
        return None if form is None else form.network

    health = values(HealthLevel)
    return (
        Column(f"mental_health_p{point}", "string",
               f"self-rated mental health at point {point} (citizen form)", citizen("mental"),
               health),
        Column(f"physical_health_p{point}", "string",
               f"self-rated physical health at point {point} (citizen form)",
               citizen("physical"), health),
        Column(f"who5_index_p{point}", "integer",
               f"WHO-5 well-being index 0-100 at point {point} (missing: not every item "
               "answered)", citizen("who5_index")),
        Column(f"network_answer_p{point}", "string",
               f"network meeting in the last 3 months, at point {point} (staff form)", network,
               values(YesNoUnknown)),
    )  # fmt: skip


def columns_for(
    courses: Sequence[CourseOutcome], censored_on: date, outcomes: Outcomes | None = None
) -> tuple[Column, ...]:
    """Every column of an export of these courses (points up to the last one reached)."""
    points = range(1, last_point(courses) + 1)
    return (
        *course_columns(censored_on, outcomes),
        *(column for p in points for column in point_columns(p)),
    )


def spell_columns(censored_on: date) -> tuple[Column, ...]:
    """The columns of the state spells: one row per stay of a course in a state."""
    states = values(CourseState)
    return (
        Column("pseudonym", "string", "the citizen (as in the courses file)", lambda s: None,
               required=True),
        Column("course", "string", "the course (as in the courses file)", lambda s: None,
               required=True),
        Column("spell", "integer", "the spell's number within the course, from 1 in date order",
               lambda s: None, required=True),
        Column("state", "string", "the state the course was in", lambda s: s.state.value,
               states, required=True),
        Column("from", "date", "the day the course entered the state", lambda s: s.start,
               required=True),
        Column("to", "date", "the day it entered the next state (missing: still in it on the "
               "censoring date, or an exit)", lambda s: s.end),
        Column("ended", "string", "moved: to the next state; censored: still in the state on "
               "the censoring date; exit: the course ended here", ended, SPELL_ENDS,
               required=True),
        Column("next_state", "string", "the state entered next (missing: none)",
               lambda s: None, states),
        Column("days", "integer", "days in the state: to the next state, or (censored) to the "
               "censoring date (missing: an exit)", lambda s: spell_days(s, censored_on)),
        Column("censored_on", "date", "the censoring date: the export's as-of date",
               lambda s: censored_on, required=True),
    )  # fmt: skip


def ended(spell: Spell) -> str:
    """How a spell ended (see SPELL_ENDS)."""
    if spell.end is not None:
        return "moved"
    return "exit" if not spell.state.is_open else "censored"


def spell_days(spell: Spell, censored_on: date) -> int | None:
    """Days in the state (None for an exit, which has no length)."""
    if spell.end is None and not spell.state.is_open:
        return None
    return spell.days(censored_on)
