"""The SQLite application recorder, hash-chaining every stored event (see `storage.chained`).

The SQLite recorder reads a head only when it must: an aggregate whose new
events start at #0 or #1 starts its chain (its head is inserted, and the
insert fails if one exists), and one whose last head this recorder wrote is
continued from it (`KnownHeads`: the update is conditional on the stored head
being exactly that one). If either presumption fails, the whole append is
rolled back and redone reading and checking every head, as it always is on
PostgreSQL.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
)

from storage.chain import (
    Append,
    Appended,
    ChainRow,
    Finding,
    Head,
    HeadRow,
    Identity,
    Verifier,
    appended,
    canonical_id,
    chain_rows,
    identity,
)
from storage.chained import (
    FETCH_ROWS,
    ChainKeyHolder,
    KnownHeads,
    chain_table_names,
    log_entries,
    log_table_names,
    merged,
)
from storage.log_chain import Anchor, LogHead, LogRow, LogWalk, merged_rows, seal_log
from storage.log_chain import extend as extend_log
from storage.pools import WAL_AUTOCHECKPOINT_PAGES, PragmaConnectionPool
from storage.sealing import SEAL_BATCH, SealReport, seal_rows

_IN_CHUNK = 500
"""Originator ids per `IN (…)` on SQLite (well below its parameter limit)."""


_AS_STORED = "CAST(e.topic AS BLOB), CAST(e.state AS BLOB)"
"""An event's topic and state as the bytes stored, whatever a tamperer made of their types."""


def _blob(value: Any) -> bytes | None:
    """A hash column as bytes (None stays None; a tampered text value becomes its bytes)."""
    if value is None or isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogateescape")


class _HeadsMoved(Exception):
    """A head was not as the append presumed (one exists for an aggregate presumed to start
    its chain, or a remembered one is no longer stored): the append is redone, checked."""


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


