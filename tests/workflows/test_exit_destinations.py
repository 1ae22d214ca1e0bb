"""Planned-exit destinations a programme's definition adds, decided on bare aggregates.

Given the events of a course, when `exit --planned --onto` names a destination, then the
exit is recorded onto it if it is disability pension (every programme's) or one the
course's programme adds; a destination of another programme is refused in one line
naming the field, and nothing is recorded. A correction of where an exit went is checked
the same way.

The destination is revalidation (revalidering): the DISCUS mapping (seed 000, §5 of the
programme reference) names approving revalidation plans as a municipal authority task. No
shipped programme's report names it as where its courses end, so a municipality's own
definition adds it here.
"""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput, MoveRefused
from domain.events import Corrected, CourseEvent, ExitedPlanned
from domain.values import CourseState, ExitOnto
from programmes.catalogue import parse, shipped
from workflows.commands import Correct, CourseCommand, Exit
from workflows.decision import decide
from workflows.machine import Workflow

from .scenarios import ACTOR, days_ago
from .test_machine_pairs import STORIES, Then, given, history

S = CourseState

OWN = parse(
    """
name = "eget"
title = "Eget forløb"
source = "kommunens beskrivelse"
entry_routes = ["caseworker_referral"]
[[outcomes.exit_destinations]]
code = "revalidering"
title = "onto revalidation (revalidering)"
[roles.consultant]
title = "Konsulent"
may = ["accept", "exit_planned", "exit_pension", "exit_unplanned", "correct"]
""",
    "eget.toml",
    "eget",
)
OWN_WORKFLOW = Workflow(OWN)
OPH_WORKFLOW = Workflow(shipped().require("oph").definition)


def when(events: list[CourseEvent], command: CourseCommand, workflow: Workflow) -> Then:
    """Decide the command on the course the events make, as the programme runs it."""
    course = given(events)
    try:
        new = decide(course, command, ACTOR, workflow=workflow,
                     event_at=lambda version: events[version - 1])  # fmt: skip
    except (InvalidInput, MoveRefused) as error:
        return Then(course, refused=error)
    return Then(course, new)


def exit_onto(events: list[CourseEvent], onto: str) -> Exit:
    course = str(events[0].originator_id)
    return Exit(course=course, occurred_on=days_ago(0), planned=True, onto=onto)


@pytest.mark.parametrize("state", [S.ACTIVE, S.PRAKTIK, S.JOB, S.EDUCATION])
def test_a_destination_the_programme_adds_ends_the_course_onto_it(state: CourseState) -> None:
    events = history(STORIES[state])

    then = when(events, exit_onto(events, "revalidering"), OWN_WORKFLOW)

    assert then.refused is None, then.refused
    [exited] = then.events
    assert isinstance(exited, ExitedPlanned)
    assert exited.after == "revalidering"
    assert exited.originator_version == len(events) + 1
    assert then.course.state is S.EXITED_PLANNED


def test_disability_pension_stays_every_programmes_destination() -> None:
    events = history(STORIES[S.ACTIVE])
    for workflow in (OWN_WORKFLOW, OPH_WORKFLOW, Workflow()):
        then = when(events, exit_onto(events, "disability_pension"), workflow)
        [exited] = then.events
        assert isinstance(exited, ExitedPlanned)
        assert exited.after is ExitOnto.DISABILITY_PENSION


def test_a_destination_of_another_programme_is_refused_naming_the_field() -> None:
    events = history(STORIES[S.ACTIVE])

    then = when(events, exit_onto(events, "revalidering"), OPH_WORKFLOW)

    assert isinstance(then.refused, InvalidInput)
    assert str(then.refused) == "onto: revalidering is not one of oph's (disability_pension)"
    assert then.course.pending_events == []
    assert then.course == given(events)


def test_job_or_education_is_not_a_destination_to_go_onto() -> None:
    events = history(STORIES[S.JOB])
    then = when(events, exit_onto(events, "job"), OWN_WORKFLOW)
    assert str(then.refused) == (
        "onto: job is not one of eget's (disability_pension, revalidering)"
    )


def test_a_destination_is_gone_onto_only_past_the_baseline() -> None:
    events = history(STORIES[S.BASELINE])
    then = when(events, exit_onto(events, "revalidering"), OWN_WORKFLOW)
    assert isinstance(then.refused, MoveRefused)
    assert then.refused.trigger == "exit_pension"


def test_a_planned_exit_without_onto_is_still_after_the_job_or_education() -> None:
    events = history(STORIES[S.EDUCATION])
    command = Exit(course=str(events[0].originator_id), occurred_on=days_ago(0), planned=True)
    [exited] = when(events, command, OWN_WORKFLOW).events
    assert isinstance(exited, ExitedPlanned) and exited.after == "education"


def test_a_correction_of_where_the_exit_went_is_checked_against_the_programme() -> None:
    events = history([*STORIES[S.ACTIVE], (ExitedPlanned, {"after": "disability_pension"})])
    exit_version = len(events)

    def correct(after: str) -> Correct:
        return Correct(course=str(events[0].originator_id), occurred_on=days_ago(0),
                       version=exit_version, reason="fejl", changes={"after": after})  # fmt: skip

    refused = when(events, correct("revalidering"), OPH_WORKFLOW).refused
    assert str(refused) == (
        "after: revalidering is not one of oph's (job, education, disability_pension)"
    )
    then = when(events, correct("revalidering"), OWN_WORKFLOW)
    [correction] = then.events
    assert isinstance(correction, Corrected)
    assert correction.changes == {"after": "revalidering"}
