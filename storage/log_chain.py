"""Tamper evidence across the whole log: a chain over the notification order, and its signed head.

The per-aggregate chains (`storage.chain`) catch every edit inside an
aggregate, but not an aggregate deleted whole (events, links and head
together), nor the log's tail cut off with the heads. So every stored event
inserting transaction gets one *log link*, chained in notification order:

    log(T) = sha256(tag, log(previous T), for each event of T in notification order:
                    n, originator_id, version, hash(event))

keyed by T's last notification id, where hash(event) is the event's link in
its aggregate's chain (so the log link covers the stored bytes too): one
hash and one row per transaction, whatever its size. The log's *head* (the first and last
notification ids it covers and the last link) is signed with HMAC-SHA256
under the chain key. Deleting a course leaves its log links behind, or
breaks the link of the next event; cutting the tail leaves the signed head
pointing beyond the log. Putting back an older signed head together with the
events it covered is only caught against a head kept outside the database:
`forloeb verify` prints the head, `verify --against POSITION:DIGEST` checks that
the stored log still extends one kept elsewhere.

On a new store the chain starts at its first event. A store upgraded from before
the log chain is brought under it once by an admin (`seal_log`, through
`forloeb verify --seal`); until then, and whenever the head and links are gone
while events remain, appends are refused (`extend`) and `verify --all` names
the unlinked events: otherwise deleting the head and every link, then
waiting for the next write, would start a fresh chain that hides what was
deleted before it. A store sealed by an earlier version may have a head
whose `start` is past its first events; those are covered by their
aggregates' chains only.

Pure (no I/O): the recorders compute links inside the inserting transaction
and stream stored rows, in notification order, into `LogWalk`.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from storage.chain import ZERO_HASH, ChainRefused, Finding, FindingKind

_LINK_TAG = b"forloeb/log/link/v1"
_HEAD_TAG = b"forloeb/log/head/v1"
_ID = struct.Struct(">q").pack
_LENGTH = struct.Struct(">Q").pack
LOG = "event"
"""Findings about the log name it as "event log #n" (`Finding.line`)."""
LOG_ID = "log"


class LogHead(NamedTuple):
    """The signed end of the log chain: it covers notifications `start`..`position`."""

    start: int
    position: int
    digest: bytes
    mac: bytes


class LogRow(NamedTuple):
    """One notification as stored: the event (if still there), its aggregate link's hash
    (if any) and its log link (if any)."""

    notification_id: int
    originator_id: str | None
    version: int | None
    event_hash: bytes | None
    prev: bytes | None
    digest: bytes | None


class LogLink(NamedTuple):
    """A log-links row: a transaction's last notification id, the previous log link, this
    one."""

    notification_id: int
    prev: bytes
    digest: bytes


class Anchor(NamedTuple):
    """A log head kept outside the database: `POSITION:DIGEST` (hex)."""

    position: int
    digest: bytes

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """Parse `POSITION:DIGEST`; ValueError with the reason otherwise."""
        position, sep, digest = text.strip().partition(":")
        if not sep or not position.isdigit():
            raise ValueError("give the head as POSITION:DIGEST, as `forloeb verify` prints it")
        try:
            raw = bytes.fromhex(digest)
        except ValueError:
            raise ValueError("the digest after the colon must be hexadecimal") from None
        if len(raw) != len(ZERO_HASH):
            raise ValueError(
                f"the digest must be {len(ZERO_HASH)} bytes ({2 * len(ZERO_HASH)} hex)"
            )
        return cls(int(position), raw)

    def text(self) -> str:
        return f"{self.position}:{self.digest.hex()}"


def log_link(prev: bytes, entries: Iterable[tuple[int, str, int, bytes]]) -> bytes:
    """One transaction's log link, following `prev`: over its events' (notification id,
    originator id, version, aggregate link hash), in notification order."""
    h = hashlib.sha256(_LINK_TAG)
    h.update(prev)
    for notification_id, originator_id, version, event_hash in entries:
        oid = originator_id.encode("utf-8", "surrogateescape")
        h.update(b"".join((_ID(notification_id), _LENGTH(len(oid)), oid, _ID(version), event_hash)))
    return h.digest()


def head_mac(key: bytes, start: int, position: int, digest: bytes) -> bytes:
    """HMAC-SHA256 over the log head's values under the chain key."""
    message = b"".join((_HEAD_TAG, _ID(start), _ID(position), digest))
    return hmac.new(key, message, hashlib.sha256).digest()


