"""A move entered in error and retracted: every view treats it as never having happened.

Given a course with a job start recorded on it by mistake, when the job start
is retracted, then the course list, the caseload, the outcome tables (ever in
a job), the paths and the time to a job show the course as it was before the
move; what was known before the retraction can still be asked for; the log
keeps both events. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

import pytest

from domain.course import LOCAL_TIME
from domain.errors import CourseError
from domain.values import CourseState
from projections.catalog import Views
from projections.outcomes import Cohort, OutcomesView
from projections.outcomes_tables import build_report
from projections.spells import path
from projections.time_to_event import observe
from tests.projections.history import PROGRAMME, Clinic
from workflows import commands as cmd

D = date
AS_OF = D(2024, 6, 1)
S = CourseState


def outcomes(views: Views) -> OutcomesView:
    view = views.view("outcomes")
    assert isinstance(view, OutcomesView)
    return view


def job_entered_in_error(clinic: Clinic) -> tuple[str, int]:
    """An active course (baseline 2024-02-01) with a job start recorded by mistake; its
    version."""
    course = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.baseline(course, D(2024, 2, 1))
    clinic.do(cmd.JobStart, course, D(2024, 3, 1), employer="Netto", hours_per_week=20)
    return course, clinic.service.get_course(UUID(course)).version


def test_a_retracted_job_start_is_gone_from_every_view(clinic: Clinic, views: Views) -> None:
    course, job = job_entered_in_error(clinic)
    views.catch_up()
    before_retraction = datetime.now(LOCAL_TIME)
    assert views.course_list.get(UUID(course)).state is S.JOB  # type: ignore[union-attr]

    clinic.do(cmd.Correct, course, D(2024, 3, 2), version=job, reason="forkert borger",
              retract=True)  # fmt: skip
    views.catch_up()

    row = views.course_list.get(UUID(course))
    assert row is not None and (row.state, row.state_since) == (S.ACTIVE, D(2024, 2, 1))
    [load] = views.caseload.caseload(AS_OF)
    assert [(x.state, x.since) for x in load.courses] == [(S.ACTIVE, D(2024, 2, 1))]
    [due] = [d for d in views.caseload.due(AS_OF) if d.kind == "measurement"]
    assert due.due_on == D(2024, 2, 1) + timedelta(days=91)
    [now] = outcomes(views).courses(Cohort(PROGRAMME), AS_OF)
    assert (now.state, now.jobs) == (S.ACTIVE, [])
    assert path(now) == (S.VISITATION, S.BASELINE, S.ACTIVE)
    assert observe(now, ["job"], "baseline", AS_OF).event is None  # type: ignore[union-attr]
    report = build_report([now])
    assert report.counts["job with ordinary hours"] == 0
    assert report.table("job_path").value("in job", "n") == 0
    [then] = outcomes(views).courses(Cohort(PROGRAMME), AS_OF, known_at=before_retraction)
    assert [job.on for job in then.jobs] == [D(2024, 3, 1)]  # as it was known then
    events = [type(e).__name__ for e in clinic.service.course_events(UUID(course))]
    assert events[-2:] == ["JobStarted", "Corrected"]


def test_the_retracted_move_may_be_made_again_and_counts_once(clinic: Clinic, views: Views) -> None:
    course, job = job_entered_in_error(clinic)
    clinic.do(cmd.Correct, course, D(2024, 3, 2), version=job, reason="forkert dato",
              retract=True)  # fmt: skip
    clinic.do(cmd.JobStart, course, D(2024, 4, 1), employer="Netto", hours_per_week=25)
    views.catch_up()

    row = views.course_list.get(UUID(course))
    assert row is not None and (row.state, row.state_since) == (S.JOB, D(2024, 4, 1))
    [now] = outcomes(views).courses(Cohort(PROGRAMME), AS_OF)
    assert [(j.on, j.hours) for j in now.jobs] == [(D(2024, 4, 1), 25.0)]
    assert build_report([now]).counts["job with ordinary hours"] == 1


def test_an_acceptance_retracted_leaves_the_caseload_and_the_consultant(
    clinic: Clinic, views: Views
) -> None:
    course = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.do(cmd.Correct, course, D(2024, 1, 10), version=2, reason="forkert borger",
              retract=True)  # fmt: skip
    views.catch_up()

    assert views.caseload.caseload(AS_OF) == []
    row = views.course_list.get(UUID(course))
    assert row is not None and (row.state, row.consultant) == (S.VISITATION, None)
    assert row.state_since == D(2024, 1, 2)


def test_a_job_start_with_its_job_end_is_refused_and_nothing_changes(
    clinic: Clinic, views: Views
) -> None:
    course, job = job_entered_in_error(clinic)
    clinic.do(cmd.JobEnd, course, D(2024, 4, 1))
    before = clinic.service.course_events(UUID(course))

    with pytest.raises(CourseError) as refused:
        clinic.do(cmd.Correct, course, D(2024, 4, 2), version=job, reason="fejl", retract=True)

    assert str(refused.value) == (
        f"version: event {job + 1} (JobEnded) depends on event {job} (JobStarted); retract it first"
    )
    assert clinic.service.course_events(UUID(course)) == before
    views.catch_up()
    [now] = outcomes(views).courses(Cohort(PROGRAMME), AS_OF)
    assert len(now.jobs) == 1


def test_a_course_list_from_before_the_state_changes_column_is_rebuilt_from_the_log(
    clinic: Clinic, views: Views
) -> None:
    course, job = job_entered_in_error(clinic)
    views.catch_up()
    view = views.course_list
    old = [c for c in view.declared_columns("course_list") if c != "state_changes"]
    view.may_create_tables = True  # as for `forloeb init`, which upgrades the views
    try:
        with view.transaction(commit=True) as c:  # the table as the previous version made it
            c.execute(f"DROP TABLE {view.table('course_list')}")
            c.execute(f"CREATE TABLE {view.table('course_list')} ({' TEXT, '.join(old)} TEXT)")
        clinic.do(cmd.Correct, course, D(2024, 3, 2), version=job, reason="fejl", retract=True)

        assert view.reset_if_outdated()  # what opening the views as the owner does
        views.catch_up()
        row = views.course_list.get(UUID(course))
    finally:
        view.reset_if_outdated()  # never leave a shared test database outdated

    assert row is not None and (row.state, row.state_since) == (S.ACTIVE, D(2024, 2, 1))
