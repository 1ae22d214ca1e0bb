"""Every read command's JSON is its model (`cli.read_models`), checked on real output.

Given a course referred, accepted and corrected, when each read command runs with
`--format json` (embedded on SQLite and PostgreSQL, and remote), then its output
validates strictly against its model: every key present, none other, each of its
type; timestamps in UTC with `+00:00`; a masked CPR only under `cpr_masked`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from cli.read_models import READ_MODELS, AuditReport, CitizenExport, CourseList, CourseReport
from tests.cli.conftest import CPR, Run

pytestmark = pytest.mark.all_modes
"""Embedded on SQLite and PostgreSQL, and remote through a server (tests/cli/conftest.py)."""

READS: dict[str, tuple[str, ...]] = {
    "audit": ("audit", CPR, "--purpose", "schema check"),
    "caseload": ("caseload", "--as-of", "2019-06-01"),
    "courses": ("courses",),
    "due": ("due", "--as-of", "2019-06-01", "--within", "90"),
    "programmes-list": ("programmes", "list"),
    "programmes-outcomes": ("programmes", "outcomes", "pva", "--as-of", "2019-06-01"),
    "programmes-show": ("programmes", "show", "paa-vej-til-arbejde"),
    "projections-status": ("projections", "status"),
    "projections-verify": ("projections", "verify"),
    "show": ("show", "{course}"),
    "tokens-list": ("tokens", "list"),
    "users-list": ("users", "list"),
    "verify": ("verify", "--all"),
    "workflow": ("workflow", "--programme", "oph"),
}
"""How each read command is run here (`{course}`: the course of the story)."""

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")
MASKED = re.compile(r"^\d{6}-xxxx$")


@pytest.fixture
def course(run_json: Callable[..., Any]) -> str:
    """A course referred, accepted (by mette), its acceptance corrected; a token made."""
    course_id: str = run_json(
        "refer", "--cpr", CPR, "--programme", "pva", "--referring-caseworker", "bo",
        "--occurred-on", "2019-01-02",
    )["course_id"]  # fmt: skip
    run_json("accept", course_id, "--consultant", "mette", "--occurred-on", "2019-01-03")
    run_json("correct", course_id, "--version", "2", "--set", "consultant=anna",
             "--reason", "wrong consultant", "--occurred-on", "2019-01-04")  # fmt: skip
    run_json("tokens", "create", "anna", "--expires", "2099-12-31")
    return course_id


def read_json(run: Run, args: tuple[str, ...]) -> str:
    """The command's --format json output, insisting it succeeds."""
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return result.stdout


def leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair of scalar leaves, the key being the nearest object key."""
    if isinstance(value, dict):
        for child_key, child in value.items():
            yield from leaves(child, child_key)
    elif isinstance(value, list):
        for child in value:
            yield from leaves(child, key)
    else:
        yield key, value


def test_every_read_command_is_run_here() -> None:
    assert set(READS) | {"citizen-export"} == set(READ_MODELS)


@pytest.mark.parametrize("command", sorted(READS))
def test_a_read_commands_json_is_its_model(run: Run, course: str, command: str) -> None:
    args = tuple(arg.format(course=course) for arg in READS[command])

    text = read_json(run, args)

    model: type[BaseModel] = READ_MODELS[command]
    model.model_validate_json(text, strict=True)  # raises, naming the key, if not
    document = json.loads(text)
    assert isinstance(document, dict)
    for key, value in leaves(document):
        if isinstance(value, str) and TIMESTAMP.match(value):
            assert value.endswith("+00:00"), f"{key}: {value} is not in UTC"
        if isinstance(value, str) and MASKED.match(value):
            assert key == "cpr_masked", f"{key}: holds the masked CPR {value}"


def test_show_and_audit_give_an_event_the_same_entry_but_for_the_cpr(
    run: Run, course: str
) -> None:
    shown = json.loads(read_json(run, ("show", course)))["history"]
    audited = json.loads(read_json(run, READS["audit"]))["history"]

    assert [entry["type"] for entry in shown] == ["Referred", "Accepted", "Corrected"]
    assert shown[1:] == audited[1:]
    assert shown[1]["corrected_by"] == [3] and shown[2]["corrects"] == 2
    assert shown[0]["details"]["cpr_masked"] == "010190-xxxx"
    assert "cpr" not in shown[0]["details"]
    assert audited[0]["details"]["cpr"] == "0101901234"
    assert audited[0]["recorded_at"] == shown[0]["recorded_at"]


def test_the_citizen_export_is_its_model(run: Run, course: str, tmp_path: Path) -> None:
    out = tmp_path / "citizen.json"

    result = run("citizen", "export", CPR, "--out", str(out), "--purpose", "access request")

    assert result.exit_code == 0, result.output
    document = CitizenExport.model_validate_json(out.read_text(), strict=True)
    assert [len(c.history) for c in document.courses] == [3]


def test_an_erased_citizens_audit_and_course_validate_with_nulls(
    run: Run, course: str
) -> None:
    exited = run("exit", course, "--unplanned", "--reason", "not_motivated")
    erased = run("citizen", "erase", CPR, "--reason", "the citizen asked", "--yes")
    assert exited.exit_code == 0, exited.output
    assert erased.exit_code == 0, erased.output

    audit = AuditReport.model_validate_json(
        read_json(run, ("audit", course, "--purpose", "after erasure")), strict=True
    )
    shown = CourseReport.model_validate_json(read_json(run, ("show", course)), strict=True)
    listed = CourseList.model_validate_json(read_json(run, ("courses",)), strict=True)

    assert audit.cpr is None and audit.erasure is not None
    assert audit.erasure.reason == "(erased)"
    assert shown.cpr_masked is None
    assert [row.cpr_masked for row in listed.courses] == [None]


def test_a_verified_course_names_itself_and_has_no_log_head(run: Run, course: str) -> None:
    verified = json.loads(read_json(run, ("verify", course)))

    READ_MODELS["verify"].model_validate_json(json.dumps(verified), strict=True)
    assert (verified["course_id"], verified["log_head"], verified["sealed"]) == (
        course, None, None
    )


def test_verify_with_seal_says_what_it_sealed(run: Run, course: str) -> None:
    report = READ_MODELS["verify"].model_validate_json(
        read_json(run, ("verify", "--seal")), strict=True
    )

    assert report.model_dump()["sealed"] == {"events": 0, "aggregates": 0, "skipped": []}
