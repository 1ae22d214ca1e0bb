"""A staffed store: one user per role, four courses, `forloeb` run as any of them.

The `staffed` fixture (tests/cli/conftest.py) makes it in every mode of `cli_mode`:
embedded on SQLite, embedded on PostgreSQL, and through a `forloeb server` on
PostgreSQL, where each user runs the remote CLI with a token of their own.

Courses: kim's (active), Bo Jensen's (baseline), one referred by lars and still in
visitation ("waiting"), and one referred by the other caseworker, tove, accepted
for kim ("toves"). lars referred kim's and Bo Jensen's too.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.bootstrap import open_service
from cli.config import UserEntry, create_config
from cli.main import forloeb
from storage.store import StoreConfig
from tests.cli.conftest import RemoteResult
from tests.conftest import initialised
from tests.server.live import LiveServer
from workflows.access import Role

USERS = {
    "root": UserEntry(role=Role.ADMIN),
    "kim": UserEntry(role=Role.CONSULTANT, team="nord"),
    "nils": UserEntry(role=Role.CONSULTANT, team="nord"),
    "bo": UserEntry(role=Role.CONSULTANT, name="Bo Jensen", team="syd"),
    "lars": UserEntry(role=Role.CASEWORKER),
    "tove": UserEntry(role=Role.CASEWORKER),
    "lea": UserEntry(role=Role.TEAM_LEAD, team="nord"),
    "aud": UserEntry(role=Role.AUDITOR),
    "eva": UserEntry(role=Role.EVALUATOR),
}
CPRS = {
    "kim": "010190-1234",
    "bo": "020290-2345",
    "waiting": "030390-3456",
    "toves": "040490-4567",
}
REFERRED_BY = {"kim": "lars", "bo": "lars", "waiting": "lars", "toves": "tove"}


def store_args(store: StoreConfig) -> list[str]:
    """The global options that name the store."""
    if store.database_url is not None:
        return ["--database-url", store.database_url]
    return ["--db", str(store.sqlite_path)]


class Staffed:
    """The store, its configuration, and `forloeb` run as one of the users (on the server,
    when one is given, with the user's own token)."""

    def __init__(
        self,
        store: StoreConfig,
        config: Path,
        server: LiveServer | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.runner = CliRunner()
        self.courses: dict[str, str] = {}
        self.server = server
        self.monkeypatch = monkeypatch
        self.tokens: dict[str, str] = {}

    def run(self, user: str, *args: str, input: str | None = None) -> Result:
        """`forloeb --as USER ARGS…` on the store."""
        if self.server is not None:
            return self._remote(self.server, user, *args, input=input)  # type: ignore[return-value]
        return self.runner.invoke(
            forloeb, [*store_args(self.store), "--as", user, *args], input=input
        )

    def _remote(
        self, server: LiveServer, user: str, *args: str, input: str | None = None
    ) -> RemoteResult:
        from cli.remote import run_remote

        assert self.monkeypatch is not None
        if user not in self.tokens:
            self.tokens[user] = server.token(user)
        self.monkeypatch.setenv("FORLOEB_TOKEN", self.tokens[user])
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # as CliRunner's, when no input
        return RemoteResult(*run_remote(server.url, ["--as", user, *args], input))

    def must(self, user: str, *args: str) -> Any:
        """Run a command that must succeed; its JSON output."""
        result = self.run(user, *args, "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def head(self) -> int:
        """The event log's last notification id."""
        service = open_service(self.store)
        try:
            return service.recorder.max_notification_id() or 0
        finally:
            service.close()

    def refused(self, user: str, *args: str, code: int = 1) -> str:
        """Run a command that must be refused; its one error line."""
        before = self.head()
        result = self.run(user, *args)
        assert result.exit_code == code, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert "Traceback" not in result.output
        assert self.head() == before, "a refused command wrote to the store"
        return lines[0]


def staff_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """USERS as the configuration of every command the test runs."""
    config = tmp_path / "forloeb.toml"
    create_config(config, USERS)
    monkeypatch.setenv("FORLOEB_CONFIG", str(config))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("FORLOEB_DATABASE_URL", raising=False)
    return config


def staffed_store(
    store: StoreConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: LiveServer | None = None,
    courses: tuple[str, ...] = tuple(CPRS),
) -> Staffed:
    """The `courses` (all four by default) on a fresh store, with USERS as the
    configuration (already written when a server is given: it serves that)."""
    config = tmp_path / "forloeb.toml"
    if server is None:
        staff_config(tmp_path, monkeypatch)
    if store.sqlite_path is not None:
        initialised(store.sqlite_path)
    staffed = Staffed(store, config, server, monkeypatch)
    for course, cpr in CPRS.items():
        if course not in courses:
            continue
        caseworker = REFERRED_BY[course]
        outcome = staffed.must(
            caseworker, "refer", "--cpr", cpr, "--programme", "pva",
            "--referring-caseworker", caseworker, "--occurred-on", "2019-01-02",
        )  # fmt: skip
        staffed.courses[course] = outcome["course_id"]
    for course, consultant in (("kim", "kim"), ("bo", "Bo Jensen"), ("toves", "kim")):
        if course not in courses:
            continue
        staffed.must(REFERRED_BY[course], "accept", staffed.courses[course],
                     "--consultant", consultant, "--occurred-on", "2019-01-10")  # fmt: skip
    for form, answers in (("citizen", ("--who5", "1,2,3,4,5")), ("staff", ("--diagnosis", "no"))):
        staffed.must("kim", "measure", staffed.courses["kim"], "--point", "1", "--form", form,
                     *answers, "--occurred-on", "2019-01-20")  # fmt: skip
    return staffed
