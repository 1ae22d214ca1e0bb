"""Every (state, trigger) pair of the workflow, on bare aggregates: no store, no service.

Given the events of a course that reached a state, when a command asks for a
trigger (decided by `workflows.decision.decide`: the machine, then the
aggregate), then either the events the rules name are recorded and the course
is where the rules say, or the move is refused with its fields (the move, the
state, the moves allowed there) and nothing is recorded.

The expectations come from RULES below, a statement of the lifecycle written
from the domain brief (§2), not read from `workflows.machine`; so is each
state's history. Only the trigger names are shared with the table under test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from domain.course import Course
from domain.errors import CourseError, MoveRefused
from domain.events import (
    Accepted,
    BaselineCompleted,
    CourseEvent,
    EducationStarted,
    ExitedPlanned,
    ExitedUnplanned,
    GroupCourseJoined,
    JobStarted,
    MeasurementRecorded,
    PraktikStarted,
)
from domain.values import CourseState, MeasurementForm
from workflows.commands import COURSE_COMMANDS, Correct, CourseCommand, Exit, Measure
from workflows.decision import decide
from workflows.machine import AUTOMATIC_TRIGGERS, MOVES, MOVES_BY_TRIGGER, Workflow

from .scenarios import (
    ACTOR,
    COMMANDED_TRIGGERS,
    PAYLOADS,
    TRIGGER_COMMANDS,
    command_for,
    days_ago,
    path_to,
    reachable_states,
)

S = CourseState
OPEN = frozenset({S.VISITATION, S.BASELINE, S.ACTIVE, S.PRAKTIK, S.JOB, S.EDUCATION})
WORKING = OPEN - {S.VISITATION}
"""Accepted and not exited: a consultant works with the citizen."""
EXITED = frozenset({S.EXITED_PLANNED, S.EXITED_UNPLANNED})


@dataclass(frozen=True)
class Rule:
    """Where a move may start, the event it records, and where it leads (None: it stays)."""

    sources: frozenset[CourseState]
    event: str
    dest: CourseState | None = None


RULES: dict[str, Rule] = {
    # Visitation judges the referral: accepted into the baseline, or rejected.
    "accept": Rule(frozenset({S.VISITATION}), "Accepted", S.BASELINE),
    "reject": Rule(frozenset({S.VISITATION}), "RejectedAtVisitation", S.EXITED_UNPLANNED),
    # The baseline ends by itself once both start forms are recorded (see below).
    "complete_baseline": Rule(frozenset({S.BASELINE}), "BaselineCompleted", S.ACTIVE),
    # Work inside a state: first contacts already in visitation, the rest once accepted.
    "measure": Rule(WORKING, "MeasurementRecorded"),
    # After exit, VIVE goes on measuring those who left: follow-up points, still exited.
    "measure_follow_up": Rule(EXITED, "MeasurementRecorded"),
    "session": Rule(OPEN, "SessionHeld"),
    "meeting": Rule(OPEN, "NetworkMeetingHeld"),
    # Contacts, segmentation and the course team from the first contact at visitation on.
    "contact": Rule(OPEN, "ContactRegistered"),
    "segment": Rule(OPEN, "SegmentRecorded"),
    "add_member": Rule(OPEN, "TeamMemberAdded"),
    "remove_member": Rule(OPEN, "TeamMemberLeft"),
    "join_group": Rule(WORKING, "GroupCourseJoined"),
    "complete_group": Rule(WORKING, "GroupCourseCompleted"),
    "treatment_plan": Rule(WORKING, "TreatmentPlanStarted"),
    "reassign": Rule(WORKING, "ConsultantReassigned"),
    # active ⇄ praktik; active or praktik → job or education; back to active when it ends.
    "start_praktik": Rule(frozenset({S.ACTIVE}), "PraktikStarted", S.PRAKTIK),
    "end_praktik": Rule(frozenset({S.PRAKTIK}), "PraktikEnded", S.ACTIVE),
    "start_job": Rule(frozenset({S.ACTIVE, S.PRAKTIK}), "JobStarted", S.JOB),
    "end_job": Rule(frozenset({S.JOB}), "JobEnded", S.ACTIVE),
    "start_education": Rule(frozenset({S.ACTIVE, S.PRAKTIK}), "EducationStarted", S.EDUCATION),
    "end_education": Rule(frozenset({S.EDUCATION}), "EducationEnded", S.ACTIVE),
    # Completing the programme is a milestone of its own, while working or after a
    # planned exit; it does not end the course.
    "complete_programme": Rule(WORKING | {S.EXITED_PLANNED}, "ProgrammeCompleted"),
    # Planned exit from job or education, or onto disability pension from any working
    # state past the baseline (OPH: 8 of 53 completers); unplanned from any open state.
    "exit_planned": Rule(frozenset({S.JOB, S.EDUCATION}), "ExitedPlanned", S.EXITED_PLANNED),
    "exit_pension": Rule(
        frozenset({S.ACTIVE, S.PRAKTIK, S.JOB, S.EDUCATION}), "ExitedPlanned", S.EXITED_PLANNED
    ),
    "exit_unplanned": Rule(OPEN, "ExitedUnplanned", S.EXITED_UNPLANNED),
    # After exit only follow-up observations arrive; corrections are always possible.
    "follow_up": Rule(EXITED, "FollowUpRecorded"),
    "correct": Rule(frozenset(CourseState), "Corrected"),
}
AUTOMATIC = frozenset({"complete_baseline"})
"""Asked for by no command: made when both point-1 forms (citizen, staff) are recorded."""


def allowed_at_rest(state: CourseState) -> set[str]:
    """The moves the rules allow a course resting in `state` (the automatic one is never
    due at rest: it is made the moment its condition holds)."""
    return {trigger for trigger, rule in RULES.items() if state in rule.sources} - AUTOMATIC


# Given: the events of a course that reached each state ----------------------------

Step = tuple[type[CourseEvent], dict[str, Any]]
ACCEPTED: list[Step] = [
    (Accepted, {"consultant": "rk-anna"}),
    (GroupCourseJoined, {"group_course": "angstgruppe"}),
]
BASELINE_DONE: list[Step] = [
    *ACCEPTED,
    (MeasurementRecorded, {"point": 1, "answers": {"form": "citizen"}}),
    (MeasurementRecorded, {"point": 1, "answers": {"form": "staff"}}),
    (BaselineCompleted, {}),
]
IN_JOB: list[Step] = [*BASELINE_DONE, (JobStarted, {"employer": "Kommunen", "hours_per_week": 20})]
STORIES: dict[CourseState, list[Step]] = {
    S.VISITATION: [],
    S.BASELINE: ACCEPTED,
    S.ACTIVE: BASELINE_DONE,
    S.PRAKTIK: [
        *BASELINE_DONE,
        (PraktikStarted, {"employer": "Netto", "hours_per_week": 15, "planned_end": days_ago(-60)}),
    ],
    S.JOB: IN_JOB,
    S.EDUCATION: [*BASELINE_DONE, (EducationStarted, {"institution": "VUC Storstroem"})],
    S.EXITED_PLANNED: [*IN_JOB, (ExitedPlanned, {"after": "job"})],
    S.EXITED_UNPLANNED: [*BASELINE_DONE, (ExitedUnplanned, {"reason": "not_motivated"})],
}


def history(steps: list[Step]) -> list[CourseEvent]:
    """The events of a referral followed by `steps`, a day apart, recorded on the aggregate
    directly (its own fact checks apply; the workflow is not asked)."""
    start = days_ago(len(steps) + 10)
    course = Course.refer(
        actor=ACTOR,
        occurred_on=start,
        subject=uuid4(),
        cpr="0101901234",
        programme="paa-vej-til-arbejde",
        referring_caseworker="sagsbehandler",
        benefit_type="kontanthjaelp_aktivitetsparat",
        note="henvist",
    )
    for n, (event_class, fields) in enumerate(steps, start=1):
        course.record(event_class, actor=ACTOR, occurred_on=date.fromordinal(start.toordinal() + n),
                      **fields)  # fmt: skip
    return [event for event in course.collect_events() if isinstance(event, CourseEvent)]


def given(events: list[CourseEvent]) -> Course:
    """The course the events make, replayed onto a bare aggregate."""
    course: Any = None
    for event in events:
        course = event.mutate(course)
    assert isinstance(course, Course)
    return course


WORKFLOW = Workflow()


@dataclass
class Then:
    """What a command did to a course: the new events, or the refusal."""

    course: Course
    events: list[CourseEvent] = field(default_factory=list)
    refused: CourseError | None = None


def when(events: list[CourseEvent], command: CourseCommand) -> Then:
    """Decide the command on the course the events make: no store, no application."""
    course = given(events)
    try:
        new = decide(course, command, ACTOR, workflow=WORKFLOW,
                     event_at=lambda version: events[version - 1])  # fmt: skip
    except CourseError as error:
        return Then(course, refused=error)
    return Then(course, new)


# The rules cover the table -------------------------------------------------------


def test_the_rules_name_every_trigger_and_state_of_the_table() -> None:
    assert set(RULES) == set(MOVES_BY_TRIGGER)
    assert AUTOMATIC == AUTOMATIC_TRIGGERS
    assert set(STORIES) == set(CourseState)


@pytest.mark.parametrize("state", list(CourseState), ids=lambda s: s.value)
def test_each_history_reaches_its_state(state: CourseState) -> None:
    assert given(history(STORIES[state])).state is state


@pytest.mark.parametrize("state", list(CourseState), ids=lambda s: s.value)
def test_allowed_moves_at_rest_are_those_of_the_rules(state: CourseState) -> None:
    allowed = WORKFLOW.allowed(given(history(STORIES[state])))
    assert len(allowed) == len(set(allowed))
    assert set(allowed) == allowed_at_rest(state)


# Every pair -----------------------------------------------------------------------

COMMANDED_PAIRS = [(state, trigger) for state in CourseState for trigger in COMMANDED_TRIGGERS]


@pytest.mark.parametrize(
    ("state", "trigger"), COMMANDED_PAIRS, ids=[f"{s.value}-{t}" for s, t in COMMANDED_PAIRS]
)
def test_pair(state: CourseState, trigger: str) -> None:
    events = history(STORIES[state])
    command = command_for(trigger, given(events), occurred_on=days_ago(0))

    then = when(events, command)

    rule = RULES[trigger]
    if state in rule.sources:
        assert then.refused is None, then.refused
        assert [type(e).__name__ for e in then.events] == [rule.event]
        [event] = then.events
        assert (event.actor, event.occurred_on) == (ACTOR, days_ago(0))
        assert event.originator_version == len(events) + 1
        assert_carries_the_command(event, command)
        assert then.course.state is (rule.dest or state)
    else:
        assert isinstance(then.refused, MoveRefused), then.refused
        assert then.refused.trigger == trigger
        assert then.refused.state == state.value
        assert set(then.refused.allowed) == allowed_at_rest(state)
        assert then.refused.why == ""
        assert then.course.pending_events == []
        assert then.course == given(events)


def assert_carries_the_command(event: CourseEvent, command: CourseCommand) -> None:
    """The recorded event holds the command's fields (a correction names its target)."""
    if isinstance(command, Correct):
        assert event.model_dump()["target_version"] == command.version
        return
    recorded = event.model_dump(mode="json")
    for name, value in command.model_dump(mode="json", exclude={"course"}).items():
        if name in recorded and name not in ("actor", "command_id", "occurred_on"):
            assert recorded[name] == value, name


