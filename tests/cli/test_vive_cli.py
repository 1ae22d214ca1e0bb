"""VIVE's instruments through `forloeb measure`, and its tables through `forloeb outcomes`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.cli.conftest import Run

pytestmark = pytest.mark.all_modes

PVA = ("--programme", "pva")


def started(run: Run, course: str) -> None:
    """Accept the course and take its start forms with VIVE's items."""
    steps = [
        ("accept", course, "--consultant", "mette", "--occurred-on", "2019-01-10"),
        ("measure", course, "--point", "1", "--form", "citizen", "--mental-health", "poor",
         "--bip", "job_idea=2,energy=dont_know", "--occurred-on", "2019-02-01"),
        ("measure", course, "--point", "1", "--form", "staff", "--sex", "female",
         "--nationality", "danish", "--mental-limit", "high", "--own-economy", "dont_know",
         "--everyday-functions", "limited", "--session-frequency", "weekly",
         "--bip", "goal_directed=4", "--occurred-on", "2019-02-01"),
    ]  # fmt: skip
    for step in steps:
        assert run(*step).exit_code == 0, (step, run(*step).output)


def rows(report: dict[str, Any], name: str) -> dict[str, list[Any]]:
    [found] = [t for t in report["tables"] if t["name"] == name]
    return {row["label"]: [c["value"] for c in row["cells"]] for row in found["rows"]}


def test_measure_takes_vives_items_and_outcomes_counts_them(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    started(run, referred)

    report = run_json("outcomes", *PVA, "--as-of", "2019-04-15", "--table", "4.1",
                      "--table", "4.7")  # fmt: skip

    assert [t["name"] for t in report["tables"]] == ["4.1", "4.7"]
    sex = rows(report, "4.1")
    assert sex["Køn: Kvinde"][:2] == [1, 100]
    assert sex["Nationalitet: Dansk"][:2] == [1, 100]
    able = rows(report, "4.7")
    assert able["Dagligdags funktioner: I begrænset grad"][:2] == [1, 100]
    assert able["Egen økonomi: Ved ikke"][:2] == [1, 100]


def test_a_table_is_chosen_by_its_vive_number_or_its_name(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    started(run, referred)

    report = run_json("outcomes", *PVA, "--table", "6.5", "--table", "status")

    assert [t["name"] for t in report["tables"]] == [
        "status", "mental_health", "physical_health"
    ]  # fmt: skip


def test_an_unknown_table_is_refused(run: Run, referred: str) -> None:
    result = run("outcomes", *PVA, "--table", "7.1")

    assert result.exit_code == 2
    assert "--table" in result.output and "unknown table '7.1'" in result.output


def test_an_answer_off_the_scale_is_refused_naming_the_item(run: Run, referred: str) -> None:
    run("accept", referred, "--consultant", "mette", "--occurred-on", "2019-01-10")

    result = run("measure", referred, "--point", "1", "--form", "staff", "--own-economy", "rich")

    assert result.exit_code == 2
    assert "own-economy" in result.output or "own_economy" in result.output


def test_background_half_answered_is_refused_and_nothing_is_recorded(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    run("accept", referred, "--consultant", "mette", "--occurred-on", "2019-01-10")

    result = run("measure", referred, "--point", "1", "--form", "staff", "--sex", "male")

    assert result.exit_code != 0
    assert "background.nationality is required" in result.output
    assert "Traceback" not in result.output
    history = run_json("show", referred)
    assert "MeasurementRecorded" not in str(history)


def test_a_bip_answer_mixing_old_and_new_questions_is_refused(run: Run, referred: str) -> None:
    run("accept", referred, "--consultant", "mette", "--occurred-on", "2019-01-10")

    result = run("measure", referred, "--point", "1", "--form", "citizen",
                 "--bip", "job_belief=2,job_idea=3")  # fmt: skip

    assert result.exit_code != 0
    assert "bip_citizen version 2 has no item job_belief" in result.output
