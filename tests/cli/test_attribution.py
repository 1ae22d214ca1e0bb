"""Attribution: every event says who recorded it and, when different, on whose behalf.

Given the staffed store (tests/cli/staffed.py), in every mode (SQLite, PostgreSQL, remote): a
write stores the acting user as `recorded_by` beside the `actor`; only an admin
records for someone else, and only for a configured user; `show` and `audit`
name both when they differ. An event stored before `recorded_by` existed reads
as recorded by its actor (tests/workflows/test_persistence.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .staffed import CPRS, Staffed

pytestmark = pytest.mark.all_modes


def test_a_write_is_recorded_by_the_acting_user_for_themselves(staffed: Staffed) -> None:
    staffed.must("kim", "session", staffed.courses["kim"], "--note", "first talk")

    last = staffed.must("kim", "show", staffed.courses["kim"])["history"][-1]

    assert (last["actor"], last["recorded_by"]) == ("kim", "kim")


def test_an_admin_recording_for_a_consultant_stores_both(staffed: Staffed) -> None:
    course = staffed.courses["kim"]
    staffed.must("root", "session", course, "--actor", "kim", "--note", "from paper")

    shown = staffed.must("kim", "show", course)["history"][-1]
    audited = staffed.must("aud", "audit", CPRS["kim"], "--purpose", "complaint 2019-7")
    entry = audited["history"][-1]
    table = staffed.run("kim", "show", course, "--format", "table").stdout
    audit_table = staffed.run("aud", "audit", course, "--purpose", "complaint").stdout

    assert (shown["actor"], shown["recorded_by"]) == ("kim", "root")
    assert (entry["actor"], entry["recorded_by"]) == ("kim", "root")
    assert "root for kim" in table
    assert "root for kim" in audit_table


def test_an_actor_who_is_not_a_configured_user_is_refused(staffed: Staffed) -> None:
    line = staffed.refused("root", "session", staffed.courses["kim"], "--actor", "ghost")

    assert line == (
        "error: as root (admin): actor ghost is not a configured user; "
        "a command is recorded only for someone `forloeb users list` shows"
    )


def test_only_an_admin_records_for_another_user(staffed: Staffed) -> None:
    line = staffed.refused("lea", "reassign", staffed.courses["kim"], "--consultant", "nils",
                           "--actor", "kim")  # fmt: skip

    assert "only an admin records a command on behalf of another user (actor kim)" in line


def test_an_import_line_for_an_unknown_actor_is_refused_and_the_rest_applied(
    staffed: Staffed, tmp_path: Path
) -> None:
    course = staffed.courses["kim"]
    lines = tmp_path / "lines.jsonl"
    lines.write_text(
        json.dumps({"command": "session", "course": course, "actor": "ghost"}) + "\n"
        + json.dumps({"command": "session", "course": course, "actor": "kim"}) + "\n"
    )  # fmt: skip
    before = staffed.must("root", "show", course)["version"]

    result = staffed.run("root", "import", str(lines), "--format", "json")

    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert (report["applied"], report["refused"]) == (1, [{
        "line": 1,
        "reason": "as root (admin): actor ghost is not a configured user; "
                  "a command is recorded only for someone `forloeb users list` shows",
        "refused_move": None,
    }])  # fmt: skip
    history = staffed.must("root", "show", course)["history"]
    assert len(history) == before + 1
    assert (history[-1]["actor"], history[-1]["recorded_by"]) == ("kim", "root")


def test_a_referral_records_who_entered_it_for_the_caseworker(staffed: Staffed) -> None:
    outcome = staffed.must(
        "root", "refer", "--cpr", "050590-5678", "--programme", "pva",
        "--referring-caseworker", "tove", "--actor", "tove",
    )  # fmt: skip

    [referred] = staffed.must("root", "show", outcome["course_id"])["history"]

    assert (referred["actor"], referred["recorded_by"]) == ("tove", "root")
