"""Application recorders that hash-chain every stored event (see `workflows.chain`).

Beside eventsourcing's events table each recorder keeps two tables, named
after it (`stored_events` → `stored_event_links`, `stored_chain_heads`;
`forloeb_events` → `forloeb_event_links`, `forloeb_chain_heads`):

- event links (append-only): for every stored event, its predecessor's hash
  and its own;
- chain heads: per aggregate, the last version, its hash and the HMAC over
  them with the chain key (`use_chain_key`, given by CourseService).

They are written in the transaction that inserts the events, after the
library's own insert statement, so a conflicting insert still raises
IntegrityError and writes nothing, and a chain is never partial. Without a
chain key the recorders refuse to write (ChainKeyMissing) rather than leave
unsigned heads. Reading events is untouched.

The SQLite recorder reads a head only when it must: an aggregate whose new
events start at #0 or #1 starts its chain (its head is inserted, and the
insert fails if one exists), and one whose last head this recorder wrote is
continued from it (`KnownHeads`: the update is conditional on the stored head
being exactly that one). If either presumption fails, the whole append is
rolled back and redone reading and checking every head, as it always is on
PostgreSQL.

The PostgreSQL recorders are built on first use (`forloeb --help` must not
import psycopg): `AppendOnlyPostgresRecorder` serialises appends with an
advisory lock instead of the library's `LOCK TABLE … IN EXCLUSIVE MODE`, so an
application role with only SELECT and INSERT on the events can append, and
`ChainedPostgresRecorder` adds the chain to it.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import itertools
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
)

from domain.errors import CourseError
from workflows.chain import (
    ZERO_HASH,
    Append,
    Appended,
    ChainKeyMissing,
    ChainRow,
    Finding,
    Head,
    HeadRow,
    Identity,
    Link,
    LinkRow,
    Verifier,
    appended,
    canonical_id,
    chain,
    chain_rows,
    identity,
    sign_head,
)

FETCH_ROWS = 2000
"""Rows fetched per round trip while verifying (memory stays bounded)."""
SEAL_BATCH = 500
"""Aggregates sealed per transaction."""
_IN_CHUNK = 500
"""Originator ids per `IN (…)` on SQLite (well below its parameter limit)."""


def chain_table_names(events_table_name: str) -> tuple[str, str]:
    """The links and heads tables that go with an events table."""
    prefix = events_table_name.removesuffix("events")
    return f"{prefix}event_links", f"{prefix}chain_heads"


def advisory_lock_key(schema: str, table: str) -> int:
    """A stable signed 64-bit advisory-lock key for one events table."""
    digest = hashlib.sha256(f"forloeb-append:{schema}.{table}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass
class SealReport:
    """What `seal` did: aggregates brought under the chain, and those it could not."""

    aggregates: int = 0
    events: int = 0
    skipped: list[str] = field(default_factory=list)
    """One line per aggregate left unsealed (its versions have a gap)."""


_AS_STORED = "CAST(e.topic AS BLOB), CAST(e.state AS BLOB)"
"""An event's topic and state as the bytes stored, whatever a tamperer made of their types."""


def _blob(value: Any) -> bytes | None:
    """A hash column as bytes (None stays None; a tampered text value becomes its bytes)."""
    if value is None or isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogateescape")


def _by_row(row: ChainRow) -> tuple[str, int]:
    return row.originator_id, row.version


def _merged(linked: Iterator[ChainRow], orphans: Iterator[ChainRow]) -> Iterator[ChainRow]:
    """Events (with their links) and links whose event is gone, in (originator, version)
    order; orphaned links only exist after tampering, so usually no merge is needed."""
    first = next(orphans, None)
    if first is None:
        return linked
    return heapq.merge(linked, itertools.chain([first], orphans), key=_by_row)


