"""`forloeb projections verify`: every view compared with a rebuild from the log, every
difference named (view, table, row, column, stored and rebuilt)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from projections.catalog import ViewAhead, Views, open_views
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


def move_past_the_log(views: Views, view: str, by: int = 1000) -> int:
    """Set a view's tracking position beyond the log's last notification; that position."""
    position = views.head() + by
    found = views.view(view)
    with found.transaction(commit=True) as c:
        statement = f"UPDATE {found.tracking_table} SET notification_id = ?"
        c.execute(found.placeholders(statement), (position,))
    return position


def test_a_tracking_position_past_the_log_is_named(views: Views) -> None:
    head = views.head()
    position = move_past_the_log(views, "course_list")

    found = verify_views(views).differences

    assert [(d.view, d.table, d.column, d.stored, d.rebuilt) for d in found] == [
        ("course_list", "course_list_tracking", "notification_id", position, head)
    ]


def test_a_view_past_the_log_refuses_to_be_read_until_rebuilt(
    views: Views, service: CourseService
) -> None:
    """A view whose position is past the log would never take the events written from
    then on: reading it would answer from a list that silently stops growing."""
    move_past_the_log(views, "course_list")
    closed_course(service, "020290-1236")  # events the view would skip

    with pytest.raises(ViewAhead, match=r"views: course_list at #\d+, past the log's last"):
        views.catch_up()
    assert any("not in the view" in line for line in lines(views))

    views.rebuild("course_list")
    assert lines(views) == []


def test_a_write_on_a_view_past_the_log_stands_with_a_warning_and_reads_refuse(
    run: Run, tmp_path: Path
) -> None:
    refer_and_close(run)
    with sqlite3.connect(tmp_path / "forloeb.sqlite") as db:
        db.execute("UPDATE course_list_tracking SET notification_id = notification_id + 1000")

    written = run("refer", "--cpr", "020290-1236", "--programme", "pva",
                  "--referring-caseworker", "cw-lars")  # fmt: skip
    read = run("courses")

    assert written.exit_code == 0, written.output
    assert "recorded #1 Referred" in written.stdout
    assert written.stderr.startswith("warning: views: course_list at #")
    assert read.exit_code == 1
    assert read.output.startswith("error: views: course_list at #")
    assert "run `forloeb verify --all`, then `forloeb projections rebuild`" in read.output
    ok(run("projections", "rebuild"))
    assert "020290" in ok(run("courses", "--format", "json")).output
