"""One course command decided on a bare Course aggregate: no store, no application.

The workflow says whether the commanded move is allowed from the course's
state; the aggregate checks the facts and records the event; then the
workflow makes any automatic move the course has become due for. The new
events are left pending on the course for the caller to save.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from domain.course import INTO_STATES, Course
from domain.errors import CourseError, InvalidInput
from domain.events import (
    Corrected,
    CourseEvent,
    ExitedPlanned,
    ExitedUnplanned,
    JobStarted,
    RejectedAtVisitation,
)
from domain.programme import Outcomes
from workflows.commands import (
    CourseCommand,
    is_correct,
    is_exit,
    is_job_start,
    is_reject,
    is_team_add,
)
from workflows.machine import Workflow, move_of

if TYPE_CHECKING:
    from workflows.intake_commands import Refer

EventAt = Callable[[int], CourseEvent]
"""The course's event with a sequence number (what a correction names)."""


def decide(
    course: Course, command: CourseCommand, actor: str, *, workflow: Workflow, event_at: EventAt
) -> list[CourseEvent]:
    """Record the command's event on the course, then any automatic moves; the new events.

    `actor` is the user who enters the command; the events are recorded on behalf of
    the command's own actor when it names one (checked by the access policy).

    A refused command (MoveRefused, or another CourseError from the aggregate's
    checks) raises before anything is recorded, unless an automatic move after
    it is refused, which leaves the commanded event pending.
    """
    before = course.version
    move = workflow.decide(course, command.trigger_name())
    check_team_role(workflow, command)
    check_programme_codes(workflow, command, event_at)
    common: dict[str, Any] = {
        "actor": command.actor or actor,
        "recorded_by": actor,
        "occurred_on": command.occurred_on,
    }
    if command.command_id is not None:
        common["command_id"] = command.command_id
    if is_correct(command):
        target = event_at(command.version)
        if command.retract:  # the aggregate's checks first: they say why more plainly
            course.check_correction(target, command.changes, retracted=True)
            check_no_dependents(course, target, workflow, event_at)
        course.correct(
            target,
            **common,
            reason=command.reason,
            changes=command.changes,
            retracted=command.retract,
        )
    else:
        fields = command.event_fields()
        if is_exit(command) and command.planned and "after" not in fields:
            fields["after"] = course.state.value
        course.record(move.event, **common, **fields, **dict(move.fields))
    make_automatic_moves(course, workflow, common)
    new = course.pending_events[len(course.pending_events) - (course.version - before) :]
    return [event for event in new if isinstance(event, CourseEvent)]


def check_entry_route(workflow: Workflow, command: Refer) -> None:
    """Refuse a referral by a route the programme does not take in by."""
    definition = workflow.definition
    if definition is not None and command.entry_route not in definition.entry_routes:
        routes = ", ".join(definition.entry_routes)
        raise InvalidInput(
            "entry_route",
            f"{definition.name} takes citizens in by {routes}, not {command.entry_route}",
        )


def check_team_role(workflow: Workflow, command: CourseCommand) -> None:
    """Refuse a team member in a role the programme does not have."""
    definition = workflow.definition
    if is_team_add(command) and definition is not None and command.role not in definition.roles:
        roles = ", ".join(definition.roles)
        raise InvalidInput(
            "role", f"{definition.name} has no role {command.role} (its roles: {roles})"
        )


def check_programme_codes(workflow: Workflow, command: CourseCommand, event_at: EventAt) -> None:
    """Refuse a job kind, an exit reason or a planned-exit destination that is neither the
    backbone's nor one the programme's definition adds (a correction's new one too)."""
    outcomes = workflow.definition.outcomes if workflow.definition else Outcomes()
    name = workflow.definition.name if workflow.definition else "the backbone workflow"
    values: list[tuple[str, object, tuple[str, ...]]] = []
    kinds, reasons = outcomes.job_kind_codes(), outcomes.exit_reason_codes()
    destinations = outcomes.exit_destination_codes()
    if is_job_start(command):
        values.append(("kind", command.kind, kinds))
    elif (is_exit(command) or is_reject(command)) and command.reason is not None:
        values.append(("reason", command.reason, reasons))
    elif is_exit(command) and command.onto is not None:
        values.append(("onto", command.onto, destinations))
    elif is_correct(command) and {"kind", "reason", "after"} & set(command.changes):
        target = type(event_at(command.version))
        if target is JobStarted and "kind" in command.changes:
            values.append(("kind", command.changes["kind"], kinds))
        if target in (ExitedUnplanned, RejectedAtVisitation) and "reason" in command.changes:
            values.append(("reason", command.changes["reason"], reasons))
        if target is ExitedPlanned and "after" in command.changes:
            values.append(("after", command.changes["after"], (*INTO_STATES, *destinations)))
    for field, value, known in values:
        if str(value) not in known:
            raise InvalidInput(field, f"{value} is not one of {name}'s ({', '.join(known)})")


def make_automatic_moves(course: Course, workflow: Workflow, common: dict[str, Any]) -> None:
    """Record each automatic move the workflow finds the course due for, dated as the
    move says (each at most once, so a move that leaves its guard true cannot loop)."""
    made: set[str] = set()
    while (move := workflow.automatic(course)) is not None and move.trigger not in made:
        made.add(move.trigger)
        on = getattr(course, move.dated_by) if move.dated_by else common["occurred_on"]
        course.record(move.event, **{**common, "occurred_on": on})


def check_no_dependents(
    course: Course, target: CourseEvent, workflow: Workflow, event_at: EventAt
) -> None:
    """Refuse to retract a state change that a later event depends on, naming them.

    Retracting a move returns the course to the state before it. A later event
    (not itself retracted) depends on the move if it changed the state again, or
    if the workflow has no such move from the state the course returns to (a
    measurement after an acceptance, a follow-up after an exit).
    """
    version = target.originator_version
    if target.new_state is None:
        return
    before = course.state_before(version)
    dependents = []
    for later in range(version + 1, course.version + 1):
        if later in course.retracted_versions or course.history.get(later) == Corrected.__name__:
            continue
        event = event_at(later)
        if event.new_state is not None or not workflow.has_move(before, move_of(event).trigger):
            dependents.append(f"{later} ({type(event).__name__})")
    if dependents:
        one = len(dependents) == 1
        events, verb = ("event", "depends") if one else ("events", "depend")
        raise CourseError(
            f"version: {events} {', '.join(dependents)} {verb} on event {version} "
            f"({type(target).__name__}); "
            + ("retract it first" if one else "retract them first, the latest first")
        )