def seal_aggregate(
    originator_id: str, events: Sequence[tuple[int, str, bytes]], key: bytes
) -> tuple[list[Link], Head] | str:
    """Links and a signed head for an unchained aggregate's events, or why it cannot be sealed.

    Only a gap-free log (from version 0 or 1) is sealed: sealing over a gap
    would hide a removal made before the chain existed.
    """
    versions = [v for v, _, _ in events]
    start = versions[0]
    if start > 1 or versions != list(range(start, start + len(versions))):
        return f"{originator_id}: not sealed, versions #{start}..#{versions[-1]} have gaps"
    links = chain(originator_id, ZERO_HASH, events)
    return links, sign_head(key, originator_id, links[-1].version, links[-1].hash)


class ChainTablesMissing(CourseError):
    """The store predates tamper evidence and `forloeb init` has not added its tables."""


KNOWN_HEADS_MAX = 10_000
"""Heads a recorder remembers between appends (about 1 KB each, with the aggregate's id in
the forms an append needs): more than an import's active aggregates."""


class KnownHeads:
    """The heads this recorder last wrote, signed with its chain key.

    An append to an aggregate whose remembered head its new events follow does
    not read the head: it writes the new one with an UPDATE conditional on the
    stored head being exactly the remembered one (version, hash and signature),
    so it only succeeds if the head the chain continues from is stored, and
    authentic, as the checked path would have required; otherwise the append
    is redone on the checked path. Entries are only a hint: any of them may be
    stale (another process appended, a transaction was rolled back, someone
    tampered) and that only costs the redo. Beyond `limit` entries the first
    remembered are forgotten.
    """

    def __init__(self, limit: int = KNOWN_HEADS_MAX) -> None:
        self.limit = limit
        self._entries: dict[int | str, tuple[Identity, Head]] = {}
        self._lock = threading.Lock()

    def get(self, stored_id: UUID | str) -> tuple[Identity, Head] | None:
        return self._entries.get(_key(stored_id))

    def remember(self, written: list[tuple[UUID | str, Identity, Head]]) -> None:
        """Remember heads written by a committed append (the first remembered are forgotten
        beyond the limit)."""
        with self._lock:
            entries = self._entries
            for stored_id, who, head in written:
                entries[_key(stored_id)] = (who, head)
            while len(entries) > self.limit:
                del entries[next(iter(entries))]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _key(stored_id: UUID | str) -> int | str:
    """A stored id as a dict key that hashes in C (a UUID's own hash is Python code)."""
    return stored_id.int if isinstance(stored_id, UUID) else stored_id


class _HeadsMoved(Exception):
    """A head was not as the append presumed (one exists for an aggregate presumed to start
    its chain, or a remembered one is no longer stored): the append is redone, checked."""


class _ChainKeyHolder:
    """The chain key a recorder signs heads with (and, on SQLite, the heads it signed)."""

    chain_key: bytes | None = None
    known_heads: KnownHeads

    def use_chain_key(self, key: bytes) -> None:
        """Sign chain heads with `key` (CourseService derives it from the master key)."""
        self.chain_key = key
        self.known_heads = KnownHeads()

    def require_chain_key(self) -> bytes:
        """The chain key, or ChainKeyMissing: nothing is written without one."""
        if self.chain_key is None:
            raise ChainKeyMissing(
                "chain key: the event store was opened without a key to sign chain heads; "
                "nothing was written"
            )
        return self.chain_key


_NEW, _KNOWN, _READ = "new", "known", "read"
"""How an append treats an aggregate's head: presumed absent (the append starts the chain,
#0 or #1), remembered (`KnownHeads`), or read from the store and checked."""


def _plan(
    pending: Sequence[Appended],
    known: KnownHeads,
    make_identity: Callable[[UUID | str], Identity],
    *,
    checked: bool,
) -> tuple[list[Append], list[str]]:
    """Each aggregate's Append (heads still to be read are None) and how its head is had."""
    appends: list[Append] = []
    kinds: list[str] = []
    for a in pending:
        entry = None if checked else known.get(a.stored_id)
        if entry is not None and entry[1].version == a.first - 1:
            appends.append(Append(entry[0], a.events, entry[1], verified=True))
            kinds.append(_KNOWN)
            continue
        who = entry[0] if entry is not None else make_identity(a.stored_id)
        appends.append(Append(who, a.events, None))
        kinds.append(_NEW if not checked and a.first <= 1 else _READ)
    return appends, kinds