@pytest.mark.parametrize("state", list(CourseState), ids=lambda s: s.value)
def test_the_automatic_move_is_never_due_at_rest(state: CourseState) -> None:
    course = given(history(STORIES[state]))
    with pytest.raises(MoveRefused) as refused:
        WORKFLOW.decide(course, "complete_baseline")
    assert (refused.value.trigger, refused.value.state) == ("complete_baseline", state.value)
    assert set(refused.value.allowed) == allowed_at_rest(state)
    assert bool(refused.value.why) is (state in RULES["complete_baseline"].sources)


# The baseline ends by itself -----------------------------------------------------


@pytest.mark.parametrize("first", list(MeasurementForm), ids=lambda f: f.value)
def test_the_second_start_form_records_the_measurement_and_completes_the_baseline(
    first: MeasurementForm,
) -> None:
    second = next(form for form in MeasurementForm if form is not first)
    events = history(
        [*ACCEPTED, (MeasurementRecorded, {"point": 1, "answers": {"form": first}})]
    )
    assert given(events).state is S.BASELINE

    then = when(events, Measure(course="x" * 8, point=1, form=second, occurred_on=days_ago(1)))

    assert [type(e).__name__ for e in then.events] == ["MeasurementRecorded", "BaselineCompleted"]
    assert then.events[1].occurred_on == days_ago(1)
    assert then.course.state is S.ACTIVE


