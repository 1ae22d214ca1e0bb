"""What the views bind and read on SQLite: NULLs without the adaptation protocol, rows as dicts."""

from __future__ import annotations

import sqlite3

from projections.base import as_dicts
from storage.sqlite_views import NULL_ADAPTER


def test_none_is_bound_by_the_registered_adapter_and_stored_as_null() -> None:
    assert sqlite3.adapters[(type(None), sqlite3.PrepareProtocol)] is NULL_ADAPTER
    assert sqlite3.adapt(None) is None
    with sqlite3.connect(":memory:") as db:
        db.execute("CREATE TABLE t (a TEXT, b INTEGER)")
        db.executemany("INSERT INTO t VALUES (?, ?)", [(None, 1), ("x", None)])

        rows = db.execute("SELECT a IS NULL, b IS NULL, typeof(a), typeof(b) FROM t").fetchall()

    assert rows == [(1, 0, "null", "integer"), (0, 1, "text", "null")]


def test_sqlite_rows_become_dicts_of_their_columns_and_dicts_stay() -> None:
    with sqlite3.connect(":memory:") as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT 1 AS pid, NULL AS born, 'a' AS kind").fetchall()

    assert as_dicts(rows) == [{"pid": 1, "born": None, "kind": "a"}]
    assert as_dicts([{"pid": 2}]) == [{"pid": 2}]
    assert as_dicts([]) == []
