"""Hostile input, from the corpus in `cases/`: every case gets its documented answer.

For each case: the exit code is the documented one (2 bad input, 1 refused,
0 for harmless reads and legitimate text), the error is ONE line naming the
field, no trace reaches the screen, and a refused command leaves the event
log and every read view exactly as they were. A legitimate-text case adds
exactly its events, and its text comes back verbatim through `show --format
json`. A sample of cases runs again through the installed command.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from cli.show import compact_items
from tests.hostile.conftest import USER, HostileStore
from tests.hostile.corpus import (
    COURSE_IDS,
    DANGLING,
    PIPE,
    Case,
    load_cases,
    placeholder_values,
)

CASES = load_cases()
FORLOEB = Path(sys.executable).parent / "forloeb"
SHOWN_REFUSALS = 50
"""`forloeb import` lists at most this many refused lines, then one line for the rest."""

_SUMMARY = re.compile(
    r"^import .*: (\d+) lines, (\d+) applied, (\d+) skipped \(already applied\), (\d+) refused$"
)
_CONFIRMATION = re.compile(r"^course ([0-9a-f]{8}): ")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters a terminal would act on (tab and newline are only layout)."""


def _param(case: Case) -> Any:
    marks: list[Any] = []
    if case.bug:
        marks.append(pytest.mark.xfail(strict=True, reason=f"bug: {case.bug}"))
    if case.slow:
        marks.append(pytest.mark.slow)
    return pytest.param(case, id=case.id, marks=marks)


def prepare_files(case: Case, folder: Path) -> dict[str, str]:
    """The placeholders' values, with the files they name made in the folder: the import
    file (for an import case) and the dangling symbolic link."""
    values = placeholder_values(folder / "input.jsonl")
    if case.is_import:
        (folder / "input.jsonl").write_bytes(case.file_body(values))
    (folder / DANGLING).symlink_to(folder / "nowhere.json")
    os.mkfifo(folder / PIPE)
    return values


def check_answer(case: Case, values: Mapping[str, str], code: int, out: str, err: str) -> None:
    """The exit code, the one line with the fragment, no trace."""
    fragment = case.expected_fragment(values)
    assert "Traceback" not in out + err, out + err
    leaked = _CONTROL.search(out + err)
    assert leaked is None, f"control character {leaked.group()!r} reaches the terminal: {err!r}"
    assert code == case.exit, f"exit {code}, expected {case.exit}\nstdout: {out}\nstderr: {err}"
    if case.runs_import and code in (0, 1):
        check_import_summary(case, fragment, out, err)
    elif code != 0:
        assert out == "", out
        lines = err.splitlines()
        assert len(lines) == 1, f"not one line: {err!r}"
        assert lines[0].startswith("error: "), lines[0]
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    else:
        assert err == "", err
        lines = out.splitlines()
        assert len(lines) == 1, f"not one line: {out!r}"
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


def check_import_summary(case: Case, fragment: str, out: str, err: str) -> None:
    """The summary line, then one line per refused line (each reason on its own line)."""
    assert err == "", err
    lines = out.splitlines()
    summary = _SUMMARY.match(lines[0]) if lines else None
    assert summary is not None, f"no summary line: {out[:500]!r}"
    _, applied, _, refused = (int(n) for n in summary.groups())
    shown = min(refused, SHOWN_REFUSALS)
    rows = lines[1 : 1 + shown]
    assert all(row.startswith("  line ") for row in rows), rows
    assert len(lines) == 1 + shown + (refused > SHOWN_REFUSALS), f"a reason spans lines: {out!r}"
    if case.accepted is None:
        assert applied == 0, lines[0]
    if case.exit == 1:
        assert any(fragment in row for row in rows), f"{fragment!r} not in {rows[:5]!r}"
    else:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