def _written(
    pending: Sequence[Appended], appends: Sequence[Append], heads: Sequence[HeadRow]
) -> list[tuple[UUID | str, Identity, Head]]:
    return [
        (p.stored_id, a.who, Head(a.who.originator_id, h[1], h[2], h[3]))
        for p, a, h in zip(pending, appends, heads, strict=True)
    ]


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


class ChainedSQLiteRecorder(_ChainKeyHolder, SQLiteApplicationRecorder):
    """eventsourcing's SQLite application recorder, hash-chaining every event."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        self.links_table_name, self.heads_table_name = chain_table_names(events_table_name)
        if type(datastore.pool) is SQLiteConnectionPool:
            datastore.pool.close()  # nothing connected yet: the factory only built it
            datastore.pool = PragmaConnectionPool.like(
                datastore.pool, [f"wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}"]
            )
        super().__init__(datastore, events_table_name)
        self.known_heads = KnownHeads()
        links, heads = self.links_table_name, self.heads_table_name
        self.insert_links_statement = f"INSERT INTO {links} VALUES (?,?,?,?)"
        self.insert_heads_statement = f"INSERT INTO {heads} VALUES (?,?,?,?)"
        self.update_known_heads_statement = (
            f"UPDATE {heads} SET version = ?, hash = ?, mac = ? WHERE originator_id = ? "
            "AND version = ? AND hash = ? AND mac = ?"
        )
        self.upsert_heads_statement = (
            f"INSERT INTO {heads} VALUES (?,?,?,?) ON CONFLICT (originator_id) DO UPDATE "
            "SET version = excluded.version, hash = excluded.hash, mac = excluded.mac"
        )

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.links_table_name} ("
            "originator_id TEXT, originator_version INTEGER, "
            "prev_hash BLOB NOT NULL, hash BLOB NOT NULL, "
            "PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {self.heads_table_name} ("
            "originator_id TEXT PRIMARY KEY, version INTEGER NOT NULL, "
            "hash BLOB NOT NULL, mac BLOB NOT NULL) WITHOUT ROWID",
        ]

    def _db_id(self, originator_id: UUID | str) -> str:
        return originator_id.hex if isinstance(originator_id, UUID) else originator_id

    def _canonical(self, db_id: str | bytes) -> str:
        """The canonical id of a stored id (a tampered one is reported as it is)."""
        if isinstance(db_id, bytes):
            db_id = db_id.decode("utf-8", "surrogateescape")
        try:
            return canonical_id(self.convert_originator_id(db_id))
        except (ValueError, TypeError, AttributeError):
            return str(db_id)

    # Appending ---------------------------------------------------------------

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert the events, their links and their aggregates' new heads in one transaction.

        Heads are only read where they must be (see `KnownHeads`): an
        aggregate whose first new event is #1 (or #0) starts its chain, so its
        head is inserted, which fails if one exists; a remembered head is
        updated only if stored exactly as remembered. If either fails, the
        transaction is rolled back and the append redone reading and checking
        every head (`checked`), which refuses it unless the stored head is one
        the new events follow.
        """
        written: list[tuple[UUID | str, Identity, Head]] = []
        try:
            notification_ids = super().insert_events(stored_events, chain_written=written, **kwargs)
        except _HeadsMoved:
            written.clear()
            with self.datastore.transaction(commit=True) as c:
                notification_ids = self._insert_events(
                    c, stored_events, checked=True, chain_written=written, **kwargs
                )
        self.known_heads.remember(written)
        return notification_ids

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        *,
        checked: bool = False,
        chain_written: list[tuple[UUID | str, Identity, Head]] | None = None,
        **kwargs: Any,
    ) -> Sequence[int] | None:
        key = self.require_chain_key()
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        if stored_events:
            written = self._append_chain(c, appended(stored_events), key, checked=checked)
            if chain_written is not None:
                chain_written.extend(written)
        return notification_ids

    def _append_chain(
        self, c: SQLiteCursor, pending: list[Appended], key: bytes, *, checked: bool
    ) -> list[tuple[UUID | str, Identity, Head]]:
        appends, kinds = _plan(pending, self.known_heads, self._identity, checked=checked)
        read = [i for i, kind in enumerate(kinds) if kind is _READ]
        if read:
            stored = self._select_heads(c, [appends[i].who for i in read])
            for i in read:
                appends[i] = appends[i]._replace(head=stored.get(appends[i].who.stored))
        links, heads = chain_rows(appends, key)
        if all(kind is _NEW for kind in kinds):
            new, updated, upserted = heads, [], []
        else:
            new = [h for h, kind in zip(heads, kinds, strict=True) if kind is _NEW]
            upserted = [h for h, kind in zip(heads, kinds, strict=True) if kind is _READ]
            updated = [
                (h[1], h[2], h[3], h[0], a.head.version, a.head.hash, a.head.mac)
                for h, a, kind in zip(heads, appends, kinds, strict=True)
                if kind is _KNOWN and a.head is not None
            ]
        cursor = c.sqlite_cursor
        if new:
            try:
                cursor.executemany(self.insert_heads_statement, new)
            except sqlite3.IntegrityError:
                raise _HeadsMoved from None
        if updated:
            cursor.executemany(self.update_known_heads_statement, updated)
            if cursor.rowcount != len(updated):
                raise _HeadsMoved
        cursor.executemany(self.insert_links_statement, links)
        if upserted:
            cursor.executemany(self.upsert_heads_statement, upserted)
        return _written(pending, appends, heads)

    def _identity(self, stored_id: UUID | str) -> Identity:
        return identity(canonical_id(stored_id), self._db_id(stored_id))

    def _select_heads(self, c: SQLiteCursor, whos: list[Identity]) -> dict[str, Head]:
        """The stored heads of the aggregates, by stored id."""
        heads: dict[str, Head] = {}
        names = {who.stored: who.originator_id for who in whos}
        db_ids = list(names)
        for i in range(0, len(db_ids), _IN_CHUNK):
            chunk = db_ids[i : i + _IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            c.execute(
                f"SELECT originator_id, version, hash, mac FROM {self.heads_table_name} "
                f"WHERE originator_id IN ({marks})",
                chunk,
            )
            for db_id, version, digest, mac in c.fetchall():
                heads[db_id] = Head(names[db_id], version, digest, mac)
        return heads

    # Verifying ---------------------------------------------------------------

    def chain_findings(
        self, verifier: Verifier, originator_id: UUID | str | None = None
    ) -> Iterator[Finding]:
        """Stream the stored chain (one aggregate or all) through `verifier`, in one snapshot."""
        e, lk, h = self.events_table_name, self.links_table_name, self.heads_table_name

        def only(alias: str, keyword: str = "WHERE") -> str:
            return "" if originator_id is None else f"{keyword} {alias}.originator_id = ?"

        params = () if originator_id is None else (self._db_id(originator_id),)
        with self.datastore.transaction(commit=False) as c:
            conn = c.sqlite_cursor.connection
            linked = self._stream(
                conn,
                f"SELECT e.originator_id, e.originator_version, {_AS_STORED}, "
                f"l.prev_hash, l.hash FROM {e} e LEFT JOIN {lk} l "
                "ON l.originator_id = e.originator_id "
                "AND l.originator_version = e.originator_version "
                f"{only('e')} ORDER BY e.originator_id, e.originator_version",
                params,
            )
            orphans = self._stream(
                conn,
                "SELECT l.originator_id, l.originator_version, NULL, NULL, l.prev_hash, l.hash "
                f"FROM {lk} l WHERE NOT EXISTS (SELECT 1 FROM {e} e "
                "WHERE e.originator_id = l.originator_id "
                "AND e.originator_version = l.originator_version) "
                f"{only('l', 'AND')} "
                "ORDER BY l.originator_id, l.originator_version",
                params,
            )
            heads = (
                Head(
                    self._canonical(r[0]),
                    r[1] if isinstance(r[1], int) else -1,
                    _blob(r[2]) or b"",
                    _blob(r[3]) or b"",
                )
                for r in self._raw(
                    conn,
                    f"SELECT originator_id, version, hash, mac FROM {h} h "
                    f"{only('h')} ORDER BY originator_id",
                    params,
                )
            )
            rows = _merged(
                (ChainRow._make(r) for r in linked), (ChainRow._make(r) for r in orphans)
            )
            yield from verifier.findings(rows, heads)

    def _raw(
        self, conn: sqlite3.Connection, statement: str, params: Sequence[Any]
    ) -> Iterator[Sequence[Any]]:
        cursor = conn.cursor()
        try:
            cursor.execute(statement, params)
            while batch := cursor.fetchmany(FETCH_ROWS):
                yield from batch
        finally:
            with contextlib.suppress(sqlite3.ProgrammingError):
                cursor.close()

    def _stream(
        self, conn: sqlite3.Connection, statement: str, params: Sequence[Any]
    ) -> Iterator[tuple[str, int, str | None, bytes | None, bytes | None, bytes | None]]:
        last_id, canonical = None, ""
        for r in self._raw(conn, statement, params):
            if r[0] != last_id:  # rows come aggregate by aggregate: convert each id once
                last_id, canonical = r[0], self._canonical(r[0])
            topic = None if r[2] is None else bytes(r[2]).decode("utf-8", "surrogateescape")
            version = r[1] if isinstance(r[1], int) else -1
            yield canonical, version, topic, r[3], _blob(r[4]), _blob(r[5])

    # Sealing -----------------------------------------------------------------

    def seal(self) -> SealReport:
        """Chain every aggregate that has events but no links and no head (idempotent)."""
        key = self.require_chain_key()
        report = SealReport()
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._unchained_statement())
            unchained = [r[0] for r in c.fetchall()]
        for i in range(0, len(unchained), SEAL_BATCH):
            with self.datastore.transaction(commit=True) as c:
                # Take the write lock before reading, so nothing changes in between.
                c.execute(f"DELETE FROM {self.heads_table_name} WHERE 0")
                self._seal_batch(c, unchained[i : i + SEAL_BATCH], key, report)
        return report

    def _unchained_statement(self) -> str:
        e, lk, h = self.events_table_name, self.links_table_name, self.heads_table_name
        return (
            f"SELECT DISTINCT e.originator_id FROM {e} e "
            f"WHERE NOT EXISTS (SELECT 1 FROM {h} h WHERE h.originator_id = e.originator_id) "
            f"AND NOT EXISTS (SELECT 1 FROM {lk} l WHERE l.originator_id = e.originator_id) "
            "ORDER BY e.originator_id"
        )

    def _seal_batch(
        self, c: SQLiteCursor, db_ids: list[str], key: bytes, report: SealReport
    ) -> None:
        marks = ",".join("?" * len(db_ids))
        c.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {self.events_table_name} "
            f"WHERE originator_id IN ({marks}) AND NOT EXISTS (SELECT 1 FROM "
            f"{self.heads_table_name} h WHERE h.originator_id = {self.events_table_name}."
            "originator_id) ORDER BY originator_id, originator_version",
            db_ids,
        )
        rows = [(r[0], r[1], r[2], r[3]) for r in c.fetchall()]
        links, heads, names = _sealed(rows, self._canonical, key, report)
        c.executemany(
            self.insert_links_statement,
            [(names[lk.originator_id], lk.version, lk.prev_hash, lk.hash) for lk in links],
        )
        c.executemany(
            self.insert_heads_statement,
            [(names[h.originator_id], h.version, h.hash, h.mac) for h in heads],
        )