def test_the_baseline_completes_on_the_later_start_form_date_whichever_is_recorded_last() -> None:
    events = history([*ACCEPTED])
    staff_on = days_ago(2)
    course = given(events)
    course.record(MeasurementRecorded, actor=ACTOR, occurred_on=staff_on, point=1,
                  answers={"form": "staff"})  # fmt: skip
    events = [*events, *(e for e in course.collect_events() if isinstance(e, CourseEvent))]

    then = when(events, Measure(course="x" * 8, point=1, form="citizen", occurred_on=days_ago(5)))

    assert [(type(e).__name__, e.occurred_on) for e in then.events] == [
        ("MeasurementRecorded", days_ago(5)),
        ("BaselineCompleted", staff_on),
    ]


def test_one_start_form_leaves_the_course_in_baseline_and_names_the_missing_condition() -> None:
    events = history(ACCEPTED)

    then = when(events, Measure(course="x" * 8, point=1, form="staff", occurred_on=days_ago(1)))

    assert [type(e).__name__ for e in then.events] == ["MeasurementRecorded"]
    assert then.course.state is S.BASELINE
    with pytest.raises(MoveRefused) as refused:
        WORKFLOW.decide(then.course, "complete_baseline")
    assert "both point-1 forms" in refused.value.why


def test_the_same_start_form_twice_is_refused_and_the_baseline_stays() -> None:
    events = history(
        [*ACCEPTED, (MeasurementRecorded, {"point": 1, "answers": {"form": "citizen"}})]
    )

    then = when(events, Measure(course="x" * 8, point=1, form="citizen", occurred_on=days_ago(1)))

    assert then.refused is not None and "already recorded" in str(then.refused)
    assert then.course.state is S.BASELINE
    assert then.course.pending_events == []


