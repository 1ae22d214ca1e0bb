"""Reproducible pulls: the manifest every outcomes/analysis output carries, pulling again from
it, and `forloeb outcomes diff`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from projections.pull import AnalysisPull, OutcomesPull
from tests.cli.conftest import CPR, Run
from tests.cli.test_outcomes_cli import PVA, in_work

pytestmark = pytest.mark.all_modes

AS_OF = ("--as-of", "2019-04-15")


def saved(run_json: Callable[..., Any], path: Path, *args: str) -> dict[str, Any]:
    """Pull `outcomes ARGS --format json` and save it as an evaluator would."""
    pulled: dict[str, Any] = run_json(*args)
    path.write_text(json.dumps(pulled), encoding="utf-8")
    return pulled


def version_of(run_json: Callable[..., Any], course: str, event: str) -> int:
    """The version (sequence number) of the course's first event of this type."""
    for row in run_json("show", course)["history"]:
        if row["type"] == event:
            return int(row["version"])
    raise AssertionError(f"no {event}")


def test_the_manifest_says_what_was_pulled_and_from_where(
    run_json: Callable[..., Any], run: Run, referred: str
) -> None:
    in_work(run, referred)
    before = datetime.now(UTC)

    pulled = run_json("outcomes", *PVA, *AS_OF, "--suppress-below", "3", "--table", "5.1")

    manifest = pulled["manifest"]
    assert set(pulled) == {"manifest", "tables"}
    assert manifest["command"] == "outcomes" and manifest["programme"] == "pva"
    assert manifest["as_of"] == "2019-04-15"
    assert manifest["cohort"] == {"by": "referral", "from": None, "to": None}
    known_at = datetime.fromisoformat(manifest["known_at"])
    assert manifest["known_at"].endswith("Z") and known_at >= before  # a real moment, UTC
    assert manifest["log_position"] >= 5  # the referral and the four steps at least
    assert manifest["suppression"]["below"] == 3
    assert manifest["options"] == {"tables": ["5.1"], "follow_up_forms": False}
    assert manifest["code"]["package"] == "forloeb" and manifest["code"]["version"]
    assert manifest["definition"] is None  # pva has no definition file: the backbone
    assert len(manifest["configuration_sha256"]) == 64
    OutcomesPull.model_validate(pulled)


def test_pulling_again_from_the_manifest_gives_the_same_cells_after_later_entries(
    run_json: Callable[..., Any], run: Run, referred: str
) -> None:
    in_work(run, referred)
    first = run_json("outcomes", *PVA, *AS_OF)
    assert run("meeting", referred, "--occurred-on", "2019-01-20").exit_code == 0  # on paper
    job = version_of(run_json, referred, "JobStarted")
    correct = ("correct", referred, "--version", str(job), "--reason", "was 30",
               "--set", "hours_per_week=30")  # fmt: skip
    assert run(*correct).exit_code == 0

    manifest = first["manifest"]
    again = run_json(
        "outcomes", *PVA, "--as-of", manifest["as_of"], "--known-at", manifest["known_at"]
    )
    now = run_json("outcomes", *PVA, *AS_OF)

    assert again["tables"] == first["tables"]
    assert again["manifest"]["known_at"] == manifest["known_at"]
    assert now["tables"] != first["tables"]


