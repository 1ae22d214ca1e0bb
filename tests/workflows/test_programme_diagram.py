"""A programme's diagram draws only the states its courses can reach from visitation.

Given a programme's moves, when the workflow is drawn (table, Mermaid, dot), then a
state no move of the programme leads to, and the moves starting from it, are left out;
the backbone still draws every state.
"""

from __future__ import annotations

from domain.values import CourseState
from programmes.catalogue import shipped
from workflows import diagram
from workflows.machine import MOVES, Move, programme_moves

S = CourseState


def moves_of(programme: str) -> tuple[Move, ...]:
    definition = shipped().get(programme)
    assert definition is not None
    return programme_moves(definition)


def test_the_backbone_reaches_every_state() -> None:
    assert diagram.reachable(MOVES) == frozenset(CourseState)
    assert diagram.states() == [state.value for state in CourseState]


def test_the_drop_in_model_never_reaches_praktik() -> None:
    moves = moves_of("vaerestedsmodel")
    assert diagram.reachable(moves) == frozenset(CourseState) - {S.PRAKTIK}
    assert "praktik" not in diagram.states(moves)
    assert all("praktik" not in row.sources for row in diagram.rows(moves))
    assert "praktik" not in diagram.mermaid(False, moves)
    assert "praktik" not in diagram.dot(False, moves)


def test_a_state_only_reached_through_a_left_out_move_goes_with_its_moves() -> None:
    without_jobs = tuple(m for m in MOVES if m.trigger not in ("start_job", "start_praktik"))
    kept = diagram.reachable(without_jobs)
    assert S.JOB not in kept and S.PRAKTIK not in kept
    assert S.EDUCATION in kept and S.EXITED_PLANNED in kept
    triggers = {row.trigger for row in diagram.rows(without_jobs)}
    assert "end_job" not in triggers  # its only source, job, is unreachable
    assert "end_praktik" not in triggers
    exit_planned = next(r for r in diagram.rows(without_jobs) if r.trigger == "exit_planned")
    assert exit_planned.sources == ("education",)


def test_every_shipped_programme_draws_only_reachable_sources() -> None:
    for name in shipped().names():
        moves = moves_of(name)
        drawn = set(diagram.states(moves))
        for row in diagram.rows(moves):
            assert set(row.sources) <= drawn, (name, row.trigger)
            assert row.dest is None or row.dest in drawn, (name, row.trigger)
