"""`forloeb outcomes` and `forloeb export` through the command line."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cli.pulls import parse_known_at
from domain.course import LOCAL_TIME
from tests.cli.conftest import CPR, Run
from tests.cli.pulled import tables

pytestmark = pytest.mark.all_modes
"""Embedded on SQLite and PostgreSQL, and remote through a server (tests/cli/conftest.py)."""

PVA = ("--programme", "pva")


def in_work(run: Run, course: str) -> None:
    """Take the course through its baseline into a job, as a caseworker would."""
    steps = [
        ("accept", course, "--consultant", "mette", "--occurred-on", "2019-01-10"),
        ("measure", course, "--point", "1", "--form", "citizen", "--mental-health", "poor",
         "--occurred-on", "2019-02-01"),
        ("measure", course, "--point", "1", "--form", "staff", "--network-meeting", "yes",
         "--occurred-on", "2019-02-01"),
        ("job", "start", course, "--employer", "Netto", "--hours-per-week", "20",
         "--occurred-on", "2019-03-01"),
    ]  # fmt: skip
    for step in steps:
        assert run(*step).exit_code == 0, step


def table(pulled: dict[str, Any], name: str) -> dict[str, list[Any]]:
    """One table of the JSON output, as row label -> cells as people read them."""
    return tables(pulled)[name]


def test_outcomes_prints_the_tables(run: Run, referred: str) -> None:
    in_work(run, referred)

    result = run("outcomes", *PVA, "--as-of", "2019-04-15")

    assert result.exit_code == 0, result.output
    assert "pva: cohort by referral" in result.stdout
    for title in ("Course status (VIVE table 5.1)", "Forms per measurement point",
                  "Outcomes among those with a baseline", "Network meeting", "WHO-5"):  # fmt: skip
        assert title in result.stdout


def test_outcomes_as_json_with_counts_and_percentages(
    run_json: Callable[..., Any], run: Run, referred: str
) -> None:
    in_work(run, referred)

    report = run_json("outcomes", *PVA, "--as-of", "2019-04-15")

    assert report["manifest"]["programme"] == "pva"
    assert report["manifest"]["as_of"] == "2019-04-15"
    assert table(report, "status")["with baseline"] == [1, 100]
    assert table(report, "outcomes")["job with ordinary hours"] == [1, 100]
    assert table(report, "network")["% yes"] == [100]


def test_outcomes_as_csv_one_line_per_cell(run: Run, referred: str) -> None:
    in_work(run, referred)

    result = run("outcomes", *PVA, "--as-of", "2019-04-15", "--format", "csv")

    assert result.exit_code == 0, result.output
    lines = list(csv.reader(io.StringIO(result.stdout)))
    assert lines[0] == ["table", "row", "column", "value", "suppressed"]
    assert ["manifest", "as_of", "", "2019-04-15", ""] in lines
    assert ["status", "with baseline", "n", "1", ""] in lines
    assert ["forms", "citizen forms", "point 1", "1", ""] in lines


def test_csv_gives_a_suppressed_cell_empty_with_its_flag(run: Run, referred: str) -> None:
    in_work(run, referred)

    result = run("outcomes", *PVA, "--as-of", "2019-04-15", "--format", "csv",
                 "--suppress-below", "3")  # fmt: skip

    lines = list(csv.reader(io.StringIO(result.stdout)))
    assert ["status", "with baseline", "n", "", "small"] in lines
    assert ["status", "with baseline", "% of with baseline", "", "complementary"] in lines


def test_as_of_before_the_job_leaves_it_out(
    run_json: Callable[..., Any], run: Run, referred: str
) -> None:
    in_work(run, referred)

    report = run_json("outcomes", *PVA, "--as-of", "2019-02-15")

    assert table(report, "outcomes")["job with ordinary hours"] == [0, 0]


def test_known_at_before_a_back_dated_entry_gives_the_earlier_answer(
    run_json: Callable[..., Any], run: Run, referred: str
) -> None:
    in_work(run, referred)
    time.sleep(0.002)
    pulled = datetime.now(UTC).isoformat()
    time.sleep(0.002)
    assert run("meeting", referred, "--occurred-on", "2019-01-20").exit_code == 0  # on paper

    then = run_json("outcomes", *PVA, "--as-of", "2019-04-15", "--known-at", pulled)
    now = run_json("outcomes", *PVA, "--as-of", "2019-04-15")

    recorded = "meeting recorded in the 91 days before"
    assert table(then, "network")[recorded] == [0]
    assert table(now, "network")[recorded] == [1]
    assert datetime.fromisoformat(then["manifest"]["known_at"]) == datetime.fromisoformat(pulled)


def test_small_cells_are_suppressed(run_json: Callable[..., Any], run: Run, referred: str) -> None:
    in_work(run, referred)

    report = run_json("outcomes", *PVA, "--as-of", "2019-04-15", "--suppress-below", "5")

    assert table(report, "status")["with baseline"] == ["<5", "x"]
    [status] = [t for t in report["tables"] if t["name"] == "status"]
    [row] = [row for row in status["rows"] if row["label"] == "with baseline"]
    assert row["cells"] == [
        {"value": None, "suppressed": "small"},
        {"value": None, "suppressed": "complementary"},
    ]
    assert report["manifest"]["suppression"]["below"] == 5


def test_a_programme_nobody_was_referred_to_is_refused(run: Run, referred: str) -> None:
    result = run("outcomes", "--programme", "pav")

    assert result.exit_code == 2
    assert result.stderr.strip() == "error: programme: no course was referred to 'pav' (known: pva)"


def test_with_one_programme_in_the_store_it_need_not_be_named(
    run_json: Callable[..., Any], run: Run, referred: str, tmp_path: Path
) -> None:
    in_work(run, referred)

    unnamed = run_json("outcomes", "--as-of", "2019-04-15")
    exported = run("export", "--out", str(tmp_path / "x"))

    named = run_json("outcomes", *PVA, "--as-of", "2019-04-15")
    assert unnamed["tables"] == named["tables"]
    assert unnamed["manifest"]["programme"] == "pva"
    assert exported.exit_code == 0, exported.output
    assert [row["programme"] for row in csv.DictReader(io.StringIO(
        (tmp_path / "x" / "courses.csv").read_text(encoding="utf-8")))] == ["pva"]  # fmt: skip


def test_with_two_programmes_one_must_be_named(run: Run, referred: str, tmp_path: Path) -> None:
    other = ("refer", "--cpr", "020290-2345", "--programme", "aktiv", "--referring-caseworker",
             "bo", "--occurred-on", "2019-01-03")  # fmt: skip
    assert run(*other).exit_code == 0

    for command in (("outcomes",), ("export", "--out", str(tmp_path / "x")),
                    ("report", "--out", str(tmp_path / "r.html"))):  # fmt: skip
        result = run(*command)

        assert result.exit_code == 2, (command, result.output)
        assert result.stderr == (
            "error: programme: name one with --programme (known: aktiv, pva)\n"
        ), command
    assert not (tmp_path / "x").exists() and not (tmp_path / "r.html").exists()


def test_with_no_programme_in_the_store_the_error_says_so(run: Run) -> None:
    result = run("outcomes")

    assert result.exit_code == 2
    assert result.stderr == (
        "error: programme: name one with --programme (known: none: no course was referred yet)\n"
    )


def test_export_help_says_the_pseudonym_is_keyed_on_the_subject_id_not_the_cpr(run: Run) -> None:
    help_text = " ".join(run("export", "--help").stdout.split())

    assert "HMAC-SHA256 of the citizen's random subject id (never of the CPR)" in help_text


def test_a_threshold_under_three_is_refused(run: Run) -> None:
    result = run("outcomes", *PVA, "--suppress-below", "2")

    assert result.exit_code == 2


def test_known_at_reads_danish_time_unless_a_zone_is_given_and_a_date_as_its_end() -> None:
    assert parse_known_at("2019-04-15T10:30") == datetime(2019, 4, 15, 10, 30, tzinfo=LOCAL_TIME)
    assert parse_known_at("2019-04-15T08:30:00+00:00") == datetime(2019, 4, 15, 8, 30, tzinfo=UTC)
    assert parse_known_at("2019-04-15") == datetime(
        2019, 4, 15, 23, 59, 59, 999999, tzinfo=LOCAL_TIME
    )
    assert parse_known_at(None) is None


def test_a_bad_known_at_is_refused(run: Run) -> None:
    result = run("outcomes", *PVA, "--known-at", "yesterday")

    assert result.exit_code == 2
    assert "known_at" in result.stderr


def test_export_writes_pseudonymised_courses_spells_and_codebook_into_a_folder(
    run: Run, referred: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_work(run, referred)
    out = tmp_path / "pva"

    monkeypatch.setenv("FORLOEB_PSEUDONYM_KEY", "one")
    first = run("export", *PVA, "--out", str(out), "--as-of", "2019-04-15")
    rows = list(csv.DictReader((out / "courses.csv").open()))
    spells = list(csv.DictReader((out / "spells.csv").open()))
    monkeypatch.setenv("FORLOEB_PSEUDONYM_KEY", "two")
    run("export", *PVA, "--out", str(out), "--as-of", "2019-04-15")
    again = list(csv.DictReader((out / "courses.csv").open()))

    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == (
        f"1 courses and 4 spells written to {out}: courses.csv, spells.csv, datapackage.json "
        "(pseudonyms keyed by FORLOEB_PSEUDONYM_KEY)"
    )
    assert len(rows) == 1 and rows[0]["first_job_on"] == "2019-03-01"
    assert rows[0]["censored_on"] == "2019-04-15"
    assert [s["state"] for s in spells] == ["visitation", "baseline", "active", "job"]
    for file in out.iterdir():
        assert CPR.replace("-", "") not in file.read_text() and CPR not in file.read_text()
    assert rows[0]["pseudonym"] != again[0]["pseudonym"]
    package = json.loads((out / "datapackage.json").read_text())
    assert package["manifest"]["command"] == "export"
    assert package["manifest"]["as_of"] == "2019-04-15"


def test_export_to_parquet(run: Run, referred: str, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    in_work(run, referred)
    out = tmp_path / "pva"

    result = run("export", *PVA, "--out", str(out), "--format", "parquet")

    assert result.exit_code == 0, result.output
    assert pq.read_table(out / "courses.parquet").num_rows == 1
    assert b"forloeb.manifest" in pq.read_schema(out / "spells.parquet").metadata


def test_export_refuses_a_file_for_a_folder(run: Run, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")

    named = run("export", *PVA, "--out", str(tmp_path / "pva.csv"))
    taken = run("export", *PVA, "--out", str(tmp_path / "taken"))

    assert (named.exit_code, taken.exit_code) == (2, 2)
    assert named.stderr.strip() == (
        "error: out: pva.csv names a file; give a folder (the export writes several files)"
    )
    assert taken.stderr.strip() == f"error: out: {tmp_path / 'taken'} is a file, not a folder"
    assert not (tmp_path / "pva.csv").exists()


@pytest.mark.slow
def test_the_demo_cohort_gives_the_vive_figures_through_the_command_line(
    run: Run, run_json: Callable[..., Any]
) -> None:
    assert run("demo").exit_code == 0

    report = run_json("outcomes", "--programme", "paa-vej-til-arbejde", "--as-of", "2019-04-15")

    status = table(report, "status")
    assert (status["with baseline"], status["ongoing"], status["unplanned exit"]) == (
        [98, 100],
        [77, 79],
        [15, 15],
    )
    assert table(report, "network")["% yes"][:3] == [18, 85, 84]
    assert table(report, "mental_health")["poor"] == [14, 37, 9, 23]
