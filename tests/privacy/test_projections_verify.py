"""`forloeb projections verify`: every view compared with a rebuild from the log, every
difference named (view, table, row, column, stored and rebuilt)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from projections.catalog import Views, open_views
from projections.verify import verify_views
from storage.store import StoreConfig
from tests.privacy.conftest import Run, ok, refer_and_close
from tests.protection.test_erasure import closed_course
from tests.protection.test_sealing import OTHER_CPR
from workflows.service import CourseService


@pytest.fixture
def views(store: StoreConfig, service: CourseService) -> Iterator[Views]:
    closed_course(service)
    closed_course(service, OTHER_CPR)
    opened = open_views(store, app=service)
    opened.catch_up()
    yield opened
    opened.close()


def tamper(views: Views, view: str, statement: str, *params: object) -> None:
    """Change a view's table behind the projections' back."""
    found = views.view(view)
    with found.transaction(commit=True) as c:
        c.execute(found.sql(statement), params)


def lines(views: Views) -> list[str]:
    return [d.line() for d in verify_views(views).differences]


def test_views_built_from_the_log_have_no_differences(views: Views) -> None:
    result = verify_views(views)

    assert result.differences == []
    assert result.views == ["course_list", "caseload", "audit", "outcomes", "milestones"]
    assert result.rows > 0


def test_a_deleted_course_list_row_is_named(views: Views) -> None:
    (course,) = [row.course_id for row in views.course_list.list_courses()][:1]
    tamper(views, "course_list", "DELETE FROM {course_list} WHERE course_id = ?", str(course))

    assert lines(views) == [
        f"course_list: course_list [course_id={course}]: row not in the view, but the log gives it"
    ]


def test_an_altered_outcome_fact_is_named_with_both_values(views: Views) -> None:
    tamper(views, "outcomes", "UPDATE {outcomes_facts} SET reason = ? WHERE reason = ?",
           "other", "not_motivated")  # fmt: skip

    found = verify_views(views).differences
    assert {(d.view, d.table, d.column, d.stored, d.rebuilt) for d in found} == {
        ("outcomes", "outcomes_facts", "reason", "other", "not_motivated")
    }
    assert len(found) == 2  # one per course
    assert all(d.key.startswith("pid=") for d in found)


def test_a_deleted_caseload_row_and_an_added_one_are_named(views: Views) -> None:
    tamper(views, "caseload", "DELETE FROM {caseload_facts} WHERE kind = ?", "Accepted")
    tamper(views, "caseload", "INSERT INTO {caseload_courses} VALUES (?, ?)", "made-up", "pva")

    found = lines(views)
    assert (
        "caseload: caseload_courses [course_id=made-up]: row in the view, but the log "
        "does not give it" in found
    )
    assert sum("caseload_facts" in line and "not in the view" in line for line in found) == 2
    assert len(found) == 3


def test_verify_on_the_command_line_names_differences_and_exits_1(run: Run, tmp_path: Path) -> None:
    course = refer_and_close(run)
    clean = ok(run("projections", "verify", user="rita"))
    assert "no differences: 5 views" in clean.output
    with sqlite3.connect(tmp_path / "forloeb.sqlite") as db:
        db.execute("DELETE FROM course_list WHERE course_id = ?", (course,))

    found = run("projections", "verify", user="rita")

    assert found.exit_code == 1
    assert f"course_list: course_list [course_id={course}]: row not in the view" in found.output
    assert "1 difference from a rebuild from the log" in found.output
    ok(run("projections", "rebuild", "course_list"))
    ok(run("projections", "verify", "course_list", user="rita"))
