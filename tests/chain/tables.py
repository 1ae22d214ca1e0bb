"""Direct access to a store's events, links and heads tables, as someone tampering would have.

The same few operations on an SQLite file and on a PostgreSQL database, so the
tamper tests read alike for both stores.
"""

from __future__ import annotations

import sqlite3
from typing import Any
from uuid import UUID

from storage.chained import chain_table_names, log_table_names
from storage.store import StoreConfig


class StoredTables:
    """The events, links and heads tables of one store, changed behind the recorder's back."""

    def __init__(self, store: StoreConfig) -> None:
        self.store = store
        links, heads = chain_table_names(store.events_table)
        log_links, log_head = log_table_names(store.events_table)
        plain = {
            "events": store.events_table,
            "links": links,
            "heads": heads,
            "log_links": log_links,
            "log_head": log_head,
        }
        if store.is_postgres:
            schema = store.postgres.schema
            self.names = {name: f'"{schema}"."{table}"' for name, table in plain.items()}
        else:
            self.names = plain

    def run(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run one statement ({events}, {links}, {heads} name the tables; ? marks a value)."""
        text = statement.format(**self.names)
        if self.store.is_postgres:
            import psycopg

            with psycopg.connect(**self.store.postgres.connect_kwargs(), autocommit=True) as conn:
                cursor = conn.execute(text.replace("?", "%s"), params)
                return cursor.fetchall() if cursor.description else []
        assert self.store.sqlite_path is not None
        lite = sqlite3.connect(self.store.sqlite_path)
        try:
            rows = lite.execute(text, params).fetchall()
            lite.commit()
            return rows
        finally:
            lite.close()

    def key(self, originator_id: UUID) -> Any:
        """The originator id as the tables hold it."""
        return originator_id if self.store.is_postgres else originator_id.hex

    def log_links_delete(self, notification_ids: list[int]) -> str:
        """A statement deleting the log links of these notifications."""
        listed = ",".join(str(int(n)) for n in notification_ids)
        return "DELETE FROM {log_links} WHERE notification_id IN (" + listed + ")"

    def count(self, table: str) -> int:
        (row,) = self.run(f"SELECT count(*) FROM {{{table}}}")
        return int(row[0])

    def flip_state_byte(self, originator_id: UUID, version: int, index: int = 5) -> None:
        """Change one byte of an event's stored state."""
        where = "WHERE originator_id = ? AND originator_version = ?"
        ((state,),) = self.run(
            f"SELECT state FROM {{events}} {where}", self.key(originator_id), version
        )
        changed = bytearray(state)
        changed[index] ^= 0x01
        self.run(
            f"UPDATE {{events}} SET state = ? {where}",
            bytes(changed),
            self.key(originator_id),
            version,
        )

    def delete(self, table: str, originator_id: UUID, version: int | None = None) -> None:
        """Delete an event or link (one version, or all of the aggregate's), or a head."""
        statement = f"DELETE FROM {{{table}}} WHERE originator_id = ?"
        params: list[Any] = [self.key(originator_id)]
        if version is not None:
            statement += " AND originator_version = ?"
            params.append(version)
        self.run(statement, *params)

    def insert_event(self, originator_id: UUID, version: int, topic: str, state: bytes) -> None:
        self.run(
            "INSERT INTO {events} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            self.key(originator_id),
            version,
            topic,
            state,
        )

    def event(self, originator_id: UUID, version: int) -> tuple[str, bytes]:
        ((topic, state),) = self.run(
            "SELECT topic, state FROM {events} WHERE originator_id = ? AND originator_version = ?",
            self.key(originator_id),
            version,
        )
        return topic, bytes(state)

    def swap_versions(self, table: str, originator_id: UUID, a: int, b: int) -> None:
        """Exchange two rows' versions (events or links) in three steps the keys allow."""
        move = (
            f"UPDATE {{{table}}} SET originator_version = ? "
            "WHERE originator_id = ? AND originator_version = ?"
        )
        key = self.key(originator_id)
        self.run(move, -1, key, a)
        self.run(move, a, key, b)
        self.run(move, b, key, -1)

    def head(self, originator_id: UUID) -> tuple[int, bytes, bytes] | None:
        rows = self.run(
            "SELECT version, hash, mac FROM {heads} WHERE originator_id = ?",
            self.key(originator_id),
        )
        return None if not rows else (rows[0][0], bytes(rows[0][1]), bytes(rows[0][2]))

    def set_head(self, originator_id: UUID, version: int, digest: bytes, mac: bytes) -> None:
        self.run(
            "UPDATE {heads} SET version = ?, hash = ?, mac = ? WHERE originator_id = ?",
            version,
            digest,
            mac,
            self.key(originator_id),
        )
