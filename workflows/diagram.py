"""The workflow as a table and as diagrams, all drawn from the one transitions table.

`rows()` lists the moves with the command that asks for each; `mermaid()` and
`dot()` render the same definition through transitions' GraphMachine (the dot
text comes from the graphviz package's `.source`, so no `dot` binary is needed).
A programme's moves are drawn over the states its courses can reach from the
entry (visitation) under those moves only: a state no move of the programme leads
to, and the moves from it, are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from transitions.extensions import GraphMachine

from domain.values import CourseState
from workflows.commands import AUTOMATIC, command_for
from workflows.machine import MOVES, Move, transitions_table


@dataclass(frozen=True)
class WorkflowRow:
    """One move as a caseworker reads it."""

    command: str
    trigger: str
    sources: tuple[str, ...]
    dest: str | None
    event: str
    guard: str
    automatic: bool = False
    """Made by the workflow when its guard holds, asked for by no command."""

    def as_dict(self) -> dict[str, Any]:
        """The row as plain JSON-ready values."""
        return {
            "command": self.command,
            "trigger": self.trigger,
            "from": list(self.sources),
            "to": self.dest,
            "event": self.event,
            "guard": self.guard,
            "automatic": self.automatic,
        }


def _row(move: Move) -> WorkflowRow:
    return WorkflowRow(
        command=AUTOMATIC if move.automatic else command_for(move.trigger),
        trigger=move.trigger,
        sources=tuple(state.value for state in move.sources),
        dest=move.dest.value if move.dest is not None else None,
        event=move.event.__name__,
        guard=move.guard_text,
        automatic=move.automatic,
    )


def rows(moves: tuple[Move, ...] = MOVES) -> list[WorkflowRow]:
    """Every move of the workflow (or of a programme's `moves`) from a reachable state, in
    table order, its sources the reachable ones."""
    return [_row(move) for move in reachable_moves(moves)]


def reachable(moves: tuple[Move, ...] = MOVES) -> frozenset[CourseState]:
    """The states a course can reach from the entry (visitation) under these moves."""
    found = {CourseState.VISITATION}
    frontier = [CourseState.VISITATION]
    while frontier:
        state = frontier.pop()
        for move in moves:
            if state in move.sources and move.dest is not None and move.dest not in found:
                found.add(move.dest)
                frontier.append(move.dest)
    return frozenset(found)


def reachable_moves(moves: tuple[Move, ...] = MOVES) -> tuple[Move, ...]:
    """The moves with their sources cut to the reachable states (a move from none is gone)."""
    kept = reachable(moves)
    cut = (replace(move, sources=tuple(s for s in move.sources if s in kept)) for move in moves)
    return tuple(move for move in cut if move.sources)


def states(moves: tuple[Move, ...] = MOVES) -> list[str]:
    """The course states reachable under the moves (all, for the backbone), in lifecycle
    order."""
    kept = reachable(moves)
    return [state.value for state in CourseState if state in kept]


def _plain_table(
    state_changes_only: bool = False, moves: tuple[Move, ...] = MOVES
) -> list[dict[str, Any]]:
    """The transitions table with states as plain strings, as the diagram engines need."""
    plain = []
    for transition in transitions_table(reachable_moves(moves)):
        dest = transition["dest"]
        if state_changes_only and dest is None:
            continue
        plain.append(
            {
                **transition,
                "source": [str(state.value) for state in transition["source"]],
                "dest": dest.value if dest is not None else None,
            }
        )
    return plain


class _Model:
    """A bare model for the GraphMachine to attach `get_graph` to."""


def _graph(
    engine: Literal["mermaid", "graphviz"],
    state_changes_only: bool,
    moves: tuple[Move, ...] = MOVES,
    title: str = "forloeb course workflow",
) -> Any:
    model = _Model()
    GraphMachine(
        model=model,
        states=states(moves),
        transitions=_plain_table(state_changes_only, moves),
        initial=CourseState.VISITATION.value,
        auto_transitions=False,
        graph_engine=engine,
        show_conditions=True,
        title=title,
    )
    return model.get_graph()  # type: ignore[attr-defined]


def mermaid(
    state_changes_only: bool = False, moves: tuple[Move, ...] = MOVES, title: str | None = None
) -> str:
    """The workflow (or a programme's `moves`) as a Mermaid state diagram (optionally
    without moves inside a state)."""
    graph = _graph("mermaid", state_changes_only, moves, title or "forloeb course workflow")
    text: str = graph.draw(None)
    return text


def dot(
    state_changes_only: bool = False, moves: tuple[Move, ...] = MOVES, title: str | None = None
) -> str:
    """The workflow (or a programme's `moves`) as Graphviz dot source (optionally without
    moves inside a state)."""
    graph = _graph("graphviz", state_changes_only, moves, title or "forloeb course workflow")
    source: str = graph.source
    return source
