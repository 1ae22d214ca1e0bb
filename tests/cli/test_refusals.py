"""Refused and bad commands: one line on stderr, the right exit code, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import workflows.service
from cli.main import forloeb
from tests.cli.conftest import Run, event_names

pytestmark = pytest.mark.all_modes
"""Embedded on SQLite and PostgreSQL, and remote through a server (tests/cli/conftest.py)."""


def assert_one_error_line(result: Any, code: int, expected: str) -> None:
    assert result.exit_code == code, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.output


def test_a_move_the_workflow_does_not_allow_exits_1_and_names_the_allowed_commands(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    result = run("praktik", "start", referred, "--employer", "Netto",
                 "--hours-per-week", "10", "--planned-end", "2019-06-30")

    assert_one_error_line(
        result, 1,
        "cannot praktik start a course in state visitation; allowed here: accept, reject, "
        "session, meeting, contact, segment, team add, team remove, exit --unplanned, correct",
    )
    assert event_names(run_json, referred) == ["Referred"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("accept", "{c}"), "consultant: Field required"),
        (("accept", "{c}", "--consultant", "m<tte"), "consultant: String should match pattern"),
        (("accept", "{c}", "--consultant", "mette", "--occurred-on", "2019-13-01"), "occurred_on:"),
        (("accept", "{c}", "--consultant", "mette", "--occurred-on", "2099-01-01"),
         "occurred_on: 2099-01-01 is in the future"),
        (("accept", "{c}", "--consultant", "mette", "--occurred-on", "2018-12-31"),
         "occurred_on: 2018-12-31 is before the referral on 2019-01-02"),
        (("session", "{c}", "--kind", "chat"), "Invalid value for '--kind'"),
        (("session", "{c}", "--bogus", "1"), "No such option '--bogus'"),
        (("exit", "{c}"), "planned: Field required"),
        (("correct", "{c}", "--version", "1", "--reason", "x", "--set", "nonsense"),
         "changes: 'nonsense' is not key=value"),
        (("correct", "{c}", "--version", "1", "--reason", "x", "--set", "cpr=0101901111"),
         "changes.cpr: identity and provenance cannot be corrected"),
        (("correct", "{c}", "--version", "9", "--reason", "x", "--retract"),
         "version: the course has events 1..1, not 9"),
    ],
)
def test_bad_input_exits_2_with_the_field_and_reason(
    run: Run, run_json: Callable[..., Any], referred: str, args: tuple[str, ...], expected: str
) -> None:
    result = run(*(arg.format(c=referred) for arg in args))

    assert_one_error_line(result, 2, expected)
    assert event_names(run_json, referred) == ["Referred"]


def test_a_second_open_course_in_the_same_programme_is_refused(run: Run, referred: str) -> None:
    result = run("refer", "--cpr", "0101901234", "--programme", "pva",
                 "--referring-caseworker", "bo")

    assert_one_error_line(result, 1, "cpr: the citizen already has an open course")


def test_an_unknown_course_exits_1(run: Run, referred: str) -> None:
    result = run("show", "ffffffff-ffff-4fff-8fff-ffffffffffff")

    assert_one_error_line(result, 1, "course: no course ffffffff-")


def test_a_bad_database_url_is_one_error_line_naming_the_option(run: Run) -> None:
    result = run("--database-url", "mysql://x/y", "courses")

    assert result.exit_code in (1, 2), result.output
    assert result.stderr.startswith("error: database_url: ")
    assert len(result.stderr.splitlines()) == 1


def test_an_unexpected_failure_is_one_line_with_its_trace_in_the_log(
    run: Run, referred: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(workflows.service.CourseService, "execute", broken)

    result = run("session", referred)

    assert result.exit_code == 3
    log = tmp_path / "state" / "forloeb" / "errors.log"
    assert result.stderr == f"internal error: RuntimeError; full trace in {log}\n"
    assert "disk on fire" in log.read_text()
    assert "Traceback" not in result.output


def test_no_arguments_shows_the_help() -> None:
    result = CliRunner().invoke(forloeb, [])

    assert result.exit_code == 2
    assert "Commands:" in result.stderr


def test_options_without_a_command_say_the_command_is_missing(run: Run) -> None:
    result = run()

    assert result.exit_code == 2
    assert result.stderr == "error: Missing command.\n"