# The refusal as data ----------------------------------------------------------------


def test_a_refusal_message_is_built_from_its_fields() -> None:
    refused = MoveRefused("start_praktik", S.VISITATION, ["accept", "reject"], "")
    assert str(refused) == (
        "cannot start_praktik a course in state visitation; allowed here: accept, reject"
    )
    assert refused.describe(str.upper) == (
        "cannot START_PRAKTIK a course in state visitation; allowed here: ACCEPT, REJECT"
    )
    assert refused.as_dict() == {
        "move": "start_praktik", "state": "visitation", "why": None,
        "allowed": ["accept", "reject"],
    }  # fmt: skip
    assert str(MoveRefused("follow_up", S.ACTIVE, [], "not yet")) == (
        "cannot follow_up a course in state active (not yet); allowed here: none"
    )


def test_an_unknown_trigger_is_refused_naming_the_allowed_moves() -> None:
    course = given(history(ACCEPTED))
    with pytest.raises(MoveRefused) as refused:
        WORKFLOW.decide(course, "fly")
    assert (refused.value.trigger, refused.value.why) == ("fly", "unknown move")
    assert set(refused.value.allowed) == allowed_at_rest(S.BASELINE)


# The commands and the table's shape -------------------------------------------------


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


def test_paths_used_by_the_store_backed_tests_follow_the_rules() -> None:
    for target in CourseState:
        state = CourseState.VISITATION
        for trigger in path_to(target):
            rule = RULES[trigger]
            assert state in rule.sources
            assert rule.dest is not None
            state = rule.dest
        assert state is target
