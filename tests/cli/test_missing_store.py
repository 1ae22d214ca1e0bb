"""A store that is not there: every command but `init` and `demo` refuses it in one line
naming the path, exit 2, and creates nothing (a mistyped --db must not make an empty store)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import forloeb
from tests.cli.test_refusals import assert_one_error_line

COMMANDS = [
    ("courses",),
    ("show", "0123abcd"),
    ("refer", "--cpr", "010190-1234", "--programme", "pva", "--referring-caseworker", "bo"),
    ("accept", "0123abcd", "--consultant", "mette"),
    ("caseload",),
    ("due",),
    ("outcomes", "--programme", "pva"),
    ("verify", "--all"),
    ("projections", "status"),
    ("audit", "010190-1234", "--purpose", "test"),
    ("export", "--programme", "pva", "--out", "never"),
]


@pytest.fixture
def typo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A --db path in an existing folder (the working one), with no store at it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORLOEB_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "forlob.sqlite"


def forloeb_on(db: Path, *args: str) -> Result:
    return CliRunner().invoke(forloeb, ["--db", str(db), "--as", "anna", *args])


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args[:2]))
def test_a_command_on_a_missing_store_names_the_path_and_creates_nothing(
    typo: Path, args: tuple[str, ...]
) -> None:
    result = forloeb_on(typo, *args)

    assert_one_error_line(
        result, 2, f"db: no store at {typo} (run forloeb init, or check --db)"
    )
    assert list(typo.parent.iterdir()) == []


def test_init_creates_the_store_and_then_commands_use_it(typo: Path) -> None:
    assert forloeb_on(typo, "init").exit_code == 0

    listed = forloeb_on(typo, "courses")

    assert listed.exit_code == 0, listed.output
    assert typo.is_file()


def test_demo_creates_its_store(typo: Path) -> None:
    result = forloeb_on(typo, "demo", "--size", "2")

    assert result.exit_code == 0, result.output
    assert typo.is_file()
