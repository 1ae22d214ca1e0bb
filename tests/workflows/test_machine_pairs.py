"""Every (state, trigger) pair of the workflow, generated from the transitions table.

Given a course brought to a state along a valid path, when a command asks for
a trigger, then either the move's event is recorded and the course reaches the
move's destination, or the command is refused with a message naming the
trigger, the state and the allowed moves, and nothing is recorded.
"""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.course import Course
from domain.errors import CourseError, MoveRefused
from domain.events import BaselineCompleted, MeasurementRecorded
from domain.values import CourseState, MeasurementForm
from workflows.commands import COURSE_COMMANDS, Exit, Measure
from workflows.machine import MOVES, MOVES_BY_TRIGGER, Workflow
from workflows.service import CourseService

from .scenarios import (
    ACTOR,
    AUTOMATIC_TRIGGERS,
    COMMANDED_TRIGGERS,
    PAYLOADS,
    TRIGGER_COMMANDS,
    command_for,
    days_ago,
    drive_to,
    path_to,
    reachable_states,
    stored_count,
    take,
)

PAIRS = [(state, move.trigger) for state in CourseState for move in MOVES]


def expected_allowed(course: Course) -> list[str]:
    """The allowed triggers, computed from the table itself (sources, then the one guard)."""
    allowed = []
    for move in MOVES:
        if course.state not in move.sources:
            continue
        if move.guard is not None and not getattr(course, move.guard):
            continue
        allowed.append(move.trigger)
    return allowed


# The table's shape ---------------------------------------------------------------


def test_every_commanded_trigger_has_exactly_one_command_class() -> None:
    assert set(TRIGGER_COMMANDS) == set(COMMANDED_TRIGGERS)
    assert set(TRIGGER_COMMANDS) | AUTOMATIC_TRIGGERS == set(MOVES_BY_TRIGGER)
    assert set(TRIGGER_COMMANDS.values()) == set(COURSE_COMMANDS)
    assert set(PAYLOADS) == set(COMMANDED_TRIGGERS)
    own_triggers = [cls.trigger for cls in COURSE_COMMANDS if cls is not Exit]
    assert len(own_triggers) == len(set(own_triggers))


def test_exit_command_asks_for_the_planned_or_the_unplanned_exit() -> None:
    planned = Exit(course="x" * 8, planned=True)
    unplanned = Exit(course="x" * 8, planned=False, reason="not_motivated")
    assert planned.trigger_name() == "exit_planned"
    assert unplanned.trigger_name() == "exit_unplanned"


def test_triggers_are_unique_and_every_state_is_reachable() -> None:
    assert len(MOVES_BY_TRIGGER) == len(MOVES)
    assert reachable_states() == set(CourseState)


# Every pair through the service --------------------------------------------------


@pytest.mark.parametrize(
    ("state", "trigger"),
    [pair for pair in PAIRS if pair[1] not in AUTOMATIC_TRIGGERS],
    ids=[f"{s.value}-{t}" for s, t in PAIRS if t not in AUTOMATIC_TRIGGERS],
)
def test_pair(service: CourseService, state: CourseState, trigger: str) -> None:
    course_id = drive_to(service, state)
    move = MOVES_BY_TRIGGER[trigger]
    if trigger == "complete_group" and state in move.sources:
        take(service, course_id, "join_group")
    course = service.get_course(course_id)
    allowed = expected_allowed(course)
    assert service.allowed_moves(course) == allowed
    events_before = service.course_events(course_id)
    stored_before = stored_count(service)

    command = command_for(trigger, course)

    if trigger in allowed:
        outcome = service.execute(command, ACTOR)

        after = service.get_course(course_id)
        recorded = service.course_events(course_id)[len(events_before) :]
        assert [type(e) for e in recorded] == [move.event]
        assert outcome.events == (move.event.__name__,)
        assert after.state is (move.dest if move.dest is not None else state)
    else:
        with pytest.raises(MoveRefused) as refused:
            service.execute(command, ACTOR)

        message = str(refused.value)
        assert f"cannot {trigger} " in message
        assert f"in state {state.value}" in message
        assert message.endswith(f"allowed here: {', '.join(allowed) or 'none'}")
        assert refused.value.allowed == allowed
        assert service.course_events(course_id) == events_before
        assert stored_count(service) == stored_before


