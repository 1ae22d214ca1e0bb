"""The SQLite variant of a view and the views' datastore.

Each view is eventsourcing's SQLite tracking recorder.

eventsourcing's SQLite recorder keeps every tracking record in one table named
`tracking`; views sharing a database file need one each, so the statements
are pointed at `<view>_tracking`. Everything else is the library's.

The views live in the event store's file but write through connections of
their own with `synchronous=NORMAL` (and a larger page cache): in WAL mode a commit is still atomic,
only the last commits before a power cut may be lost, and a lost commit of a
view loses its tracking position with it, so those events are simply
processed again. The event store's connections keep their full durability.
Like the event store's, they let the WAL grow to `WAL_AUTOCHECKPOINT_PAGES`
before a commit copies it back: a rebuild's batch writes thousands of pages,
and under SQLite's default of 1,000 nearly every batch's commit checkpointed.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from storage.pools import WAL_AUTOCHECKPOINT_PAGES, PragmaConnectionPool
from storage.sqlite import SQLITE

VIEW_CACHE_KIB = 24576
"""Page cache of a view connection (SQLite's default is 2 MiB): a rebuild inserts into
fact tables keyed by course, all over their B-trees, and a cache that small makes most
inserts a read from disk once the tables outgrow it. Pages are only taken as used; the
cache is part of a large rebuild's peak memory, so it is no larger than it must be."""

_NOTHING: dict[None, None] = {}
NULL_ADAPTER = _NOTHING.get
"""Adapts None to None, in C (an empty dict's `get(None)` is None).

CPython's sqlite3 binds int, float and str parameters as they are, but puts any
other value through the adaptation protocol: a registry lookup, then `__adapt__`
on the protocol and `__conform__` on the value, each a failed attribute lookup
that formats an AttributeError. None is such a value, and the views' rows are
mostly NULLs (a fact has a column for every kind of event), so a rebuild bound
hundreds of thousands of them that way. Registered for None, the lookup ends at the
registry and the value binds as NULL, as before. The registry is the sqlite3
module's, so this holds for every SQLite connection in the process."""
sqlite3.register_adapter(type(None), NULL_ADAPTER)


def views_datastore(events: SQLiteDatastore) -> SQLiteDatastore:
    """A datastore on the event store's file, for the views' own connections."""
    pool = events.pool
    datastore = SQLiteDatastore(pool.db_name, lock_timeout=pool.lock_timeout)
    datastore.pool.close()
    datastore.pool = PragmaConnectionPool(
        pragmas=[
            "synchronous=NORMAL",
            f"cache_size=-{VIEW_CACHE_KIB}",
            f"wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}",
        ],
        db_name=pool.db_name,
        lock_timeout=pool.lock_timeout,
    )
    return datastore


class SQLiteView(SQLiteTrackingRecorder):
    """The SQLite variant a view is mixed with (`projections.base.View`): its tracking
    recorder, in `<name>_tracking`, and SQLite's DDL, names and placeholders."""

    name: ClassVar[str]
    """The view's name (the view class's)."""

    def __init__(self, datastore: SQLiteDatastore) -> None:
        super().__init__(datastore)
        table = self.tracking_table
        self.insert_tracking_statement = (  # the library's single-row statement, renamed
            f"INSERT INTO {table} VALUES (:application_name, :notification_id) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = :notification_id "
            f"WHERE {table}.notification_id < :notification_id RETURNING notification_id"
        )
        self.select_max_tracking_id_statement = (
            f"SELECT MAX(notification_id) FROM {table} WHERE application_name=?"
        )

    def construct_create_table_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.tracking_table} ("
            "application_name TEXT, notification_id INTEGER, "
            "PRIMARY KEY (application_name)) WITHOUT ROWID",
            *self.ddl(),
        ]

    def ddl(self, *, indexes: bool = True) -> list[str]:
        """The portable DDL, tuned for SQLite: an integer key is the rowid, and a table
        keyed by text is stored in its key's order (one B-tree instead of two)."""
        tuned = []
        for statement in super().ddl(indexes=indexes):  # type: ignore[misc]
            if statement.startswith("CREATE TABLE"):
                if "BIGINT PRIMARY KEY" in statement:
                    statement = statement.replace("BIGINT PRIMARY KEY", "INTEGER PRIMARY KEY")
                elif "PRIMARY KEY" in statement:
                    statement += " WITHOUT ROWID"
            tuned.append(statement)
        return tuned

    @property
    def tracking_table(self) -> str:
        return f"{self.name}_tracking"

    def transaction(self, *, commit: bool) -> AbstractContextManager[Any]:
        return self.datastore.transaction(commit=commit)

    def table(self, name: str) -> str:
        return SQLITE.table(name)

    def placeholders(self, statement: str) -> str:
        return SQLITE.placeholders(statement)

    def existing_columns(self, c: Any, name: str) -> list[str]:
        c.execute(*SQLITE.columns_query(name))
        return [row["name"] for row in c.fetchall()]

    def track(self, c: Any, tracking: Tracking) -> None:
        self._insert_tracking(c, tracking)
