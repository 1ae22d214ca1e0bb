"""Property: whatever caseworkers do, views caught up step by step equal a rebuild from zero."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import CourseError
from projections.catalog import Views
from tests.projections.history import ACTOR
from workflows import commands as cmd
from workflows.service import CourseService

START = date(2023, 1, 2)
PEOPLE = ("rk-bo", "rk-cy")
_citizens = itertools.count()

Build = Callable[[dict[str, Any], date, int], cmd.Command]
BUILDERS: dict[str, Build] = {
    "accept": lambda c, on, n: cmd.Accept(**c, consultant=PEOPLE[n % 2]),
    "reject": lambda c, on, n: cmd.Reject(**c),
    "measure": lambda c, on, n: cmd.Measure(**c, point=1 + n % 3, form=("citizen", "staff")[n % 2]),
    "session": lambda c, on, n: cmd.Session(**c),
    "meeting": lambda c, on, n: cmd.Meeting(**c, outcome=("held", "citizen_no_show")[n % 2]),
    "join_group": lambda c, on, n: cmd.GroupJoin(**c, group_course="hold-1"),
    "complete_group": lambda c, on, n: cmd.GroupComplete(**c, group_course="hold-1"),
    "treatment_plan": lambda c, on, n: cmd.TreatmentPlan(**c),
    "reassign": lambda c, on, n: cmd.Reassign(**c, consultant=PEOPLE[n % 2]),
    "start_praktik": lambda c, on, n: cmd.PraktikStart(
        **c, employer="Netto", hours_per_week=10, planned_end=on + timedelta(days=20 * n)
    ),
    "end_praktik": lambda c, on, n: cmd.PraktikEnd(**c),
    "start_job": lambda c, on, n: cmd.JobStart(**c, employer="Fakta", hours_per_week=20),
    "end_job": lambda c, on, n: cmd.JobEnd(**c),
    "start_education": lambda c, on, n: cmd.EducationStart(**c, institution="VUC"),
    "end_education": lambda c, on, n: cmd.EducationEnd(**c),
    "exit_planned": lambda c, on, n: cmd.Exit(**c, planned=True),
    "exit_unplanned": lambda c, on, n: cmd.Exit(**c, planned=False, reason="other"),
    "follow_up": lambda c, on, n: cmd.FollowUp(**c, outcome="employed"),
    "correct": lambda c, on, n: cmd.Correct(
        **c,
        version=1 + n,
        reason="error",
        **(
            {"retract": True}
            if n % 3 == 0
            else {"changes": {"consultant": "rk-dy"}}
            if n % 3 == 1
            else {"changes": {"occurred_on": (on - timedelta(days=n)).isoformat()}}
        ),
    ),
}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_catching_up_after_each_command_equals_a_rebuild(
    service: CourseService, views: Views, data: st.DataObject
) -> None:
    # The store is shared by the examples: each example adds to the log with
    # citizens of its own, and the property must hold for any log.
    citizens = [f"0101{80 + next(_citizens) % 20:02d}{next(_citizens):04d}" for _ in range(2)]
    courses: list[UUID] = []
    on = START
    for _ in range(data.draw(st.integers(1, 30), label="steps")):
        on += timedelta(days=data.draw(st.integers(0, 40), label="days later"))
        n = data.draw(st.integers(0, 7), label="detail")
        try:
            if not courses or data.draw(st.integers(0, 5)) == 0:
                cpr = data.draw(st.sampled_from(citizens), label="citizen")
                command: cmd.Command = cmd.Refer(
                    cpr=cpr, programme="pva", referring_caseworker="sb", occurred_on=on
                )
            else:
                course = data.draw(st.sampled_from(courses), label="course")
                moves = sorted(
                    set(service.allowed_moves(service.get_course(course))) & set(BUILDERS)
                )
                trigger = data.draw(st.sampled_from(moves), label="move")
                command = BUILDERS[trigger]({"course": str(course), "occurred_on": on}, on, n)
            outcome = service.execute(command, ACTOR)
        except CourseError:
            continue  # refused: nothing was written
        if isinstance(command, cmd.Refer):
            courses.append(outcome.course_id)
        views.catch_up()
        assert {s.position for s in views.status()} == {views.head()}
        _agrees_with_the_aggregate(views, service, outcome.course_id)

    caught_up = {name: views.view(name).snapshot() for name in views.names}
    views.rebuild()
    assert {name: views.view(name).snapshot() for name in views.names} == caught_up


def _agrees_with_the_aggregate(views: Views, service: CourseService, course_id: UUID) -> None:
    row = views.course_list.get(course_id)
    course = service.get_course(course_id)
    assert row is not None
    assert (row.state, row.referred_on, row.state_since, row.version, row.consultant) == (
        course.state,
        course.referred_on,
        course.state_since,
        course.version,
        course.consultant,
    )
