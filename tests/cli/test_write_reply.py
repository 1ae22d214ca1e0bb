"""Every write's JSON is its model (`cli.read_models.write_reply`), checked on real output.

Given a course, when write commands and an import run with `--format json` (embedded on
SQLite and PostgreSQL, and remote), then each reply validates strictly against WriteReply
or ImportReply, and a recorded event is keyed as a history entry is: `version`, `type`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cli.read_models.write_reply import ImportReply, WriteReply
from tests.cli.conftest import Run

pytestmark = pytest.mark.all_modes
"""Embedded on SQLite and PostgreSQL, and remote through a server (tests/cli/conftest.py)."""


def write_json(run: Run, *args: str) -> tuple[WriteReply, dict[str, Any]]:
    """The write's reply as its model (strictly validated) and as the plain JSON."""
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return WriteReply.model_validate_json(result.stdout, strict=True), json.loads(result.stdout)


def test_each_writes_reply_is_the_write_model_with_the_history_entrys_keys(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    _, plain = write_json(run, "accept", referred, "--consultant", "mette",
                          "--occurred-on", "2019-01-03", "--command-id", "acc-1")  # fmt: skip
    corrected, _ = write_json(run, "correct", referred, "--version", "2", "--set",
                              "consultant=anna", "--reason", "wrong consultant")  # fmt: skip
    repeated, _ = write_json(run, "accept", referred, "--consultant", "mette",
                             "--command-id", "acc-1")  # fmt: skip

    assert plain == {"course_id": referred, "skipped": False, "state": "baseline",
                     "events": [{"version": 2, "type": "Accepted"}]}  # fmt: skip
    assert [(e.version, e.type) for e in corrected.events] == [(3, "Corrected")]
    assert (repeated.skipped, repeated.events, repeated.state) == (True, [], "baseline")
    history = run_json("show", referred)["history"]
    assert [(e["version"], e["type"]) for e in history[1:3]] == [(2, "Accepted"), (3, "Corrected")]


def test_an_imports_reply_is_the_import_model(run: Run, referred: str, tmp_path: Path) -> None:
    lines = [
        {"command": "accept", "course": referred, "consultant": "mette"},
        {"command": "praktik end", "course": referred, "outcome": "completed"},
        {"command": "teleport", "course": referred},
    ]
    file = tmp_path / "lines.jsonl"
    file.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")

    result = run("import", str(file), "--format", "json")

    assert result.exit_code == 1, result.output
    reply = ImportReply.model_validate_json(result.stdout, strict=True)
    assert (reply.lines, reply.applied, reply.skipped) == (3, 1, 0)
    move, unknown = reply.refused
    assert move.refused_move is not None and move.refused_move.move == "praktik end"
    assert (unknown.line, unknown.refused_move) == (3, None)
