"""Read commands: the course list with its filters, and the workflow table and diagrams."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.cli.conftest import Run
from workflows import commands, diagram
from workflows.machine import MOVES

pytestmark = pytest.mark.all_modes
"""Embedded on SQLite and PostgreSQL, and remote through a server (tests/cli/conftest.py)."""


def refer(run_json: Callable[..., Any], cpr: str, programme: str = "pva") -> str:
    outcome = run_json("refer", "--cpr", cpr, "--programme", programme,
                       "--referring-caseworker", "bo")
    course_id: str = outcome["course_id"]
    return course_id


def test_courses_lists_every_course_with_the_cpr_masked(
    run: Run, run_json: Callable[..., Any]
) -> None:
    first = refer(run_json, "010190-1234")
    second = refer(run_json, "020290-2345", programme="oph")

    rows = run_json("courses")["courses"]
    table = run("courses")

    assert {row["course_id"] for row in rows} == {first, second}
    assert {row["cpr_masked"] for row in rows} == {"010190-xxxx", "020290-xxxx"}
    assert table.exit_code == 0
    assert first[:8] in table.stdout and second[:8] in table.stdout
    assert "1234" not in table.stdout.replace(first[:8], "").replace(second[:8], "")


def test_courses_filters_by_citizen_consultant_state_and_programme(
    run_json: Callable[..., Any]
) -> None:
    first = refer(run_json, "010190-1234")
    second = refer(run_json, "020290-2345", programme="oph")
    run_json("accept", second, "--consultant", "mette")

    def ids(*filters: str) -> list[str]:
        return [row["course_id"] for row in run_json("courses", *filters)["courses"]]

    assert ids("--citizen", "0101901234") == [first]
    assert ids("--consultant", "mette") == [second]
    assert ids("--state", "visitation") == [first]
    assert ids("--programme", "oph") == [second]
    assert ids("--programme", "oph", "--state", "visitation") == []


def test_courses_refuses_a_bad_cpr_filter(run: Run) -> None:
    result = run("courses", "--citizen", "320190-1234")

    assert result.exit_code == 2
    assert result.stderr == "error: citizen: date part 320190 is not a valid date\n"


def test_the_workflow_table_has_one_row_per_move(run: Run, run_json: Callable[..., Any]) -> None:
    listed = run_json("workflow")
    table = run("workflow")

    assert [move["trigger"] for move in listed["moves"]] == [move.trigger for move in MOVES]
    assert listed["states"][0] == "visitation"
    assert "praktik start" in table.stdout
    assert "(automatic)" in table.stdout
    automatic = [move["trigger"] for move in listed["moves"] if move["automatic"]]
    assert automatic == [move.trigger for move in MOVES if move.automatic] != []


def test_the_mermaid_diagram_draws_every_move_between_state_names(run: Run) -> None:
    result = run("workflow", "--diagram", "mermaid")

    assert result.exit_code == 0
    assert "stateDiagram-v2" in result.stdout
    assert "[*] --> visitation" in result.stdout
    for row in diagram.rows():
        if row.dest is not None:
            for source in row.sources:
                assert f"  {source} --> {row.dest}: " in result.stdout, (source, row.dest)
    assert "baseline --> active: complete_baseline [point_one_forms_complete]" in result.stdout


def test_the_dot_diagram_is_graphviz_source_with_the_same_edges(run: Run) -> None:
    result = run("workflow", "--diagram", "dot")

    assert result.exit_code == 0
    assert result.stdout.startswith('digraph "forloeb course workflow" {')
    assert "praktik -> job" in result.stdout
    assert "job -> exited_planned" in result.stdout
    assert "BASELINE" not in result.stdout


def test_every_trigger_a_command_asks_for_has_its_command_name() -> None:
    rows = {row.trigger: row.command for row in diagram.rows()}

    assert rows["start_praktik"] == "praktik start"
    assert rows["exit_planned"] == "exit --planned"
    assert rows["complete_baseline"] == commands.AUTOMATIC
    assert [t for t, c in rows.items() if c == commands.AUTOMATIC] == ["complete_baseline"]
