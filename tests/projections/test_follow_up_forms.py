"""Follow-up measurements in the views: on SQLite and PostgreSQL.

Given courses measured during the course and, after their exit, at follow-up
points, then the in-course tables (VIVE 2.1, 5.4, 6.5, 6.6) count only the
in-course forms; the follow-up table, when asked for, counts the others; the
audit shows the follow-up mark; an outcomes view made before the follow-up
column is rebuilt from the log by `forloeb init` (which resets it) and counts as before.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from projections.catalog import Views
from projections.outcomes import Cohort, OutcomesView
from projections.outcomes_course import CourseOutcome
from projections.outcomes_tables import build_report
from tests.projections.history import PROGRAMME, Clinic
from workflows import commands as cmd

D = date
AS_OF = D(2024, 12, 1)


def outcomes(views: Views) -> OutcomesView:
    view = views.view("outcomes")
    assert isinstance(view, OutcomesView)
    return view


def cohort(views: Views) -> list[CourseOutcome]:
    return outcomes(views).courses(Cohort(PROGRAMME), AS_OF)


@pytest.fixture
def measured(clinic: Clinic) -> tuple[str, str]:
    """Two courses with a baseline and point 2; one left and was measured twice more
    (point 3 both forms, point 4 the citizen form), the other is still running."""
    left = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    running = clinic.start("0202905678", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    for course in (left, running):
        clinic.baseline(course, D(2024, 2, 1))
        clinic.do(cmd.Measure, course, D(2024, 5, 1), point=2, form="citizen",
                  mental_health="poor")  # fmt: skip
        clinic.do(cmd.Measure, course, D(2024, 5, 1), point=2, form="staff")
    clinic.do(cmd.Exit, left, D(2024, 6, 1), planned=False, reason="not_motivated")
    clinic.do(cmd.Measure, left, D(2024, 8, 1), point=3, form="citizen", follow_up=True,
              mental_health="good", who5=[3, 3, 3, 3, 3])  # fmt: skip
    clinic.do(cmd.Measure, left, D(2024, 8, 2), point=3, form="staff", follow_up=True,
              network_meeting="no")  # fmt: skip
    clinic.do(cmd.Measure, left, D(2024, 11, 1), point=4, form="citizen", follow_up=True)
    return left, running


def test_the_in_course_tables_never_count_follow_up_forms(
    measured: tuple[str, str], views: Views
) -> None:
    views.catch_up()
    courses = cohort(views)

    report = build_report(courses)

    forms = report.table("forms")
    assert forms.columns == ("point 1", "point 2")
    assert [forms.value("citizen forms", c) for c in forms.columns] == [2, 2]
    assert [forms.value("staff forms", c) for c in forms.columns] == [2, 2]
    assert report.table("network").columns == ("point 1", "point 2")
    assert report.counts["both citizen forms"] == 0  # no one has an in-course point 3
    assert "follow_up_forms" not in [t.name for t in report.tables]
    left = next(c for c in courses if c.course_id == measured[0])
    assert left.state is not None and not left.state.is_open  # still exited
    assert sorted(left.follow_up_forms) == [(3, "citizen"), (3, "staff"), (4, "citizen")]


def test_the_follow_up_table_counts_them_when_asked(
    measured: tuple[str, str], views: Views
) -> None:
    views.catch_up()

    table = build_report(cohort(views), follow_up_forms=True).table("follow_up_forms")

    assert table.columns == ("point 3", "point 4")
    assert [table.value("citizen forms", c) for c in table.columns] == [1, 1]
    assert [table.value("staff forms", c) for c in table.columns] == [1, 0]


def test_a_follow_up_form_corrected_or_retracted_counts_as_corrected(
    measured: tuple[str, str], clinic: Clinic, views: Views
) -> None:
    left = UUID(measured[0])
    versions = {(e.point, e.form): e.originator_version  # type: ignore[attr-defined]
                for e in clinic.service.course_events(left) if type(e).__name__ ==
                "MeasurementRecorded"}  # fmt: skip
    clinic.do(cmd.Correct, measured[0], D(2024, 11, 2), version=versions[(4, "citizen")],
              reason="forkert punkt", changes={"point": 5})  # fmt: skip
    clinic.do(cmd.Correct, measured[0], D(2024, 11, 2), version=versions[(3, "staff")],
              reason="fejl", retract=True)  # fmt: skip
    views.catch_up()

    [course] = [c for c in cohort(views) if c.course_id == measured[0]]

    assert sorted(course.follow_up_forms) == [(3, "citizen"), (5, "citizen")]
    assert sorted(course.forms) == [(1, "citizen"), (1, "staff"), (2, "citizen"), (2, "staff")]


def test_the_audit_marks_the_follow_up_forms(measured: tuple[str, str], views: Views) -> None:
    views.catch_up()

    entries = views.audit.history(course_id=UUID(measured[0]))

    marks = [(e.details["point"], e.details["follow_up"]) for e in entries
             if e.event == "MeasurementRecorded"]  # fmt: skip
    assert marks == [(1, False), (1, False), (2, False), (2, False), (3, True), (3, True),
                     (4, True)]  # fmt: skip


def test_an_outcomes_view_from_before_the_follow_up_column_is_rebuilt_from_the_log(
    measured: tuple[str, str], views: Views
) -> None:
    views.catch_up()
    before = build_report(cohort(views), follow_up_forms=True)
    view = outcomes(views)
    old = [c for c in view.declared_columns("outcomes_facts") if c != "follow_up"]
    view.may_create_tables = True  # as for `forloeb init`, which upgrades the views
    try:
        with view.transaction(commit=True) as c:  # the table as the previous version made it
            c.execute(f"DROP TABLE {view.table('outcomes_facts')}")
            c.execute(f"CREATE TABLE {view.table('outcomes_facts')} ({' TEXT, '.join(old)} TEXT)")

        assert view.reset_if_outdated()  # what opening the views as the owner does
        views.catch_up()
        after = build_report(cohort(views), follow_up_forms=True)
    finally:
        view.reset_if_outdated()  # never leave a shared test database outdated

    assert after.counts == before.counts
    assert after.counts["citizen follow-up forms at 3"] == 1
