"""Every (state, trigger) pair for each shipped programme, on bare aggregates.

The expectations are the backbone RULES of `test_machine_pairs` with each programme's
differences written here from the programme reference (/work/shared/programmes.md), not
read from its definition file: which moves it does without, and whether it takes the two
start forms as its baseline. A move a programme does without is refused in every state,
saying so; a programme without start forms passes its baseline on acceptance.
"""

from __future__ import annotations

import pytest

from domain.errors import MoveRefused
from domain.values import CourseState
from programmes.catalogue import shipped
from workflows.decision import decide

from .scenarios import ACTOR, COMMANDED_TRIGGERS, command_for, days_ago
from .test_machine_pairs import AUTOMATIC, RULES, STORIES, Then, given, history

S = CourseState


PROGRAMMES: dict[str, tuple[frozenset[str], bool]] = {
    # (moves it does without, takes start forms)
    # VIVE's reference programme: the backbone, measured with both start forms (§1).
    "paa-vej-til-arbejde": (frozenset(), True),
    # OPH: visitation, job creation, internship, follow-up; no group courses, no forms (§2.3).
    "oph": (frozenset({"join_group", "complete_group"}), False),
    # MB: a year of rehabilitation with praktik and further education; no forms (§2.2).
    "mb": (frozenset({"join_group", "complete_group"}), False),
    # Drop-in centres: outreach contacts, no praktik, no measurement forms (§3).
    "vaerestedsmodel": (
        frozenset({"start_praktik", "end_praktik", "measure", "measure_follow_up"}),
        False,
    ),
    # Faxe match group 3: the whole backbone, without the VIVE forms (§4).
    "faxe-m3": (frozenset(), False),
}


def allowed_at_rest(programme: str, state: CourseState) -> set[str]:
    left_out, _ = PROGRAMMES[programme]
    rules = {t for t, rule in RULES.items() if state in rule.sources}
    return rules - AUTOMATIC - left_out


def test_every_shipped_programme_has_its_expectations() -> None:
    assert set(PROGRAMMES) == set(shipped().names())


CASES = [
    (programme, state, trigger)
    for programme in PROGRAMMES
    for state in CourseState
    for trigger in COMMANDED_TRIGGERS
]


@pytest.mark.parametrize(
    ("programme", "state", "trigger"),
    CASES,
    ids=[f"{p}-{s.value}-{t}" for p, s, t in CASES],
)
def test_pair(programme: str, state: CourseState, trigger: str) -> None:
    workflow = shipped().workflow(programme)
    left_out, start_forms = PROGRAMMES[programme]
    events = history(STORIES[state])
    command = command_for(trigger, given(events), occurred_on=days_ago(0))

    course = given(events)
    try:
        new = decide(course, command, ACTOR, workflow=workflow,
                     event_at=lambda version: events[version - 1])  # fmt: skip
        then = Then(course, new)
    except MoveRefused as refused:
        then = Then(course, refused=refused)

    rule = RULES[trigger]
    if state in rule.sources and trigger not in left_out:
        assert then.refused is None, then.refused
        names = [type(e).__name__ for e in then.events]
        if trigger == "accept" and not start_forms:
            assert names == ["Accepted", "BaselineCompleted"]
            assert then.events[1].occurred_on == days_ago(0)
            assert then.course.state is S.ACTIVE
        elif state is S.BASELINE and not start_forms and rule.dest is None:
            # a course left in baseline (accepted before its programme dropped the start
            # forms) passes it with its next record
            assert names == [rule.event, "BaselineCompleted"]
            assert then.course.state is S.ACTIVE
        else:
            assert names == [rule.event]
            assert then.course.state is (rule.dest or state)
    else:
        assert isinstance(then.refused, MoveRefused), then.refused
        assert (then.refused.trigger, then.refused.state) == (trigger, state.value)
        assert set(then.refused.allowed) == allowed_at_rest(programme, state)
        if trigger in left_out:
            assert then.refused.why == f"not a move of the programme {programme}"
        assert then.course.pending_events == []


@pytest.mark.parametrize("programme", list(PROGRAMMES))
def test_the_allowed_moves_at_rest_are_the_programmes(programme: str) -> None:
    workflow = shipped().workflow(programme)
    for state in CourseState:
        allowed = workflow.allowed(given(history(STORIES[state])))
        assert set(allowed) == allowed_at_rest(programme, state), state


def test_a_programme_without_a_definition_runs_the_backbone() -> None:
    backbone = shipped().workflow("pva")
    for state in CourseState:
        course = given(history(STORIES[state]))
        expected = {t for t, r in RULES.items() if state in r.sources} - AUTOMATIC
        assert set(backbone.allowed(course)) == expected
