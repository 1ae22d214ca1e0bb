"""Scenario helpers for the workflow tests, derived from the transitions table.

Nothing here is copied from the machine by hand: the triggers come from
`workflows.machine.MOVES`, the command for each trigger from
`workflows.commands.COURSE_COMMANDS`, and the path to a state is a breadth-first
search over the moves that change state.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain.course import Course
from domain.values import CourseState, MeasurementForm, UnplannedExitReason
from workflows.commands import (
    COURSE_COMMANDS,
    CourseCommand,
    Exit,
    Measure,
    Refer,
    today,
)
from workflows.machine import AUTOMATIC_TRIGGERS, MOVES, MOVES_BY_TRIGGER
from workflows.service import CourseService

ACTOR = "rk-anna"
CPR = "0101901234"
PROGRAMME = "paa-vej-til-arbejde"


def days_ago(n: int) -> date:
    """The Danish calendar date n days before today (negative n: in the future)."""
    return today() - timedelta(days=n)


def command_class_for(trigger: str) -> type[CourseCommand]:
    """The command class that asks for a trigger (Exit serves both exit triggers)."""
    return TRIGGER_COMMANDS[trigger]


def _trigger_commands() -> dict[str, type[CourseCommand]]:
    table: dict[str, type[CourseCommand]] = {}
    for cls in COURSE_COMMANDS:
        if cls is Exit:
            table["exit_planned"] = cls
            table["exit_unplanned"] = cls
            table["exit_pension"] = cls
        elif cls is Measure:
            table["measure"] = cls
            table["measure_follow_up"] = cls
        else:
            table[cls.trigger] = cls
    return table


TRIGGER_COMMANDS: dict[str, type[CourseCommand]] = _trigger_commands()
COMMANDED_TRIGGERS: tuple[str, ...] = tuple(
    move.trigger for move in MOVES if move.trigger not in AUTOMATIC_TRIGGERS
)


def free_point(course: Course, form: MeasurementForm = MeasurementForm.CITIZEN) -> int:
    """The first measurement point the course may take next for a form (after an exit,
    after every point already taken)."""
    point = 1 if course.state is CourseState.BASELINE else 2
    if not course.is_open:
        point = max([point - 1, *(p for p, _ in course.measurements.values())]) + 1
    while course.has_form(point, form):
        point += 1
    return point


# One plausible, valid payload per commanded trigger, given the course it is for.
Payload = Callable[[Course], dict[str, Any]]
PAYLOADS: dict[str, Payload] = {
    "accept": lambda c: {"consultant": "rk-anna"},
    "reject": lambda c: {"reason": UnplannedExitReason.NOT_TARGET_GROUP},
    "measure": lambda c: {
        "point": free_point(c),
        "form": MeasurementForm.CITIZEN,
        "who5": [3, 3, 2, 4, 1],
        "bip": {"job_belief": 3},
    },
    "measure_follow_up": lambda c: {
        "follow_up": True,
        "point": free_point(c),
        "form": MeasurementForm.CITIZEN,
        "who5": [2, 3, 2, 4, 1],
    },
    "session": lambda c: {"note": "samtale"},
    "meeting": lambda c: {"participants": ["rk-anna", "sagsbehandler"]},
    "contact": lambda c: {"contact_kind": "outreach", "place": "Vaerestedet", "rating": 4},
    "segment": lambda c: {"match_group": "M3", "profiles": ["maaske_egnede", "misbrug"]},
    "add_member": lambda c: {"member": "skp-lis", "role": "consultant"},
    "remove_member": lambda c: {"member": "skp-lis"},
    "join_group": lambda c: {"group_course": "angstgruppe"},
    "complete_group": lambda c: {"group_course": "angstgruppe"},
    "treatment_plan": lambda c: {"note": "psykiatrien"},
    "reassign": lambda c: {"consultant": "rk-bo", "reason": "barsel"},
    "start_praktik": lambda c: {
        "employer": "Netto Naestved",
        "hours_per_week": 15,
        "planned_end": days_ago(-60),
    },
    "end_praktik": lambda c: {"outcome": "completed"},
    "start_job": lambda c: {"employer": "Kommunen", "hours_per_week": 20},
    "end_job": lambda c: {"note": "opsagt"},
    "start_education": lambda c: {"institution": "VUC Storstroem"},
    "end_education": lambda c: {"note": "stoppet"},
    "complete_programme": lambda c: {"note": "gennemført"},
    "exit_planned": lambda c: {"planned": True},
    "exit_pension": lambda c: {"planned": True, "onto": "disability_pension"},
    "exit_unplanned": lambda c: {
        "planned": False,
        "reason": UnplannedExitReason.COMPLEX_NEEDS,
    },
    "follow_up": lambda c: {"outcome": "employed"},
    "correct": lambda c: {"version": 1, "reason": "stavefejl", "changes": {"note": "rettet"}},
}


def command_for(
    trigger: str, course: Course, occurred_on: date | None = None, **overrides: Any
) -> CourseCommand:
    """The command asking for `trigger` on `course`, with a plausible payload."""
    fields = {**PAYLOADS[trigger](course), **overrides}
    if occurred_on is not None:
        fields["occurred_on"] = occurred_on
    return command_class_for(trigger)(course=str(course.id), **fields)


def refer(
    service: CourseService,
    cpr: str = CPR,
    programme: str = PROGRAMME,
    occurred_on: date | None = None,
    **fields: Any,
) -> UUID:
    """Refer a citizen; the new course's id."""
    command = Refer(
        cpr=cpr,
        programme=programme,
        referring_caseworker="sagsbehandler",
        occurred_on=occurred_on or today(),
        **fields,
    )
    return service.execute(command, ACTOR).course_id


