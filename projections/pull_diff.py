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

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer

from domain.citizen import CitizenErased
from domain.events import Corrected, CourseEvent
from projections.manifest import Manifest, utc_text
from projections.outcomes_course import CourseOutcome
from projections.outcomes_facts import FACT_EVENTS
from projections.pull import Pull, PulledCell, PulledTable

MAX_ATTRIBUTED = 50
"""Cells are attributed to courses one changed course at a time, up to this many."""

CellKey = tuple[str, str, str]
Tables = Callable[[Sequence[CourseOutcome]], Sequence[PulledTable]]
"""A pull's tables (unsuppressed) from a cohort's courses."""

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
    courses: list[str] = Field(
        default_factory=list,
        description="the courses (pseudonyms) whose changed facts alone move this cell's "
        "unsuppressed value; empty when none does alone (suppression, or several together) "
        f"or more than {MAX_ATTRIBUTED} courses changed",
    )


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


def cell_map(tables: Sequence[PulledTable]) -> dict[CellKey, PulledCell]:
    """Every cell of some tables by (table, row label, column)."""
    return {
        (table.name, row.label.strip(), column): cell
        for table in tables
        for row in table.rows
        for column, cell in zip(table.columns, row.cells, strict=True)
    }


def changed_cells(
    before: Pull, after: Pull, courses: Mapping[CellKey, list[str]] | None = None
) -> list[ChangedCell]:
    """The cells that differ, in the order of the later pull (then any only in the earlier),
    each with the courses that move it (`attribute`)."""
    old, new = cell_map(before.tables), cell_map(after.tables)
    keys = [*new, *(key for key in old if key not in new)]
    return [
        ChangedCell(
            table=key[0],
            row=key[1],
            column=key[2],
            before=old.get(key),
            after=new.get(key),
            courses=list((courses or {}).get(key, [])),
        )
        for key in keys
        if old.get(key) != new.get(key)
    ]


def attribute(
    tables: Tables,
    then: Sequence[CourseOutcome],
    changed: Mapping[str, CourseOutcome | None],
) -> dict[CellKey, list[str]]:
    """Which changed courses move which cells: for each course (up to MAX_ATTRIBUTED), the
    cells whose unsuppressed value differs when only that course is as it is now."""
    if len(changed) > MAX_ATTRIBUTED:
        return {}
    base = cell_map(tables(then))
    moved: dict[CellKey, list[str]] = {}
    for course_id in sorted(changed):
        now = changed[course_id]
        swapped = [c for c in then if c.course_id != course_id] + ([now] if now else [])
        cells = cell_map(tables(sorted(swapped, key=lambda c: c.course_id)))
        for key in base.keys() | cells.keys():
            if base.get(key) != cells.get(key):
                moved.setdefault(key, []).append(course_id)
    return moved


def changed_courses(
    before: Sequence[CourseOutcome], after: Sequence[CourseOutcome]
) -> dict[str, CourseOutcome | None]:
    """The courses (by id) whose facts differ between the two readings, each as it is in
    the later one (None: not in it)."""
    old = {course.course_id: course for course in before}
    new = {course.course_id: course for course in after}
    return {
        course_id: new.get(course_id)
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
    changed: Mapping[str, CourseOutcome | None],
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
