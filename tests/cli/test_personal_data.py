"""Personal data on screen and in the log: the full CPR number only in the audit view,
free-text notes never in an error message or the error log."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

import workflows.service
from tests.cli.conftest import CPR, Run

pytestmark = pytest.mark.all_modes
"""Embedded on SQLite and PostgreSQL, and remote through a server (tests/cli/conftest.py)."""

FULL = (CPR, CPR.replace("-", ""))
"""The test citizen's CPR number, as typed and as stored."""
MARKER = "Zq7xMarkerNote"
"""A word that only ever appears inside a free-text note."""


CPR_SHAPED = re.compile(r"(?<!\w)\d{6}-?\d{4}(?!\w)")
"""Any CPR number, valid or not, with or without its dash."""


def shows_full_cpr(result: Result) -> bool:
    return CPR_SHAPED.search(result.stdout + result.stderr) is not None


@pytest.fixture
def course(run: Run, run_json: Callable[..., Any], referred: str) -> str:
    """The citizen's course: accepted, baseline complete, one session with a note."""
    steps = [
        ("accept", referred, "--consultant", "mette", "--occurred-on", "2019-01-05"),
        ("measure", referred, "--point", "1", "--form", "citizen", "--who5", "1,2,3,4,5",
         "--occurred-on", "2019-01-10"),
        ("measure", referred, "--point", "1", "--form", "staff", "--diagnosis", "no",
         "--occurred-on", "2019-01-10"),
        ("session", referred, "--note", f"talked about {MARKER}", "--occurred-on", "2019-01-12"),
    ]  # fmt: skip
    for step in steps:
        assert run(*step).exit_code == 0
    return referred


def test_the_full_cpr_appears_in_the_audit_view_only(
    run: Run, course: str, tmp_path: Path
) -> None:
    bad_lines = tmp_path / "bad.jsonl"
    bad_lines.write_text(
        json.dumps({"command": "refer", "cpr": CPR, "programme": "pva",
                    "referring_caseworker": "bo"}) + "\n"  # already open: refused
        + json.dumps({"command": "session", "course": CPR.replace("01", "32", 1)}) + "\n"
        + json.dumps({"command": "praktik end", "course": CPR}) + "\n"
    )  # fmt: skip
    as_of = ("--as-of", "2019-04-15")
    outcomes = ("--programme", "pva", *as_of)
    elsewhere = [
        ("show", course), ("show", CPR), ("show", course, "--format", "json"),
        ("courses",), ("courses", "--citizen", CPR, "--format", "json"),
        ("caseload", *as_of), ("caseload", "--consultant", "mette", *as_of, "--format", "json"),
        ("due", *as_of, "--within", "400"), ("due", *as_of, "--format", "json"),
        ("outcomes", *outcomes), ("outcomes", *outcomes, "--format", "json"),
        ("export", *outcomes, "--out", str(tmp_path / "x")),
        ("import", str(bad_lines)), ("import", str(bad_lines), "--format", "json"),
        ("accept", CPR, "--consultant", "bo"),  # refused: not in visitation
        ("session", "320190-1234"),  # not a valid CPR: the reference is quoted back
        ("refer", "--cpr", CPR, "--programme", "pva", "--referring-caseworker", "bo"),
        ("correct", course, "--version", "1", "--reason", "x", "--set", f"cpr={CPR}"),
        ("projections", "status"), ("verify", "--all"),
        ("citizen", "export", CPR, "--out", str(tmp_path / "citizen.json")),
    ]  # fmt: skip
    for args in elsewhere:
        result = run(*args)
        assert not shows_full_cpr(result), (args, result.output)
    assert not any(cpr in f.read_text() for f in (tmp_path / "x").iterdir() for cpr in FULL)
    assert CPR in (tmp_path / "citizen.json").read_text()  # the citizen's own copy: in full

    audit = run("audit", CPR, "--purpose", "checking the masking")
    assert audit.exit_code == 0, audit.output
    assert CPR in audit.stdout


def error_log(tmp_path: Path) -> str:
    log = tmp_path / "state" / "forloeb" / "errors.log"
    return log.read_text() if log.exists() else ""


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("session", "{c}", "--note", MARKER + "x" * 2001), 2),  # too long
        (("session", "{c}", "--note", MARKER + "\x07"), 2),  # a control character
        (("session", "{c}", "--note", MARKER, "--occurred-on", "2099-01-01"), 2),
        (("praktik", "end", "{c}", "--note", MARKER), 1),  # refused: no praktik
        (("correct", "{c}", "--version", "4", "--reason", "x",
          "--set", f"{MARKER} forgot the equals sign"), 2),
        (("correct", "{c}", "--version", "4", "--reason", "x", "--set", f"note={MARKER}\x1b"), 2),
        (("correct", "{c}", "--version", "4", "--reason", "x", "--set", "note=" + "[" * 5000), 2),
        (("correct", "{c}", "--version", "99", "--reason", MARKER, "--set", "note=x"), 2),
        (("exit", "{c}", "--unplanned", "--reason", "other", "--detail", MARKER * 200), 2),
    ],
)  # fmt: skip
def test_free_text_never_reaches_an_error_message_or_the_log(
    run: Run, course: str, tmp_path: Path, args: tuple[str, ...], code: int
) -> None:
    result = run(*(arg.replace("{c}", course) for arg in args))

    assert result.exit_code == code, result.output
    assert MARKER not in result.stderr + result.stdout
    assert MARKER not in error_log(tmp_path)


def test_refused_import_lines_do_not_quote_their_notes(
    run: Run, course: str, tmp_path: Path
) -> None:
    lines = tmp_path / "notes.jsonl"
    lines.write_text(
        json.dumps({"command": "session", "course": course, "note": MARKER * 300}) + "\n"
        + json.dumps({"command": "praktik end", "course": course, "note": MARKER}) + "\n"
        + json.dumps({"command": "session", "course": course, "note": MARKER + "\u0000"}) + "\n"
        + json.dumps({"command": "session", "course": course, "note": [MARKER]}) + "\n"
    )  # fmt: skip

    for output in ("table", "json"):
        result = run("import", str(lines), "--format", output)
        assert result.exit_code == 1, result.output
        assert MARKER not in result.stdout + result.stderr


def test_an_internal_error_is_logged_without_what_it_quotes(
    run: Run, course: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"could not handle note {MARKER} of {CPR}")

    monkeypatch.setattr(workflows.service.CourseService, "execute", broken)

    result = run("session", course, "--note", MARKER)

    assert result.exit_code == 3
    log = error_log(tmp_path)
    assert "RuntimeError" in log and "in broken" in log  # the trace is there
    assert MARKER not in log and CPR not in log
    assert MARKER not in result.stderr
