"""`forloeb demo`: the demo cohort goes in through the import path and is shown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import cli.demo
from tests.cli.conftest import Run


def tiny_cohort(size: int, seed: int) -> Iterator[dict[str, Any]]:
    """Two courses per size unit: one accepted, one only referred."""
    for n in range(size):
        cpr = f"0101{seed % 100:02d}{n:04d}"
        yield {"command": "refer", "command_id": f"r{seed}-{n}", "cpr": cpr,
               "programme": "pva", "referring_caseworker": "bo"}
        if n % 2 == 0:
            yield {"command": "accept", "command_id": f"a{seed}-{n}", "course": cpr,
                   "consultant": "mette"}


def test_demo_loads_the_cohort_and_shows_states_and_one_history(
    run: Run, run_json: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli.demo, "cohort_generator", lambda: tiny_cohort)

    result = run("demo", "--size", "4", "--seed", "90")

    assert result.exit_code == 0, result.output
    assert "6 lines, 6 applied, 0 skipped (already applied), 0 refused" in result.stdout
    assert "4 courses by state" in result.stdout
    assert "history" in result.stdout
    states = sorted(row["state"] for row in run_json("courses"))
    assert states == ["baseline", "baseline", "visitation", "visitation"]


def test_the_real_demo_cohort_loads_without_refusals_and_only_once(
    run: Run, run_json: Callable[..., Any]
) -> None:
    first = run("demo", "--size", "8", "--seed", "7")
    second = run("demo", "--size", "8", "--seed", "7")

    assert first.exit_code == 0, first.output
    assert " 0 refused" in first.stdout.splitlines()[0]
    assert " 0 applied, " in second.stdout.splitlines()[0]
    assert len(run_json("courses")) == 8
