"""Undoing a move entered in error, on bare aggregates: no store, no service.

Given the events of a course, when a correction retracts a state-changing
event, then a Corrected event is recorded, the original stays in the log and
the course is back in the state it had before the move; or, when a later event
depends on the move, the retraction is refused naming those events and nothing
is recorded. The states before each move are written from the domain brief (§2).
"""

from __future__ import annotations

import pytest

from domain.events import (
    Accepted,
    Corrected,
    CourseEvent,
    FollowUpRecorded,
    GroupCourseJoined,
    JobEnded,
    JobStarted,
    PraktikEnded,
    PraktikStarted,
    RejectedAtVisitation,
    SessionHeld,
)
from domain.values import CourseState
from workflows.commands import Correct, CourseCommand, JobStart

from .scenarios import days_ago
from .test_machine_pairs import (
    BASELINE_DONE,
    STORIES,
    WORKFLOW,
    Step,
    Then,
    given,
    history,
    when,
)

S = CourseState
PRAKTIK = (PraktikStarted, {"employer": "Netto", "hours_per_week": 15,
                            "planned_end": days_ago(-60)})  # fmt: skip
JOB: Step = (JobStarted, {"employer": "Kommunen", "hours_per_week": 20})


def retract(events: list[CourseEvent], version: int) -> Then:
    """Ask for the event with this sequence number to be retracted, as entered in error."""
    return when(events, retraction(events, version))


def retraction(events: list[CourseEvent], version: int) -> CourseCommand:
    return Correct(course=str(events[0].originator_id), version=version,
                   reason="forkert forløb", retract=True, occurred_on=days_ago(0))  # fmt: skip


def then_back_in(then: Then, state: CourseState, events: list[CourseEvent], version: int) -> None:
    """The retraction is recorded and the course is where it was before the move."""
    assert then.refused is None, then.refused
    [correction] = then.events
    assert isinstance(correction, Corrected)
    assert (correction.target_version, correction.retracted) == (version, True)
    assert correction.target_event == type(events[version - 1]).__name__
    assert then.course.state is state
    before = given(events[: version - 1])
    assert then.course.state_since == before.state_since
    assert then.course.history[version] == type(events[version - 1]).__name__  # still logged


# Each move, undone: the state the brief says the course was in before it ---------

UNDONE: dict[CourseState, CourseState] = {
    S.PRAKTIK: S.ACTIVE,
    S.JOB: S.ACTIVE,
    S.EDUCATION: S.ACTIVE,
    S.EXITED_PLANNED: S.JOB,
    S.EXITED_UNPLANNED: S.ACTIVE,
}


@pytest.mark.parametrize("state", list(UNDONE), ids=lambda s: s.value)
def test_retracting_the_move_into_a_state_returns_the_course_to_the_state_before(
    state: CourseState,
) -> None:
    events = history(STORIES[state])

    then = retract(events, len(events))

    then_back_in(then, UNDONE[state], events, len(events))
    assert set(WORKFLOW.allowed(then.course)) == set(WORKFLOW.allowed(given(events[:-1])))


def test_a_job_started_from_praktik_returns_the_course_to_praktik() -> None:
    events = history([*BASELINE_DONE, PRAKTIK, JOB])

    then = retract(events, len(events))

    then_back_in(then, S.PRAKTIK, events, len(events))


def test_a_rejection_at_visitation_returns_the_course_to_visitation() -> None:
    events = history([(RejectedAtVisitation, {"reason": "not_target_group"})])

    then_back_in(retract(events, 2), S.VISITATION, events, 2)


def test_an_acceptance_entered_in_error_leaves_visitation_without_a_consultant() -> None:
    events = history([(Accepted, {"consultant": "rk-anna"}), (SessionHeld, {"kind": "individual"})])

    then = retract(events, 2)

    then_back_in(then, S.VISITATION, events, 2)
    assert then.course.consultant is None


def test_events_the_state_before_also_allows_stay_and_do_not_block_the_retraction() -> None:
    events = history([*BASELINE_DONE, JOB, (SessionHeld, {"kind": "individual"})])

    then = retract(events, len(events) - 1)

    then_back_in(then, S.ACTIVE, events, len(events) - 1)


