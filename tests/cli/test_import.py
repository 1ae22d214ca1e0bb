"""`forloeb import`: one command per line, each applied or refused on its own."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest

from cli.importer import import_lines
from tests.cli.conftest import Run, event_names
from workflows.service import CourseService

pytestmark = pytest.mark.all_modes
"""Embedded on SQLite and PostgreSQL, and remote through a server (tests/cli/conftest.py)."""

COURSE = str(uuid5(uuid5(NAMESPACE_URL, "https://forloeb.dk/command"), "ref-1"))
"""The id the service derives for a refer line with command_id ref-1."""

GOOD_LINES: list[dict[str, Any]] = [
    {"command": "refer", "command_id": "ref-1", "cpr": "010190-1234", "programme": "pva",
     "referring-caseworker": "bo", "occurred_on": "2019-01-02"},
    {"command": "accept", "command_id": "acc-1", "course": COURSE, "consultant": "mette",
     "occurred_on": "2019-01-10"},
    {"command": "measure", "command_id": "m-1c", "course": COURSE, "point": 1, "form": "citizen",
     "who5": [3, 2, 1, 2, 3], "bip": {"job_belief": 3}, "occurred_on": "2019-02-01"},
    {"command": "measure", "command_id": "m-1s", "course": COURSE, "point": 1, "form": "staff",
     "daily_functioning": "dont_know", "occurred_on": "2019-02-01"},
    {"command": "praktik start", "command_id": "p-1", "course": COURSE, "employer": "Netto",
     "hours_per_week": 10, "planned_end": "2019-06-30", "occurred_on": "2019-04-01"},
]


def write_jsonl(path: Path, lines: list[Any]) -> Path:
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n",
        encoding="utf-8",
    )
    return path


def test_an_import_applies_every_good_line_in_order(
    run: Run, run_json: Callable[..., Any], tmp_path: Path
) -> None:
    file = write_jsonl(tmp_path / "in.jsonl", GOOD_LINES)

    result = run("import", str(file))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"import {file}: 5 lines, 5 applied, 0 skipped (already applied), 0 refused"
    )
    assert event_names(run_json, COURSE) == [
        "Referred", "Accepted", "MeasurementRecorded", "MeasurementRecorded",
        "BaselineCompleted", "PraktikStarted",
    ]


def test_importing_the_same_file_twice_applies_nothing_the_second_time(
    run: Run, run_json: Callable[..., Any], tmp_path: Path
) -> None:
    file = write_jsonl(tmp_path / "in.jsonl", GOOD_LINES)
    run("import", str(file))

    again = run_json("import", str(file))

    assert again == {"lines": 5, "applied": 0, "skipped": 5, "refused": []}
    assert len(event_names(run_json, COURSE)) == 6


def test_a_command_id_reused_for_another_citizens_referral_is_refused_not_skipped(
    run: Run, run_json: Callable[..., Any], tmp_path: Path
) -> None:
    """Skipped as already applied, the second citizen was silently never referred."""
    other = {**GOOD_LINES[0], "cpr": "020290-1236"}
    run("import", str(write_jsonl(tmp_path / "first.jsonl", GOOD_LINES[:1])))

    refused = run("import", str(write_jsonl(tmp_path / "clash.jsonl", [other])), "--format", "json")
    again = run_json("import", str(write_jsonl(tmp_path / "again.jsonl", GOOD_LINES[:1])))

    assert refused.exit_code == 1
    clash = json.loads(refused.stdout)
    assert clash["applied"] == clash["skipped"] == 0
    assert [line["reason"] for line in clash["refused"]] == [
        f"command_id: ref-1 was applied to another referral (course {COURSE}: another "
        "citizen or programme); nothing was written"
    ]
    assert (again["applied"], again["skipped"]) == (0, 1)


def test_a_command_id_reused_for_another_command_on_the_course_is_refused_not_skipped(
    run: Run, run_json: Callable[..., Any], tmp_path: Path
) -> None:
    """Skipped as already applied, the measurement was silently lost."""
    run("import", str(write_jsonl(tmp_path / "first.jsonl", GOOD_LINES[:2])))
    reused = {**GOOD_LINES[2], "command_id": "acc-1"}  # the acceptance's id

    refused = run("import", str(write_jsonl(tmp_path / "clash.jsonl", [reused])), "--format",
                  "json")  # fmt: skip

    assert refused.exit_code == 1
    clash = json.loads(refused.stdout)
    assert clash["applied"] == clash["skipped"] == 0
    assert [line["reason"] for line in clash["refused"]] == [
        f"command_id: acc-1 already recorded Accepted on course {COURSE}, which measure does "
        "not record; nothing was written"
    ]
    assert "MeasurementRecorded" not in event_names(run_json, COURSE)


def test_refused_and_malformed_lines_are_reported_and_do_not_stop_the_others(
    run: Run, run_json: Callable[..., Any], tmp_path: Path
) -> None:
    lines: list[Any] = [
        GOOD_LINES[0],
        "{not json",
        {"command": "teleport", "course": COURSE},
        {"command": "accept", "course": COURSE, "consultant": 42},
        "[1, 2]",
        "",
        {"command": "praktik start", "course": COURSE, "employer": "Netto",
         "hours_per_week": 10, "planned_end": "2019-06-30"},
        GOOD_LINES[1],
    ]
    file = write_jsonl(tmp_path / "mixed.jsonl", lines)

    result = run("import", str(file), "--format", "json")

    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert (report["applied"], report["skipped"]) == (2, 0)
    refused = {entry["line"]: entry["reason"] for entry in report["refused"]}
    assert sorted(refused) == [2, 3, 4, 5, 7]
    assert refused[2].startswith("line: not valid JSON")
    assert refused[3].startswith("command: unknown command 'teleport'")
    assert refused[4] == "consultant: Input should be a valid string"
    assert refused[5] == "line: must be a JSON object, not list"
    assert refused[7].startswith("cannot praktik start a course in state visitation")
    [move] = [entry["refused_move"] for entry in report["refused"] if entry["refused_move"]]
    assert move == {
        "move": "praktik start", "state": "visitation", "why": None,
        "allowed": ["accept", "reject", "session", "meeting", "contact", "segment", "team add",
                    "team remove", "exit --unplanned", "correct"],
    }  # fmt: skip
    assert event_names(run_json, COURSE) == ["Referred", "Accepted"]


def test_the_summary_lists_refused_lines_with_their_reasons(run: Run, tmp_path: Path) -> None:
    file = write_jsonl(tmp_path / "in.jsonl", [GOOD_LINES[0], {"command": "accept"}])

    result = run("import", str(file))

    assert result.exit_code == 1
    assert result.stdout.splitlines()[1:] == ["  line 2: course: Field required"]


def test_a_file_that_is_not_jsonl_at_all_exits_2(run: Run, tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("dear diary\nnothing here is json\n")

    result = run("import", str(file))

    assert result.exit_code == 2
    assert result.stderr == f"error: file: {file} is not JSONL: no line is a JSON object\n"


def test_a_missing_file_exits_2(run: Run, tmp_path: Path) -> None:
    result = run("import", str(tmp_path / "absent.jsonl"))

    assert result.exit_code == 2
    assert result.stderr.startswith("error: file: cannot read ")


def test_import_reads_standard_input_for_a_dash(run: Run) -> None:
    result = run("import", "-", input=json.dumps(GOOD_LINES[0]) + "\n")

    assert result.exit_code == 0, result.output
    assert "1 applied" in result.stdout


@pytest.mark.parametrize("batch_size", [1, 2, 500])
def test_import_lines_gives_the_same_report_whatever_the_batch_size(
    service: CourseService, batch_size: int
) -> None:
    lines = [*GOOD_LINES, {"command": "accept", "course": COURSE, "consultant": "x"}]
    batches: list[int] = []

    report = import_lines(service, lines, "anna", batch_size=batch_size,
                          after_batch=batches.append)

    assert (report.applied, report.skipped) == (5, 0)
    assert [(r.line, r.move["move"], r.move["state"]) for r in report.refused] == [
        (6, "accept", "praktik")
    ]
    assert sum(batches) == 6
    assert service.get_course(uuid5(uuid5(NAMESPACE_URL, "https://forloeb.dk/command"),
                                    "ref-1")).version == 6


def test_a_line_may_name_a_course_referred_earlier_in_the_same_file_by_cpr(
    run: Run, run_json: Callable[..., Any], tmp_path: Path
) -> None:
    lines = [
        {"command": "refer", "cpr": "020290-2345", "programme": "pva",
         "referring_caseworker": "bo"},
        {"command": "accept", "course": "020290-2345", "consultant": "mette"},
        {"command": "session", "course": "0202902345"},
    ]
    file = write_jsonl(tmp_path / "by-cpr.jsonl", lines)

    report = run_json("import", str(file))

    assert report == {"lines": 3, "applied": 3, "skipped": 0, "refused": []}
    assert [row["state"] for row in run_json("courses", "--citizen", "020290-2345")["courses"]] == [
        "baseline"
    ]


def test_an_import_may_name_a_consultant_who_has_left_while_accept_may_not(
    run: Run, run_json: Callable[..., Any], tmp_path: Path
) -> None:
    history = [GOOD_LINES[0], {**GOOD_LINES[1], "consultant": "rk-former"}]
    file = write_jsonl(tmp_path / "history.jsonl", history)

    imported = run("import", str(file))
    reassigned = run("reassign", COURSE, "--consultant", "rk-former", "--reason", "back")

    assert imported.exit_code == 0, imported.output
    assert run_json("show", COURSE)["consultant"] == "rk-former"
    assert reassigned.exit_code == 2
    assert reassigned.stderr.startswith(
        "error: consultant: no user 'rk-former' in the configuration (known: "
    )


def test_lines_end_at_lf_cr_lf_or_cr_alone_and_a_byte_order_mark_is_dropped(
    run: Run, run_json: Callable[..., Any], tmp_path: Path
) -> None:
    first, second = (json.dumps(line) for line in GOOD_LINES[:2])
    file = tmp_path / "mixed.jsonl"
    file.write_bytes(("\ufeff" + first + "\r" + second + "\r\n").encode("utf-8"))

    result = run("import", str(file))

    assert result.exit_code == 0, result.output
    assert ": 2 lines, 2 applied," in result.stdout


def test_stdin_is_imported_like_a_file(run: Run, tmp_path: Path) -> None:
    text = "\n".join(json.dumps(line) for line in GOOD_LINES) + "\n"

    result = run("import", "-", input=text)

    assert result.exit_code == 0, result.output
    assert f": {len(GOOD_LINES)} lines, {len(GOOD_LINES)} applied," in result.stdout
