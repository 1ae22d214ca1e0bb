"""Properties of any sequence of commands, valid or not.

Given random referrals and random triggers with plausible payloads and dates,
after every command:

- a refused command leaves the store and the courses exactly as they were;
- an accepted command recorded the event of a move the table allows from the
  state the course was in;
- every course is in a state reachable in the machine, and its state is the
  one its last state-changing event leads to;
- the course rebuilt from the stored events equals the live aggregate the
  command was decided on (so applying an event live and replaying it after
  the mapper's round trip agree).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cli.bootstrap import open_service
from domain.course import Course
from domain.errors import CourseError
from domain.events import STATE_CHANGING_EVENTS, BaselineCompleted, Referred
from domain.values import (
    CourseState,
    FollowUpOutcome,
    MeasurementForm,
    UnplannedExitReason,
)
from storage.store import StoreConfig
from workflows.commands import Command, CourseCommand, Refer, today
from workflows.machine import MOVES, MOVES_BY_TRIGGER
from workflows.service import CourseService

from .scenarios import ACTOR, COMMANDED_TRIGGERS, command_class_for, reachable_states, stored_count

CPRS = ("0101901234", "1512854321", "290200-4234")
REACHABLE = reachable_states()
NEW_STATE_OF = {cls.__name__: cls.new_state for cls in STATE_CHANGING_EVENTS} | {
    Referred.__name__: CourseState.VISITATION
}


@dataclass(frozen=True)
class ReferStep:
    cpr: int
    programme: int
    days_ago: int


@dataclass(frozen=True)
class CourseStep:
    course: int
    trigger: str
    days_ago: int
    variant: int


@dataclass(frozen=True)
class GuidedStep:
    """A move the workflow allows right now (picked by `variant`), to get deep into the machine."""

    course: int
    days_ago: int
    variant: int


Step = ReferStep | CourseStep | GuidedStep

ONWARDS = frozenset(
    m.trigger
    for m in MOVES
    if m.trigger in COMMANDED_TRIGGERS
    and (m.dest is not None or m.trigger == "measure")
    and m.dest not in (CourseState.EXITED_UNPLANNED,)
)
"""Moves that take a course further along (not out of) the machine."""

STATE_CHANGING_TRIGGERS = [
    m.trigger for m in MOVES if m.dest is not None and m.trigger in COMMANDED_TRIGGERS
] + ["measure"]

refer_steps = st.builds(
    ReferStep,
    cpr=st.integers(0, len(CPRS) - 1),
    programme=st.integers(0, 1),
    days_ago=st.integers(20, 90),
)
random_steps = st.builds(
    CourseStep,
    course=st.integers(0, 7),
    trigger=st.sampled_from(COMMANDED_TRIGGERS) | st.sampled_from(STATE_CHANGING_TRIGGERS),
    days_ago=st.just(0) | st.integers(-1, 60),
    variant=st.integers(0, 7),
)
guided_steps = st.builds(
    GuidedStep,
    course=st.just(0) | st.integers(0, 7),
    days_ago=st.just(0) | st.integers(-1, 30),
    variant=st.integers(0, 7),
)
steps = st.tuples(
    refer_steps,
    st.lists(
        st.one_of(refer_steps, *[random_steps] * 3, *[guided_steps] * 4), min_size=10, max_size=40
    ),
).map(lambda first_and_rest: [first_and_rest[0], *first_and_rest[1]])
"""A referral, then a mix of referrals, random commands and allowed moves."""


def payload(trigger: str, variant: int, on: date) -> dict[str, Any]:
    """A plausible payload for a trigger; `variant` picks among the plausible ones."""

    def pick(options: list[Any]) -> Any:
        return options[variant % len(options)]

    reasons = list(UnplannedExitReason)
    if trigger in ("measure", "measure_follow_up"):
        form = pick([MeasurementForm.CITIZEN, MeasurementForm.STAFF])
        fields: dict[str, Any] = {"point": 1 + variant // 2 % 3, "form": form}
        if form is MeasurementForm.CITIZEN:
            fields["who5"] = [variant % 6, 2, 3, 4, 5]
        if trigger == "measure_follow_up":
            fields.update(follow_up=True, point=2 + variant % 4)
        return fields
    if trigger == "correct":
        if variant % 2:
            return {"version": 1 + variant, "reason": "fejl", "retract": True}
        changes = pick([{"note": "rettet"}, {"point": 2}, {"occurred_on": str(on)}, {"cpr": "x"}])
        return {"version": 1 + variant // 2, "reason": "fejl", "changes": changes}
    table: dict[str, dict[str, Any]] = {
        "accept": {"consultant": f"rk-{variant}"},
        "reject": {"reason": pick(reasons)},
        "session": {"kind": pick(["individual", "group"])},
        "meeting": {"outcome": pick(["held", "citizen_no_show"])},
        "contact": {"contact_kind": pick(["conversation", "outreach"]), "place": "Cafe",
                    "rating": pick([None, 1, 5])},
        "segment": {"match_group": pick(["M1", "M2", "M3"]), "profiles": ["a", "b"][: variant % 3]},
        "add_member": {"member": f"m-{variant % 2}", "role": "consultant"},
        "remove_member": {"member": f"m-{variant % 2}"},
        "join_group": {"group_course": f"gruppe-{variant % 2}"},
        "complete_group": {"group_course": f"gruppe-{variant % 2}"},
        "treatment_plan": {},
        "reassign": {"consultant": f"rk-{variant}"},
        "start_praktik": {
            "employer": "Netto",
            "hours_per_week": 5 + variant * 5,
            "planned_end": on + timedelta(days=30 * variant - 30),
        },
        "end_praktik": {"outcome": pick(["completed", "aborted"])},
        "start_job": {
            "employer": "Kommunen",
            "hours_per_week": 12 + variant * 3,
            "kind": pick(["ordinary", "flexjob", "wage_subsidy"]),
        },
        "end_job": {},
        "start_education": {"institution": "VUC"},
        "end_education": {},
        "complete_programme": {},
        "exit_planned": {"planned": True},
        "exit_pension": {"planned": True, "onto": "disability_pension"},
        "exit_unplanned": {"planned": False, "reason": pick(reasons)},
        "follow_up": {"outcome": pick(list(FollowUpOutcome))},
    }
    return table[trigger]


def build(
    service: CourseService,
    step: Step,
    courses: list[UUID],
    cprs: dict[UUID, str],
    namespace: str,
) -> Command:
    on = today() - timedelta(days=step.days_ago)
    if isinstance(step, ReferStep):
        return Refer(
            cpr=CPRS[step.cpr],
            programme=f"{namespace}-{step.programme}",
            referring_caseworker="sagsbehandler",
            occurred_on=on,
        )
    course_id = courses[step.course % len(courses)]
    if isinstance(step, GuidedStep):
        course = service.get_course(course_id)
        allowed = [t for t in service.allowed_moves(course) if t in COMMANDED_TRIGGERS]
        onwards = [t for t in allowed if t in ONWARDS]
        choices = onwards if onwards and step.variant < 6 else allowed
        trigger = choices[step.variant % len(choices)]
        fields = payload(trigger, step.variant, on)
        if trigger == "measure" and course.state is CourseState.BASELINE:
            form = next(f for f in MeasurementForm if not course.has_form(1, f))
            fields = {**fields, "point": 1, "form": form}
            if form is MeasurementForm.STAFF:
                fields.pop("who5", None)
        elif trigger == "measure":
            fields["point"] = 2 + step.variant // 2
        return command_class_for(trigger)(course=str(course_id), occurred_on=on, **fields)
    ref = cprs[course_id] if step.course == 7 and cprs else str(course_id)
    fields = payload(step.trigger, step.variant, on)
    return command_class_for(step.trigger)(course=ref, occurred_on=on, **fields)


def run(service: CourseService, sequence: list[Step], *, by_cpr: bool = True) -> list[UUID]:
    """Play the steps, deciding on live aggregates kept across steps, checking each one.

    With `by_cpr`, some commands name their course by the citizen's CPR; a store
    shared between examples must not, or it could reach another example's course.
    """
    namespace = uuid4().hex[:8]
    courses: list[UUID] = []
    cprs: dict[UUID, str] = {}
    live: dict[UUID, Any] = {}
    for step in sequence:
        if not isinstance(step, ReferStep) and not courses:
            continue
        try:
            command = build(service, step, courses, cprs, namespace)
        except ValidationError:
            continue  # refused at the door, before the service sees it
        stored_before = stored_count(service)
        before = {cid: service.get_course(cid) for cid in courses}
        cache = dict(live)
        try:
            outcome = service.decide(command, ACTOR, cache)
        except CourseError:
            assert stored_count(service) == stored_before
            assert not [a for a in cache.values() if a.pending_events]
            for cid in courses:
                assert service.get_course(cid) == before[cid]
            continue
        service.save(*cache.values())
        live.update(cache)
        if isinstance(command, Refer):
            if not outcome.skipped:
                courses.append(outcome.course_id)
                if by_cpr:
                    cprs[outcome.course_id] = command.cpr
            assert outcome.events == ("Referred",)
        else:
            assert isinstance(command, CourseCommand)
            move = MOVES_BY_TRIGGER[command.trigger_name()]
            assert before[outcome.course_id].state in move.sources
            assert outcome.events[0] == move.event.__name__
            assert outcome.events[1:] in ((), (BaselineCompleted.__name__,))
        for cid in courses:
            check_course(service, live.get(cid), cid)
    return courses


def tally(service: CourseService, courses: list[UUID]) -> None:
    """Report in Hypothesis' statistics how far the courses got."""
    for state in sorted({service.get_course(cid).state for cid in courses}):
        event(f"a course ended in {state}")