def sign(key: bytes, start: int, position: int, digest: bytes) -> LogHead:
    return LogHead(start, position, digest, head_mac(key, start, position, digest))


def is_authentic(key: bytes, head: LogHead) -> bool:
    return hmac.compare_digest(head_mac(key, head.start, head.position, head.digest), head.mac)


def extend(
    key: bytes,
    head: LogHead | None,
    entries: Sequence[tuple[int, str, int, bytes]],
    *,
    verified: bool = False,
    earlier: bool = False,
) -> tuple[list[LogLink], LogHead]:
    """The log link of one transaction's newly inserted events (notification id, originator
    id, version, aggregate link hash, in notification order) and the log's new signed head.

    The current head must be authentic and end before the first new notification;
    with no head the chain starts at the first new one, unless events are stored
    before it (`earlier`: the head was removed, or the log was never sealed).
    Raises ChainRefused otherwise.
    """
    first = entries[0][0]
    if head is None:
        if earlier:
            raise ChainRefused(
                f"event log: events are stored before notification #{first} but the log "
                "has no signed head (it was removed, or the store predates the log chain); "
                "nothing was written (run `forloeb verify --all`: it says whether an admin's "
                "`forloeb verify --seal` or a backup mends it)"
            )
        start, prev = first, ZERO_HASH
    else:
        if not verified and not is_authentic(key, head):
            raise ChainRefused(
                "event log: its signed head fails its signature; nothing was written "
                "(run `forloeb verify --all`)"
            )
        if head.position >= first:
            raise ChainRefused(
                f"event log: notification #{first} does not follow the signed log head "
                f"#{head.position}; nothing was written (run `forloeb verify --all`)"
            )
        start, prev = head.start, head.digest
    last = entries[-1][0]
    digest = log_link(prev, entries)
    return [LogLink(last, prev, digest)], sign(key, start, last, digest)


