"""Tools for the crash tests: the installed command as a process to kill, and the log and
views read back to check what a kill left behind.

A kill point is chosen by progress, not by the clock alone: the test watches the
store (the log growing by a batch, a view marked as rebuilding) and then kills
after a seeded random delay scaled to what the process does next, so kills land
anywhere in a batch — deciding, storing keys, saving, catching the views up —
however fast or loaded the machine is.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from cli.bootstrap import open_service
from domain.citizen import CitizenEvent
from domain.events import CourseEvent
from projections.catalog import open_views
from storage.chained import chain_table_names
from storage.keys import KEYS_TABLE, META_TABLE
from storage.store import StoreConfig
from workflows.service import CourseService

FORLOEB = Path(sys.executable).parent / "forloeb"
USER = "tester"
"""An administrator in the test configuration (tests/conftest.py exports FORLOEB_CONFIG)."""
TIMEOUT = 600
KEY_TABLES = (KEYS_TABLE, META_TABLE)


# The installed command ---------------------------------------------------------------------


def environment(store: StoreConfig, tmp_path: Path) -> dict[str, str]:
    """The test's environment (master key, configuration) acting as USER on `store`."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("FORLOEB_DB", "FORLOEB_DATABASE_URL", "FORLOEB_USER")}
    env["FORLOEB_USER"] = USER
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    if store.database_url is not None:
        env["FORLOEB_DATABASE_URL"] = store.database_url
    else:
        env["FORLOEB_DB"] = str(store.sqlite_path)
    return env


