"""SQLite connection pools that set pragmas on every new connection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.sqlite import (
    SQLiteConnection,
    SQLiteConnectionPool,
)

WAL_AUTOCHECKPOINT_PAGES = 10000
"""Pages the event store's WAL may hold before a commit copies them back (SQLite: 1,000).

A batch of an import appends events of hundreds of courses (a median of 456 in a
500-line batch of the 100k-event demo cohort), each landing on another page of the
events' (originator_id, version) index and of the chain's links and heads: around a
thousand pages a batch. Under SQLite's default nearly every such commit was followed
by a checkpoint, copying the pages into the database file and syncing it (4.2 s of
commits in a 100k-event import; 2.2 s now). Now a checkpoint comes every few
batches, and a page changed by several of them is copied once. Durability is
unchanged: each commit is synced to the WAL as before."""


class PragmaConnectionPool(SQLiteConnectionPool):
    """The library's SQLite connection pool, running `pragmas` on every new connection."""

    def __init__(self, *, pragmas: Sequence[str], **settings: Any) -> None:
        self.pragmas = tuple(pragmas)
        super().__init__(**settings)

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        cursor = connection.cursor()
        for pragma in self.pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        return connection

    @classmethod
    def like(cls, pool: SQLiteConnectionPool, pragmas: Sequence[str]) -> PragmaConnectionPool:
        """A pool with the settings of `pool` (which must not have connected yet)."""
        return cls(
            pragmas=pragmas,
            db_name=pool.db_name,
            lock_timeout=pool.lock_timeout,
            pool_size=pool.pool_size,
            max_overflow=pool.max_overflow,
            pool_timeout=pool.pool_timeout,
            max_age=pool.max_age,
            pre_ping=pool.pre_ping,
        )
