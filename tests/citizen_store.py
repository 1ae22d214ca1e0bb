"""A fresh SQLite store driven through the command line as three configured users: the
protection and privacy suites' citizen-record tests share it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import forloeb
from tests.conftest import initialised

CPR = "010190-1234"
Run = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """`forloeb ARGS` on a fresh store, as one of the configured users (default: admin)."""
    config = tmp_path / "forloeb.toml"
    config.write_text(
        '[users.ole]\nrole = "admin"\n\n'
        '[users.rita]\nrole = "auditor"\n\n'
        '[users.anna]\nrole = "consultant"\nname = "rk-anna"\n'
    )
    monkeypatch.setenv("FORLOEB_CONFIG", str(config))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("FORLOEB_DATABASE_URL", raising=False)
    db = initialised(tmp_path / "forloeb.sqlite")
    runner = CliRunner()

    def invoke(*args: str, user: str = "ole", input: str | None = None) -> Result:
        return runner.invoke(forloeb, ["--db", str(db), "--as", user, *args], input=input)

    return invoke


def ok(result: Result) -> Result:
    """The result, once it is known to have succeeded."""
    assert result.exit_code == 0, result.output
    return result


def refer_and_close(run: Run, cpr: str = CPR) -> str:
    """A course referred, accepted and exited unplanned; its id."""
    out = ok(
        run(
            "refer",
            "--cpr",
            cpr,
            "--programme",
            "pva",
            "--referring-caseworker",
            "sb",
            "--format",
            "json",
        )
    )
    course_id: str = json.loads(out.stdout)["course_id"]
    ok(run("accept", course_id, "--consultant", "rk-anna"))
    ok(run("exit", course_id, "--unplanned", "--reason", "not_motivated"))
    return course_id
