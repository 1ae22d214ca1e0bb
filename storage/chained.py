"""What both chained recorders share: table names, the chain key, the heads they wrote.

Beside eventsourcing's events table each recorder keeps two tables, named
after it (`stored_events` → `stored_event_links`, `stored_chain_heads`;
`forloeb_events` → `forloeb_event_links`, `forloeb_chain_heads`):

- event links (append-only): for every stored event, its predecessor's hash
  and its own;
- chain heads: per aggregate, the last version, its hash and the HMAC over
  them with the chain key (`use_chain_key`, given when the store is opened).

They are written in the transaction that inserts the events, after the
library's own insert statement, so a conflicting insert still raises
IntegrityError and writes nothing, and a chain is never partial. Without a
chain key the recorders refuse to write (ChainKeyMissing) rather than leave
unsigned heads. Reading events is untouched.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from domain.errors import CourseError
from storage.chain import (
    Append,
    ChainKeyMissing,
    ChainRow,
    Head,
    Identity,
    LinkRow,
)

FETCH_ROWS = 2000
"""Rows fetched per round trip while verifying (memory stays bounded)."""


def chain_table_names(events_table_name: str) -> tuple[str, str]:
    """The links and heads tables that go with an events table."""
    prefix = events_table_name.removesuffix("events")
    return f"{prefix}event_links", f"{prefix}chain_heads"


def log_table_names(events_table_name: str) -> tuple[str, str]:
    """The log links and log head tables that go with an events table (`storage.log_chain`)."""
    prefix = events_table_name.removesuffix("events")
    return f"{prefix}log_links", f"{prefix}log_head"


def log_entries(
    appends: Sequence[Append],
    links: Sequence[LinkRow],
    stored_events: Sequence[Any],
    notification_ids: Sequence[int],
) -> list[tuple[int, str, int, bytes]]:
    """(notification id, originator id, version, aggregate link hash) of the inserted events,
    in notification order: what their log links are computed over."""
    hashes: dict[int, tuple[str, bytes]] = {}
    i = 0
    for a in appends:
        for event in a.events:
            hashes[id(event)] = (a.who.originator_id, links[i][3])
            i += 1
    entries = []
    for nid, event in zip(notification_ids, stored_events, strict=True):
        oid, digest = hashes[id(event)]
        entries.append((nid, oid, event.originator_version, digest))
    return entries


def by_row(row: ChainRow) -> tuple[str, int]:
    return row.originator_id, row.version


def merged(linked: Iterator[ChainRow], orphans: Iterator[ChainRow]) -> Iterator[ChainRow]:
    """Events (with their links) and links whose event is gone, in (originator, version)
    order; orphaned links only exist after tampering, so usually no merge is needed."""
    first = next(orphans, None)
    if first is None:
        return linked
    return heapq.merge(linked, itertools.chain([first], orphans), key=by_row)


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


class ChainKeyHolder:
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
