"""The course workflow: one transitions table, the single source for decisions,
refusals, the automatic moves and the diagrams.

Each move names its trigger, the event it records, the states it may start
from and any guard (a condition: the name of a Course property). Where the
move goes is the event's `new_state`; moves whose event has none stay in the
state (transitions' internal transitions). An automatic move is asked for by
no command: the workflow makes it as soon as its guard holds after a command
(the baseline ends when both start forms are recorded). The machine only
decides; replaying events never runs it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from transitions import Machine

from domain.course import INTO_STATES, Course
from domain.errors import MoveRefused
from domain.events import (
    Accepted,
    BaselineCompleted,
    ConsultantReassigned,
    ContactRegistered,
    Corrected,
    CourseEvent,
    EducationEnded,
    EducationStarted,
    ExitedPlanned,
    ExitedUnplanned,
    FollowUpRecorded,
    GroupCourseCompleted,
    GroupCourseJoined,
    JobEnded,
    JobStarted,
    MeasurementRecorded,
    NetworkMeetingHeld,
    PraktikEnded,
    PraktikStarted,
    ProgrammeCompleted,
    RejectedAtVisitation,
    SegmentRecorded,
    SessionHeld,
    TeamMemberAdded,
    TeamMemberLeft,
    TreatmentPlanStarted,
)
from domain.programme import ProgrammeDefinition
from domain.values import (
    EXITED_STATES,
    OPEN_STATES,
    CourseState,
    ExitOnto,
    JobKind,
    UnplannedExitReason,
)

S = CourseState
WORKING: tuple[CourseState, ...] = (S.BASELINE, S.ACTIVE, S.PRAKTIK, S.JOB, S.EDUCATION)
"""States in which a consultant works with the citizen."""


@dataclass(frozen=True)
class Move:
    """One row of the workflow: a trigger, the event it records, where it may start."""

    trigger: str
    event: type[CourseEvent]
    sources: tuple[CourseState, ...]
    guard: str | None = None
    """The condition: a Course property that must be true for the move."""
    guard_text: str = ""
    automatic: bool = False
    """Made by the workflow when its guard holds after a command, never asked for."""
    dated_by: str | None = None
    """For an automatic move, the Course property giving the date it happened."""
    fields: tuple[tuple[str, Any], ...] = ()
    """Event fields the move sets, by which its events are told from another move's."""

    @property
    def dest(self) -> CourseState | None:
        """The state the move leads to; None when it stays in the state."""
        return self.event.new_state


MOVES: tuple[Move, ...] = (
    Move("accept", Accepted, (S.VISITATION,)),
    Move("reject", RejectedAtVisitation, (S.VISITATION,)),
    Move("measure", MeasurementRecorded, WORKING),
    Move(
        "measure_follow_up",
        MeasurementRecorded,
        EXITED_STATES,
        fields=(("follow_up", True),),
    ),
    Move(
        "complete_baseline",
        BaselineCompleted,
        (S.BASELINE,),
        guard="point_one_forms_complete",
        guard_text="both point-1 forms (citizen and staff) must be recorded",
        automatic=True,
        dated_by="point_one_latest",
    ),
    Move("session", SessionHeld, (S.VISITATION, *WORKING)),
    Move("meeting", NetworkMeetingHeld, (S.VISITATION, *WORKING)),
    Move("contact", ContactRegistered, (S.VISITATION, *WORKING)),
    Move("segment", SegmentRecorded, (S.VISITATION, *WORKING)),
    Move("add_member", TeamMemberAdded, (S.VISITATION, *WORKING)),
    Move("remove_member", TeamMemberLeft, (S.VISITATION, *WORKING)),
    Move("join_group", GroupCourseJoined, WORKING),
    Move("complete_group", GroupCourseCompleted, WORKING),
    Move("treatment_plan", TreatmentPlanStarted, WORKING),
    Move("reassign", ConsultantReassigned, WORKING),
    Move("start_praktik", PraktikStarted, (S.ACTIVE,)),
    Move("end_praktik", PraktikEnded, (S.PRAKTIK,)),
    Move("start_job", JobStarted, (S.ACTIVE, S.PRAKTIK)),
    Move("end_job", JobEnded, (S.JOB,)),
    Move("start_education", EducationStarted, (S.ACTIVE, S.PRAKTIK)),
    Move("end_education", EducationEnded, (S.EDUCATION,)),
    Move("complete_programme", ProgrammeCompleted, (*WORKING, S.EXITED_PLANNED)),
    Move("exit_planned", ExitedPlanned, (S.JOB, S.EDUCATION)),
    # Onto disability pension, or a destination the programme adds (`exit --onto`).
    Move("exit_pension", ExitedPlanned, (S.ACTIVE, S.PRAKTIK, S.JOB, S.EDUCATION)),
    Move("exit_unplanned", ExitedUnplanned, OPEN_STATES),
    Move("follow_up", FollowUpRecorded, EXITED_STATES),
    Move("correct", Corrected, tuple(CourseState)),
)

MOVES_BY_TRIGGER: dict[str, Move] = {move.trigger: move for move in MOVES}
AUTOMATIC_TRIGGERS: frozenset[str] = frozenset(m.trigger for m in MOVES if m.automatic)
"""Moves no command asks for: the workflow makes them when their guard holds."""
GUARDS: frozenset[str] = frozenset(m.guard for m in MOVES if m.guard is not None)


def move_of(event: CourseEvent) -> Move:
    """The move that recorded an event: the row for its class whose fields it has (the
    one setting the most fields, where several match)."""
    matching = [
        move
        for move in MOVES
        if type(event) is move.event
        and all(getattr(event, name) == value for name, value in move.fields)
    ]
    return max(matching, key=lambda move: len(move.fields))


