"""Tamper evidence: a hash chain over each aggregate's stored events, and signed heads.

Every stored event gets a *link*: the hash of its predecessor and its own hash,

    hash(n) = sha256(canonical(originator_id, n, topic, state, hash(n - 1)))

computed over the bytes as stored (the state is already encrypted), with 32
zero bytes before the first event. Each aggregate (a course, a citizen's
index) also has a *head*: its last version and hash, signed with HMAC-SHA256
under a key derived from the deployment's master key, which is never stored
with the events. Anyone who can write to the tables can recompute hashes, but
not a head's signature, so changing, removing, inserting or reordering events
breaks either the chain or the signed head, and `verify` names the aggregate
and the sequence number.

This module is pure (no I/O): the recorders (`storage.sqlite_recorder`,
`storage.postgres_recorders`) call `extend` inside the transaction that inserts
the events, and feed `Verifier` the stored rows, streamed in (aggregate, version)
order.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple, Protocol
from uuid import UUID

from domain.errors import CourseError

HASH_BYTES = 32
ZERO_HASH = bytes(HASH_BYTES)
"""The predecessor hash of an aggregate's first event."""
_EVENT_TAG = b"forloeb/chain/event/v1"
_HEAD_TAG = b"forloeb/chain/head/v1"
_AGGREGATE_KINDS = {"domain.events": "course", "domain.citizen": "citizen index"}
"""What an aggregate is called in findings, by the module of its events' topics."""


class ChainRefused(CourseError):
    """An append would extend a chain that is missing, broken or unsigned; nothing was written."""


class ChainKeyMissing(ChainRefused):
    """The recorder was given no key to sign chain heads with, so it refuses to write."""


class _Hashed(Protocol):
    """What an event's link is hashed over, beside its aggregate's id."""

    @property
    def originator_version(self) -> int: ...

    @property
    def topic(self) -> str: ...

    @property
    def state(self) -> bytes: ...


class EventLike(_Hashed, Protocol):
    """What the chain needs of a stored event (eventsourcing's StoredEvent has it)."""

    @property
    def originator_id(self) -> UUID | str: ...


class Link(NamedTuple):
    """One stored event's place in its aggregate's chain."""

    originator_id: str
    version: int
    prev_hash: bytes
    hash: bytes


class Head(NamedTuple):
    """An aggregate's last version and hash, with the signature over both."""

    originator_id: str
    version: int
    hash: bytes
    mac: bytes


class ChainRow(NamedTuple):
    """One position of an aggregate's log as stored: the event and its link.

    `topic`/`state` are None when the link remains but the event is gone;
    `prev_hash`/`hash` are None when the event has no link.
    """

    originator_id: str
    version: int
    topic: str | None
    state: bytes | None
    prev_hash: bytes | None
    hash: bytes | None


class FindingKind(StrEnum):
    """What verification found wrong at one position."""

    CHANGED = "changed"
    REMOVED = "removed"
    INSERTED = "inserted"
    REORDERED = "reordered"
    HEAD_INVALID = "head signature invalid"
    HEAD_MISSING = "head missing"
    NOT_CHAINED = "not chained"
    KEK = "erasure not final"
    """Citizen keys not under a key-encryption key, or under one overdue for rotation."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of evidence of tampering: which aggregate, which position, what."""

    kind: FindingKind
    originator_id: str
    version: int
    detail: str
    aggregate: str = "aggregate"
    """What the aggregate is: "course", "citizen index", or "aggregate" if unknown."""

    def line(self) -> str:
        """The finding as one line for the terminal (no #version where there is none, -1)."""
        at = f" #{self.version}" if self.version >= 0 else ""
        return f"{self.aggregate} {self.originator_id}{at}: {self.kind}: {self.detail}"


def canonical_id(originator_id: UUID | str) -> str:
    """The originator id as hashed and reported: a UUID's 36-character form, or the text."""
    return str(originator_id)


def _utf8(text: str) -> bytes:
    """Text as the UTF-8 bytes stored (undecodable bytes read back are kept as they were)."""
    return text.encode("utf-8", "surrogateescape")


_BLOCK = 64
"""SHA-256's block size, for HMAC."""
_LENGTH = struct.Struct(">Q").pack
_VERSION = struct.Struct(">q").pack


