"""Command-line conventions: -h, the global options after the command's name, dates written
the Danish ways, and shell completion of course ids, programmes and consultants."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.shell_completion import BashComplete
from click.testing import CliRunner

from cli.config import UserEntry, create_config
from cli.main import forloeb
from cli.options import parse_date
from programmes.catalogue import shipped
from tests.cli.conftest import CPR, Run
from workflows.access import Role

# -h ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["-h"],
        ["courses", "-h"],
        ["session", "-h"],
        ["praktik", "start", "-h"],
        ["users", "add", "-h"],
    ],
)
def test_h_is_help_everywhere(args: list[str]) -> None:
    short = CliRunner().invoke(forloeb, args)
    long = CliRunner().invoke(forloeb, [*args[:-1], "--help"])

    assert short.exit_code == 0, short.output
    assert short.output == long.output
    assert "-h, --help" in short.output


# Global options after the command -------------------------------------------------


def test_global_options_may_follow_the_command(run: Run, referred: str, db_path: Path) -> None:
    runner = CliRunner()
    before = runner.invoke(forloeb, ["--db", str(db_path), "--as", "bo", "courses"])
    after = runner.invoke(forloeb, ["courses", "--db", str(db_path), "--as", "bo"])

    assert before.exit_code == 0, before.output
    assert after.output == before.output
    assert referred[:8] in after.output


def test_a_global_option_after_the_command_wins(
    run: Run, referred: str, db_path: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.sqlite"
    result = CliRunner().invoke(
        forloeb, ["--db", str(elsewhere), "--as", "anna", "courses", "--db", str(db_path)]
    )

    assert result.exit_code == 0, result.output
    assert referred[:8] in result.output


def test_a_write_takes_the_actor_after_the_command(
    run_json: Callable[..., Any], referred: str, db_path: Path
) -> None:
    result = CliRunner().invoke(
        forloeb,
        ["session", referred, "--db", str(db_path), "--as", "mette", "--occurred-on", "2019-01-04"],
    )
    assert result.exit_code == 0, result.output

    assert run_json("show", referred)["history"][-1]["actor"] == "mette"


def test_an_unknown_user_after_the_command_is_refused(run: Run, db_path: Path) -> None:
    result = CliRunner().invoke(forloeb, ["courses", "--db", str(db_path), "--as", "nobody"])

    assert result.exit_code == 1
    assert "nobody: unknown user" in result.output


def test_init_keeps_its_own_store_options(tmp_path: Path) -> None:
    store = tmp_path / "new.sqlite"
    config = tmp_path / "forloeb.toml"
    result = CliRunner().invoke(
        forloeb,
        ["init", "--db", str(store), "--as", "anna"],
        env={"FORLOEB_CONFIG": str(config)},
    )

    assert result.exit_code == 0, result.output
    assert store.is_file()
    assert "with anna as admin" in result.output


# Dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["2019-04-15", "15-04-2019", "15.04.2019", "15.4.2019", " 15-04-2019 "]
)
def test_a_date_may_be_written_iso_or_day_first(text: str) -> None:
    assert parse_date(text) == date(2019, 4, 15)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("15-04-19", "write the year with four digits"),
        ("04-15-2019", "month must be in 1..12"),
        ("31.02.2019", "day is out of range for month"),
        ("15-04.2019", "is not a date (YYYY-MM-DD, DD-MM-YYYY or DD.MM.YYYY)"),
        ("15/04/2019", "is not a date"),
        ("yesterday", "is not a date"),
        ("２０１９-０４-１５", "is not a date"),  # full-width digits
    ],
)
def test_an_ambiguous_or_invalid_date_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_date(text)


@pytest.mark.all_modes
def test_a_write_takes_a_day_first_date(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    result = run("session", referred, "--occurred-on", "15.04.2019")
    assert result.exit_code == 0, result.output

    assert run_json("show", referred)["history"][-1]["occurred_on"] == "2019-04-15"


@pytest.mark.all_modes
def test_a_read_takes_a_day_first_date(run: Run, referred: str) -> None:
    iso = run("due", "--as-of", "2019-06-01", "--format", "json")
    day_first = run("due", "--as-of", "01-06-2019", "--format", "json")

    assert iso.exit_code == 0, iso.output
    assert day_first.output == iso.output


@pytest.mark.all_modes
def test_a_bad_date_is_one_line_naming_the_option_and_nothing_is_written(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    before = run_json("show", referred)["version"]
    result = run("session", referred, "--occurred-on", "15-04-19")

    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: occurred_on: '15-04-19' is ambiguous: write the year with four digits"
    ]
    assert run_json("show", referred)["version"] == before


# Shell completion ----------------------------------------------------------------------


@pytest.fixture
def team_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configuration with anna as admin, two consultants and a caseworker."""
    path = tmp_path / "team.toml"
    create_config(
        path,
        {
            "anna": UserEntry(role=Role.ADMIN),
            "mette": UserEntry(role=Role.CONSULTANT),
            "lars": UserEntry(role=Role.CONSULTANT),
            "karen": UserEntry(role=Role.CASEWORKER),
        },
    )
    monkeypatch.setenv("FORLOEB_CONFIG", str(path))
    return path


