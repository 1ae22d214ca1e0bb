"""The PostgreSQL application recorders, built on first use (`forloeb --help` must not
import psycopg).

`AppendOnlyPostgresRecorder` serialises appends with an advisory lock instead of
the library's `LOCK TABLE … IN EXCLUSIVE MODE`, so an application role with only
SELECT and INSERT on the events can append, and `ChainedPostgresRecorder` adds the
chain (see `storage.chained`) to it.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from storage.chain import (
    Append,
    ChainRow,
    Finding,
    Head,
    HeadRow,
    LinkRow,
    Verifier,
    appended,
    canonical_id,
    chain_rows,
    identity,
)
from storage.chained import (
    FETCH_ROWS,
    ChainKeyHolder,
    ChainTablesMissing,
    chain_table_names,
    log_entries,
    log_table_names,
    merged,
)
from storage.log_chain import Anchor, LogHead, LogRow, LogWalk, merged_rows, seal_log
from storage.log_chain import extend as extend_log
from storage.sealing import SEAL_BATCH, SealReport, seal_rows


def advisory_lock_key(schema: str, table: str) -> int:
    """A stable signed 64-bit advisory-lock key for one events table."""
    digest = hashlib.sha256(f"forloeb-append:{schema}.{table}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


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

    class ChainedPostgresRecorder(ChainKeyHolder, AppendOnlyPostgresRecorder):
        """The append-only PostgreSQL recorder, hash-chaining every event."""

        def __init__(
            self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
        ) -> None:
            super().__init__(datastore, events_table_name=events_table_name)
            self.links_table_name, self.heads_table_name = chain_table_names(events_table_name)
            self.log_links_table_name, self.log_head_table_name = log_table_names(events_table_name)
            for name in (
                self.links_table_name,
                self.heads_table_name,
                self.log_links_table_name,
                self.log_head_table_name,
            ):
                self.check_identifier_length(name)
            schema = Identifier(datastore.schema)
            self.id_type = Identifier(datastore.originator_id_type)
            self.events = Composed([schema, SQL("."), Identifier(events_table_name)])
            self.links = Composed([schema, SQL("."), Identifier(self.links_table_name)])
            self.heads = Composed([schema, SQL("."), Identifier(self.heads_table_name)])
            self.log_links = Composed([schema, SQL("."), Identifier(self.log_links_table_name)])
            self.log_head = Composed([schema, SQL("."), Identifier(self.log_head_table_name)])
            self.sql_create_statements.extend(self._create_chain_tables())
            self.order = SQL(' COLLATE "C"' if datastore.originator_id_type == "text" else "")
            self.select_heads_statement = SQL(
                "SELECT originator_id, version, hash, mac, NULL::bigint AS start FROM {heads} "
                "WHERE originator_id = ANY(%s::{t}[]) "
                "UNION ALL SELECT NULL, position, digest, mac, start FROM {log_head}"
            ).format(heads=self.heads, t=self.id_type, log_head=self.log_head)
            self.write_chain_statement = SQL(
                "WITH links AS (INSERT INTO {links} "
                "(originator_id, originator_version, prev_hash, hash) "
                "SELECT * FROM unnest(%s::{t}[], %s::bigint[], %s::bytea[], %s::bytea[])), "
                "log_links AS (INSERT INTO {log_links} (notification_id, prev_hash, hash) "
                "SELECT * FROM unnest(%s::bigint[], %s::bytea[], %s::bytea[])), "
                "log_head AS (INSERT INTO {log_head} (id, start, position, digest, mac) "
                "SELECT 1, %s, %s, %s, %s WHERE %s ON CONFLICT (id) DO UPDATE SET "
                "start = EXCLUDED.start, position = EXCLUDED.position, "
                "digest = EXCLUDED.digest, mac = EXCLUDED.mac) "
                "INSERT INTO {heads} (originator_id, version, hash, mac) "
                "SELECT * FROM unnest(%s::{t}[], %s::bigint[], %s::bytea[], %s::bytea[]) "
                "ON CONFLICT (originator_id) DO UPDATE SET version = EXCLUDED.version, "
                "hash = EXCLUDED.hash, mac = EXCLUDED.mac"
            ).format(
                links=self.links,
                heads=self.heads,
                t=self.id_type,
                log_links=self.log_links,
                log_head=self.log_head,
            )

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
                SQL(
                    "CREATE TABLE IF NOT EXISTS {log_links} ("
                    "notification_id bigint PRIMARY KEY, "
                    "prev_hash bytea NOT NULL, hash bytea NOT NULL)"
                ).format(log_links=self.log_links),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {log_head} ("
                    "id int PRIMARY KEY CHECK (id = 1), start bigint NOT NULL, "
                    "position bigint NOT NULL, digest bytea NOT NULL, mac bytea NOT NULL)"
                ).format(log_head=self.log_head),
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
                    f"{self.links_table_name}, {self.heads_table_name}, "
                    f"{self.log_links_table_name} and {self.log_head_table_name} for tamper "
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
                self._append_links(curs, stored_events, key, notification_ids)
            return notification_ids

        def _append_links(
            self,
            curs: Any,
            stored_events: Sequence[StoredEvent],
            key: bytes,
            notification_ids: Sequence[int],
        ) -> None:
            pending = appended(stored_events)
            whos = [identity(canonical_id(a.stored_id), a.stored_id) for a in pending]
            curs.execute(self.select_heads_statement, ([w.stored for w in whos],), prepare=True)
            heads: dict[str, Head] = {}
            stored_log: LogHead | None = None
            for r in curs.fetchall():
                if r["originator_id"] is None:
                    stored_log = LogHead(
                        r["start"], r["version"], bytes(r["hash"]), bytes(r["mac"])
                    )
                    continue
                name = canonical_id(r["originator_id"])
                heads[name] = Head(name, r["version"], bytes(r["hash"]), bytes(r["mac"]))
            appends = [
                Append(who, a.events, heads.get(who.originator_id))
                for who, a in zip(whos, pending, strict=True)
            ]
            links, new_heads = chain_rows(appends, key)
            entries = log_entries(appends, links, stored_events, notification_ids)
            earlier = stored_log is None and self._events_before(curs, entries[0][0])
            log_links, log_head = extend_log(key, stored_log, entries, earlier=earlier)
            self._write_chain(curs, links, new_heads, log_links, log_head)

        def _events_before(self, curs: Any, notification_id: int) -> bool:
            """Whether any event is stored before this notification id."""
            statement = SQL(
                "SELECT EXISTS (SELECT 1 FROM {events} WHERE notification_id < %s) AS earlier"
            ).format(events=self.events)
            curs.execute(statement, (notification_id,))
            return bool(curs.fetchone()["earlier"])

        def _write_chain(
            self,
            curs: Any,
            links: list[LinkRow],
            heads: list[HeadRow],
            log_links: Sequence[Any] = (),
            log_head: LogHead | None = None,
        ) -> None:
            head: Sequence[Any] = log_head if log_head is not None else (0, 0, b"", b"")
            curs.execute(
                self.write_chain_statement,
                (
                    [lk[0] for lk in links],
                    [lk[1] for lk in links],
                    [lk[2] for lk in links],
                    [lk[3] for lk in links],
                    [g[0] for g in log_links],
                    [g[1] for g in log_links],
                    [g[2] for g in log_links],
                    *head,
                    log_head is not None,
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
                rows = merged(
                    (_pg_row(r) for r in _server_side(conn, "chain_linked", linked, params)),
                    (_pg_row(r) for r in _server_side(conn, "chain_orphans", orphans, params)),
                )
                stored_heads = (
                    Head(canonical_id(r[0]), r[1], bytes(r[2]), bytes(r[3]))
                    for r in _server_side(conn, "chain_heads", heads, params)
                )
                yield from verifier.findings(rows, stored_heads)

        def stored_log_head(self) -> LogHead | None:
            """The log's signed head as stored (None before the first append under it)."""
            with self.chain_tables_required(), self.datastore.get_connection() as conn:
                return self._log_head(conn)

        def _log_head(self, conn: Any) -> LogHead | None:
            row = conn.execute(
                SQL("SELECT start, position, digest, mac FROM {log_head}").format(
                    log_head=self.log_head
                )
            ).fetchone()
            if row is None:
                return None
            return LogHead(row["start"], row["position"], bytes(row["digest"]), bytes(row["mac"]))

        def log_findings(
            self, walk_key: bytes, against: Anchor | None = None
        ) -> tuple[LogWalk, Iterator[Finding]]:
            """The log chain walk (see `storage.log_chain`) and its findings, streamed in
            one repeatable-read snapshot."""
            events = SQL(
                "SELECT e.notification_id, e.originator_id, e.originator_version, l.hash, "
                "g.prev_hash, g.hash FROM {events} e LEFT JOIN {links} l "
                "ON l.originator_id = e.originator_id "
                "AND l.originator_version = e.originator_version "
                "LEFT JOIN {log_links} g ON g.notification_id = e.notification_id "
                "ORDER BY e.notification_id"
            ).format(events=self.events, links=self.links, log_links=self.log_links)
            orphans = SQL(
                "SELECT g.notification_id, NULL::text, NULL::bigint, NULL::bytea, "
                "g.prev_hash, g.hash FROM {log_links} g WHERE NOT EXISTS (SELECT 1 FROM "
                "{events} e WHERE e.notification_id = g.notification_id) "
                "ORDER BY g.notification_id"
            ).format(events=self.events, log_links=self.log_links)
            with self.chain_tables_required(), self.datastore.get_connection() as conn:
                head = self._log_head(conn)
            walk = LogWalk(walk_key, head, against)

            def stream() -> Iterator[Finding]:
                with (
                    self.chain_tables_required(),
                    self.datastore.get_connection() as conn,
                    conn.transaction(),
                ):
                    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    rows = merged_rows(
                        (_log_row(r) for r in _server_side(conn, "log_events", events, ())),
                        (_log_row(r) for r in _server_side(conn, "log_orphans", orphans, ())),
                    )
                    yield from walk.findings(rows)

            return walk, stream()

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
            self._seal_log(key, report)
            return report

        def _seal_log(self, key: bytes, report: SealReport) -> None:
            """Bring a log with events but neither a head nor links under the log chain."""
            found = SQL(
                "SELECT EXISTS (SELECT 1 FROM {log_head}) OR EXISTS (SELECT 1 FROM {log_links}) "
                "AS chained"
            ).format(log_head=self.log_head, log_links=self.log_links)
            select = SQL(
                "SELECT e.notification_id, e.originator_id, e.originator_version, l.hash "
                "FROM {events} e LEFT JOIN {links} l ON l.originator_id = e.originator_id "
                "AND l.originator_version = e.originator_version ORDER BY e.notification_id"
            ).format(events=self.events, links=self.links)
            with (
                self.datastore.get_connection() as conn,
                conn.transaction(),
                conn.cursor() as curs,
            ):
                self._lock_table(curs)  # no append can interleave
                chained = curs.execute(found).fetchone()
                if chained is not None and chained["chained"]:
                    return  # links without a head: `verify --all` names it; sealing would hide it
                curs.execute(select)
                rows = (
                    (
                        r["notification_id"],
                        canonical_id(r["originator_id"]),
                        r["originator_version"],
                        None if r["hash"] is None else bytes(r["hash"]),
                    )
                    for r in curs.fetchall()
                )
                links, head = seal_log(key, rows)
                if head is not None:
                    self._write_chain(curs, [], [], links, head)
                    report.log_sealed = (head.start, head.position)

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
                links, heads, names = seal_rows(rows, canonical_id, key, report)
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


def _log_row(r: Sequence[Any]) -> LogRow:
    return LogRow(
        r[0],
        None if r[1] is None else canonical_id(r[1]),
        r[2],
        None if r[3] is None else bytes(r[3]),
        None if r[4] is None else bytes(r[4]),
        None if r[5] is None else bytes(r[5]),
    )


def __getattr__(name: str) -> Any:
    """Build the PostgreSQL recorders on first access (eventsourcing resolves them by topic)."""
    if name in ("AppendOnlyPostgresRecorder", "ChainedPostgresRecorder"):
        globals().update(_define_postgres_recorders())
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
