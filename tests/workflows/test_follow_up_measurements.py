"""Measurements after exit, on bare aggregates: follow-up points.

VIVE meant to keep measuring those who left. Given an exited course, when a
measurement is recorded as a follow-up (`measure --follow-up`), then it is
recorded at a point after the course's last point, marked as a follow-up, and
the course stays exited; an ordinary measurement after exit, a follow-up of an
open course, a point not after the course's last, or a date before the exit is
refused, and nothing is recorded.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.errors import CourseError, MoveRefused
from domain.events import MeasurementRecorded
from domain.values import CourseState
from workflows.commands import Correct, Measure

from .scenarios import days_ago
from .test_machine_pairs import BASELINE_DONE, STORIES, Step, Then, given, history, when

S = CourseState
POINT_2: list[Step] = [
    (MeasurementRecorded, {"point": 2, "answers": {"form": "citizen"}}),
    (MeasurementRecorded, {"point": 2, "answers": {"form": "staff"}}),
]
LEFT_AFTER_POINT_2 = history(
    [*BASELINE_DONE, *POINT_2, STORIES[S.EXITED_UNPLANNED][-1]]
)  # fmt: skip


def measure(events: list[Any], point: int, follow_up: bool = True, **fields: Any) -> Then:
    command = Measure(course=str(events[0].originator_id), point=point, form="citizen",
                      who5=[1, 2, 3, 4, 5], follow_up=follow_up,
                      occurred_on=fields.pop("occurred_on", days_ago(0)), **fields)  # fmt: skip
    return when(events, command)


def refused(then: Then, events: list[Any]) -> CourseError:
    assert then.refused is not None
    assert then.course.pending_events == []
    assert then.course == given(events)
    return then.refused


@pytest.mark.parametrize("state", [S.EXITED_PLANNED, S.EXITED_UNPLANNED], ids=lambda s: s.value)
def test_a_follow_up_measurement_is_recorded_and_the_course_stays_exited(
    state: CourseState,
) -> None:
    events = history(STORIES[state])

    then = measure(events, 2)

    [event] = then.events
    assert isinstance(event, MeasurementRecorded)
    assert (event.point, event.form, event.follow_up) == (2, "citizen", True)
    assert then.course.state is state
    assert then.course.has_form(2, "citizen")  # type: ignore[arg-type]
    assert then.course.last_course_point == 1


def test_the_follow_up_point_comes_after_the_course_s_last_point() -> None:
    events = LEFT_AFTER_POINT_2

    error = refused(measure(events, 2), events)

    assert str(error) == "point: a follow-up point comes after the course's last point (2); " \
        "give 3 or later"  # fmt: skip
    assert measure(events, 3).refused is None
    assert measure(events, 5).refused is None  # a point may be skipped, as in the course


def test_follow_up_points_go_on_after_each_other_each_form_once() -> None:
    events = LEFT_AFTER_POINT_2
    first = measure(events, 3)
    events = [*events, *first.events]

    assert "already recorded" in str(refused(measure(events, 3), events))
    assert measure(events, 4).refused is None


def test_an_ordinary_measurement_after_exit_is_refused_naming_the_follow_up() -> None:
    events = history(STORIES[S.EXITED_UNPLANNED])

    error = refused(measure(events, 2, follow_up=False), events)

    assert isinstance(error, MoveRefused)
    assert (error.trigger, error.state) == ("measure", "exited_unplanned")
    assert "measure_follow_up" in error.allowed


@pytest.mark.parametrize("state", [S.VISITATION, S.BASELINE, S.ACTIVE, S.JOB], ids=str)
def test_an_open_course_takes_no_follow_up(state: CourseState) -> None:
    events = history(STORIES[state])

    error = refused(measure(events, 2), events)

    assert isinstance(error, MoveRefused) and error.trigger == "measure_follow_up"


def test_a_follow_up_dated_before_the_exit_is_refused() -> None:
    events = LEFT_AFTER_POINT_2
    exited_on = events[-1].occurred_on

    the_day_before = exited_on - timedelta(days=1)
    error = refused(measure(events, 3, occurred_on=the_day_before), events)

    assert str(error) == f"occurred_on: is before the exit on {exited_on}"


def test_the_exit_cannot_be_retracted_while_a_follow_up_measurement_stands() -> None:
    events = [*LEFT_AFTER_POINT_2, *measure(LEFT_AFTER_POINT_2, 3).events]
    exit_version = len(LEFT_AFTER_POINT_2)

    then = when(events, Correct(course=str(events[0].originator_id), version=exit_version,
                                reason="fejl", retract=True))  # fmt: skip

    assert str(refused(then, events)) == (
        f"version: event {exit_version + 1} (MeasurementRecorded) depends on event "
        f"{exit_version} (ExitedUnplanned); retract it first"
    )


def test_whether_a_form_is_a_follow_up_cannot_be_corrected() -> None:
    events = [*LEFT_AFTER_POINT_2, *measure(LEFT_AFTER_POINT_2, 3).events]

    then = when(events, Correct(course=str(events[0].originator_id), version=len(events),
                                reason="fejl", changes={"follow_up": False}))  # fmt: skip

    assert str(refused(then, events)).startswith("changes.follow_up: follows from when")


def test_a_follow_up_point_cannot_be_corrected_back_into_the_course() -> None:
    left = history([*BASELINE_DONE, POINT_2[0], STORIES[S.EXITED_UNPLANNED][-1]])
    staff = Measure(course=str(left[0].originator_id), point=4, form="staff", follow_up=True)
    events = [*left, *when(left, staff).events]

    then = when(events, Correct(course=str(events[0].originator_id), version=len(events),
                                reason="fejl", changes={"point": 2}))  # fmt: skip

    assert str(refused(then, events)) == (
        "changes: a follow-up point comes after the course's last point (2)"
    )


def test_a_measurement_stored_before_follow_ups_existed_reads_as_an_ordinary_one() -> None:
    [*_, stored] = history([*BASELINE_DONE, POINT_2[0]])
    payload = stored.model_dump()
    del payload["follow_up"]

    assert MeasurementRecorded.model_validate(payload).follow_up is False
