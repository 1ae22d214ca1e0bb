"""Fixtures for the command line: run `forloeb` in-process on a fresh SQLite store."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import forloeb
from tests.conftest import initialised

Run = Callable[..., Result]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The SQLite file the commands share, initialised."""
    return initialised(tmp_path / "forloeb.sqlite")


@pytest.fixture
def run(db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Invoke `forloeb ARGS...` as user anna on the test store; returns click's Result."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("FORLOEB_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "160")  # tables as a wide terminal shows them, unwrapped
    runner = CliRunner()

    def invoke(*args: str, user: str = "anna", input: str | None = None) -> Result:
        return runner.invoke(
            forloeb, ["--db", str(db_path), "--as", user, *args], input=input
        )

    return invoke


@pytest.fixture
def run_json(run: Run) -> Callable[..., Any]:
    """Invoke a command with --format json, insist it succeeds, return the parsed output."""

    def invoke(*args: str) -> Any:
        result = run(*args, "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return invoke


CPR = "010190-1234"


@pytest.fixture
def referred(run_json: Callable[..., Any]) -> str:
    """The full id of a freshly referred course (citizen 010190-1234, programme pva)."""
    outcome = run_json(
        "refer", "--cpr", CPR, "--programme", "pva", "--referring-caseworker", "bo",
        "--occurred-on", "2019-01-02",
    )
    course_id: str = outcome["course_id"]
    return course_id


def event_names(run_json: Callable[..., Any], course: str) -> list[str]:
    """The names of the course's events, in order (read through `show --format json`)."""
    return [row["event"] for row in run_json("show", course)["history"]]
