"""Outcome kinds and milestones, counted separately (SQLite and PostgreSQL).

Given courses that reached an ordinary job, a flexjob, a wage-subsidy job, an
education, completion and a planned exit onto disability pension, when the views
catch up, then the milestones view counts each kind apart; the VIVE tables count
only ordinary work as a job with ordinary hours; a job stored before jobs had a
kind reads, and counts, as ordinary work.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.course import Course
from domain.events import JobStarted, Referred
from domain.values import JobKind
from projections.catalog import Views
from projections.milestones import MilestonesView, count
from projections.outcomes import Cohort, OutcomesView
from projections.outcomes_tables import build_report
from tests.projections.history import PROGRAMME, Clinic
from workflows import commands as cmd
from workflows.service import CourseService

D = date


def milestones(views: Views) -> dict[str, int]:
    view = views.view("milestones")
    assert isinstance(view, MilestonesView)
    ids = [course_id for course_id, _ in view.courses(PROGRAMME)]
    counted = count(ids, view.reached(PROGRAMME))
    return {"referred": counted.referred, **{k: v for k, v in counted.counts.items() if v}}


def active(clinic: Clinic, cpr: str) -> str:
    course = clinic.start(cpr, "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.baseline(course, D(2024, 2, 1))
    return course


def test_each_outcome_kind_is_counted_apart(clinic: Clinic, views: Views) -> None:
    for cpr, kind in (("0101901234", "ordinary"), ("0202901234", "flexjob"),
                      ("0303901234", "wage_subsidy")):  # fmt: skip
        course = active(clinic, cpr)
        clinic.do(cmd.JobStart, course, D(2024, 3, 1), employer="Netto", hours_per_week=20,
                  kind=kind)  # fmt: skip
        clinic.do(cmd.Exit, course, D(2024, 5, 1), planned=True)
    reduced = active(clinic, "0404901234")
    clinic.do(cmd.JobStart, reduced, D(2024, 3, 1), employer="Netto", hours_per_week=9,
              ordinary_hours=False)  # fmt: skip
    pension = active(clinic, "0505901234")
    clinic.do(cmd.Complete, pension, D(2024, 4, 1))
    clinic.do(cmd.Exit, pension, D(2024, 4, 2), planned=True, onto="disability_pension")
    school = active(clinic, "0606901234")
    clinic.do(cmd.EducationStart, school, D(2024, 3, 1), institution="VUC")
    clinic.do(cmd.Complete, school, D(2024, 6, 1))
    views.catch_up()

    assert milestones(views) == {
        "referred": 6,
        "completed the programme": 2,
        "job, ordinary hours": 1,
        "job, ordinary, reduced hours": 1,
        "flexjob (fleksjob)": 1,
        "wage-subsidy job (løntilskud)": 1,
        "education started": 1,
        "planned exit after job": 3,
        "planned exit onto disability pension": 1,
    }
    outcomes = views.view("outcomes")
    assert isinstance(outcomes, OutcomesView)
    report = build_report(outcomes.courses(Cohort(PROGRAMME), D(2024, 7, 1)))
    assert report.counts["job with ordinary hours"] == 1  # the flexjob and subsidy job not


def test_a_retracted_or_corrected_milestone_is_counted_as_corrected(
    clinic: Clinic, views: Views
) -> None:
    course = active(clinic, "0101901234")
    clinic.do(cmd.JobStart, course, D(2024, 3, 1), employer="Netto", hours_per_week=20)
    job = clinic.service.get_course(UUID(course)).version
    clinic.do(cmd.Complete, course, D(2024, 3, 2))
    completed = job + 1
    views.catch_up()
    assert milestones(views)["job, ordinary hours"] == 1

    clinic.do(cmd.Correct, course, D(2024, 3, 3), version=job, reason="var fleksjob",
              changes={"kind": "flexjob"})  # fmt: skip
    clinic.do(cmd.Correct, course, D(2024, 3, 3), version=completed, reason="fejl",
              retract=True)  # fmt: skip
    views.catch_up()

    assert milestones(views) == {"referred": 1, "flexjob (fleksjob)": 1}


def test_a_job_stored_before_jobs_had_a_kind_reads_and_counts_as_ordinary_work(
    service: CourseService, views: Views
) -> None:
    course_id = uuid4()
    common = {"timestamp": "2024-03-01T09:00:00+00:00", "actor": "rk-bo", "command_id": None}
    referred = {
        **common, "originator_topic": get_topic(Course), "occurred_on": "2024-01-02",
        "cpr": "0101901234", "programme": PROGRAMME, "referring_caseworker": "sb-kim",
        "note": "",
    }  # fmt: skip
    job_v1 = {**common, "occurred_on": "2024-03-01", "employer": "Netto",
              "hours_per_week": 20, "ordinary_hours": True}  # fmt: skip
    encode = service.mapper.transcoder.encode
    service.recorder.insert_events(
        [
            StoredEvent(course_id, 1, get_topic(Referred), encode(referred)),
            StoredEvent(course_id, 2, get_topic(JobStarted), encode(job_v1)),
        ]
    )

    [_, job] = service.course_events(course_id)
    views.catch_up()

    assert isinstance(job, JobStarted) and job.kind is JobKind.ORDINARY
    assert milestones(views) == {"referred": 1, "job, ordinary hours": 1}
