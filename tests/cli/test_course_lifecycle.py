"""A whole course through the command line, from referral to follow-up and correction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.cli.conftest import Run, event_names

pytestmark = pytest.mark.all_modes
"""Embedded on SQLite and PostgreSQL, and remote through a server (tests/cli/conftest.py)."""


def test_a_full_course_records_every_step_in_order(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    course = referred[:8]
    steps = [
        ("accept", course, "--consultant", "mette", "--occurred-on", "2019-01-10"),
        ("measure", course, "--point", "1", "--form", "citizen", "--who5", "3,2,1,2,3",
         "--mental-health", "poor", "--bip", "job_belief=3,job_search=dont_know",
         "--occurred-on", "2019-02-01"),
        ("measure", course, "--point", "1", "--form", "staff", "--diagnosis", "yes",
         "--alcohol", "some", "--daily-functioning", "3", "--network-meeting", "no",
         "--occurred-on", "2019-02-01"),
        ("session", course, "--note", "first talk after baseline", "--occurred-on", "2019-02-05"),
        ("meeting", course, "--participants", "mette,bo", "--occurred-on", "2019-03-01"),
        ("praktik", "start", course, "--employer", "Netto", "--hours-per-week", "10",
         "--planned-end", "2019-06-30", "--occurred-on", "2019-04-01"),
        ("praktik", "end", course, "--outcome", "completed", "--occurred-on", "2019-06-30"),
        ("job", "start", course, "--employer", "Netto", "--hours-per-week", "20",
         "--occurred-on", "2019-08-01"),
        ("exit", course, "--planned", "--occurred-on", "2019-12-01"),
        ("follow-up", course, "--outcome", "employed", "--occurred-on", "2021-12-01"),
        ("correct", course, "--version", "3", "--reason", "calm was 4",
         "--set", "answers.who5.calm=4"),
    ]
    for step in steps:
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)
        assert result.stdout.startswith(f"course {course}: recorded #")

    assert event_names(run_json, course) == [
        "Referred", "Accepted", "MeasurementRecorded", "MeasurementRecorded",
        "BaselineCompleted", "SessionHeld", "NetworkMeetingHeld", "PraktikStarted",
        "PraktikEnded", "JobStarted", "ExitedPlanned", "FollowUpRecorded", "Corrected",
    ]
    report = run_json("show", course)
    assert report["state"] == "exited_planned"
    assert report["state_since"] == "2019-12-01"
    assert report["consultant"] == "mette"
    assert report["allowed_next"] == ["measure --follow-up", "complete", "follow-up", "correct"]


def test_the_second_baseline_form_completes_the_baseline_automatically(
    run: Run, referred: str
) -> None:
    run("accept", referred, "--consultant", "mette")
    run("measure", referred, "--point", "1", "--form", "citizen")

    result = run("measure", referred, "--point", "1", "--form", "staff")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"course {referred[:8]}: recorded #4 MeasurementRecorded, #5 BaselineCompleted; "
        "state active"
    )


def test_json_output_gives_the_outcome_with_sequence_numbers_and_state(
    run_json: Callable[..., Any], referred: str
) -> None:
    outcome = run_json("accept", referred, "--consultant", "mette")

    assert outcome == {
        "course_id": referred,
        "skipped": False,
        "events": [{"version": 2, "type": "Accepted"}],
        "state": "baseline",
    }


def test_a_repeated_command_id_is_skipped_and_records_nothing(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    first = run("accept", referred, "--consultant", "mette", "--command-id", "acc-1")
    again = run("accept", referred, "--consultant", "mette", "--command-id", "acc-1")

    assert first.exit_code == again.exit_code == 0
    assert "already applied (command id acc-1); nothing recorded" in again.stdout
    assert event_names(run_json, referred) == ["Referred", "Accepted"]


def test_show_masks_the_cpr_and_marks_corrections_beside_the_corrected_event(
    run: Run, referred: str
) -> None:
    run("session", referred, "--note", "typo here")
    run("correct", referred, "--version", "2", "--reason", "wrong note", "--set", "note=fixed")

    shown = run("show", referred)

    assert shown.exit_code == 0, shown.output
    assert "010190-xxxx" in shown.stdout
    assert "1234" not in shown.stdout.replace(referred, "")
    session_line = next(line for line in shown.stdout.splitlines() if "SessionHeld" in line)
    assert "corrected by #3" in session_line
    correction_line = next(line for line in shown.stdout.splitlines() if "Corrected" in line)
    assert "corrects #2 SessionHeld: note=fixed; reason: wrong note" in correction_line


def test_a_retraction_is_marked_and_drops_the_measurement(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    run("accept", referred, "--consultant", "mette")
    run("measure", referred, "--point", "1", "--form", "citizen")

    result = run("correct", referred, "--version", "3", "--reason", "wrong citizen", "--retract")

    assert result.exit_code == 0, result.output
    report = run_json("show", referred)
    assert report["measurements"] == []
    measured = report["history"][2]
    assert (measured["retracted"], measured["corrected_by"]) == (True, [4])


def test_an_unplanned_exit_needs_a_reason_and_records_it(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    result = run("exit", referred, "--unplanned", "--reason", "moved_municipality")

    assert result.exit_code == 0, result.output
    history = run_json("show", referred)["history"]
    assert history[-1]["type"] == "ExitedUnplanned"
    assert history[-1]["details"]["reason"] == "moved_municipality"


def test_the_actor_is_the_global_user_unless_the_command_names_one(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    run("session", referred, user="bo")
    run("session", referred, "--actor", "mette", user="bo")

    history = run_json("show", referred)["history"]

    assert [row["actor"] for row in history] == ["anna", "bo", "mette"]
    assert [row["recorded_by"] for row in history] == ["anna", "bo", "bo"]


def test_group_course_and_reassignment_commands(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    run("accept", referred, "--consultant", "mette")
    for step in (
        ("group", "join", referred, "--group-course", "angst-hold-1"),
        ("group", "complete", referred, "--group-course", "angst-hold-1"),
        ("treatment-plan", referred),
        ("reassign", referred, "--consultant", "bo", "--reason", "mette left"),
    ):
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)

    assert run_json("show", referred)["consultant"] == "bo"


def test_education_start_and_end_move_the_course_and_back(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    run("accept", referred, "--consultant", "mette")
    run("measure", referred, "--point", "1", "--form", "citizen")
    run("measure", referred, "--point", "1", "--form", "staff")

    started = run("education", "start", referred, "--institution", "VUC")
    ended = run("education", "end", referred)

    assert started.exit_code == ended.exit_code == 0
    assert "state education" in started.stdout
    assert run_json("show", referred)["state"] == "active"
