"""The `access_tokens` table: personal access tokens, kept only as hashes.

Reached through the event store's own datastore and dialect, as the key store
is. A row holds the token's hash, the user it speaks for, who created it and
when, when it expires, and whether, when and by whom it was revoked; never the
token itself.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from storage.backend import Dialect

if TYPE_CHECKING:
    from storage.infrastructure import Infrastructure

TOKENS_TABLE = "access_tokens"

ADDED_COLUMNS = ("created_by", "revoked_by", "revoked_at", "mac")
"""Columns added after the table's first version, each nullable text; `create_table` adds
them to a table made before."""

TOKEN_ROWS_PURPOSE = "token-rows"
"""The master key's purpose label for the rows' MAC key (`MasterKey.derive`)."""
_MAC_TAG = b"forloeb/token-row/v1"


@dataclass(frozen=True)
class TokenRow:
    """One personal access token as stored."""

    token_id: str
    digest: str
    user: str
    created: str
    expires: str
    revoked: bool
    created_by: str | None = None
    """The admin who created it (None on rows from before this was kept)."""
    revoked_by: str | None = None
    revoked_at: str | None = None
    mac: str | None = None
    """HMAC-SHA256 (hex) of every other field under a key derived from the master key:
    a row altered or planted in the database (another user, a later expiry, a revocation
    undone) fails it. None on rows from before rows were authenticated."""


def row_mac(key: bytes, row: TokenRow) -> str:
    """The MAC a row must carry: over every field but the MAC, each length-prefixed."""
    fields = (
        row.token_id, row.digest, row.user, row.created, row.expires,
        "revoked" if row.revoked else "valid", row.created_by, row.revoked_by, row.revoked_at,
    )  # fmt: skip
    message = bytearray(_MAC_TAG)
    for value in fields:
        raw = b"\xff" if value is None else value.encode("utf-8", "surrogateescape")
        message += struct.pack(">Q", len(raw)) + raw
    return hmac.new(key, bytes(message), hashlib.sha256).hexdigest()


class TokenTable:
    """Create, find, list and revoke token rows on the store; each row carries a MAC under
    `key` (derived from the master key for `TOKEN_ROWS_PURPOSE`)."""

    def __init__(self, datastore: Any, dialect: Dialect, key: bytes) -> None:
        self.datastore = datastore
        self.dialect = dialect
        self._key = key

    def authentic(self, row: TokenRow) -> bool:
        """Whether the row carries the MAC of what it holds."""
        return row.mac is not None and hmac.compare_digest(row.mac, row_mac(self._key, row))

    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as c:
            yield c

    def _execute(self, c: Any, statement: str, params: tuple[Any, ...] = ()) -> None:
        named = statement.replace("{tokens}", self.dialect.table(TOKENS_TABLE))
        c.execute(self.dialect.placeholders(named), params)

    def create_table(self) -> None:
        """Create the table if it is missing (init, and the server's start)."""
        with self._cursor(commit=True) as c:
            self._execute(
                c,
                "CREATE TABLE IF NOT EXISTS {tokens} (token_id TEXT PRIMARY KEY, "
                "digest TEXT NOT NULL UNIQUE, login TEXT NOT NULL, created TEXT NOT NULL, "
                "expires TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, "
                "created_by TEXT, revoked_by TEXT, revoked_at TEXT)",
            )
            present = self._columns(c)
            for column in ADDED_COLUMNS:
                if column not in present:
                    self._execute(c, f"ALTER TABLE {{tokens}} ADD COLUMN {column} TEXT")

    def _columns(self, c: Any) -> set[str]:
        """The table's column names."""
        c.execute(*self.dialect.columns_query(TOKENS_TABLE))
        return {row["name"] for row in c.fetchall()}

    def insert(self, row: TokenRow) -> None:
        """Store a new token's row (unrevoked, with its MAC)."""
        new = replace(row, revoked=False, revoked_by=None, revoked_at=None)
        with self._cursor(commit=True) as c:
            self._execute(
                c,
                "INSERT INTO {tokens} (token_id, digest, login, created, expires, revoked, "
                "created_by, mac) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                (
                    row.token_id,
                    row.digest,
                    row.user,
                    row.created,
                    row.expires,
                    row.created_by,
                    row_mac(self._key, new),
                ),
            )

    def find(self, digest: str) -> TokenRow | None:
        """The row with this hash, or None."""
        with self._cursor(commit=False) as c:
            self._execute(c, "SELECT * FROM {tokens} WHERE digest = ?", (digest,))
            row = c.fetchone()
        return None if row is None else _row(row)

    def all(self) -> list[TokenRow]:
        """Every row, oldest first."""
        with self._cursor(commit=False) as c:
            self._execute(c, "SELECT * FROM {tokens} ORDER BY created, token_id")
            rows = c.fetchall()
        return [_row(row) for row in rows]

    def revoke(self, token_id: str, by: str, at: str) -> bool:
        """Mark the token revoked by `by` at `at`; whether there was such a token (a token
        revoked before keeps its first revocation)."""
        with self._cursor(commit=True) as c:
            self._execute(c, "SELECT * FROM {tokens} WHERE token_id = ?", (token_id,))
            found = c.fetchone()
            if found is None:
                return False
            revoked = replace(_row(found), revoked=True, revoked_by=by, revoked_at=at)
            self._execute(
                c,
                "UPDATE {tokens} SET revoked = 1, revoked_by = ?, revoked_at = ?, mac = ? "
                "WHERE token_id = ? AND revoked = 0",
                (by, at, row_mac(self._key, revoked), token_id),
            )
        return True

    def stamp_unauthenticated(self) -> int:
        """Give the rows from before rows carried a MAC theirs (`forloeb init`, an admin's
        upgrade step); how many. Every other opening refuses such rows."""
        with self._cursor(commit=True) as c:
            self._execute(c, "SELECT * FROM {tokens} WHERE mac IS NULL")
            rows = [_row(found) for found in c.fetchall()]
            for row in rows:
                self._execute(
                    c,
                    "UPDATE {tokens} SET mac = ? WHERE token_id = ? AND mac IS NULL",
                    (row_mac(self._key, row), row.token_id),
                )
        return len(rows)


def token_table_on(storage: Infrastructure) -> TokenTable | None:
    """The token table on the store's own connections, its rows' MAC key derived from the
    store's master key; None on the in-memory store, which has no tables."""
    datastore = getattr(storage.factory, "datastore", None)
    if datastore is None:
        return None
    key = storage.master_key.derive(TOKEN_ROWS_PURPOSE)
    return TokenTable(datastore, storage.backend.dialect, key)


def _row(row: Any) -> TokenRow:
    return TokenRow(
        token_id=str(row["token_id"]),
        digest=str(row["digest"]),
        user=str(row["login"]),
        created=str(row["created"]),
        expires=str(row["expires"]),
        revoked=bool(row["revoked"]),
        created_by=_text(row["created_by"]),
        revoked_by=_text(row["revoked_by"]),
        revoked_at=_text(row["revoked_at"]),
        mac=_text(row["mac"]) if _has(row, "mac") else None,  # before init added it
    )


def _has(row: Any, column: str) -> bool:
    """Whether a row has the column (`in` on a sqlite3.Row looks at its values)."""
    return column in row.keys()  # noqa: SIM118


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