def _field(data: bytes) -> bytes:
    return _LENGTH(len(data)) + data


def event_hash(
    originator_id: str, version: int, topic: str, state: bytes, prev_hash: bytes
) -> bytes:
    """sha256 over an unambiguous encoding of one stored event and its predecessor's hash:
    each field length-prefixed (8 bytes, big-endian), the version as a signed 64-bit int."""
    oid, name = _utf8(originator_id), _utf8(topic)
    return hashlib.sha256(
        b"".join(
            (
                _EVENT_TAG,
                _LENGTH(len(oid)),
                oid,
                _VERSION(version),
                _LENGTH(len(name)),
                name,
                _LENGTH(len(state)),
                state,
                _LENGTH(len(prev_hash)),
                prev_hash,
            )
        )
    ).digest()


def head_mac(key: bytes, originator_id: str, version: int, hash_: bytes) -> bytes:
    """HMAC-SHA256 over (originator id, version, hash) under the chain key."""
    return _mac(key, _HEAD_TAG + _field(_utf8(originator_id)), version, hash_)


def _mac(key: bytes, head_prefix: bytes, version: int, hash_: bytes) -> bytes:
    """`head_mac` with the tag and originator id field already encoded (`head_prefix`)."""
    message = b"".join((head_prefix, _VERSION(version), _LENGTH(len(hash_)), hash_))
    inner, outer = _keyed(key)
    inside = inner.copy()
    inside.update(message)
    mac = outer.copy()
    mac.update(inside.digest())
    digest: bytes = mac.digest()
    return digest


@functools.lru_cache(maxsize=4)
def _keyed(key: bytes) -> tuple[Any, Any]:
    """HMAC-SHA256's inner and outer hash states for a key (RFC 2104), made once per key:
    each signature copies them, several times faster than keying `hmac` anew."""
    block = hashlib.sha256(key).digest() if len(key) > _BLOCK else key
    block = block.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    return inner, outer


def sign_head(key: bytes, originator_id: str, version: int, hash_: bytes) -> Head:
    """A head for the aggregate at `version`, signed with the chain key."""
    return Head(originator_id, version, hash_, head_mac(key, originator_id, version, hash_))


def head_is_authentic(key: bytes, head: Head) -> bool:
    """Whether the head's signature was made with the chain key over its own values."""
    expected = head_mac(key, head.originator_id, head.version, head.hash)
    return hmac.compare_digest(expected, head.mac)


# Appending: the hot path of every insert, so per event and per aggregate it
# allocates little; `event_hash` and `head_mac` above are the reference encodings.

LinkRow = tuple[Any, int, bytes, bytes]
"""A links-table row: (originator id as stored, version, prev_hash, hash)."""
HeadRow = tuple[Any, int, bytes, bytes]
"""A heads-table row: (originator id as stored, version, hash, mac)."""

_EVENT_START = hashlib.sha256(_EVENT_TAG)
"""sha256 over the event tag, copied for each aggregate (never updated itself)."""


class Identity(NamedTuple):
    """An aggregate's id in every form an append needs, worked out once."""

    originator_id: str
    """Canonical, as hashed, signed and reported."""
    stored: Any
    """As the store keys its rows."""
    event_start: Any
    """sha256 state over the event tag and the originator id field (copied, never updated)."""
    head_prefix: bytes
    """The head tag and the originator id field, as the head's signature begins."""


def identity(originator_id: str, stored: Any) -> Identity:
    """The aggregate's identity: its canonical id, and its id as the store keys it."""
    oid = _field(_utf8(originator_id))
    start = _EVENT_START.copy()
    start.update(oid)
    return Identity(originator_id, stored, start, _HEAD_TAG + oid)


class Appended(NamedTuple):
    """One aggregate's new events in an append, in version order (checked consecutive)."""

    stored_id: UUID | str
    """The originator id as the events carry it."""
    events: list[EventLike]
    first: int
    """The version of the first new event."""


class Append(NamedTuple):
    """One aggregate's part of an append: its identity, new events, and current head."""

    who: Identity
    events: Sequence[_Hashed]
    """Consecutive versions, in order (see `appended`)."""
    head: Head | None
    verified: bool = False
    """The head is known authentic: signed, or already checked, under this key."""