BACKBONE: frozenset[str] = frozenset({"accept", "complete_baseline", "exit_unplanned", "correct"})
"""Moves every programme keeps: into the course, past the baseline, out of it, corrections."""
REFER = "refer"
"""What a role grant names for opening a course (not a move of the machine)."""


def definition_problems(definition: ProgrammeDefinition) -> list[str]:
    """What in a programme definition does not fit the backbone table, field by field."""
    problems = []
    for trigger in definition.moves.leave_out:
        if trigger not in MOVES_BY_TRIGGER:
            problems.append(f"moves.leave_out: unknown move {trigger}")
        elif trigger in BACKBONE:
            problems.append(f"moves.leave_out: {trigger} is part of every programme")
    backbone_kinds = {kind.value for kind in JobKind} | {"ordinary_reduced_hours"}
    for added in definition.outcomes.job_kinds:
        if added.code in backbone_kinds:
            problems.append(f"outcomes.job_kinds: {added.code} is a job kind of every programme")
    for added in definition.outcomes.exit_reasons:
        if added.code in {reason.value for reason in UnplannedExitReason}:
            problems.append(
                f"outcomes.exit_reasons: {added.code} is an exit reason of every programme"
            )
    for added in definition.outcomes.exit_destinations:
        if added.code in {*(onto.value for onto in ExitOnto), *INTO_STATES}:
            problems.append(
                f"outcomes.exit_destinations: {added.code} is a planned-exit destination "
                "of every programme"
            )
    kept = set(MOVES_BY_TRIGGER) - set(definition.moves.leave_out)
    for role, grant in definition.roles.items():
        for trigger in grant.may:
            if trigger != REFER and trigger not in kept:
                why = "left out of this programme" if trigger in MOVES_BY_TRIGGER else "unknown"
                problems.append(f"roles.{role}.may: {trigger} is {why}")
    return problems


def programme_moves(definition: ProgrammeDefinition | None) -> tuple[Move, ...]:
    """The backbone table as a programme runs it: its left-out moves gone, and the baseline
    ending at acceptance where the programme takes no start forms (None: the backbone)."""
    if definition is None:
        return MOVES
    moves = []
    for move in MOVES:
        if move.trigger in definition.moves.leave_out:
            continue
        if move.trigger == "complete_baseline" and not definition.moves.baseline_forms:
            move = replace(move, guard=None, guard_text="", dated_by=None)
        moves.append(move)
    return tuple(moves)


def transitions_table(moves: tuple[Move, ...] = MOVES) -> list[dict[str, Any]]:
    """The moves in the transitions library's format."""
    return [
        {
            "trigger": move.trigger,
            "source": list(move.sources),
            "dest": move.dest,
            **({"conditions": move.guard} if move.guard else {}),
        }
        for move in moves
    ]


class _Probe:
    """The machine's model: a course's current state; its guards are the course's."""

    state: CourseState

    def __init__(self) -> None:
        self.course: Course | None = None

    def __getattr__(self, name: str) -> Any:
        if name in GUARDS and self.__dict__.get("course") is not None:
            return getattr(self.course, name)
        raise AttributeError(name)


class Workflow:
    """Decides whether a move is allowed for a course, and which moves are: the backbone
    table, or a programme's version of it."""

    def __init__(self, definition: ProgrammeDefinition | None = None) -> None:
        self.definition = definition
        self.moves = programme_moves(definition)
        self.by_trigger = {move.trigger: move for move in self.moves}
        self._probe = _Probe()
        self._machine = Machine(
            model=self._probe,
            states=CourseState,
            transitions=transitions_table(self.moves),
            initial=CourseState.VISITATION,
            auto_transitions=False,
        )
        self._triggers = {
            state: frozenset(self._machine.get_triggers(state)) for state in CourseState
        }
        """The machine's triggers from each state, asked once."""

    def allowed(self, course: Course) -> list[str]:
        """The triggers a command may ask for now (source and guard admit the course), in
        table order; automatic moves are made, not asked for, so they are never listed."""
        return [
            move.trigger
            for move in self.moves
            if not move.automatic and self._admits(course, move.trigger)
        ]

    def decide(self, course: Course, trigger: str) -> Move:
        """The move for the trigger, or MoveRefused saying why and what is allowed."""
        move = self.by_trigger.get(trigger)
        if move is None:
            why = "unknown move"
            if trigger in MOVES_BY_TRIGGER and self.definition is not None:
                why = f"not a move of the programme {self.definition.name}"
            raise MoveRefused(trigger, course.state, self.allowed(course), why)
        if self._admits(course, trigger):
            return move
        why = move.guard_text if course.state in move.sources else ""
        raise MoveRefused(trigger, course.state, self.allowed(course), why)

    def automatic(self, course: Course) -> Move | None:
        """The automatic move the course is due for now, if any (the first in table order)."""
        for move in self.moves:
            if move.automatic and self._admits(course, move.trigger):
                return move
        return None

    def has_move(self, state: CourseState, trigger: str) -> bool:
        """Whether the table has the move from the state (its guard aside)."""
        return trigger in self._triggers[state]

    def _admits(self, course: Course, trigger: str) -> bool:
        if trigger not in self._triggers[course.state]:
            return False
        if self.by_trigger[trigger].guard is None:
            return True
        self._probe.course = course
        self._machine.set_state(course.state, model=self._probe)
        may: bool = getattr(self._probe, f"may_{trigger}")()
        return may