def test_after_the_retraction_the_move_can_be_made_again_on_the_right_date() -> None:
    events = history([*BASELINE_DONE, JOB])
    undone = retract(events, len(events))
    events = [*events, *undone.events]

    then = when(events, JobStart(course=str(events[0].originator_id), employer="Netto",
                                 hours_per_week=30, occurred_on=days_ago(0)))  # fmt: skip

    assert [type(e) for e in then.events] == [JobStarted]
    assert then.course.state is S.JOB


# Refused while later events depend on the move -----------------------------------


def test_a_job_start_cannot_be_retracted_while_its_job_end_stands() -> None:
    events = history([*BASELINE_DONE, JOB, (JobEnded, {})])
    job = len(events) - 1

    then = retract(events, job)

    assert then.refused is not None
    assert str(then.refused) == (
        f"version: event {job + 1} (JobEnded) depends on event {job} (JobStarted); retract it first"
    )
    assert then.course.pending_events == []
    assert then.course == given(events)


def test_retracting_the_dependent_events_first_lets_the_move_be_retracted() -> None:
    events = history([*BASELINE_DONE, JOB, (JobEnded, {})])
    job = len(events) - 1
    ended = retract(events, job + 1)
    then_back_in(ended, S.JOB, events, job + 1)

    then = retract([*events, *ended.events], job)

    assert then.refused is None, then.refused
    assert then.course.state is S.ACTIVE


def test_a_praktik_end_depends_on_its_praktik_start() -> None:
    events = history([*BASELINE_DONE, PRAKTIK, (PraktikEnded, {"outcome": "completed"})])

    then = retract(events, len(events) - 1)

    assert then.refused is not None
    assert f"event {len(events)} (PraktikEnded) depends on event {len(events) - 1}" in str(
        then.refused
    )


def test_a_follow_up_depends_on_the_exit_it_follows() -> None:
    steps: list[Step] = [*STORIES[S.EXITED_UNPLANNED], (FollowUpRecorded, {"outcome": "employed"})]
    events = history(steps)

    then = retract(events, len(events) - 1)

    assert then.refused is not None
    assert f"event {len(events)} (FollowUpRecorded) depends on" in str(then.refused)


def test_every_dependent_event_is_named() -> None:
    events = history(STORIES[S.ACTIVE])

    then = retract(events, 2)

    assert then.refused is not None
    assert str(then.refused) == (
        "version: events 3 (GroupCourseJoined), 4 (MeasurementRecorded), "
        "5 (MeasurementRecorded), 6 (BaselineCompleted) depend on event 2 (Accepted); "
        "retract them first, the latest first"
    )
    assert GroupCourseJoined.__name__ in str(then.refused)


# What cannot be retracted at all -------------------------------------------------


@pytest.mark.parametrize(
    ("version", "instead"),
    [(1, "exit the course instead"), (6, "retract one of them instead")],
    ids=["Referred", "BaselineCompleted"],
)
def test_the_referral_and_the_automatic_baseline_cannot_be_retracted(
    version: int, instead: str
) -> None:
    events = history(STORIES[S.ACTIVE])
    assert type(events[version - 1]).__name__ in ("Referred", "BaselineCompleted")

    then = retract(events, version)

    assert then.refused is not None
    assert "cannot be retracted" in str(then.refused) and instead in str(then.refused)
    assert then.course.pending_events == []


def test_a_retracted_move_cannot_be_retracted_again() -> None:
    events = history([*BASELINE_DONE, JOB])
    undone = retract(events, len(events))

    then = retract([*events, *undone.events], len(events))

    assert then.refused is not None
    assert str(then.refused) == f"version: event {len(events)} is already retracted"


def test_retracting_an_event_inside_a_state_is_not_held_up_by_later_moves() -> None:
    events = history([*BASELINE_DONE, (SessionHeld, {"kind": "individual"}), JOB])

    then = retract(events, len(events) - 1)

    assert then.refused is None, then.refused
    assert then.course.state is S.JOB
