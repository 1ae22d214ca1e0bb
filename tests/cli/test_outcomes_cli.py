"""`forloeb outcomes` and `forloeb export` through the command line."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cli.outcomes import parse_known_at
from domain.course import LOCAL_TIME
from tests.cli.conftest import CPR, Run

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


def table(tables: list[dict[str, Any]], name: str) -> dict[str, list[Any]]:
    """One table of the JSON output, as row label -> cells."""
    [found] = [t for t in tables if t["name"] == name]
    return {row["label"].strip(): row["cells"] for row in found["rows"]}


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

    assert report["programme"] == "pva" and report["as_of"] == "2019-04-15"
    assert table(report["tables"], "status")["with baseline"] == [1, 100]
    assert table(report["tables"], "outcomes")["job with ordinary hours"] == [1, 100]
    assert table(report["tables"], "network")["% yes"] == [100]


def test_outcomes_as_csv_one_line_per_cell(run: Run, referred: str) -> None:
    in_work(run, referred)

    result = run("outcomes", *PVA, "--as-of", "2019-04-15", "--format", "csv")

    assert result.exit_code == 0, result.output
    lines = list(csv.reader(io.StringIO(result.stdout)))
    assert lines[0] == ["table", "row", "column", "value"]
    assert ["status", "with baseline", "n", "1"] in lines
    assert ["forms", "citizen forms", "point 1", "1"] in lines


def test_as_of_before_the_job_leaves_it_out(
    run_json: Callable[..., Any], run: Run, referred: str
) -> None:
    in_work(run, referred)

    report = run_json("outcomes", *PVA, "--as-of", "2019-02-15")

    assert table(report["tables"], "outcomes")["job with ordinary hours"] == [0, 0]


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
    assert table(then["tables"], "network")[recorded] == [0]
    assert table(now["tables"], "network")[recorded] == [1]
    assert then["known_at"] == pulled.replace("Z", "+00:00")


def test_small_cells_are_suppressed(run_json: Callable[..., Any], run: Run, referred: str) -> None:
    in_work(run, referred)

    report = run_json("outcomes", *PVA, "--as-of", "2019-04-15", "--suppress-below", "5")

    assert table(report["tables"], "status")["with baseline"] == ["<5", "x"]
    assert report["suppress_below"] == 5


def test_a_programme_nobody_was_referred_to_is_refused(run: Run, referred: str) -> None:
    result = run("outcomes", "--programme", "pav")

    assert result.exit_code == 2
    assert result.stderr.strip() == "error: programme: no course was referred to 'pav' (known: pva)"


def test_with_one_programme_in_the_store_it_need_not_be_named(
    run_json: Callable[..., Any], run: Run, referred: str, tmp_path: Path
) -> None:
    in_work(run, referred)

    unnamed = run_json("outcomes", "--as-of", "2019-04-15")
    exported = run("export", "--out", str(tmp_path / "x.csv"))

    assert unnamed == run_json("outcomes", *PVA, "--as-of", "2019-04-15")
    assert unnamed["programme"] == "pva"
    assert exported.exit_code == 0, exported.output
    assert [row["programme"] for row in csv.DictReader(io.StringIO(
        (tmp_path / "x.csv").read_text(encoding="utf-8")))] == ["pva"]  # fmt: skip


def test_with_two_programmes_one_must_be_named(run: Run, referred: str, tmp_path: Path) -> None:
    other = ("refer", "--cpr", "020290-2345", "--programme", "aktiv", "--referring-caseworker",
             "bo", "--occurred-on", "2019-01-03")  # fmt: skip
    assert run(*other).exit_code == 0

    for command in (("outcomes",), ("export", "--out", str(tmp_path / "x.csv")),
                    ("report", "--out", str(tmp_path / "r.html"))):  # fmt: skip
        result = run(*command)

        assert result.exit_code == 2, (command, result.output)
        assert result.stderr == (
            "error: programme: name one with --programme (known: aktiv, pva)\n"
        ), command
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "r.html").exists()


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


def test_export_writes_one_pseudonymised_row_per_course(
    run: Run, referred: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_work(run, referred)
    out = tmp_path / "pva.csv"

    monkeypatch.setenv("FORLOEB_PSEUDONYM_KEY", "one")
    first = run("export", *PVA, "--out", str(out), "--as-of", "2019-04-15")
    rows = list(csv.DictReader(out.open()))
    monkeypatch.setenv("FORLOEB_PSEUDONYM_KEY", "two")
    run("export", *PVA, "--out", str(out), "--as-of", "2019-04-15")
    again = list(csv.DictReader(out.open()))

    assert first.exit_code == 0, first.output
    assert first.stdout.strip().endswith("(pseudonyms keyed by FORLOEB_PSEUDONYM_KEY)")
    assert len(rows) == 1 and rows[0]["ever_job"] == "True"
    assert CPR.replace("-", "") not in out.read_text() and CPR not in out.read_text()
    assert rows[0]["pseudonym"] != again[0]["pseudonym"]


def test_export_to_parquet(run: Run, referred: str, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    in_work(run, referred)
    out = tmp_path / "pva.parquet"

    result = run("export", *PVA, "--out", str(out))

    assert result.exit_code == 0, result.output
    assert pq.read_table(out).num_rows == 1


def test_export_refuses_other_file_types(run: Run, tmp_path: Path) -> None:
    result = run("export", *PVA, "--out", str(tmp_path / "pva.xlsx"))

    assert result.exit_code == 2
    assert result.stderr.strip() == "error: out: pva.xlsx must end in .csv or .parquet"


@pytest.mark.slow
def test_the_demo_cohort_gives_the_vive_figures_through_the_command_line(
    run: Run, run_json: Callable[..., Any]
) -> None:
    assert run("demo").exit_code == 0

    report = run_json("outcomes", "--programme", "paa-vej-til-arbejde", "--as-of", "2019-04-15")

    status = table(report["tables"], "status")
    assert (status["with baseline"], status["ongoing"], status["unplanned exit"]) == (
        [98, 100],
        [77, 79],
        [15, 15],
    )
    assert table(report["tables"], "network")["% yes"][:3] == [18, 85, 84]
    assert table(report["tables"], "mental_health")["poor"] == [14, 37, 9, 23]
