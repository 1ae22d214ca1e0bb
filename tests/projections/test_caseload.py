"""Caseloads and due lists, as of a date."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from domain.values import CourseState
from projections.caseload import INTERVAL, TARGET_CASELOAD, DueItem, ProgrammeSettings
from projections.catalog import Views
from tests.projections.history import Clinic
from workflows import commands as cmd

D = date


def test_open_courses_by_consultant_and_state(clinic: Clinic, views: Views) -> None:
    a = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    b = clinic.start("0202905678", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.baseline(b, D(2024, 2, 1))
    c = clinic.start("0303901111", "rk-cy", D(2024, 1, 2), D(2024, 1, 9))
    clinic.refer("0404902222", D(2024, 1, 2))  # in visitation: nobody's caseload yet
    views.catch_up()

    bo, cy = views.caseload.caseload(as_of=D(2024, 3, 1))
    assert (bo.consultant, bo.open_courses, bo.over_capacity) == ("rk-bo", 2, False)
    assert bo.by_state == {CourseState.BASELINE: 1, CourseState.ACTIVE: 1}
    assert {(str(x.course_id), x.since, x.days_in_state) for x in bo.courses} == {
        (a, D(2024, 1, 9), 52),
        (b, D(2024, 2, 1), 29),
    }
    assert [str(x.course_id) for x in cy.courses] == [c]
    assert [load.consultant for load in views.caseload.caseload(D(2024, 3, 1), "rk-cy")] == [
        "rk-cy"
    ]


def test_as_of_is_the_world_by_occurred_on(clinic: Clinic, views: Views) -> None:
    course = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.do(cmd.Reassign, course, D(2024, 3, 1), consultant="rk-cy")
    clinic.do(cmd.Exit, course, D(2024, 5, 1), planned=False, reason="moved_municipality")
    views.catch_up()
    load = views.caseload.caseload

    assert load(D(2024, 1, 8)) == []  # referred, not yet accepted
    assert [x.consultant for x in load(D(2024, 1, 9))] == ["rk-bo"]
    assert [x.consultant for x in load(D(2024, 3, 1))] == ["rk-cy"]
    assert load(D(2024, 5, 1)) == []  # exited
    assert load(D(2023, 12, 31)) == []  # not yet referred


def test_over_capacity_above_the_target(clinic: Clinic, views: Views) -> None:
    for n in range(TARGET_CASELOAD + 1):
        clinic.start(f"01019{n:05d}", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    views.catch_up()

    [bo] = views.caseload.caseload(D(2024, 2, 1))
    assert (bo.open_courses, bo.target, bo.over_capacity) == (26, 25, True)
    assert views.caseload.caseload(D(2024, 1, 8)) == []


def test_programme_filter(clinic: Clinic, views: Views) -> None:
    clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    other = clinic.refer("0202905678", D(2024, 1, 2), programme="op-paa-hesten")
    clinic.do(cmd.Accept, other, D(2024, 1, 9), consultant="rk-bo")
    views.catch_up()

    [bo] = views.caseload.caseload(D(2024, 2, 1), programme="op-paa-hesten")
    assert [str(x.course_id) for x in bo.courses] == [other]


def test_meeting_due_three_months_after_acceptance_then_after_each_held_meeting(
    clinic: Clinic, views: Views
) -> None:
    course = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 10))
    views.catch_up()
    meeting = _due(views, D(2024, 6, 1), "network_meeting")
    assert (meeting.due_on, meeting.days_overdue) == (D(2024, 4, 10), 52)

    clinic.do(cmd.Meeting, course, D(2024, 4, 1), outcome="citizen_no_show")
    views.catch_up()
    assert _due(views, D(2024, 6, 1), "network_meeting").due_on == D(2024, 1, 10) + INTERVAL

    clinic.do(cmd.Meeting, course, D(2024, 4, 15))
    views.catch_up()
    assert [i.kind for i in views.caseload.due(D(2024, 6, 1))] == []
    assert _due(views, D(2024, 8, 1), "network_meeting").due_on == D(2024, 4, 15) + INTERVAL


def test_measurement_due_after_baseline_then_after_the_last_measurement(
    clinic: Clinic, views: Views
) -> None:
    course = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 10))
    clinic.baseline(course, D(2024, 2, 1))
    views.catch_up()
    first = _due(views, D(2024, 6, 1), "measurement")
    assert (first.due_on, first.detail) == (D(2024, 2, 1) + INTERVAL, "point 2")

    clinic.do(cmd.Measure, course, D(2024, 5, 2), point=2, form="citizen")
    views.catch_up()
    second = _due(views, D(2024, 9, 1), "measurement")
    assert (second.due_on, second.detail) == (D(2024, 5, 2) + INTERVAL, "point 3")
    assert [i for i in views.caseload.due(D(2024, 6, 1)) if i.kind == "measurement"] == []


def test_praktik_past_its_planned_end_is_overdue(clinic: Clinic, views: Views) -> None:
    course = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 10))
    clinic.baseline(course, D(2024, 2, 1))
    clinic.do(
        cmd.PraktikStart,
        course,
        D(2024, 3, 1),
        employer="Netto",
        hours_per_week=10,
        planned_end=D(2024, 4, 30),
    )
    views.catch_up()

    assert "praktik_end" not in [i.kind for i in views.caseload.due(D(2024, 4, 29))]
    praktik = _due(views, D(2024, 5, 10), "praktik_end")
    assert (praktik.due_on, praktik.days_overdue) == (D(2024, 4, 30), 10)
    upcoming = [i for i in views.caseload.due(D(2024, 4, 29), within_days=1)]
    assert ("praktik_end", -1) in [(i.kind, i.days_overdue) for i in upcoming]


def test_most_overdue_first_and_by_consultant(clinic: Clinic, views: Views) -> None:
    late = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 10))
    later = clinic.start("0202905678", "rk-cy", D(2024, 1, 2), D(2024, 2, 10))
    views.catch_up()

    due = views.caseload.due(D(2024, 6, 1))
    assert [(str(i.course_id), i.kind) for i in due] == [
        (late, "network_meeting"),
        (later, "network_meeting"),
    ]
    assert due[0].days_overdue > due[1].days_overdue
    assert [str(i.course_id) for i in views.caseload.due(D(2024, 6, 1), "rk-cy")] == [later]


def test_nothing_is_due_on_an_exited_course(clinic: Clinic, views: Views) -> None:
    course = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 10))
    clinic.do(cmd.Exit, course, D(2024, 2, 1), planned=False, reason="not_motivated")
    views.catch_up()

    assert views.caseload.due(D(2024, 12, 1)) == []


def test_corrections_are_honoured(clinic: Clinic, views: Views) -> None:
    course = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 10))
    clinic.do(cmd.Meeting, course, D(2024, 3, 1))  # version 3
    clinic.do(
        cmd.Correct,
        course,
        D(2024, 3, 2),
        version=2,
        reason="typo",
        changes={"occurred_on": "2024-01-05", "consultant": "rk-cy"},
    )
    clinic.do(cmd.Correct, course, D(2024, 3, 2), version=3, reason="never held", retract=True)
    views.catch_up()

    meeting = _due(views, D(2024, 6, 1), "network_meeting")
    assert (meeting.due_on, meeting.consultant) == (D(2024, 1, 5) + INTERVAL, "rk-cy")
    [cy] = views.caseload.caseload(D(2024, 1, 6))
    assert (cy.consultant, cy.courses[0].since) == ("rk-cy", D(2024, 1, 5))
    assert UUID(course) == cy.courses[0].course_id


def _due(views: Views, as_of: date, kind: str) -> DueItem:
    [item] = [i for i in views.caseload.due(as_of) if i.kind == kind]
    return item


def test_a_programme_s_own_intervals_and_target_are_used(clinic: Clinic, views: Views) -> None:
    course = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 10))
    clinic.baseline(course, D(2024, 1, 20))
    other = clinic.refer("0202905678", D(2024, 1, 2), programme="op-paa-hesten")
    clinic.do(cmd.Accept, other, D(2024, 1, 10), consultant="rk-bo")
    views.catch_up()
    settings = {
        "op-paa-hesten": ProgrammeSettings(
            measurement_interval=timedelta(days=30),
            meeting_interval=timedelta(days=60),
            target_caseload=1,
        )
    }

    due = views.caseload.due(D(2024, 6, 1), settings=settings)
    [bo] = views.caseload.caseload(D(2024, 6, 1), settings=settings)

    by_course = {(str(i.course_id), i.kind): i.due_on for i in due}
    assert by_course[(other, "network_meeting")] == D(2024, 1, 10) + timedelta(days=60)
    assert by_course[(course, "network_meeting")] == D(2024, 1, 10) + INTERVAL  # default
    assert by_course[(course, "measurement")] == D(2024, 1, 20) + INTERVAL
    assert (bo.open_courses, bo.target, bo.over_capacity) == (2, 1, True)  # the lower target