def appended(events: Sequence[EventLike]) -> list[Appended]:
    """The appended events by aggregate, each in version order, in order of first appearance.

    Raises ChainRefused if an aggregate's new versions are not consecutive.
    """
    groups: dict[int | str, list[EventLike]] = {}
    for event in events:  # keyed by the UUID's int: a UUID's own hash is Python code
        oid = event.originator_id
        groups.setdefault(oid.int if isinstance(oid, UUID) else oid, []).append(event)
    pending: list[Appended] = []
    for new in groups.values():
        stored_id = new[0].originator_id
        first = new[0].originator_version
        if len(new) > 1 and not _consecutive(new, first):
            new.sort(key=_version)
            first = new[0].originator_version
            if not _consecutive(new, first):
                raise _refusal(
                    canonical_id(stored_id), first, "the new events' versions are not consecutive"
                )
        pending.append(Appended(stored_id, new, first))
    return pending


def _consecutive(events: list[EventLike], first: int) -> bool:
    expected = first
    for event in events:
        if event.originator_version != expected:
            return False
        expected += 1
    return True


def _version(event: EventLike) -> int:
    return event.originator_version


def chain_rows(appends: Sequence[Append], key: bytes) -> tuple[list[LinkRow], list[HeadRow]]:
    """The links-table rows for the appended events and the heads-table rows of their
    aggregates' new signed heads (one per aggregate, in `appends`' order).

    Each aggregate's new events must directly follow its current head (or start
    a new chain at version 0 or 1 when it has none), and the head must be
    authentic: a head is only ever signed over values checked here, so a forged
    or stale head is never laundered by the next append. Raises ChainRefused
    otherwise, before anything is hashed.
    """
    starts = [
        _predecessor(a.who.originator_id, a.events[0].originator_version, a.head, a.verified, key)
        for a in appends
    ]
    links: list[LinkRow] = []
    new_heads: list[HeadRow] = []
    for a, prev_hash in zip(appends, starts, strict=True):
        version, digest = _link_rows(a.who, prev_hash, a.events, links)
        new_heads.append(
            (a.who.stored, version, digest, _mac(key, a.who.head_prefix, version, digest))
        )
    return links, new_heads


def extend(
    events: Sequence[EventLike], heads: Mapping[str, Head], key: bytes | None
) -> tuple[list[Link], list[Head]]:
    """The links for newly inserted events and the aggregates' new signed heads.

    `heads` holds the current heads of the events' aggregates. An aggregate's
    new events must directly follow its head (or start a new chain at version 0
    or 1 when it has none), and the head must be authentic: a head is only ever
    signed over values this function has checked, so a forged or stale head is
    never laundered by the next append. Raises ChainRefused otherwise.
    """
    if key is None:
        raise ChainKeyMissing(
            "chain key: the event store was opened without a key to sign chain heads; "
            "nothing was written"
        )
    appends = []
    for a in appended(events):
        originator_id = canonical_id(a.stored_id)
        appends.append(
            Append(identity(originator_id, originator_id), a.events, heads.get(originator_id))
        )
    links, new_heads = chain_rows(appends, key)
    return [Link._make(row) for row in links], [Head._make(row) for row in new_heads]


def chain(
    originator_id: str, prev_hash: bytes, events: Iterable[tuple[int, str, bytes]]
) -> list[Link]:
    """Links for (version, topic, state) events following `prev_hash`, in order."""
    rows: list[LinkRow] = []
    who = identity(originator_id, originator_id)
    _link_rows(who, prev_hash, [_Event._make(e) for e in events], rows)
    return [Link._make(row) for row in rows]


class _Event(NamedTuple):
    originator_version: int
    topic: str
    state: bytes


