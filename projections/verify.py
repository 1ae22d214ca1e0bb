"""Checking the views against the log: each rebuilt into a scratch copy and compared.

A view is only derived data, so a row deleted or altered in it (by hand, by a
bug, by an attacker) would otherwise go unnoticed: `show` would answer that no
such course exists and every status stay clean. `verify_views` brings the
views to the head of the log, rebuilds each one from the first event into an
in-memory SQLite database (the same projections, the same view key), and
names every difference: view, table, row key, column, stored and rebuilt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from projections.base import View
from projections.catalog import Views


@dataclass(frozen=True)
class Difference:
    """One way a view's stored rows differ from its rebuild from the log."""

    view: str
    table: str
    key: str
    """The row's key columns, `column=value` joined by commas."""
    column: str | None
    """The differing column, or None where the whole row is missing or extra."""
    stored: Any
    rebuilt: Any

    def line(self) -> str:
        """The difference in one line."""
        where = f"{self.view}: {self.table} [{self.key}]"
        if self.column is None:
            found = (
                "not in the view, but the log gives it"
                if self.stored is None
                else ("in the view, but the log does not give it")
            )
            return f"{where}: row {found}"
        return f"{where}: {self.column}: stored {self.stored!r}, rebuilt {self.rebuilt!r}"


@dataclass(frozen=True)
class Verification:
    """What `verify_views` found: the views compared, their rows, the differences."""

    views: list[str]
    rows: int
    differences: list[Difference]


def verify_views(views: Views, names: Sequence[str] | None = None) -> Verification:
    """Catch the (named, else all) views up, rebuild each into a scratch copy, compare."""
    from eventsourcing.sqlite import SQLiteDatastore

    from storage.sqlite_views import SQLiteView

    chosen = list(names or views.names)
    differences = ahead_of_the_log(views, chosen)
    views.catch_up(views=[name for name in chosen if name not in {d.view for d in differences}])
    scratch_store = SQLiteDatastore(f"file:forloeb-verify-{uuid4().hex}?mode=memory&cache=shared")
    scratch = Views(views.storage, views_on=(SQLiteView, scratch_store))
    try:
        keep_open = scratch_store.pool.get_connection()  # the memory database lives while open
        try:
            rows = 0
            for name in chosen:
                scratch.rebuild(name)
                stored, rebuilt = views.view(name), scratch.view(name)
                for table in stored.tables:
                    keys = key_columns(stored, table)
                    found, expected = (
                        table_rows(stored, table, keys),
                        table_rows(rebuilt, table, keys),
                    )
                    rows += len(found)
                    differences += compare(name, table, keys, found, expected)
        finally:
            scratch_store.pool.put_connection(keep_open)
    finally:
        scratch.close()
        scratch_store.close()
    return Verification(chosen, rows, differences)


def ahead_of_the_log(views: Views, chosen: Sequence[str]) -> list[Difference]:
    """A difference for each chosen view whose tracking position is past the log's last
    notification (the log cut short under it, or its tracking altered): such a view would
    never take the events written from then on."""
    return [
        Difference(
            status.name,
            f"{status.name}_tracking",
            f"application_name={views.view(status.name).application_name}",
            "notification_id",
            status.position,
            status.head,
        )
        for status in views.status()
        if status.name in chosen and status.position > status.head
    ]


def key_columns(view: View, table: str) -> list[str]:
    """The table's primary key columns (every column, if it declares none)."""
    definition = view.tables[table]
    composite = re.search(r"PRIMARY KEY\s*\(([^)]*)\)", definition)
    if composite:
        return [c.strip() for c in composite.group(1).split(",")]
    for piece in definition.split(","):
        if "PRIMARY KEY" in piece.upper():
            return [piece.split()[0]]
    return view.declared_columns(table)


def table_rows(
    view: View, table: str, keys: Sequence[str]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Every row of one of the view's tables, by its key columns' values."""
    with view.transaction(commit=False) as c:
        c.execute(f"SELECT * FROM {view.table(table)}")
        found = [dict(row) for row in c.fetchall()]
    return {tuple(row[k] for k in keys): row for row in found}


def compare(
    view: str,
    table: str,
    keys: Sequence[str],
    stored: dict[tuple[Any, ...], dict[str, Any]],
    rebuilt: dict[tuple[Any, ...], dict[str, Any]],
) -> list[Difference]:
    """The differences between a table's stored and rebuilt rows, in key order."""
    differences = []
    for row_key in sorted(stored.keys() | rebuilt.keys(), key=_sortable):
        mine, theirs = stored.get(row_key), rebuilt.get(row_key)
        label = ", ".join(f"{k}={v}" for k, v in zip(keys, row_key, strict=True))
        if mine is None or theirs is None:
            differences.append(Difference(view, table, label, None, mine, theirs))
            continue
        for column, value in mine.items():
            if value != theirs.get(column):
                differences.append(
                    Difference(view, table, label, column, value, theirs.get(column))
                )
    return differences


def _sortable(row_key: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(str(v) for v in row_key)
