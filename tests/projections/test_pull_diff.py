"""A pull's cells as JSON, and two pulls compared, without a store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from uuid import uuid4

from domain.events import Corrected, NetworkMeetingHeld, SessionHeld
from projections.manifest import CodeVersion, CohortChoice, Manifest, Suppression
from projections.outcomes_course import CourseOutcome
from projections.pull import (
    Pull,
    PulledCell,
    PulledRow,
    PulledTable,
    pulled_cell,
    pulled_tables,
    shown_text,
)
from projections.pull_diff import (
    attribute,
    changed_cells,
    changed_courses,
    changing_events,
    why_changed,
)

AS_OF = date(2019, 4, 15)
MANIFEST = Manifest(
    command="outcomes",
    programme="pva",
    cohort=CohortChoice(by="referral"),
    as_of=AS_OF,
    known_at=datetime(2019, 5, 1, 8, tzinfo=UTC),
    log_position=10,
    definition=None,
    configuration_sha256=None,
    code=CodeVersion(version="0.1.0"),
    suppression=Suppression(below=5),
)


def a_pull(*cells: int | str | None) -> Pull:
    rows = [{"label": f"row {i}", "cells": [c]} for i, c in enumerate(cells)]
    shown = [{"name": "status", "title": "Status", "columns": ["n"], "rows": rows}]
    return Pull(manifest=MANIFEST, tables=pulled_tables(shown, 5))


def test_a_hidden_cell_is_null_with_why_and_reads_back_as_shown() -> None:
    small, complementary, shown = pulled_cell("<5", 5), pulled_cell("x", 5), pulled_cell(7, 5)

    assert small == PulledCell(value=None, suppressed="small")
    assert complementary == PulledCell(value=None, suppressed="complementary")
    assert shown == PulledCell(value=7, suppressed=None)
    assert [shown_text(c, 5) for c in (small, complementary, shown)] == ["<5", "x", 7]
    assert pulled_cell("<5", None) == PulledCell(value="<5")  # no threshold: a plain value


def test_the_changed_cells_are_named_with_before_and_after() -> None:
    before, after = a_pull(12, "<5", 30), a_pull(12, 6, 31)

    changed = changed_cells(before, after)

    assert [(c.table, c.row, c.column) for c in changed] == [
        ("status", "row 1", "n"),
        ("status", "row 2", "n"),
    ]
    assert (changed[0].before, changed[0].after) == (
        PulledCell(value=None, suppressed="small"),
        PulledCell(value=6),
    )
    assert changed_cells(before, before) == []


def test_a_row_only_in_one_pull_is_a_change_with_no_side() -> None:
    [changed] = changed_cells(a_pull(1), a_pull(1, 2))

    assert (changed.row, changed.before, changed.after) == ("row 1", None, PulledCell(value=2))


def event(event_type: type, course: object, on: date, **fields: object) -> object:
    return event_type(originator_id=course, originator_version=3, timestamp=datetime.now(UTC),
                actor="anna", recorded_by="anna", occurred_on=on, **fields)  # fmt: skip


def test_an_event_changes_a_pull_when_back_dated_or_a_correction() -> None:
    course = uuid4()
    meeting = event(NetworkMeetingHeld, course, date(2019, 1, 20), outcome="held")
    late = event(NetworkMeetingHeld, course, date(2019, 5, 20), outcome="held")
    session = event(SessionHeld, course, date(2019, 1, 20), kind="individual")
    fix = event(
        Corrected,
        course,
        date(2019, 6, 1),
        target_version=2,
        target_event="JobStarted",
        reason="typo",
    )

    assert why_changed(meeting, AS_OF, AS_OF) == "back-dated"  # type: ignore[arg-type]
    assert why_changed(late, AS_OF, AS_OF) is None  # type: ignore[arg-type]
    assert why_changed(late, AS_OF, date(2019, 6, 1)) == "later as-of"  # type: ignore[arg-type]
    assert why_changed(session, AS_OF, AS_OF) is None  # type: ignore[arg-type]
    assert why_changed(fix, AS_OF, AS_OF) == "correction"  # type: ignore[arg-type]


def test_only_events_of_courses_whose_facts_changed_are_listed() -> None:
    changed_id, same_id = uuid4(), uuid4()
    then = [CourseOutcome(str(changed_id), "pva", "s1"), CourseOutcome(str(same_id), "pva", "s2")]
    now = [CourseOutcome(str(changed_id), "pva", "s1", meetings_held=[date(2019, 1, 20)]), then[1]]
    changed = changed_courses(then, now)
    logged = [
        (11, event(NetworkMeetingHeld, changed_id, date(2019, 1, 20), outcome="held")),
        (12, event(NetworkMeetingHeld, same_id, date(2019, 1, 21), outcome="held")),
    ]

    found = list(
        changing_events(
            logged,
            changed,
            [*then, *now],
            (AS_OF, AS_OF),
            course_name=lambda c: f"p-{c[:4]}",
            actor_name=lambda a: None,
        )
    )

    assert list(changed) == [str(changed_id)]
    assert [(e.position, e.course, e.why, e.actor) for e in found] == [
        (11, f"p-{str(changed_id)[:4]}", "back-dated", None)
    ]


def test_each_changed_cell_is_attributed_to_the_courses_that_move_it() -> None:
    def tables(courses: Sequence[CourseOutcome]) -> list[PulledTable]:
        meetings = sum(len(c.meetings_held) for c in courses)
        rows = [
            PulledRow(label="meetings", cells=[PulledCell(value=meetings)]),
            PulledRow(label="courses", cells=[PulledCell(value=len(courses))]),
        ]
        return [PulledTable(name="t", title="T", columns=["n"], rows=rows)]

    met, new = CourseOutcome("a", "pva", "s1"), CourseOutcome("b", "pva", "s2")
    then = [met]
    now = [CourseOutcome("a", "pva", "s1", meetings_held=[date(2019, 1, 20)]), new]

    moved = attribute(tables, then, changed_courses(then, now))

    assert moved == {("t", "meetings", "n"): ["a"], ("t", "courses", "n"): ["b"]}