def _link_rows(
    who: Identity, prev_hash: bytes, events: Sequence[_Hashed], out: list[LinkRow]
) -> tuple[int, bytes]:
    """Append the links of `events` (in order, following `prev_hash`) to `out`; the last
    version and hash. The same bytes as `event_hash`, with fewer allocations: the tag and
    originator id hashed once per aggregate (a copied state), each topic's field encoded once."""
    start, stored_id, topics = who.event_start, who.stored, _TOPIC_FIELDS
    join, version_bytes, length, append = b"".join, _VERSION, _LENGTH, out.append
    version = 0
    for event in events:
        topic, state, version = event.topic, event.state, event.originator_version
        name = topics.get(topic)
        if name is None:
            name = _topic_field(topic)
        h = start.copy()
        h.update(
            join(
                (
                    version_bytes(version),
                    name,
                    length(len(state)),
                    state,
                    length(len(prev_hash)),
                    prev_hash,
                )
            )
        )
        digest = h.digest()
        append((stored_id, version, prev_hash, digest))
        prev_hash = digest
    return version, prev_hash


_TOPIC_FIELDS: dict[str, bytes] = {}
"""Length-prefixed topics already encoded (an application has a few dozen)."""
_TOPIC_FIELDS_MAX = 1024


def _topic_field(topic: str) -> bytes:
    name = _field(_utf8(topic))
    if len(_TOPIC_FIELDS) < _TOPIC_FIELDS_MAX:
        _TOPIC_FIELDS[topic] = name
    return name


def _predecessor(
    originator_id: str, first: int, head: Head | None, verified: bool, key: bytes
) -> bytes:
    """The hash the first new event follows; refuses an append the chain cannot take."""
    if head is None:
        if first <= 1:
            return ZERO_HASH
        raise _refusal(
            originator_id,
            first,
            "the aggregate is not under the hash chain: it has no signed head (after an "
            "upgrade, run `forloeb verify --seal` once)",
        )
    if not verified and not head_is_authentic(key, head):
        raise _refusal(originator_id, first, "its signed head fails its signature")
    if head.version != first - 1:
        raise _refusal(originator_id, first, f"its signed head is at #{head.version}")
    return head.hash


def _refusal(originator_id: str, version: int, reason: str) -> ChainRefused:
    return ChainRefused(
        f"aggregate {originator_id}: cannot append #{version}: {reason}; nothing was written "
        "(run `forloeb verify`)"
    )


def aggregate_kind(topic: str | None) -> str:
    """What an aggregate is called, from the topic of one of its events."""
    if topic is None:
        return "aggregate"
    return _AGGREGATE_KINDS.get(topic.partition(":")[0], "aggregate")


class Verifier:
    """Checks streamed chain rows and heads; counts what it checked.

    `findings(rows, heads)` takes both streams ordered by originator id (and
    rows by version within it) and holds one aggregate in memory at a time.
    """

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.events = 0
        self.aggregates = 0

    def findings(self, rows: Iterable[ChainRow], heads: Iterable[Head]) -> Iterator[Finding]:
        """Every finding, aggregate by aggregate, in the streams' order."""
        pending = iter(heads)
        head = next(pending, None)
        for originator_id, group in itertools.groupby(rows, key=lambda r: r.originator_id):
            while head is not None and head.originator_id < originator_id:
                yield from self.aggregate([], head)
                head = next(pending, None)
            matching = head if head is not None and head.originator_id == originator_id else None
            if matching is not None:
                head = next(pending, None)
            yield from self.aggregate(list(group), matching)
        while head is not None:
            yield from self.aggregate([], head)
            head = next(pending, None)

    def aggregate(self, rows: list[ChainRow], head: Head | None) -> list[Finding]:
        """The findings for one aggregate's rows (ordered by version) and head."""
        self.aggregates += 1
        self.events += sum(1 for r in rows if r.topic is not None)
        checked = _Aggregate(rows, head, self.key)
        return checked.findings()