def shortest_paths() -> dict[CourseState, list[str]]:
    """For each state reachable from visitation, the shortest trigger sequence to it.

    A breadth-first search over the moves that change state, in table order.
    """
    start = CourseState.VISITATION
    paths: dict[CourseState, list[str]] = {start: []}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for move in MOVES:
            there = move.dest
            if here in move.sources and there is not None and there not in paths:
                paths[there] = [*paths[here], move.trigger]
                queue.append(there)
    return paths


def path_to(state: CourseState) -> list[str]:
    """The shortest trigger sequence from visitation to `state`."""
    return shortest_paths()[state]


def reachable_states() -> frozenset[CourseState]:
    """Every state reachable from visitation in the transitions table."""
    return frozenset(shortest_paths())


def take(service: CourseService, course_id: UUID, trigger: str, **overrides: Any) -> None:
    """Make the move `trigger` on the course through the service, meeting its guard first."""
    if trigger in AUTOMATIC_TRIGGERS:
        _meet_guard(service, course_id, trigger, **overrides)
        return
    course = service.get_course(course_id)
    service.execute(command_for(trigger, course, **overrides), ACTOR)


def _meet_guard(service: CourseService, course_id: UUID, trigger: str, **overrides: Any) -> None:
    """Record what the guard of an automatic move asks for; the service then makes it."""
    assert MOVES_BY_TRIGGER[trigger].guard == "point_one_forms_complete"
    for form in MeasurementForm:
        course = service.get_course(course_id)
        if not course.has_form(1, form):
            service.execute(Measure(course=str(course_id), point=1, form=form, **overrides), ACTOR)


def drive_to(service: CourseService, state: CourseState, **refer_fields: Any) -> UUID:
    """A new course brought to `state` along the machine's shortest path."""
    course_id = refer(service, **refer_fields)
    for trigger in path_to(state):
        take(service, course_id, trigger)
    assert service.get_course(course_id).state is state
    return course_id


def stored_count(service: CourseService) -> int:
    """How many events the whole store holds."""
    return service.recorder.max_notification_id() or 0
