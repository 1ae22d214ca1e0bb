"""The outcomes view: as of a date (by occurred_on), as known at a moment (by recorded
time), corrections honoured only from when they were recorded, and rebuildable."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

from projections.catalog import Views
from projections.outcomes import Cohort, OutcomesView
from projections.outcomes_course import CourseOutcome
from projections.outcomes_tables import build_report
from tests.projections.history import PROGRAMME, Clinic
from workflows import commands as cmd

D = date
COHORT = Cohort(PROGRAMME)
LATER = D(2024, 12, 31)


def outcomes(views: Views) -> OutcomesView:
    """The outcomes view, caught up."""
    views.catch_up()
    view = views.view("outcomes")
    assert isinstance(view, OutcomesView)
    return view


def moment() -> datetime:
    """Now, strictly after what was recorded before and before what is recorded next."""
    time.sleep(0.002)
    now = datetime.now(UTC)
    time.sleep(0.002)
    return now


def only(courses: list[CourseOutcome]) -> CourseOutcome:
    """The one course of a list."""
    [course] = courses
    return course


def started(clinic: Clinic, cpr: str = "0101901234") -> str:
    """A course with its baseline taken on 1 February 2024."""
    course = clinic.start(cpr, "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.baseline(course, D(2024, 2, 1))
    return course


def recorded_version(clinic: Clinic, command: cmd.CourseCommand) -> int:
    """Run a command; the version of the (first) event it recorded."""
    return clinic.service.execute(command, "rk-anna").versions[0]


def test_a_course_is_folded_from_its_facts(clinic: Clinic, views: Views) -> None:
    course = started(clinic)
    clinic.do(cmd.PraktikStart, course, D(2024, 3, 1), employer="Netto", hours_per_week=15,
              planned_end=D(2024, 5, 1))  # fmt: skip
    clinic.do(cmd.JobStart, course, D(2024, 4, 2), employer="Netto", hours_per_week=22)
    clinic.do(cmd.Exit, course, D(2024, 6, 3), planned=True)

    folded = only(outcomes(views).courses(COHORT, LATER))
    assert (folded.referred_on, folded.baseline_on) == (D(2024, 1, 2), D(2024, 2, 1))
    assert (folded.is_open, folded.exit_after) == (False, "job")
    assert folded.praktik_starts == [D(2024, 3, 1)]
    assert [(job.hours, job.after_praktik) for job in folded.jobs] == [(22.0, True)]
    assert set(folded.forms) == {(1, "citizen"), (1, "staff")}


def test_as_of_leaves_out_what_happened_later(clinic: Clinic, views: Views) -> None:
    course = started(clinic)
    clinic.do(cmd.JobStart, course, D(2024, 4, 2), employer="Netto", hours_per_week=22)
    view = outcomes(views)

    assert only(view.courses(COHORT, D(2024, 4, 1))).jobs == []
    assert len(only(view.courses(COHORT, D(2024, 4, 2))).jobs) == 1
    assert only(view.courses(COHORT, D(2024, 1, 31))).baseline_on is None
    assert view.courses(COHORT, D(2024, 1, 1)) == []  # not yet referred


def test_known_at_gives_the_report_as_pulled_before_a_back_dated_entry(
    clinic: Clinic, views: Views
) -> None:
    course = started(clinic)
    pulled = moment()
    clinic.do(cmd.JobStart, course, D(2024, 3, 1), employer="Netto", hours_per_week=22)
    view = outcomes(views)

    def in_job(known_at: datetime | None) -> int:
        report = build_report(view.courses(COHORT, LATER, known_at))
        value = report.table("outcomes").value("job with ordinary hours", "n")
        assert isinstance(value, int)
        return value

    assert in_job(pulled) == 0  # the job, though it happened in March, was not yet recorded
    assert in_job(moment()) == 1
    assert in_job(None) == 1


def test_known_at_before_the_course_was_recorded_has_no_course(
    clinic: Clinic, views: Views
) -> None:
    before = moment()
    started(clinic)

    assert outcomes(views).courses(COHORT, LATER, before) == []


def test_a_correction_counts_only_from_when_it_was_recorded(clinic: Clinic, views: Views) -> None:
    course = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    form = cmd.Measure(course=course, occurred_on=D(2024, 2, 1), point=1, form="citizen",
                       mental_health="poor", who5=[1, 1, 1, 1, 1])  # fmt: skip
    version = recorded_version(clinic, form)
    clinic.do(cmd.Measure, course, D(2024, 2, 1), point=1, form="staff")
    before = moment()
    fix = {"answers.mental_health": "good", "answers.who5.calm": 5}
    clinic.do(cmd.Correct, course, D(2024, 3, 1), version=version, reason="typo", changes=fix)
    view = outcomes(views)

    def answers(known_at: datetime | None) -> tuple[Any, ...]:
        start = only(view.courses(COHORT, LATER, known_at)).forms[(1, "citizen")]
        return start.mental, start.who5

    assert answers(before) == ("poor", (1, 1, 1, 1, 1))
    assert answers(moment()) == ("good", (1, 5, 1, 1, 1))


def test_a_corrected_date_moves_the_fact_in_as_of_time(clinic: Clinic, views: Views) -> None:
    course = started(clinic)
    version = recorded_version(
        clinic,
        cmd.JobStart(course=course, occurred_on=D(2024, 3, 1), employer="Netto", hours_per_week=22),
    )
    clinic.do(cmd.Correct, course, D(2024, 3, 5), version=version, reason="wrong date",
              changes={"occurred_on": "2024-04-01", "hours_per_week": 30})  # fmt: skip
    view = outcomes(views)

    assert only(view.courses(COHORT, D(2024, 3, 15))).jobs == []
    assert [job.hours for job in only(view.courses(COHORT, D(2024, 4, 1))).jobs] == [30.0]


def test_a_retracted_meeting_no_longer_counts_once_the_retraction_is_recorded(
    clinic: Clinic, views: Views
) -> None:
    course = started(clinic)
    meeting = cmd.Meeting(course=course, occurred_on=D(2024, 3, 1), outcome="held")
    version = recorded_version(clinic, meeting)
    before = moment()
    clinic.do(cmd.Correct, course, D(2024, 3, 2), version=version, reason="entered twice",
              retract=True)  # fmt: skip
    view = outcomes(views)

    assert only(view.courses(COHORT, LATER, before)).meetings_held == [D(2024, 3, 1)]
    assert only(view.courses(COHORT, LATER)).meetings_held == []


def test_the_cohort_is_chosen_by_referral_or_by_baseline(clinic: Clinic, views: Views) -> None:
    early = started(clinic, "0101901234")  # referred 2 January, baseline 1 February
    late = clinic.start("0202905678", "rk-bo", D(2024, 1, 20), D(2024, 1, 25))
    clinic.baseline(late, D(2024, 3, 10))
    view = outcomes(views)

    def ids(cohort: Cohort) -> set[str]:
        return {c.course_id for c in view.courses(cohort, LATER)}

    january = (D(2024, 1, 1), D(2024, 1, 31))
    assert ids(Cohort(PROGRAMME, *january, by="referral")) == {early, late}
    assert ids(Cohort(PROGRAMME, *january, by="baseline")) == set()
    assert ids(Cohort(PROGRAMME, D(2024, 3, 1), None, by="baseline")) == {late}
    assert ids(Cohort("another-programme")) == set()


def test_the_network_share_compares_answers_with_recorded_meetings(
    clinic: Clinic, views: Views
) -> None:
    for n, recorded in enumerate((True, True, False)):
        course = clinic.start(f"0{n + 1}01901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
        if recorded:
            clinic.do(cmd.Meeting, course, D(2024, 1, 20))
        clinic.do(cmd.Measure, course, D(2024, 2, 1), point=1, form="citizen")
        clinic.do(cmd.Measure, course, D(2024, 2, 1), point=1, form="staff", network_meeting="yes")
    network = build_report(outcomes(views).courses(COHORT, LATER)).table("network")

    assert network.value("staff forms answering (n)", "point 1") == 3
    assert (network.value("answered yes", "point 1"), network.value("% yes", "point 1")) == (3, 100)
    assert network.value("meeting recorded in the 91 days before", "point 1") == 2
    assert network.value("% recorded", "point 1") == 67


def test_the_view_is_rebuilt_to_the_same_rows(clinic: Clinic, views: Views) -> None:
    course = started(clinic)
    version = recorded_version(clinic, cmd.Meeting(course=course, occurred_on=D(2024, 3, 1)))
    clinic.do(cmd.Correct, course, D(2024, 3, 2), version=version, reason="x",
              changes={"occurred_on": "2024-02-28"})  # fmt: skip
    view = outcomes(views)
    before = view.snapshot()

    views.rebuild("outcomes")

    assert view.snapshot() == before
    assert view.position() == views.head()
    assert (
        len(before["outcomes_facts"]) == 7
    )  # referral, acceptance, 2 forms, baseline, meeting + its revision