class _Aggregate:
    """One aggregate under verification."""

    def __init__(self, rows: list[ChainRow], head: Head | None, key: bytes) -> None:
        self.rows = rows
        self.head = head
        self.key = key
        self.originator_id = rows[0].originator_id if rows else (head.originator_id if head else "")
        first_topic = next((r.topic for r in rows if r.topic is not None), None)
        self.kind = aggregate_kind(first_topic)
        self.by_hash = {r.hash: r.version for r in rows if r.hash is not None}
        self.found: list[Finding] = []

    def report(self, kind: FindingKind, version: int, detail: str) -> None:
        if any(f.kind == kind and f.version == version for f in self.found):
            return
        self.found.append(Finding(kind, self.originator_id, version, detail, self.kind))

    def findings(self) -> list[Finding]:
        rows = self.rows
        if rows and self.head is None and not self.by_hash:
            self.report(
                FindingKind.NOT_CHAINED,
                rows[0].version,
                f"events #{rows[0].version}..#{rows[-1].version} carry no hash links "
                "(an upgraded store: run `forloeb verify --seal` once)",
            )
            return self.found
        self.walk()
        self.check_head()
        return self.found

    def walk(self) -> None:
        """Follow the rows in version order: gaps, unlinked events, orphan links, hashes."""
        expected = min(1, self.rows[0].version) if self.rows else 1
        previous: bytes | None = ZERO_HASH
        for row in self.rows:
            if row.version > expected:
                self.removed(expected, row.version - 1, "missing from the log")
                previous = None
            expected = row.version + 1
            if row.topic is None or row.state is None:
                self.report(
                    FindingKind.REMOVED, row.version, "the event is gone; its hash link remains"
                )
                previous = row.hash
                continue
            if row.hash is None or row.prev_hash is None:
                self.report(FindingKind.INSERTED, row.version, "an event without a hash link")
                previous = None
                continue
            self.check_link(row, row.topic, row.state, row.prev_hash, row.hash, previous)
            previous = row.hash

    def removed(self, first: int, last: int, how: str) -> None:
        span = f"#{first}" if first == last else f"#{first}..#{last}"
        self.report(FindingKind.REMOVED, first, f"{span} {how}")

    def check_link(
        self,
        row: ChainRow,
        topic: str,
        state: bytes,
        prev_hash: bytes,
        digest: bytes,
        previous: bytes | None,
    ) -> None:
        """One event against its link, and its link against the previous one."""
        v = row.version
        intact = event_hash(self.originator_id, v, topic, state, prev_hash) == digest
        follows = previous is None or prev_hash == previous
        if intact and follows:
            return
        if not follows:
            after = 0 if prev_hash == ZERO_HASH else self.by_hash.get(prev_hash)
            if after is not None and after != v - 1:
                before = "the start" if after == 0 else f"#{after}"
                self.report(
                    FindingKind.REORDERED, v, f"its hash link follows {before}, not #{v - 1}"
                )
                return
        if not intact:
            moved = self.recorded_as(v, topic, state)
            if moved is not None:
                self.report(FindingKind.REORDERED, v, f"holds the event recorded as #{moved}")
            else:
                self.report(
                    FindingKind.CHANGED, v, "the stored bytes do not match the recorded hash"
                )
            return
        self.report(FindingKind.INSERTED, v, f"its hash link does not follow #{v - 1}")

    def recorded_as(self, version: int, topic: str, state: bytes) -> int | None:
        """The other position whose link this event's bytes match, if any."""
        for other in self.rows:
            if other.version == version or other.hash is None or other.prev_hash is None:
                continue
            recomputed = event_hash(
                self.originator_id, other.version, topic, state, other.prev_hash
            )
            if recomputed == other.hash:
                return other.version
        return None

    def check_head(self) -> None:
        """The signed head against the end of the chain."""
        head, rows = self.head, self.rows
        last = rows[-1].version if rows else 0
        if head is None:
            self.report(
                FindingKind.HEAD_MISSING,
                last,
                "no signed head: the end of the chain cannot be checked",
            )
            return
        if not head_is_authentic(self.key, head):
            self.report(
                FindingKind.HEAD_INVALID,
                head.version,
                "the head's signature does not match (forged, or written without the key)",
            )
            return
        if not rows:
            self.removed(1, head.version, "missing from the log (every event of the aggregate)")
            return
        if head.version < last:
            self.report(
                FindingKind.INSERTED,
                head.version + 1,
                f"#{head.version + 1}..#{last} lie beyond the signed head #{head.version}",
            )
            return
        if head.version > last:
            self.removed(
                last + 1, head.version, f"missing from the log (the signed head is #{head.version})"
            )
            return
        if rows[-1].hash != head.hash:
            self.report(
                FindingKind.CHANGED, last, "the chain does not end in the signed head's hash"
            )