def completions(args: list[str], incomplete: str) -> list[str]:
    """What the shell is offered after `forloeb ARGS... INCOMPLETE<tab>`."""
    complete = BashComplete(forloeb, {}, "forloeb", "_FORLOEB_COMPLETE")
    return [item.value for item in complete.get_completions(args, incomplete)]


def test_command_names_complete_without_loading_them() -> None:
    assert completions([], "re") == ["reassign", "refer", "reject", "report"]


def test_course_ids_complete_from_the_course_list(
    team_config: Path, run: Run, db_path: Path
) -> None:
    first = run(
        "refer", "--cpr", CPR, "--programme", "pva", "--referring-caseworker", "bo",
        "--format", "json",
    )  # fmt: skip
    second = run(
        "refer", "--cpr", "0202901234", "--programme", "ungeindsats",
        "--referring-caseworker", "bo", "--format", "json",
    )  # fmt: skip
    ids = sorted(line.split('"course_id": "')[1][:36] for line in (first.output, second.output))

    assert completions(["--db", str(db_path), "--as", "anna", "show"], "") == ids
    assert completions(["accept", "--db", str(db_path), "--as", "anna"], ids[1][:3]) == [ids[1]]
    assert completions(["--db", str(db_path), "--as", "mette", "show"], "") == []  # not hers


def test_programmes_complete_from_the_store(team_config: Path, run: Run, db_path: Path) -> None:
    for cpr, programme in (("0101901234", "pva"), ("0202901234", "ungeindsats")):
        run("refer", "--cpr", cpr, "--programme", programme, "--referring-caseworker", "bo")

    offered = completions(["--db", str(db_path), "--as", "anna", "caseload", "--programme"], "")

    assert offered == sorted({*shipped().names(), "pva", "ungeindsats"})
    assert completions(["--db", str(db_path), "--as", "anna", "caseload", "--programme"], "u") == [
        "ungeindsats"
    ]


def test_consultants_complete_from_the_configuration(team_config: Path, db_path: Path) -> None:
    args = ["--db", str(db_path), "--as", "anna", "reassign", "abcd", "--consultant"]

    assert completions(args, "") == ["lars", "mette"]
    assert completions(args, "m") == ["mette"]


def test_completion_never_creates_a_store(team_config: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite"

    assert completions(["--db", str(missing), "--as", "anna", "show"], "") == []
    assert not missing.exists()


def test_the_installed_command_prints_its_completion_script() -> None:
    script = Path(sys.executable).with_name("forloeb")
    done = subprocess.run(
        [str(script)],
        env={**os.environ, "_FORLOEB_COMPLETE": "bash_source"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "_forloeb_completion()" in done.stdout