def _sealed(
    rows: Iterable[tuple[Any, int, str, bytes]],
    canonical: Callable[[Any], str],
    key: bytes,
    report: SealReport,
) -> tuple[list[Link], list[Head], dict[str, Any]]:
    """Seal the aggregates in `rows` (ordered by originator, version); count into `report`."""
    links: list[Link] = []
    heads: list[Head] = []
    names: dict[str, Any] = {}
    for db_id, group in itertools.groupby(rows, key=lambda r: r[0]):
        originator_id = canonical(db_id)
        events = [(v, topic, bytes(state)) for _, v, topic, state in group]
        sealed = seal_aggregate(originator_id, events, key)
        if isinstance(sealed, str):
            report.skipped.append(sealed)
            continue
        names[originator_id] = db_id
        links.extend(sealed[0])
        heads.append(sealed[1])
        report.aggregates += 1
        report.events += len(events)
    return links, heads, names


def _define_postgres_recorders() -> dict[str, type[Any]]:
    """Build the PostgreSQL recorder classes (imports psycopg)."""
    from eventsourcing.persistence import InterfaceError, OperationalError, ProgrammingError
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
    from eventsourcing.utils import retry
    from psycopg.errors import UndefinedTable
    from psycopg.rows import tuple_row
    from psycopg.sql import SQL, Composed, Identifier, Literal

    class AppendOnlyPostgresRecorder(PostgresApplicationRecorder):
        """eventsourcing's recorder, serialising appends with an advisory lock.

        The library's `LOCK TABLE … IN EXCLUSIVE MODE` needs UPDATE, DELETE or
        TRUNCATE privilege; `pg_advisory_xact_lock` needs none, so the
        application role can be limited to SELECT and INSERT on the events.
        The ordering guarantee is the same: every inserting transaction holds
        the lock until it commits, so notification ids are issued in commit
        order, and readers are never blocked.
        """

        def __init__(
            self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
        ) -> None:
            super().__init__(datastore, events_table_name=events_table_name)
            key = advisory_lock_key(datastore.schema, events_table_name)
            self.lock_table_statements = [
                SQL("SET LOCAL lock_timeout = '{0}s'").format(datastore.lock_timeout),
                SQL("SELECT pg_advisory_xact_lock({0})").format(Literal(key)),
            ]

    class ChainedPostgresRecorder(_ChainKeyHolder, AppendOnlyPostgresRecorder):
        """The append-only PostgreSQL recorder, hash-chaining every event."""

        def __init__(
            self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
        ) -> None:
            super().__init__(datastore, events_table_name=events_table_name)
            self.links_table_name, self.heads_table_name = chain_table_names(events_table_name)
            for name in (self.links_table_name, self.heads_table_name):
                self.check_identifier_length(name)
            schema = Identifier(datastore.schema)
            self.id_type = Identifier(datastore.originator_id_type)
            self.events = Composed([schema, SQL("."), Identifier(events_table_name)])
            self.links = Composed([schema, SQL("."), Identifier(self.links_table_name)])
            self.heads = Composed([schema, SQL("."), Identifier(self.heads_table_name)])
            self.sql_create_statements.extend(self._create_chain_tables())
            self.order = SQL(' COLLATE "C"' if datastore.originator_id_type == "text" else "")
            self.select_heads_statement = SQL(
                "SELECT originator_id, version, hash, mac FROM {heads} "
                "WHERE originator_id = ANY(%s::{t}[])"
            ).format(heads=self.heads, t=self.id_type)
            self.write_chain_statement = SQL(
                "WITH links AS (INSERT INTO {links} "
                "(originator_id, originator_version, prev_hash, hash) "
                "SELECT * FROM unnest(%s::{t}[], %s::bigint[], %s::bytea[], %s::bytea[])) "
                "INSERT INTO {heads} (originator_id, version, hash, mac) "
                "SELECT * FROM unnest(%s::{t}[], %s::bigint[], %s::bytea[], %s::bytea[]) "
                "ON CONFLICT (originator_id) DO UPDATE SET version = EXCLUDED.version, "
                "hash = EXCLUDED.hash, mac = EXCLUDED.mac"
            ).format(links=self.links, heads=self.heads, t=self.id_type)

        def _create_chain_tables(self) -> list[Composed]:
            return [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {links} ("
                    "originator_id {t} NOT NULL, originator_version bigint NOT NULL, "
                    "prev_hash bytea NOT NULL, hash bytea NOT NULL, "
                    "PRIMARY KEY (originator_id, originator_version))"
                ).format(links=self.links, t=self.id_type),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {heads} ("
                    "originator_id {t} PRIMARY KEY, version bigint NOT NULL, "
                    "hash bytea NOT NULL, mac bytea NOT NULL)"
                ).format(heads=self.heads, t=self.id_type),
            ]

        @contextlib.contextmanager
        def chain_tables_required(self) -> Iterator[None]:
            """Turn "no such table" for the chain's tables into a one-line instruction."""
            try:
                yield
            except ProgrammingError as error:
                if not isinstance(error.__cause__, UndefinedTable):
                    raise
                raise ChainTablesMissing(
                    f"the event store (schema {self.datastore.schema}) has no tables "
                    f"{self.links_table_name} and {self.heads_table_name} for tamper "
                    "evidence; run `forloeb init` as the owner role (after an upgrade), "
                    "then `forloeb verify --seal`"
                ) from None

        # Appending -----------------------------------------------------------

        @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
        def insert_events(
            self, stored_events: Sequence[StoredEvent], **kwargs: Any
        ) -> Sequence[int] | None:
            """Insert the events as the library does, then their links and heads, in one
            transaction (the append lock is held from before the insert until commit)."""
            key = self.require_chain_key()
            if not stored_events:
                return None
            with (
                self.chain_tables_required(),
                self.datastore.get_connection() as conn,
                conn.transaction(),
                conn.cursor() as curs,
            ):
                self._insert_events(curs, stored_events, **kwargs)
                self._insert_stored_events(curs, stored_events, **kwargs)
                notification_ids = [row["notification_id"] for row in curs.fetchall()]
                self._append_links(curs, stored_events, key)
            return notification_ids

        def _append_links(
            self, curs: Any, stored_events: Sequence[StoredEvent], key: bytes
        ) -> None:
            pending = appended(stored_events)
            whos = [identity(canonical_id(a.stored_id), a.stored_id) for a in pending]
            curs.execute(self.select_heads_statement, ([w.stored for w in whos],), prepare=True)
            heads: dict[str, Head] = {}
            for r in curs.fetchall():
                name = canonical_id(r["originator_id"])
                heads[name] = Head(name, r["version"], bytes(r["hash"]), bytes(r["mac"]))
            appends = [
                Append(who, a.events, heads.get(who.originator_id))
                for who, a in zip(whos, pending, strict=True)
            ]
            links, new_heads = chain_rows(appends, key)
            self._write_chain(curs, links, new_heads)

        def _write_chain(self, curs: Any, links: list[LinkRow], heads: list[HeadRow]) -> None:
            curs.execute(
                self.write_chain_statement,
                (
                    [lk[0] for lk in links],
                    [lk[1] for lk in links],
                    [lk[2] for lk in links],
                    [lk[3] for lk in links],
                    [h[0] for h in heads],
                    [h[1] for h in heads],
                    [h[2] for h in heads],
                    [h[3] for h in heads],
                ),
                prepare=True,
            )

        # Verifying -----------------------------------------------------------

        def chain_findings(
            self, verifier: Verifier, originator_id: UUID | str | None = None
        ) -> Iterator[Finding]:
            """Stream the stored chain (one aggregate or all) through `verifier`, in one
            repeatable-read snapshot, with server-side cursors."""
            params: tuple[Any, ...] = () if originator_id is None else (originator_id,)

            def where(t: str) -> SQL:
                return SQL("" if originator_id is None else f"WHERE {t}.originator_id = %s")

            linked = SQL(
                "SELECT e.originator_id, e.originator_version, e.topic, e.state, "
                "l.prev_hash, l.hash FROM {events} e LEFT JOIN {links} l "
                "ON l.originator_id = e.originator_id "
                "AND l.originator_version = e.originator_version {where} "
                "ORDER BY e.originator_id{o}, e.originator_version"
            ).format(events=self.events, links=self.links, where=where("e"), o=self.order)
            orphans = SQL(
                "SELECT l.originator_id, l.originator_version, NULL::text, NULL::bytea, "
                "l.prev_hash, l.hash "
                "FROM {links} l WHERE NOT EXISTS (SELECT 1 FROM {events} e "
                "WHERE e.originator_id = l.originator_id "
                "AND e.originator_version = l.originator_version) {where} "
                "ORDER BY l.originator_id{o}, l.originator_version"
            ).format(
                events=self.events,
                links=self.links,
                where=SQL("" if originator_id is None else "AND l.originator_id = %s"),
                o=self.order,
            )
            heads = SQL(
                "SELECT originator_id, version, hash, mac FROM {heads} h {where} "
                "ORDER BY originator_id{o}"
            ).format(heads=self.heads, where=where("h"), o=self.order)
            with (
                self.chain_tables_required(),
                self.datastore.get_connection() as conn,
                conn.transaction(),
            ):
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                rows = _merged(
                    (_pg_row(r) for r in _server_side(conn, "chain_linked", linked, params)),
                    (_pg_row(r) for r in _server_side(conn, "chain_orphans", orphans, params)),
                )
                stored_heads = (
                    Head(canonical_id(r[0]), r[1], bytes(r[2]), bytes(r[3]))
                    for r in _server_side(conn, "chain_heads", heads, params)
                )
                yield from verifier.findings(rows, stored_heads)

        # Sealing -------------------------------------------------------------

        def seal(self) -> SealReport:
            """Chain every aggregate that has events but no links and no head (idempotent)."""
            key = self.require_chain_key()
            report = SealReport()
            unchained_statement = SQL(
                "SELECT DISTINCT e.originator_id FROM {events} e "
                "WHERE NOT EXISTS (SELECT 1 FROM {heads} h "
                "WHERE h.originator_id = e.originator_id) "
                "AND NOT EXISTS (SELECT 1 FROM {links} l WHERE l.originator_id = e.originator_id)"
            ).format(events=self.events, heads=self.heads, links=self.links)
            with self.chain_tables_required(), self.datastore.get_connection() as conn:
                unchained = [r["originator_id"] for r in conn.execute(unchained_statement)]
            for i in range(0, len(unchained), SEAL_BATCH):
                self._seal_batch(unchained[i : i + SEAL_BATCH], key, report)
            return report

        def _seal_batch(self, db_ids: list[Any], key: bytes, report: SealReport) -> None:
            select = SQL(
                "SELECT originator_id, originator_version, topic, state FROM {events} e "
                "WHERE originator_id = ANY(%s::{t}[]) AND NOT EXISTS (SELECT 1 FROM {heads} h "
                "WHERE h.originator_id = e.originator_id) "
                "ORDER BY originator_id{o}, originator_version"
            ).format(events=self.events, heads=self.heads, t=self.id_type, o=self.order)
            with (
                self.datastore.get_connection() as conn,
                conn.transaction(),
                conn.cursor() as curs,
            ):
                self._lock_table(curs)  # no append can interleave
                curs.execute(select, (db_ids,))
                rows = [
                    (r["originator_id"], r["originator_version"], r["topic"], r["state"])
                    for r in curs.fetchall()
                ]
                links, heads, names = _sealed(rows, canonical_id, key, report)
                if links:
                    self._write_chain(
                        curs,
                        [(names[lk.originator_id], *lk[1:]) for lk in links],
                        [(names[h.originator_id], *h[1:]) for h in heads],
                    )

    def _server_side(conn: Any, name: str, statement: Any, params: Sequence[Any]) -> Iterator[Any]:
        with conn.cursor(name=name, row_factory=tuple_row, binary=True) as cursor:
            cursor.itersize = FETCH_ROWS
            cursor.execute(statement, params)
            yield from cursor

    for cls in (AppendOnlyPostgresRecorder, ChainedPostgresRecorder):
        cls.__module__ = __name__
        cls.__qualname__ = cls.__name__
    return {
        "AppendOnlyPostgresRecorder": AppendOnlyPostgresRecorder,
        "ChainedPostgresRecorder": ChainedPostgresRecorder,
    }


def _pg_row(r: Sequence[Any]) -> ChainRow:
    state = None if r[3] is None else bytes(r[3])
    prev = None if r[4] is None else bytes(r[4])
    digest = None if r[5] is None else bytes(r[5])
    return ChainRow(canonical_id(r[0]), r[1], r[2], state, prev, digest)


def __getattr__(name: str) -> Any:
    """Build the PostgreSQL recorders on first access (eventsourcing resolves them by topic)."""
    if name in ("AppendOnlyPostgresRecorder", "ChainedPostgresRecorder"):
        globals().update(_define_postgres_recorders())
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
