"""What a store kind offers the rest of forloeb: one `Backend` per kind, one `Dialect` each.

The rest of the code never asks which kind of store it has. It asks the
store's backend (`StoreConfig.backend`) for the library's environment, for
opening the event storage, for creating tables and granting access
(`forloeb init`), for compaction after an erasure, for the views' datastore
and SQL variant, and for the folder the store lives in. The SQL differences
(placeholders, binary columns, schema-qualified names, whether a one-statement
read needs a transaction) are the backend's `Dialect`, shared by the key store
and the views.

Backends: `storage.sqlite.SQLiteBackend`, `storage.postgres.PostgresBackend`,
and `storage.memory.MemoryBackend` (the library's in-memory store, for tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from domain.errors import CourseError

if TYPE_CHECKING:
    from storage.infrastructure import Infrastructure
    from storage.keys import KeyStore, MemoryKeyStore

APPLICATION_NAME = "forloeb"
"""The application's name: eventsourcing names PostgreSQL's events table `<name>_events`."""
EVENTS_TABLE = f"{APPLICATION_NAME}_events"
SQLITE_EVENTS_TABLE = "stored_events"
"""eventsourcing's SQLite recorder does not prefix the table with the application name."""
APPEND_ONLY_TABLES = (
    EVENTS_TABLE,
    f"{APPLICATION_NAME}_snapshots",
    f"{APPLICATION_NAME}_event_links",
    f"{APPLICATION_NAME}_log_links",
)
"""Tables holding the record itself: the application may read and append, nothing more."""


@dataclass(frozen=True)
class Dialect:
    """How SQL differs on one kind of store."""

    placeholder: str
    """`?` or `%s`."""
    blob: str
    """The type of a binary column."""
    schema: str | None = None
    """The schema names are qualified with (None: unqualified)."""
    reads_outside_transactions: bool = False
    """Run a one-statement read on its own (PostgreSQL: BEGIN and ROLLBACK around it
    would be two more round trips; the statement is its own snapshot anyway)."""

    def table(self, name: str) -> str:
        """A table's name as SQL (schema-qualified where the store has schemas)."""
        if self.schema is None:
            return name
        return ".".join('"' + part.replace('"', '""') + '"' for part in (self.schema, name))

    def placeholders(self, statement: str) -> str:
        """The statement with `?` placeholders in this dialect's style."""
        return statement if self.placeholder == "?" else statement.replace("?", self.placeholder)

    def columns_query(self, name: str) -> tuple[str, tuple[str, ...]]:
        """A query of a table's column names, in order, one `name` per row."""
        if self.schema is None:
            return "SELECT name FROM pragma_table_info(?) ORDER BY cid", (name,)
        statement = (
            "SELECT column_name AS name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position"
        )
        return self.placeholders(statement), (self.schema, name)


class InitRefused(CourseError):
    """`forloeb init` could not create or grant something; the message says what."""


def init_refused(backend: Backend, error: BaseException) -> InitRefused:
    """One line: which store, and the database's first line about what went wrong."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    return InitRefused(f"cannot initialise {backend.describe()}: {backend.redact(text)}")


@dataclass
class InitReport:
    """What `init` found and did."""

    store: str
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    granted: list[str] = field(default_factory=list)
    events: int = 0
    notes: list[str] = field(default_factory=list)
    """Lines about the store's keys (`storage.kek_status.init_notes`)."""

    def lines(self) -> list[str]:
        """The report as lines for the terminal."""
        if self.created:
            head = f"{self.store}: created {', '.join(self.created)}"
        else:
            head = f"{self.store}: already initialised, nothing to create"
        lines = [head]
        if self.existing:
            lines.append(f"  existing tables: {', '.join(self.existing)} ({self.events} events)")
        lines.extend(f"  granted {grant}" for grant in self.granted)
        lines.extend(self.notes)
        return lines


class Backend(Protocol):
    """One kind of store, as the rest of forloeb needs it."""

    @property
    def dialect(self) -> Dialect:
        """How SQL differs on this kind of store."""

    @property
    def folder(self) -> Path | None:
        """The folder the store is a file in (None: a server's database)."""

    def describe(self) -> str:
        """A one-line description without secrets."""

    def redact(self, text: str) -> str:
        """The text without the store's password, if it has one."""

    def library_env(self, *, create_tables: bool) -> dict[str, str]:
        """eventsourcing's environment for this store."""

    def default_master_key_file(self) -> Path | None:
        """Where a store of this kind kept its master key before the key moved to the
        user's own secret store (`storage.key_home`); None: a key must be given."""

    def check_usable(self) -> None:
        """Refuse, as bad input, a store address that cannot be this kind of store."""

    def check_exists(self) -> None:
        """Refuse a store that is not there (`forloeb init` makes it); nothing is created."""

    def check_reachable(self) -> None:
        """Refuse (StoreUnavailable, one line) a store that cannot be reached."""

    def check_ready(self) -> None:
        """As `check_reachable`, and the event store's tables exist (`forloeb init` was run)."""

    def open(self, open_storage: Callable[[], Infrastructure]) -> Infrastructure:
        """Open the event storage (`open_storage`), checked: a store that cannot be used
        raises StoreUnavailable naming it and the reason."""

    def creates_tables(self, factory: Any) -> bool:
        """Whether this opening of the store creates missing tables (the library's factory
        knows: SQLite always, PostgreSQL only for `forloeb init`)."""

    def key_store(self, factory: Any) -> KeyStore | MemoryKeyStore:
        """The citizen key store beside the events, on the event store's own datastore."""

    def views_datastore(self, factory: Any) -> Any:
        """The datastore the read views write through (may be the event store's)."""

    @property
    def view_base(self) -> type[Any]:
        """The SQL variant every view class is mixed with (its tracking recorder)."""

    def init(self, open_schema: Callable[[], None], grant_to: str | None) -> InitReport:
        """Create the missing tables (by calling `open_schema` as the owner) and grant
        `grant_to` what the application needs; report what was there and what was done."""

    def compact(self) -> None:
        """Leave no erased bytes in free pages or logs the store keeps."""

    @property
    def left_to_exit(self) -> bool:
        """Whether a process that leaves at once may skip closing the store's connections
        (the operating system releases them; every commit is already durable)."""