def check_course(service: CourseService, live: Course | None, course_id: UUID) -> None:
    rebuilt = service.get_course(course_id)
    assert rebuilt.state in REACHABLE
    state_changes = [  # those in force: a retracted move is undone
        NEW_STATE_OF[name]
        for version, name in rebuilt.history.items()
        if name in NEW_STATE_OF and version not in rebuilt.retracted_versions
    ]
    assert rebuilt.state is state_changes[-1]
    if rebuilt.state is CourseState.BASELINE:
        assert not rebuilt.point_one_forms_complete or rebuilt.corrected_versions
    if live is not None:
        assert live.pending_events == []
        assert rebuilt == live


DEEP_PATH: list[Step] = [
    ReferStep(0, 0, 30),
    CourseStep(0, "accept", 20, 0),
    CourseStep(0, "measure", 15, 0),
    CourseStep(0, "measure", 15, 1),
    CourseStep(0, "join_group", 14, 0),
    CourseStep(0, "start_praktik", 10, 3),
    CourseStep(0, "complete_group", 9, 0),
    CourseStep(0, "start_job", 5, 1),
    CourseStep(0, "exit_planned", 0, 0),
    CourseStep(0, "follow_up", 0, 2),
    CourseStep(0, "correct", 0, 5),
    CourseStep(0, "correct", 0, 0),
    ReferStep(0, 0, 20),
]


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=steps)
@example(sequence=DEEP_PATH)
def test_any_command_sequence_in_memory(sequence: list[Step]) -> None:
    service = open_service(StoreConfig(in_memory=True))
    tally(service, run(service, sequence))


@pytest.mark.slow
@settings(
    deadline=None,
    max_examples=15,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
@example(sequence=DEEP_PATH)
def test_any_command_sequence_on_the_store(service: CourseService, sequence: list[Step]) -> None:
    """The same property on SQLite and PostgreSQL; examples share the store, not programmes."""
    tally(service, run(service, sequence, by_cpr=False))


def test_the_deep_path_reaches_the_far_end_of_the_machine() -> None:
    """The explicit example above really walks visitation → … → exited_planned → re-referral."""
    service = open_service(StoreConfig(in_memory=True))
    run(service, DEEP_PATH)
    [first, second] = service.courses_of(CPRS[0])
    course = service.get_course(first)
    assert course.state is CourseState.EXITED_PLANNED
    assert list(course.history.values()).count("Corrected") == 2
    assert course.group_courses == {"gruppe-0": True}
    assert service.get_course(second).state is CourseState.VISITATION
