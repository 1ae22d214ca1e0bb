"""Reading the log for the views: every notification, but the state only of those they decode.

The library's `select_notifications` returns every notification's state, as
a frozen dataclass; the views read most events only by their header (whose,
which version) or not at all, and a rebuild reads the whole log.
`select_for_views` gives plain rows instead, and on SQLite leaves out the
state of every topic not decoded (SQLite then does not read those blobs at
all) and turns each originator id into a UUID once, not once per event.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.sqlite import SQLiteApplicationRecorder

LogRow = tuple[int, Any, int, str, bytes]
"""A notification as the views read it: id, originator id, originator version, topic, state."""

_uuid = lru_cache(maxsize=1 << 16)(UUID)
"""A stored originator id as a UUID (an aggregate has many events)."""


def select_for_views(
    recorder: Any, after: int, limit: int, stop: int, decoded: Collection[str]
) -> list[LogRow]:
    """Up to `limit` notifications after `after`, up to `stop`, in order; of those whose
    topic is not in `decoded`, the state may be empty (b"")."""
    if not isinstance(recorder, SQLiteApplicationRecorder):
        return [
            (n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in recorder.select_notifications(
                start=after, limit=limit, stop=stop, inclusive_of_start=False
            )
        ]
    topics = sorted(decoded)
    statement = (
        "SELECT rowid, originator_id, originator_version, topic, "
        f"CASE WHEN topic IN ({','.join('?' * len(topics))}) THEN state ELSE X'' END "
        f"FROM {recorder.events_table_name} WHERE rowid>? AND rowid<=? ORDER BY rowid LIMIT ?"
    )
    as_id = _uuid if recorder.datastore.originator_id_type == "uuid" else str
    with recorder.datastore.transaction(commit=False) as c:
        c.execute(statement, [*topics, after, stop, limit])
        return [(row[0], as_id(row[1]), row[2], row[3], row[4]) for row in c.fetchall()]