def start(store: StoreConfig, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """`forloeb ARGS` started as a process of its own on the store."""
    return subprocess.Popen(
        [str(FORLOEB), *args], env=environment(store, tmp_path), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def forloeb(store: StoreConfig, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`forloeb ARGS` run to completion on the store."""
    return subprocess.run(
        [str(FORLOEB), *args], env=environment(store, tmp_path), capture_output=True,
        text=True, timeout=TIMEOUT, check=False,
    )


def verify(store: StoreConfig, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`forloeb verify --all`: 0 when the hash chain is intact."""
    return forloeb(store, tmp_path, "verify", "--all")


def projection_status(store: StoreConfig, tmp_path: Path) -> list[dict[str, Any]]:
    """`forloeb projections status --format json`, parsed."""
    shown = forloeb(store, tmp_path, "projections", "status", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    rows: list[dict[str, Any]] = json.loads(shown.stdout)["views"]
    return rows


@dataclass
class Kill:
    """One kill point: where the head should be, and how long to wait after that."""

    target: int
    jitter: float


def kill_when(process: subprocess.Popen[str], reached: Callable[[], bool], jitter: float) -> bool:
    """SIGKILL the process `jitter` seconds after `reached()` first holds; whether it was
    still running then (False: it finished first)."""
    deadline = time.monotonic() + TIMEOUT
    while process.poll() is None and not reached() and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(jitter)
    alive = process.poll() is None
    if alive:
        os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=TIMEOUT)
    return alive


@dataclass(frozen=True)
class ImportTiming:
    """How a clean import spends its time."""

    events: int
    """Events in the clean log."""
    batch: float
    """Seconds between two of its commits, on average."""
    catch_up: float
    """Seconds from its last commit to its end (catching the views up, exiting)."""


def kill_import(
    process: subprocess.Popen[str], store: StoreConfig, rng: random.Random, timing: ImportTiming
) -> bool:
    """Kill a (resumed) import at a random moment after it commits one more batch: within a
    batch's time (deciding, storing keys, saving the next), or, if that batch completed
    the log, within the time it takes to catch the views up. Whether the kill hit a
    running process."""
    deadline = time.monotonic() + TIMEOUT
    with Watcher(store, size_query) as size:
        before = size()
        while process.poll() is None and size() == before and time.monotonic() < deadline:
            time.sleep(0.005)
        complete = size() == timing.events
    jitter = rng.uniform(0.0, timing.catch_up if complete else timing.batch)
    return kill_when(process, lambda: True, jitter)


def _pg_connect(store: StoreConfig) -> Any:
    import psycopg

    return psycopg.connect(**store.postgres.connect_kwargs())


Query = Callable[[StoreConfig, str], str]
"""A scalar query on the store, given the store and the schema prefix of its tables."""


def size_query(store: StoreConfig, prefix: str) -> str:
    """How many events the log holds."""
    return f"SELECT count(*) FROM {prefix}{store.events_table}"


class Watcher:
    """Asks the store one scalar query again and again on one connection; 0 while the
    store or the table is not there yet."""

    def __init__(self, store: StoreConfig, query: Query) -> None:
        self.store = store
        self.query = query
        self.conn: Any = None

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:
            self.conn.close()

    def __call__(self) -> int:
        """The query's answer now."""
        if self.store.database_url is not None:
            if self.conn is None:
                self.conn = _pg_connect(self.store)
                self.conn.autocommit = True
            statement = self.query(self.store, f'"{self.store.postgres.schema}".')
            try:
                row = self.conn.execute(statement).fetchone()
            except Exception as error:  # the table is not there yet
                if type(error).__name__ != "UndefinedTable":
                    raise
                return 0
            return int(row[0] or 0)
        assert self.store.sqlite_path is not None
        if self.conn is None:
            if not self.store.sqlite_path.exists():
                return 0
            self.conn = _sqlite_connect(self.store.sqlite_path)
        try:
            row = self.conn.execute(self.query(self.store, "")).fetchone()
        except sqlite3.OperationalError:
            return 0  # the table is not there yet
        return int(row[0] or 0)


def log_size(store: StoreConfig) -> int:
    """How many events the log holds."""
    with Watcher(store, size_query) as size:
        return size()


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    """A read-only connection to a SQLite file."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)


def log_tables(store: StoreConfig) -> list[str]:
    """The tables that make up the log: events, their hash chain, the citizens' keys."""
    return [store.events_table, *chain_table_names(store.events_table), *KEY_TABLES]


def log_digest(store: StoreConfig) -> dict[str, tuple[int, str]]:
    """For each log table: how many rows it holds, and a digest of all of them."""
    if store.database_url is not None:
        return {table: _pg_digest(store, table) for table in log_tables(store)}
    assert store.sqlite_path is not None
    digests = {}
    conn = _sqlite_connect(store.sqlite_path)
    try:
        for table in log_tables(store):
            rows = sorted(repr(row) for row in conn.execute(f"SELECT * FROM {table}"))
            digests[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    finally:
        conn.close()
    return digests


def _pg_digest(store: StoreConfig, table: str) -> tuple[int, str]:
    """Rows and an MD5 of all of them in a canonical order, computed by the server."""
    name = f'"{store.postgres.schema}"."{table}"'
    with _pg_connect(store) as conn:
        count, digest = conn.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
            f"FROM {name} t"
        ).fetchone()
    return int(count), str(digest)


EventKey = tuple[str, UUID, int]
"""An event as the checks compare it: its type, its aggregate, its version."""
CourseEntry = tuple[int, str, str | None]
"""A course's event: its version, its type, its command id."""
CitizenEntry = tuple[int, str, UUID | None]
"""A citizen's event: its version, its type, the course it opened (if it did)."""


@dataclass
class Log:
    """What the log holds, read incrementally: events per command, course and citizen.

    Course ids follow from the referrals' command ids, so two stores fed the same
    lines agree on them; a citizen's id is random, so citizens are compared by the
    courses they opened."""

    head: int = 0
    by_command: dict[str, list[EventKey]] = field(default_factory=lambda: defaultdict(list))
    courses: dict[UUID, list[CourseEntry]] = field(default_factory=lambda: defaultdict(list))
    citizens: dict[UUID, list[CitizenEntry]] = field(default_factory=lambda: defaultdict(list))

    def read(self, store: StoreConfig) -> None:
        """Read the notifications after the ones already read (the log only grows)."""
        service = open_service(store)
        try:
            for notification in _notifications(service, self.head):
                self._add(service.mapper.to_domain_event(notification))
                self.head = notification.id
        finally:
            service.close()

    def _add(self, event: Any) -> None:
        name = type(event).__name__
        aggregate, version = event.originator_id, event.originator_version
        if isinstance(event, CourseEvent):
            command_id = event.command_id
            if command_id is not None:
                self.by_command[command_id].append((name, aggregate, version))
            self.courses[aggregate].append((version, name, command_id))
        elif isinstance(event, CitizenEvent):
            self.citizens[aggregate].append((version, name, getattr(event, "course_id", None)))
        else:
            raise AssertionError(f"an event of neither a course nor a citizen: {name}")

    def opened(self) -> dict[UUID, list[UUID]]:
        """Each citizen's courses in the order opened, by the citizen's first course."""
        lists = [
            [course for _, name, course in events if name == "CourseOpened" and course]
            for events in self.citizens.values()
        ]
        return {courses[0]: courses for courses in lists if courses}


def _notifications(service: CourseService, after: int) -> Iterator[Any]:
    while True:
        batch = service.recorder.select_notifications(
            start=after, limit=5000, inclusive_of_start=False
        )
        if not batch:
            return
        yield from batch
        after = batch[-1].id


def check_whole_commands(log: Log, clean: Log) -> None:
    """No partial command: every command in the log has exactly the events it has in a
    clean run; every course holds the start of its clean history; every citizen was
    registered with a course, and opened exactly the courses the log has referrals of,
    in the clean order."""
    for command_id, events in log.by_command.items():
        assert events == clean.by_command.get(command_id), command_id
    for course, history in log.courses.items():
        assert history == clean.courses[course][: len(history)], course
    for citizen, entries in log.citizens.items():
        versions = [version for version, _, _ in entries]
        assert versions == list(range(1, len(entries) + 1)), citizen
        assert [name for _, name, _ in entries[:2]] == ["CitizenRegistered", "CourseOpened"]
    clean_opened = clean.opened()
    opened = log.opened()
    for first, courses in opened.items():
        assert courses == clean_opened[first][: len(courses)], first
    assert sorted(c for courses in opened.values() for c in courses) == sorted(log.courses)


# The views ----------------------------------------------------------------------------------


def views_snapshot(store: StoreConfig) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """Every row of every view, per view (without catching up)."""
    with open_views(store) as views:
        return {name: views.view(name).snapshot() for name in views.names}


def rebuilt_snapshot(store: StoreConfig) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """Every view rebuilt from zero in this process, then its rows."""
    with open_views(store) as views:
        views.rebuild()
        return {name: views.view(name).snapshot() for name in views.names}


def caught_up(status: list[dict[str, Any]]) -> bool:
    """Whether every view is at the head and none is half rebuilt."""
    return all(row["behind"] == 0 and not row["rebuilding"] for row in status)
