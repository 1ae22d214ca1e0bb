"""`forloeb measure --follow-up` after exit, and where the follow-up forms show."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import CPR, Run

pytestmark = pytest.mark.all_modes


def exited_after_baseline(run_json: Callable[..., Any], course: str) -> None:
    run_json("accept", course, "--consultant", "mette", "--occurred-on", "2019-01-03")
    for form in ("citizen", "staff"):
        run_json("measure", course, "--point", "1", "--form", form, "--occurred-on", "2019-02-01")
    run_json("exit", course, "--unplanned", "--reason", "not_motivated",
             "--occurred-on", "2019-03-01")  # fmt: skip


def test_a_measurement_after_exit_is_a_follow_up_and_show_marks_it(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    exited_after_baseline(run_json, referred)

    plain = run("measure", referred, "--point", "2", "--form", "citizen")
    outcome = run_json("measure", referred, "--follow-up", "--point", "2", "--form", "citizen",
                       "--who5", "3,3,2,2,1", "--occurred-on", "2019-06-01")  # fmt: skip

    assert plain.exit_code == 1
    assert "cannot measure a course in state exited_unplanned" in plain.output
    assert "measure --follow-up" in plain.output
    assert (outcome["events"], outcome["state"]) == (
        [{"version": 7, "type": "MeasurementRecorded"}], "exited_unplanned",
    )  # fmt: skip
    shown = run_json("show", referred)
    assert shown["measurements"] == [{"point": 1, "form": "citizen"}, {"point": 1, "form": "staff"}]
    assert shown["follow_up_measurements"] == [{"point": 2, "form": "citizen"}]
    last = shown["history"][-1]["details"]
    assert (last["point"], last["answers"]["form"], last["follow_up"]) == (2, "citizen", True)
    text = run("show", referred).output
    assert "measured    1 citizen, 1 staff; after exit 2 citizen" in text


def test_outcomes_count_follow_up_forms_only_when_asked(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    exited_after_baseline(run_json, referred)
    run_json("measure", referred, "--follow-up", "--point", "2", "--form", "staff",
             "--occurred-on", "2019-06-01")  # fmt: skip

    plain = run_json("outcomes", "--programme", "pva", "--as-of", "2019-12-31")
    asked = run_json("outcomes", "--programme", "pva", "--as-of", "2019-12-31",
                     "--follow-up-forms")  # fmt: skip

    forms = next(t for t in plain["tables"] if t["name"] == "forms")
    assert forms["columns"] == ["point 1"]
    assert "follow_up_forms" not in [t["name"] for t in plain["tables"]]
    [table] = [t for t in asked["tables"] if t["name"] == "follow_up_forms"]
    assert table["columns"] == ["point 2"]
    assert [[c["value"] for c in row["cells"]] for row in table["rows"]] == [[0], [1]]


def test_the_audit_shows_the_follow_up_mark_on_follow_ups_only(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    exited_after_baseline(run_json, referred)
    run_json("measure", referred, "--follow-up", "--point", "2", "--form", "staff",
             "--occurred-on", "2019-06-01")  # fmt: skip

    text = run("audit", CPR, "--purpose", "test").output

    assert text.count("follow_up=True") == 1
    assert "follow_up=False" not in text


def test_an_import_line_asks_for_a_follow_up_measurement_by_its_key(
    run: Run, run_json: Callable[..., Any], referred: str, tmp_path: Path
) -> None:
    exited_after_baseline(run_json, referred)
    line = {"command": "measure", "course": referred, "follow_up": True, "point": 2,
            "form": "citizen", "occurred_on": "2019-06-01"}  # fmt: skip
    (tmp_path / "follow-up.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")

    report = run_json("import", str(tmp_path / "follow-up.jsonl"))

    assert report == {"lines": 1, "applied": 1, "skipped": 0, "refused": []}
    assert run_json("show", referred)["follow_up_measurements"] == [{"point": 2, "form": "citizen"}]