def check_accepted(
    case: Case, values: Mapping[str, str], store: HostileStore, head: int, out: str
) -> None:
    """Exactly the expected events were added, and the text reads back verbatim."""
    expected = case.expected_accepted(values)
    assert expected is not None
    assert sorted(store.topics_after(head)) == sorted(expected.log)
    after = store.snapshot()
    assert after.positions["course_list"] == after.head, "course list not caught up"
    course = expected.course
    if course is None:
        confirmation = _CONFIRMATION.match(out)
        assert confirmation is not None, out
        course = confirmation.group(1)
    shown = store.run(["show", course, "--format", "json"])
    assert shown.exit_code == 0, shown.output
    history = json.loads(shown.stdout)["history"]
    new_rows = history[-len(expected.history) :]
    assert [row["type"] for row in new_rows] == list(expected.history)
    details = "\n".join(item for row in new_rows for item in compact_items(row["details"]))
    for text in expected.roundtrip:
        assert text in details, f"{text!r} not verbatim in {details!r}"


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_hostile_input_gets_its_documented_answer_and_changes_nothing_else(
    case: Case, hostile_store: HostileStore, tmp_path: Path
) -> None:
    values = prepare_files(case, tmp_path)
    hostile_store.catch_up()
    before = hostile_store.snapshot()

    result = hostile_store.run(case.command_line(values))

    check_answer(case, values, result.exit_code, result.stdout, result.stderr)
    if case.accepted is None:
        assert hostile_store.snapshot() == before, "a refused command changed the store"
    else:
        check_accepted(case, values, hostile_store, before.head, result.stdout)


def test_the_session_store_holds_a_course_in_every_state_the_corpus_names(
    hostile_store: HostileStore,
) -> None:
    listed = hostile_store.run(["courses", "--format", "json"])

    states = {row["course_id"]: row["state"] for row in json.loads(listed.stdout)["courses"]}
    assert {states[course_id] for course_id in COURSE_IDS.values()} == {
        state for state in COURSE_IDS if state != "scratch"
    }
    assert all(states[course_id] == state for state, course_id in COURSE_IDS.items()
               if state != "scratch")


def test_the_unchanged_store_check_sees_one_written_event(hostile_store: HostileStore) -> None:
    before = hostile_store.snapshot()

    written = hostile_store.run(["session", COURSE_IDS["scratch"], "--note", "probe"])

    after = hostile_store.snapshot()
    assert written.exit_code == 0, written.output
    assert after.head == before.head + 1
    assert after.positions["course_list"] == after.head
    assert after.views["course_list"] != before.views["course_list"]
    assert after.courses != before.courses


SUBPROCESS_CASES = [case for case in CASES if case.subprocess]


@pytest.mark.subprocess
@pytest.mark.parametrize("case", [_param(case) for case in SUBPROCESS_CASES])
def test_the_installed_command_answers_hostile_input_without_a_trace(
    case: Case, hostile_store: HostileStore, tmp_path: Path
) -> None:
    values = prepare_files(case, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORLOEB_")}
    env["FORLOEB_MASTER_KEY"] = os.environ["FORLOEB_MASTER_KEY"]  # the tests' key
    env["FORLOEB_KEK_DIR"] = os.environ["FORLOEB_KEK_DIR"]  # and key-encryption keys
    env["FORLOEB_CONFIG"] = str(hostile_store.config)
    env["XDG_STATE_HOME"] = str(hostile_store.state_home)
    hostile_store.catch_up()
    before = hostile_store.snapshot()

    process = subprocess.run(
        [str(FORLOEB), "--db", str(hostile_store.db), "--as", USER,
         *case.command_line(values)],
        env=env, capture_output=True, timeout=60, check=False,
    )

    out = process.stdout.decode("utf-8", errors="replace")
    err = process.stderr.decode("utf-8", errors="replace")
    check_answer(case, values, process.returncode, out, err)
    if case.accepted is None:
        assert hostile_store.snapshot() == before, "a refused command changed the store"
