"""Fixtures for the command line: run `forloeb` in-process on a fresh SQLite store."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import forloeb
from storage.store import StoreConfig
from tests.conftest import initialised

Run = Callable[..., Result]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The SQLite file the commands share, initialised."""
    return initialised(tmp_path / "forloeb.sqlite")


MODES = ("sqlite", "postgres", "remote")
"""Where a command runs: embedded on SQLite, embedded on PostgreSQL, or through a
`forloeb server` on PostgreSQL (the remote CLI, `cli.remote`)."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "all_modes: the `run` tests run embedded (SQLite, PostgreSQL) and remote"
    )
    config.addinivalue_line(
        "markers", "sqlite_only(reason): a test of an all_modes module run on SQLite alone"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`cli_mode` is every mode for a module marked all_modes, else SQLite alone."""
    if "cli_mode" in metafunc.fixturenames:
        every = metafunc.definition.get_closest_marker("all_modes") is not None
        every = every and metafunc.definition.get_closest_marker("sqlite_only") is None
        modes = MODES if every else ("sqlite",)
        params = [
            pytest.param(mode, marks=pytest.mark.postgres) if mode != "sqlite" else mode
            for mode in modes
        ]
        metafunc.parametrize("cli_mode", params, indirect=True)


@pytest.fixture
def cli_mode(request: pytest.FixtureRequest) -> str:
    mode: str = request.param
    return mode


@dataclass
class RemoteResult:
    """A remote command's result, read as click's Result is."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def run(
    cli_mode: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Run]:
    """Invoke `forloeb ARGS...` as user anna on the test store (SQLite, PostgreSQL, or
    through a server on PostgreSQL); returns click's Result (or one read the same way)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("FORLOEB_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "160")  # tables as a wide terminal shows them, unwrapped
    runner = CliRunner()
    if cli_mode == "sqlite":
        db_path = request.getfixturevalue("db_path")
        store = ["--db", str(db_path)]
    if cli_mode in ("postgres", "remote"):
        pg_store = request.getfixturevalue("pg_store")
        store = ["--database-url", pg_store.database_url]
    if cli_mode != "remote":

        def invoke(*args: str, user: str = "anna", input: str | None = None) -> Result:
            return runner.invoke(forloeb, [*store, "--as", user, *args], input=input)

        yield invoke
        return
    from cli.remote import run_remote
    from tests.server.live import live_server

    tokens: dict[str, str] = {}
    with live_server(pg_store, Path(os.environ["FORLOEB_CONFIG"])) as server:

        def remote(*args: str, user: str = "anna", input: str | None = None) -> RemoteResult:
            if user not in tokens:
                tokens[user] = server.token(user)
            monkeypatch.setenv("FORLOEB_TOKEN", tokens[user])
            monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # as CliRunner's, when no input
            return RemoteResult(*run_remote(server.url, ["--as", user, *args], input))

        yield remote  # type: ignore[misc]


@pytest.fixture
def staffed_courses() -> tuple[str, ...]:
    """The staffed store's courses (tests/cli/staffed.py CPRS); a module may narrow them."""
    from tests.cli.staffed import CPRS

    return tuple(CPRS)


@pytest.fixture
def staffed(
    cli_mode: str,
    staffed_courses: tuple[str, ...],
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Any]:
    """The staffed store (tests/cli/staffed.py) in the test's mode, with `staffed_courses`."""
    from tests.cli.staffed import staff_config, staffed_store

    if cli_mode == "sqlite":
        yield staffed_store(StoreConfig(sqlite_path=tmp_path / "forloeb.sqlite"), tmp_path,
                            monkeypatch, courses=staffed_courses)  # fmt: skip
        return
    pg_store = request.getfixturevalue("pg_store")
    if cli_mode == "postgres":
        yield staffed_store(pg_store, tmp_path, monkeypatch, courses=staffed_courses)
        return
    from tests.server.live import live_server

    with live_server(pg_store, staff_config(tmp_path, monkeypatch)) as server:
        yield staffed_store(pg_store, tmp_path, monkeypatch, server, staffed_courses)


@pytest.fixture
def run_json(run: Run) -> Callable[..., Any]:
    """Invoke a command with --format json, insist it succeeds, return the parsed output."""

    def invoke(*args: str) -> Any:
        result = run(*args, "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return invoke


CPR = "010190-1234"


@pytest.fixture
def referred(run_json: Callable[..., Any]) -> str:
    """The full id of a freshly referred course (citizen 010190-1234, programme pva)."""
    outcome = run_json(
        "refer", "--cpr", CPR, "--programme", "pva", "--referring-caseworker", "bo",
        "--occurred-on", "2019-01-02",
    )
    course_id: str = outcome["course_id"]
    return course_id


def event_names(run_json: Callable[..., Any], course: str) -> list[str]:
    """The names of the course's events, in order (read through `show --format json`)."""
    return [row["type"] for row in run_json("show", course)["history"]]
