"""The SQLite backend: the event store is one file, its tables made on first use."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.errors import InvalidInput
from storage.backend import SQLITE_EVENTS_TABLE, Dialect, InitRefused, InitReport

if TYPE_CHECKING:
    from storage.infrastructure import Infrastructure
    from storage.keys import KeyStore

SQLITE_RECORDER_TOPIC = "storage.sqlite_recorder:ChainedSQLiteRecorder"
"""The SQLite application recorder, hash-chaining every event (tamper evidence)."""
SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE = Dialect(placeholder="?", blob="BLOB")


class MissingStore(InvalidInput):
    """A command other than `init` named a SQLite file that does not exist."""


@dataclass(frozen=True)
class SQLiteBackend:
    """A SQLite file."""

    path: Path
    dialect: Dialect = SQLITE

    @property
    def folder(self) -> Path | None:
        """The folder the file is in."""
        return self.path.parent

    def describe(self) -> str:
        """`sqlite:PATH`."""
        return f"sqlite:{self.path}"

    def redact(self, text: str) -> str:
        """A file has no password."""
        return text

    def library_env(self, *, create_tables: bool) -> dict[str, str]:
        """eventsourcing's SQLite settings (it always creates missing tables)."""
        from storage.owner_only import create_empty

        create_empty(self.path)  # owner-only, and so are SQLite's -wal and -shm
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(self.path),
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": SQLITE_RECORDER_TOPIC,
        }

    def default_master_key_file(self) -> Path | None:
        """Where the key was kept before it moved to the user's own secret store (a store
        of that time still finds it there): `forloeb.sqlite` → `forloeb.key`."""
        return self.path.with_suffix(".key")

    def check_usable(self) -> None:
        """Refuse, as bad input, a path that cannot be a SQLite store."""
        path = self.path
        for parent in path.parents:
            if parent.exists() and not parent.is_dir():
                raise InvalidInput("db", f"{path}: {parent} is a file, not a folder")
        if path.is_dir():
            raise InvalidInput("db", f"{path} is a folder, not a SQLite file")
        if path.exists() and not path.is_file():
            raise InvalidInput("db", f"{path} is a device, pipe or socket, not a SQLite file")
        if path.is_file() and path.stat().st_size > 0:
            with path.open("rb") as f:
                if f.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                    raise InvalidInput("db", f"{path} is not a SQLite database")

    def check_exists(self) -> None:
        """Refuse a file that is not there (a mistyped --db would make an empty store)."""
        self.check_usable()
        if not self.path.exists():
            raise MissingStore("db", f"no store at {self.path} (run forloeb init, or check --db)")
        if self.path.stat().st_size == 0 and not _has_content(_wal(self.path)):
            raise MissingStore(
                "db",
                f"{self.path} is empty (0 bytes), not a store forloeb init made: it was "
                "truncated, or is a new file (run forloeb init, or check --db)",
            )

    def check_reachable(self) -> None:
        """The store is reachable when its folder can be created."""
        from storage.owner_only import make_folders
        from storage.store import StoreUnavailable

        try:
            make_folders(self.path.parent)
        except OSError as e:
            raise StoreUnavailable(
                f"cannot use the event store {self.describe()}: {e.strerror}"
            ) from None

    def check_ready(self) -> None:
        """As `check_reachable`: SQLite creates its tables on first use."""
        self.check_reachable()

    def open(self, open_storage: Callable[[], Infrastructure]) -> Infrastructure:
        """Open the file's event storage (SQLite creates the file and its tables)."""
        return open_storage()

    def creates_tables(self, factory: Any) -> bool:
        """Always: SQLite makes missing tables on first use."""
        return bool(factory.env_create_table())

    def key_store(self, factory: Any) -> KeyStore:
        """The key tables in the same file, through the event store's connections."""
        from storage.keys import KeyStore

        return KeyStore(factory.datastore, self.dialect)

    def views_datastore(self, factory: Any) -> Any:
        """Connections of the views' own on the same file (see `storage.sqlite_views`)."""
        from storage.sqlite_views import views_datastore

        return views_datastore(factory.datastore)

    @property
    def view_base(self) -> type[Any]:
        """`storage.sqlite_views.SQLiteView`."""
        from storage.sqlite_views import SQLiteView

        return SQLiteView

    def init(self, open_schema: Callable[[], None], grant_to: str | None) -> InitReport:
        """Open the store once, so its tables exist; report the tables before and after."""
        if grant_to is not None:
            raise InitRefused("grant_to: SQLite has no roles; use file permissions instead")
        before = self._tables() if self.path.exists() else set()
        open_schema()
        after = self._tables()
        report = InitReport(self.describe(), sorted(after - before), sorted(before))
        if SQLITE_EVENTS_TABLE in before:
            conn = sqlite3.connect(self.path)
            try:
                count = f'SELECT count(*) FROM "{SQLITE_EVENTS_TABLE}"'
                report.events = conn.execute(count).fetchone()[0]
            finally:
                conn.close()
        return report

    def _tables(self) -> set[str]:
        conn = sqlite3.connect(self.path)
        try:
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        finally:
            conn.close()
        return {name for (name,) in rows}

    @property
    def left_to_exit(self) -> bool:
        """Yes: a commit is durable in the write-ahead log, and closing the last connection
        would only copy that log into the file (a checkpoint, with its fsync) and delete it,
        for the next command to make again. SQLite checkpoints on its own as the log grows,
        and `compact` (after an erasure) still truncates it."""
        return True

    def compact(self) -> None:
        """Rewrite the file so no free page or write-ahead log still holds erased bytes."""
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()


def _wal(path: Path) -> Path:
    """The store's write-ahead log beside it."""
    return path.with_name(path.name + "-wal")


def _has_content(path: Path) -> bool:
    """Whether a file is there and not empty."""
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False
