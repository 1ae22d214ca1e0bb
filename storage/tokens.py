"""The `access_tokens` table: personal access tokens, kept only as hashes.

Reached through the event store's own datastore and dialect, as the key store
is. A row holds the token's hash, the user it speaks for, who created it and
when, when it expires, and whether, when and by whom it was revoked; never the
token itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from storage.backend import Dialect

TOKENS_TABLE = "access_tokens"

ADDED_COLUMNS = ("created_by", "revoked_by", "revoked_at")
"""Columns added after the table's first version, each nullable text; `create_table` adds
them to a table made before."""


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


class TokenTable:
    """Create, find, list and revoke token rows on the store."""

    def __init__(self, datastore: Any, dialect: Dialect) -> None:
        self.datastore = datastore
        self.dialect = dialect

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
        """Store a new token's row."""
        with self._cursor(commit=True) as c:
            self._execute(
                c,
                "INSERT INTO {tokens} (token_id, digest, login, created, expires, revoked, "
                "created_by) VALUES (?, ?, ?, ?, ?, 0, ?)",
                (row.token_id, row.digest, row.user, row.created, row.expires, row.created_by),
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
            self._execute(c, "SELECT token_id FROM {tokens} WHERE token_id = ?", (token_id,))
            if c.fetchone() is None:
                return False
            self._execute(
                c,
                "UPDATE {tokens} SET revoked = 1, revoked_by = ?, revoked_at = ? "
                "WHERE token_id = ? AND revoked = 0",
                (by, at, token_id),
            )
        return True


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
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