@pytest.mark.parametrize("state", list(CourseState), ids=lambda s: s.value)
def test_complete_baseline_is_never_open_to_a_course_at_rest(
    service: CourseService, state: CourseState
) -> None:
    """The automatic move is taken the moment its guard passes, so no course waits on it."""
    course = service.get_course(drive_to(service, state))
    with pytest.raises(MoveRefused) as refused:
        service.workflow.decide(course, "complete_baseline")
    assert f"in state {state.value}" in str(refused.value)
    if state is CourseState.BASELINE:
        assert MOVES_BY_TRIGGER["complete_baseline"].guard_text in str(refused.value)


# The guarded move -----------------------------------------------------------------


def test_baseline_waits_for_both_point_one_forms(service: CourseService) -> None:
    course_id = drive_to(service, CourseState.BASELINE)

    service.execute(Measure(course=str(course_id), point=1, form="staff"), ACTOR)

    course = service.get_course(course_id)
    assert course.state is CourseState.BASELINE
    with pytest.raises(MoveRefused, match="both point-1 forms"):
        service.workflow.decide(course, "complete_baseline")
    assert "complete_baseline" not in service.allowed_moves(course)


def test_second_point_one_form_records_the_measurement_and_completes_the_baseline(
    service: CourseService,
) -> None:
    course_id = drive_to(service, CourseState.BASELINE)
    service.execute(Measure(course=str(course_id), point=1, form="citizen"), ACTOR)
    before = len(service.course_events(course_id))

    outcome = service.execute(Measure(course=str(course_id), point=1, form="staff"), ACTOR)

    recorded = service.course_events(course_id)[before:]
    assert [type(e) for e in recorded] == [MeasurementRecorded, BaselineCompleted]
    assert outcome.events == ("MeasurementRecorded", "BaselineCompleted")
    assert service.get_course(course_id).state is CourseState.ACTIVE


def test_two_forms_of_the_same_kind_do_not_complete_the_baseline(
    service: CourseService,
) -> None:
    course_id = drive_to(service, CourseState.BASELINE)
    service.execute(Measure(course=str(course_id), point=1, form="citizen"), ACTOR)

    with pytest.raises(CourseError, match="already recorded"):
        service.execute(Measure(course=str(course_id), point=1, form="citizen"), ACTOR)

    assert service.get_course(course_id).state is CourseState.BASELINE


# The same decisions on bare aggregates (no store) ---------------------------------


def _course_in_baseline() -> Course:
    course = Course.refer(
        actor=ACTOR,
        occurred_on=days_ago(10),
        subject=uuid4(),
        cpr="0101901234",
        programme="pva",
        referring_caseworker="sagsbehandler",
        benefit_type="kontanthjaelp_aktivitetsparat",
    )
    course.record(
        MOVES_BY_TRIGGER["accept"].event, actor=ACTOR, occurred_on=days_ago(9), consultant="rk"
    )
    return course


def test_workflow_admits_complete_baseline_once_both_forms_are_on_the_aggregate() -> None:
    course = _course_in_baseline()
    workflow = Workflow()
    for form in MeasurementForm:
        assert "complete_baseline" not in workflow.allowed(course)
        course.record(
            MeasurementRecorded,
            actor=ACTOR,
            occurred_on=days_ago(8),
            point=1,
            answers={"form": form},
        )

    assert workflow.decide(course, "complete_baseline") is MOVES_BY_TRIGGER["complete_baseline"]
    assert workflow.allowed(course) == expected_allowed(course)


def test_unknown_trigger_is_refused_naming_the_allowed_moves() -> None:
    course = _course_in_baseline()
    with pytest.raises(MoveRefused, match=r"cannot fly .*unknown move.*allowed here: measure"):
        Workflow().decide(course, "fly")


def test_paths_used_by_these_tests_follow_the_table() -> None:
    state = CourseState.VISITATION
    for target in CourseState:
        state = CourseState.VISITATION
        for trigger in path_to(target):
            move = MOVES_BY_TRIGGER[trigger]
            assert state in move.sources
            assert move.dest is not None
            state = move.dest
        assert state is target