class LogWalk:
    """Follows the stored log in notification order against its signed head (and,
    optionally, a head kept elsewhere); yields findings, first gap or mismatch first."""

    def __init__(self, key: bytes, head: LogHead | None, against: Anchor | None = None) -> None:
        self.key = key
        self.head = head
        self.against = against
        self.linked = 0
        self.last = 0
        """The last notification id whose log link was followed."""
        self.digest_at_anchor: bytes | None = None
        self.unlinked: list[int] = []
        """The first and last notification ids of events without a log link or head."""
        self.headless = False
        """Whether log links were found with no signed head (removed): no seal mends that."""

    def findings(self, rows: Iterable[LogRow]) -> Iterator[Finding]:
        head = self.head
        if head is not None and not is_authentic(self.key, head):
            yield _finding(
                FindingKind.HEAD_INVALID,
                head.position,
                "the log head's signature does not match (forged, or written without the key)",
            )
            return
        start = head.start if head is not None else None
        prev = ZERO_HASH
        pending: list[tuple[int, str, int, bytes | None]] = []
        for row in rows:
            n = row.notification_id
            if start is None or n < start:
                if row.digest is not None:
                    if start is None:
                        self.headless = True
                        yield _finding(
                            FindingKind.HEAD_MISSING,
                            n,
                            "log links but no signed log head (it was removed)",
                        )
                        return
                    yield _finding(
                        FindingKind.INSERTED, n, "a log link before the signed log head's start"
                    )
                elif start is None and row.originator_id is not None:
                    self.unlinked[1:] = [n] if self.unlinked else [n, n]
                continue
            if head is not None and n > head.position:
                yield _finding(
                    FindingKind.INSERTED,
                    n,
                    f"notification #{n} lies beyond the signed log head #{head.position}",
                )
                return
            if row.originator_id is not None and row.version is not None:
                pending.append((n, row.originator_id, row.version, row.event_hash))
            if row.digest is None or row.prev is None:
                continue
            yield from self.transaction(row, prev, pending)
            prev = row.digest
            pending = []
            self.seen(n, row.digest)
        if pending:
            yield _finding(
                FindingKind.INSERTED,
                pending[0][0],
                f"no log link covers {_span(pending[0][0], pending[-1][0])} (written outside "
                "the application)",
            )
        yield from self.check_end(prev)

    def transaction(
        self, row: LogRow, prev: bytes, pending: list[tuple[int, str, int, bytes | None]]
    ) -> Iterator[Finding]:
        """One stored log link against the link before it and the events it covers."""
        n = row.notification_id
        assert row.prev is not None
        if row.prev != prev:
            yield _finding(
                FindingKind.REMOVED,
                n,
                f"the log breaks before #{n}: its link does not follow the one at "
                f"#{self.last} (a transaction's events and log link deleted in between)",
            )
            return
        if row.originator_id is None:
            yield _finding(
                FindingKind.REMOVED, n, f"notification #{n} is gone; its log link remains"
            )
            return
        if any(e[3] is None for e in pending):
            return  # an event without its aggregate link: its aggregate's chain reports it
        entries = [(i, oid, v, h) for i, oid, v, h in pending if h is not None]
        if log_link(row.prev, entries) != row.digest:
            first = pending[0][0] if pending else n
            yield _finding(
                FindingKind.CHANGED,
                first,
                f"{_span(first, n)}: the log link does not match (an event deleted, inserted "
                "or changed)",
            )

    def seen(self, n: int, digest: bytes | None) -> None:
        self.linked += 1
        self.last = n
        if self.against is not None and n == self.against.position:
            self.digest_at_anchor = digest

    def check_end(self, prev: bytes) -> Iterator[Finding]:
        head = self.head
        if head is None and self.unlinked:
            first, last = self.unlinked
            yield _finding(
                FindingKind.NOT_CHAINED,
                first,
                f"{_span(first, last)} carry no log links and the log has no signed head "
                "(removed, or a store from before the log chain: an admin runs "
                "`forloeb verify --seal` once)",
            )
        if head is not None:
            if self.last < head.position:
                yield _finding(
                    FindingKind.REMOVED,
                    self.last + 1,
                    f"the log ends at #{self.last}, the signed log head is at #{head.position} "
                    "(its tail was cut off)",
                )
            elif prev != head.digest:
                yield _finding(
                    FindingKind.CHANGED,
                    head.position,
                    "the log does not end in the signed log head's digest",
                )
        anchor = self.against
        if anchor is None:
            return
        if self.digest_at_anchor is None:
            yield _finding(
                FindingKind.REMOVED,
                anchor.position,
                f"the log does not reach the head kept elsewhere ({anchor.text()}): "
                "it was cut off or rolled back",
            )
        elif self.digest_at_anchor != anchor.digest:
            yield _finding(
                FindingKind.CHANGED,
                anchor.position,
                f"the log at #{anchor.position} differs from the head kept elsewhere: "
                "it was rolled back or rewritten",
            )


def seal_log(
    key: bytes, rows: Iterable[tuple[int, str, int, bytes | None]], batch: int = 10_000
) -> tuple[list[LogLink], LogHead | None]:
    """Log links and a signed head for a log that has neither: its events (notification id,
    originator id, version, aggregate link hash or None) in notification order, one link per
    `batch` notifications, as if each batch had been one transaction. None: no events."""
    links: list[LogLink] = []
    prev, start = ZERO_HASH, None
    for chunk in _chunks(rows, batch):
        start = chunk[0][0] if start is None else start
        entries = [(n, oid, v, h) for n, oid, v, h in chunk if h is not None]
        digest = log_link(prev, entries)
        links.append(LogLink(chunk[-1][0], prev, digest))
        prev = digest
    if start is None:
        return links, None
    return links, sign(key, start, links[-1].notification_id, prev)


def _chunks(
    rows: Iterable[tuple[int, str, int, bytes | None]], size: int
) -> Iterator[list[tuple[int, str, int, bytes | None]]]:
    chunk: list[tuple[int, str, int, bytes | None]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _span(first: int, last: int) -> str:
    return f"notification #{first}" if first == last else f"notifications #{first}..#{last}"


def _finding(kind: FindingKind, n: int, detail: str) -> Finding:
    return Finding(kind, LOG_ID, n, detail, LOG)


def merged_rows(events: Iterator[LogRow], orphans: Iterator[LogRow]) -> Iterator[LogRow]:
    """Events (with links) and log links whose event is gone, in notification order."""
    import heapq

    return heapq.merge(events, orphans, key=lambda r: r.notification_id)
