"""Two pulls compared: the cells that changed, and the events in the log between them that
changed them.

Between two pulls of the same cohort, cells change because something was
recorded in between that bears on the earlier pull's dates: an entry dated on
or before its as-of date (*back-dated*), a *correction* or *retraction* of an
earlier entry, or the *erasure* of a citizen (whose birth date and answers
leave the outcomes). When the later pull has a later as-of date, entries that
happened between the two dates change cells too (*later as-of*). The events
listed are those, read from the log between the two pulls' log positions, of
courses whose outcome facts differ between the two pulls (and erasures of their
citizens).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer

from domain.citizen import CitizenErased
from domain.events import Corrected, CourseEvent
from projections.manifest import Manifest, utc_text
from projections.outcomes_course import CourseOutcome
from projections.outcomes_facts import FACT_EVENTS
from projections.pull import Pull, PulledCell

Why = Literal["back-dated", "later as-of", "correction", "retraction", "erasure"]


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_serialization_defaults_required=True
    )


class ChangedCell(_Model):
    """One cell whose value (or suppression) differs; a side is null when the table, row
    or column is not in that pull."""

    table: str
    row: str
    column: str
    before: PulledCell | None
    after: PulledCell | None


class ChangingEvent(_Model):
    """An event recorded between the two pulls that changed the cohort's facts."""

    position: int = Field(description="its notification id in the log")
    course: str = Field(description="the course's pseudonym (as in the export)")
    event: str = Field(description="the event type, e.g. JobStarted, Corrected")
    why: Why
    occurred_on: date
    recorded_at: AwareDatetime
    actor: str | None = Field(
        description="on whose behalf it was recorded (null: not yours to see)"
    )

    @field_serializer("recorded_at")
    def _utc(self, moment: Any) -> str:
        return utc_text(moment)


class PullDiff(_Model):
    """`forloeb outcomes diff --format json`: what changed from one pull to the other."""

    before: Manifest
    after: Manifest
    cells: list[ChangedCell]
    events: list[ChangingEvent]


def cell_map(pulled: Pull) -> dict[tuple[str, str, str], PulledCell]:
    """Every cell of a pull by (table, row label, column)."""
    return {
        (table.name, row.label.strip(), column): cell
        for table in pulled.tables
        for row in table.rows
        for column, cell in zip(table.columns, row.cells, strict=True)
    }


def changed_cells(before: Pull, after: Pull) -> list[ChangedCell]:
    """The cells that differ, in the order of the later pull (then any only in the earlier)."""
    old, new = cell_map(before), cell_map(after)
    keys = [*new, *(key for key in old if key not in new)]
    return [
        ChangedCell(table=t, row=r, column=c, before=old.get((t, r, c)), after=new.get((t, r, c)))
        for t, r, c in keys
        if old.get((t, r, c)) != new.get((t, r, c))
    ]


def changed_courses(
    before: Sequence[CourseOutcome], after: Sequence[CourseOutcome]
) -> dict[str, CourseOutcome]:
    """The courses (by id) whose facts differ between the two readings, or in only one."""
    old = {course.course_id: course for course in before}
    new = {course.course_id: course for course in after}
    return {
        course_id: new.get(course_id) or old[course_id]
        for course_id in old.keys() | new.keys()
        if old.get(course_id) != new.get(course_id)
    }


def why_changed(event: CourseEvent, earlier: date, later: date) -> Why | None:
    """Why a course event recorded between the pulls changes them, if it does."""
    if isinstance(event, Corrected):
        return "retraction" if event.retracted else "correction"
    if not isinstance(event, FACT_EVENTS):
        return None
    if event.occurred_on <= earlier:
        return "back-dated"
    if event.occurred_on <= later:
        return "later as-of"
    return None


def changing_events(
    logged: Iterable[tuple[int, Any]],
    changed: dict[str, CourseOutcome],
    cohort: Iterable[CourseOutcome],
    as_of: tuple[date, date],
    course_name: Callable[[str], str],
    actor_name: Callable[[str], str | None],
) -> Iterator[ChangingEvent]:
    """The events (with their log positions) that changed the pulls: those of changed
    courses that bear on the pulls' dates, and erasures of the cohort's citizens.
    `course_name` gives a course id's pseudonym, `actor_name` an actor as the reader may
    see it (None: not at all)."""
    earlier, later = min(as_of), max(as_of)
    courses_of: dict[str, set[str]] = {}
    for course in cohort:
        courses_of.setdefault(course.subject, set()).add(course.course_id)
    for position, event in logged:
        if isinstance(event, CitizenErased):
            for course_id in sorted(courses_of.get(str(event.originator_id), set())):
                yield ChangingEvent(
                    position=position,
                    course=course_name(course_id),
                    event=type(event).__name__,
                    why="erasure",
                    occurred_on=event.erased_on,
                    recorded_at=event.timestamp,
                    actor=actor_name(event.actor),
                )
            continue
        if not isinstance(event, CourseEvent) or str(event.originator_id) not in changed:
            continue
        why = why_changed(event, earlier, later)
        if why is not None:
            yield ChangingEvent(
                position=position,
                course=course_name(str(event.originator_id)),
                event=type(event).__name__,
                why=why,
                occurred_on=event.occurred_on,
                recorded_at=event.timestamp,
                actor=actor_name(event.actor),
            )