def test_diff_names_the_changed_cells_and_the_back_dated_entry_and_correction(
    run_json: Callable[..., Any], run: Run, referred: str, tmp_path: Path
) -> None:
    in_work(run, referred)
    saved(run_json, tmp_path / "a.json", "outcomes", *PVA, *AS_OF)
    assert run("meeting", referred, "--occurred-on", "2019-01-20").exit_code == 0
    job = version_of(run_json, referred, "JobStarted")
    correct = ("correct", referred, "--version", str(job), "--reason", "was 30",
               "--set", "hours_per_week=30")  # fmt: skip
    assert run(*correct).exit_code == 0
    assert run("meeting", referred, "--occurred-on", "2019-05-20").exit_code == 0  # after as-of
    saved(run_json, tmp_path / "b.json", "outcomes", *PVA, *AS_OF)

    diff = run_json("outcomes", "diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    against_now = run_json("outcomes", "diff", str(tmp_path / "a.json"))

    cells = {(c["table"], c["row"], c["column"]): (c["before"], c["after"]) for c in diff["cells"]}
    recorded = ("network", "meeting recorded in the 91 days before", "point 1")
    assert cells[recorded] == ({"value": 0, "suppressed": None}, {"value": 1, "suppressed": None})
    hours = [key for key in cells if key[0] == "job_path" and key[1].startswith("hours per week")]
    assert hours and all(cells[key][1]["value"] == 30 for key in hours)
    events = [(e["event"], e["why"], e["occurred_on"]) for e in diff["events"]]
    assert events == [
        ("NetworkMeetingHeld", "back-dated", "2019-01-20"),
        ("Corrected", "correction", events[1][2]),
    ]  # the meeting after the as-of date changes nothing
    course = diff["events"][0]["course"]
    assert diff["cells"] and all(cell["courses"] == [course] for cell in diff["cells"])
    for event in diff["events"]:
        assert event["actor"] == "anna" and event["course"] == course and len(course) == 32
        assert event["recorded_at"] > diff["before"]["known_at"]
        assert diff["before"]["log_position"] < event["position"] <= diff["after"]["log_position"]
    assert against_now["cells"] == diff["cells"] and against_now["events"] == diff["events"]


def test_diff_for_people_shows_before_and_after(
    run_json: Callable[..., Any], run: Run, referred: str, tmp_path: Path
) -> None:
    in_work(run, referred)
    saved(run_json, tmp_path / "a.json", "outcomes", *PVA, *AS_OF)
    assert run("meeting", referred, "--occurred-on", "2019-01-20").exit_code == 0

    result = run("outcomes", "diff", str(tmp_path / "a.json"))

    assert result.exit_code == 0, result.output
    assert "cells changed" in result.stdout and "NetworkMeetingHeld" in result.stdout
    assert "back-dated" in result.stdout


def test_an_unchanged_pull_diffs_to_nothing(
    run_json: Callable[..., Any], run: Run, referred: str, tmp_path: Path
) -> None:
    in_work(run, referred)
    saved(run_json, tmp_path / "a.json", "outcomes", *PVA, *AS_OF, "--suppress-below", "3")
    assert run("session", referred, "--kind", "individual").exit_code == 0  # no outcome fact

    again = run_json("outcomes", "diff", str(tmp_path / "a.json"))
    itself = run_json("outcomes", "diff", str(tmp_path / "a.json"), str(tmp_path / "a.json"))
    result = run("outcomes", "diff", str(tmp_path / "a.json"))

    assert (again["cells"], again["events"]) == ([], [])
    assert (itself["cells"], itself["events"]) == ([], [])
    assert "no cell changed" in result.stdout


def test_an_analysis_pull_carries_the_manifest_and_diffs_too(
    run_json: Callable[..., Any], run: Run, referred: str, tmp_path: Path
) -> None:
    in_work(run, referred)
    pulled = saved(run_json, tmp_path / "t.json", "analysis", "time-to-event", *PVA, *AS_OF,
                   "--origin", "baseline")  # fmt: skip

    diff = run_json("outcomes", "diff", str(tmp_path / "t.json"))

    AnalysisPull.model_validate(pulled)
    assert pulled["manifest"]["command"] == "analysis time-to-event"
    assert pulled["manifest"]["options"] == {"origin": "baseline", "interval_days": 91}
    assert diff["cells"] == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json", "not a JSON pull"),
        ('{"tables": []}', "manifest: Field required"),
        ('{"manifest": 3, "tables": []}', "manifest: Input should be"),
    ],
)
def test_a_malformed_pull_is_one_line_naming_the_file(
    run: Run, referred: str, tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")

    result = run("outcomes", "diff", str(path))

    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: before: {path}: ")
    assert reason in result.stderr and result.stderr.count("\n") == 1


def test_pulls_given_as_dash_are_read_from_standard_input_one_after_the_other(
    run_json: Callable[..., Any], run: Run, referred: str, tmp_path: Path
) -> None:
    in_work(run, referred)
    saved(run_json, tmp_path / "a.json", "outcomes", *PVA, *AS_OF)
    assert run("meeting", referred, "--occurred-on", "2019-01-20").exit_code == 0
    saved(run_json, tmp_path / "b.json", "outcomes", *PVA, *AS_OF)
    both = (tmp_path / "a.json").read_text() + (tmp_path / "b.json").read_text()

    from_files = run_json("outcomes", "diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    from_stdin = run("outcomes", "diff", "-", "-", "--format", "json", input=both)
    only_before = run("outcomes", "diff", "-", str(tmp_path / "b.json"), "--format", "json",
                      input=(tmp_path / "a.json").read_text())  # fmt: skip
    one_too_few = run("outcomes", "diff", "-", "-", input=(tmp_path / "a.json").read_text())

    assert from_files["cells"] and from_files["events"]
    assert json.loads(from_stdin.stdout) == from_files
    assert json.loads(only_before.stdout) == from_files
    assert one_too_few.exit_code == 2
    assert one_too_few.stderr == "error: after: -: standard input holds no (further) pull\n"


def test_a_missing_pull_is_one_line_naming_the_field_and_the_file(run: Run, tmp_path: Path) -> None:
    result = run("outcomes", "diff", str(tmp_path / "a.json"), str(tmp_path / "missing.json"))

    assert result.exit_code == 2
    assert result.stderr == f"error: before: {tmp_path / 'a.json'}: No such file or directory\n"


def test_pulls_of_different_cohorts_are_not_compared(
    run_json: Callable[..., Any], run: Run, referred: str, tmp_path: Path
) -> None:
    saved(run_json, tmp_path / "a.json", "outcomes", *PVA, *AS_OF)
    saved(run_json, tmp_path / "b.json", "outcomes", *PVA, *AS_OF, "--cohort-from", "2019-01-01")

    result = run("outcomes", "diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"))

    assert result.exit_code == 2
    assert result.stderr == "error: after: a pull of another cohort than the one before\n"


def test_outcomes_options_before_diff_are_refused(run: Run, tmp_path: Path) -> None:
    result = run("outcomes", "--as-of", "2019-01-01", "diff", str(tmp_path / "a.json"))

    assert result.exit_code == 2
    assert "outcomes diff takes its own options, not --as-of" in result.stderr


def test_the_report_ends_with_its_manifest(
    run_json: Callable[..., Any], run: Run, referred: str, tmp_path: Path
) -> None:
    in_work(run, referred)
    out = tmp_path / "report.html"

    result = run("report", *PVA, *AS_OF, "--known-at", "2019-12-01T10:00:00Z", "--out", str(out))

    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    block = html[html.index('<aside id="manifest">') : html.index("</body>")]
    assert "<th>known_at</th><td>2019-12-01T10:00:00.000000Z</td>" in block
    assert "<th>as_of</th><td>2019-04-15</td>" in block
    assert "<th>command</th><td>report</td>" in block
    assert "<th>log_position</th>" in block and "<th>code.version</th>" in block


def test_diff_names_an_erasure_of_a_citizen_in_the_cohort(
    run_json: Callable[..., Any], run: Run, referred: str, tmp_path: Path
) -> None:
    in_work(run, referred)
    exit_ = ("exit", referred, "--unplanned", "--reason", "other", "--occurred-on", "2019-03-20")
    assert run(*exit_).exit_code == 0
    saved(run_json, tmp_path / "a.json", "outcomes", *PVA, *AS_OF)
    erase = run("citizen", "erase", CPR, "--reason", "slettefrist", "--yes")
    assert erase.exit_code == 0, erase.output

    diff = run_json("outcomes", "diff", str(tmp_path / "a.json"))

    assert [(e["event"], e["why"], e["actor"]) for e in diff["events"]] == [
        ("CitizenErased", "erasure", "anna")
    ]
    changed = {(c["table"], c["row"]) for c in diff["cells"]}
    assert {("4.1", "Alder: answered"), ("4.2", "Borger: answered")} <= changed  # age, answers