class ChainedSQLiteRecorder(ChainKeyHolder, SQLiteApplicationRecorder):
    """eventsourcing's SQLite application recorder, hash-chaining every event."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        self.links_table_name, self.heads_table_name = chain_table_names(events_table_name)
        self.log_links_table_name, self.log_head_table_name = log_table_names(events_table_name)
        if type(datastore.pool) is SQLiteConnectionPool:
            datastore.pool.close()  # nothing connected yet: the factory only built it
            datastore.pool = PragmaConnectionPool.like(
                datastore.pool, [f"wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}"]
            )
        super().__init__(datastore, events_table_name)
        self.known_heads = KnownHeads()
        self.known_log: LogHead | None = None
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
            f"CREATE TABLE IF NOT EXISTS {self.log_links_table_name} ("
            "notification_id INTEGER PRIMARY KEY, prev_hash BLOB NOT NULL, hash BLOB NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.log_head_table_name} ("
            "id INTEGER PRIMARY KEY CHECK (id = 1), start INTEGER NOT NULL, "
            "position INTEGER NOT NULL, digest BLOB NOT NULL, mac BLOB NOT NULL)",
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
        log: list[LogHead] = []
        try:
            notification_ids = super().insert_events(
                stored_events, chain_written=written, log_written=log, **kwargs
            )
        except _HeadsMoved:
            written.clear()
            log.clear()
            with self.datastore.transaction(commit=True) as c:
                notification_ids = self._insert_events(
                    c,
                    stored_events,
                    checked=True,
                    chain_written=written,
                    log_written=log,
                    **kwargs,
                )
        self.known_heads.remember(written)
        if log:
            self.known_log = log[-1]
        return notification_ids

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        *,
        checked: bool = False,
        chain_written: list[tuple[UUID | str, Identity, Head]] | None = None,
        log_written: list[LogHead] | None = None,
        **kwargs: Any,
    ) -> Sequence[int] | None:
        key = self.require_chain_key()
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        if stored_events:
            written, appends, links = self._append_chain(
                c, appended(stored_events), key, checked=checked
            )
            if chain_written is not None:
                chain_written.extend(written)
            assert notification_ids is not None
            entries = log_entries(appends, links, stored_events, notification_ids)
            head = self._append_log(c, entries, key, checked=checked)
            if log_written is not None:
                log_written.append(head)
        return notification_ids

    def _append_log(
        self,
        c: SQLiteCursor,
        entries: list[tuple[int, str, int, bytes]],
        key: bytes,
        *,
        checked: bool,
    ) -> LogHead:
        """Write the events' log links and the log's new head (see `storage.log_chain`): the
        remembered head is updated only if stored exactly so; otherwise it is read and checked."""
        cursor = c.sqlite_cursor
        known = None if checked else self.known_log
        if known is not None:
            links, head = extend_log(key, known, entries, verified=True)
            cursor.execute(
                f"UPDATE {self.log_head_table_name} SET start = ?, position = ?, digest = ?, "
                "mac = ? WHERE id = 1 AND start = ? AND position = ? AND digest = ? AND mac = ?",
                (*head, *known),
            )
            if cursor.rowcount != 1:
                raise _HeadsMoved
        else:
            stored = self._log_head(c)
            earlier = stored is None and self._events_before(c, entries[0][0])
            links, head = extend_log(key, stored, entries, earlier=earlier)
            cursor.execute(
                f"INSERT INTO {self.log_head_table_name} VALUES (1, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET start = excluded.start, "
                "position = excluded.position, digest = excluded.digest, mac = excluded.mac",
                head,
            )
        cursor.executemany(f"INSERT INTO {self.log_links_table_name} VALUES (?,?,?)", links)
        return head

    def _events_before(self, c: SQLiteCursor, notification_id: int) -> bool:
        """Whether any event is stored before this notification id."""
        c.execute(
            f"SELECT EXISTS (SELECT 1 FROM {self.events_table_name} WHERE rowid < ?)",
            (notification_id,),
        )
        return bool(c.fetchone()[0])

    def _log_head(self, c: SQLiteCursor) -> LogHead | None:
        c.execute(f"SELECT start, position, digest, mac FROM {self.log_head_table_name}")
        row = c.fetchone()
        if row is None:
            return None
        return LogHead(row[0], row[1], _blob(row[2]) or b"", _blob(row[3]) or b"")

    def _append_chain(
        self, c: SQLiteCursor, pending: list[Appended], key: bytes, *, checked: bool
    ) -> tuple[list[tuple[UUID | str, Identity, Head]], list[Append], list[Any]]:
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
        return _written(pending, appends, heads), appends, links

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
            rows = merged((ChainRow._make(r) for r in linked), (ChainRow._make(r) for r in orphans))
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

    def stored_log_head(self) -> LogHead | None:
        """The log's signed head as stored (None before the first append under the log chain)."""
        with self.datastore.transaction(commit=False) as c:
            return self._log_head(c)

    def log_findings(
        self, walk_key: bytes, against: Anchor | None = None
    ) -> tuple[LogWalk, Iterator[Finding]]:
        """The log chain walk (see `storage.log_chain`) and its findings, in one snapshot."""
        e, lk, g = self.events_table_name, self.links_table_name, self.log_links_table_name
        with self.datastore.transaction(commit=False) as c:
            head = self._log_head(c)
        walk = LogWalk(walk_key, head, against)

        def stream() -> Iterator[Finding]:
            with self.datastore.transaction(commit=False) as c:
                conn = c.sqlite_cursor.connection
                events = (
                    LogRow(
                        r[0],
                        self._canonical(r[1]),
                        r[2] if isinstance(r[2], int) else -1,
                        _blob(r[3]),
                        _blob(r[4]),
                        _blob(r[5]),
                    )
                    for r in self._raw(
                        conn,
                        f"SELECT e.rowid, e.originator_id, e.originator_version, l.hash, "
                        f"g.prev_hash, g.hash FROM {e} e LEFT JOIN {lk} l "
                        "ON l.originator_id = e.originator_id "
                        "AND l.originator_version = e.originator_version "
                        f"LEFT JOIN {g} g ON g.notification_id = e.rowid ORDER BY e.rowid",
                        (),
                    )
                )
                orphans = (
                    LogRow(r[0], None, None, None, _blob(r[1]), _blob(r[2]))
                    for r in self._raw(
                        conn,
                        f"SELECT g.notification_id, g.prev_hash, g.hash FROM {g} g "
                        f"WHERE NOT EXISTS (SELECT 1 FROM {e} e WHERE e.rowid = g.notification_id) "
                        "ORDER BY g.notification_id",
                        (),
                    )
                )
                yield from walk.findings(merged_rows(events, orphans))

        return walk, stream()

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
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {self.heads_table_name} WHERE 0")  # the write lock
            self._seal_log(c, key, report)
        return report

    def _seal_log(self, c: SQLiteCursor, key: bytes, report: SealReport) -> None:
        """Bring a log with events but neither a head nor links under the log chain."""
        if self._log_head(c) is not None:
            return
        c.execute(f"SELECT EXISTS (SELECT 1 FROM {self.log_links_table_name})")
        if c.fetchone()[0]:
            return  # links without a head: `verify --all` names it; sealing would hide it
        e, lk = self.events_table_name, self.links_table_name
        cursor = c.sqlite_cursor
        cursor.execute(
            f"SELECT e.rowid, e.originator_id, e.originator_version, l.hash FROM {e} e "
            f"LEFT JOIN {lk} l ON l.originator_id = e.originator_id "
            "AND l.originator_version = e.originator_version ORDER BY e.rowid"
        )
        rows = ((r[0], self._canonical(r[1]), r[2], _blob(r[3])) for r in cursor)
        links, head = seal_log(key, rows)
        if head is None:
            return
        cursor.executemany(f"INSERT INTO {self.log_links_table_name} VALUES (?,?,?)", links)
        cursor.execute(f"INSERT INTO {self.log_head_table_name} VALUES (1, ?, ?, ?, ?)", head)
        report.log_sealed = (head.start, head.position)

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
        links, heads, names = seal_rows(rows, self._canonical, key, report)
        c.executemany(
            self.insert_links_statement,
            [(names[lk.originator_id], lk.version, lk.prev_hash, lk.hash) for lk in links],
        )
        c.executemany(
            self.insert_heads_statement,
            [(names[h.originator_id], h.version, h.hash, h.mac) for h in heads],
        )
