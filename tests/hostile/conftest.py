"""One store per test session, with courses in known states, for the hostile corpus.

Every course is referred on 2024-01-10 and accepted on 2024-02-01; those past
the baseline completed it on 2024-03-01. `{scratch}` is an active course that
only legitimate-text cases write to, so every other case meets the same store.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.bootstrap import open_service
from cli.config import UserEntry, create_config
from cli.main import forloeb
from projections.catalog import open_views
from storage.store import StoreConfig
from tests.conftest import initialised
from tests.hostile.corpus import AMBIGUOUS_IDS, COURSE_IDS
from workflows.access import Role

USER = "anna"
CONSULTANTS = ("mette", "bo", "m" * 80)
"""Whom courses may be given to: the configuration's consultants, one with a name as long
as a name may be (a legitimate-text case reassigns a course to them)."""
REFERRED, ACCEPTED, BASELINE_DONE = "2024-01-10", "2024-02-01", "2024-03-01"

CITIZENS: dict[str, str] = {
    "visitation": "010180-1111",
    "baseline": "020280-2222",
    "active": "030380-3333",
    "praktik": "040480-4444",
    "job": "050580-5555",
    "education": "060680-6666",
    "exited_planned": "070780-7777",
    "exited_unplanned": "080880-8888",
    "scratch": "090980-9999",
}
AMBIGUOUS_CITIZENS = ("101080-1010", "111180-1111")


@dataclass(frozen=True)
class Snapshot:
    """Everything a refused command must leave as it was: the log's head and every view."""

    head: int
    positions: dict[str, int]
    views: dict[str, dict[str, list[tuple[Any, ...]]]]
    courses: list[Any]
    """The course list as `forloeb courses` reads it."""


@dataclass(frozen=True)
class HostileStore:
    """The session's store and how to run `forloeb` on it in-process."""

    db: Path
    state_home: Path
    config: Path
    runner: CliRunner

    @property
    def env(self) -> dict[str, str | None]:
        """The environment every run gets: this store and configuration, a private error log."""
        return {
            "XDG_STATE_HOME": str(self.state_home),
            "FORLOEB_CONFIG": str(self.config),
            "FORLOEB_DATABASE_URL": None,
            "FORLOEB_DB": None,
            "FORLOEB_USER": None,
        }

    def run(self, argv: Sequence[str]) -> Result:
        """`forloeb --db DB --as anna ARGV...` through click's runner.

        `color=True` keeps escape sequences in the output, as a terminal would get
        them (click strips them from output it believes is piped).
        """
        return self.runner.invoke(
            forloeb, ["--db", str(self.db), "--as", USER, *argv], env=self.env, color=True
        )

    def must(self, *argv: str) -> Result:
        """Run a setup command that has to succeed."""
        result = self.run(argv)
        assert result.exit_code == 0, (argv, result.output)
        return result

    def catch_up(self) -> None:
        """Bring every view to the head, as the next read command would (a write catches
        up only the course list)."""
        with open_views(StoreConfig(sqlite_path=self.db)) as views:
            views.catch_up()

    def snapshot(self) -> Snapshot:
        """The log's head, each view's position and each view's every row, read afresh."""
        store = StoreConfig(sqlite_path=self.db)
        service = open_service(store)
        views = open_views(store, app=service)
        try:
            return Snapshot(
                head=service.recorder.max_notification_id() or 0,
                positions={s.name: s.position for s in views.status()},
                views={name: views.view(name).snapshot() for name in views.names},
                courses=views.course_list.list_courses(),
            )
        finally:
            views.close()
            service.close()

    def topics_after(self, head: int) -> list[str]:
        """The event class names of the log entries after notification `head`."""
        store = StoreConfig(sqlite_path=self.db)
        service = open_service(store)
        try:
            notifications = service.recorder.select_notifications(
                start=head, limit=1000, inclusive_of_start=False
            )
            return [n.topic.rsplit(":", 1)[-1].rsplit(".", 1)[-1] for n in notifications]
        finally:
            service.close()


def _refer(store: HostileStore, course_id: str, cpr: str) -> None:
    store.must("refer", "--cpr", cpr, "--programme", "pva", "--referring-caseworker",
               "cw-lars", "--occurred-on", REFERRED, "--course-id", course_id)


def _complete_baseline(store: HostileStore, course: str) -> None:
    store.must("measure", course, "--point", "1", "--form", "citizen", "--who5", "1,2,3,4,5",
               "--mental-health", "poor", "--occurred-on", BASELINE_DONE)
    store.must("measure", course, "--point", "1", "--form", "staff", "--diagnosis", "yes",
               "--occurred-on", BASELINE_DONE)


def build_store(store: HostileStore) -> None:
    """Courses in every state, as the placeholders promise (see corpus.COURSE_IDS)."""
    for state, course in COURSE_IDS.items():
        _refer(store, course, CITIZENS[state])
    for course, cpr in zip(AMBIGUOUS_IDS, AMBIGUOUS_CITIZENS, strict=True):
        _refer(store, course, cpr)
    ids = COURSE_IDS
    for state in ("baseline", "active", "praktik", "job", "education", "exited_planned",
                  "scratch"):
        store.must("accept", ids[state], "--consultant", "mette", "--occurred-on", ACCEPTED)
    store.must("measure", ids["baseline"], "--point", "1", "--form", "citizen",
               "--who5", "1,2,3,4,5", "--occurred-on", "2024-02-15")
    for state in ("active", "praktik", "job", "education", "exited_planned", "scratch"):
        _complete_baseline(store, ids[state])
    store.must("praktik", "start", ids["praktik"], "--employer", "Netto", "--hours-per-week",
               "12", "--planned-end", "2024-06-30", "--occurred-on", "2024-04-01")
    store.must("job", "start", ids["job"], "--employer", "Netto", "--hours-per-week", "18",
               "--occurred-on", "2024-05-01")
    store.must("group", "join", ids["job"], "--group-course", "hold-1",
               "--occurred-on", "2024-05-10")
    store.must("group", "complete", ids["job"], "--group-course", "hold-1",
               "--occurred-on", "2024-06-10")
    store.must("education", "start", ids["education"], "--institution", "VUC",
               "--occurred-on", "2024-05-01")
    store.must("correct", ids["education"], "--version", "1", "--set", "note=typo",
               "--reason", "typed from paper")  # event #7, a correction
    store.must("job", "start", ids["exited_planned"], "--employer", "Netto",
               "--hours-per-week", "18", "--occurred-on", "2024-05-01")
    store.must("exit", ids["exited_planned"], "--planned", "--occurred-on", "2024-08-01")
    store.must("exit", ids["exited_unplanned"], "--unplanned", "--reason", "other",
               "--occurred-on", "2024-02-01")


@pytest.fixture(scope="session")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileStore]:
    """The session's store, built once; its courses are in the states the corpus names."""
    root = tmp_path_factory.mktemp("hostile")
    store = HostileStore(
        initialised(root / "hostile.sqlite"), root / "state", root / "forloeb.toml", CliRunner()
    )
    consultants = dict.fromkeys(CONSULTANTS, UserEntry(role=Role.CONSULTANT))
    admins = dict.fromkeys((USER, "o'brien"), UserEntry(role=Role.ADMIN))
    create_config(store.config, admins | consultants)
    build_store(store)
    yield store
