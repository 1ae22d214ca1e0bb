"""The catalog of views: open them on a store, catch them up, rebuild them, report status.

Catching up reads the log once for all views, in batches: each batch's events
are decoded once, and every view behind is written in a transaction that
also moves each view's tracking position to the batch's last notification.
A long catch-up (a rebuild) writes several batches in one transaction
(`batches_per_commit`): a commit writes every page the transaction changed,
and a rebuild's batches change mostly the same pages, so fewer commits write
far less. A crash loses at most the transaction in flight, which is read
again; nothing is counted twice. The tracking upserts come first in a
transaction, so a second process catching up at the same moment waits on
them and then finds its batches already done.

eventsourcing's `ProjectionRunner` is not used: it needs a subscription, which
the SQLite recorder does not offer, and it processes one event per
transaction in a background thread. The catalog drives the same `Projection`
objects from the library's own notification reading and tracking instead,
synchronously, which is what a CLI command needs before it exits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, cast

from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking

from domain.errors import CourseError
from projections.base import (
    REBUILDING,
    Header,
    Positioned,
    View,
    ViewProjection,
    ViewSpec,
    header_class,
)
from projections.collector import collector_paused
from projections.view_secrets import VIEW_KEY_PURPOSE, ViewSecrets
from storage import view_reading

if TYPE_CHECKING:
    from projections.audit import AuditView
    from projections.caseload import CaseloadView
    from projections.course_list import CourseListView
    from storage.infrastructure import Infrastructure
    from storage.store import StoreConfig

VIEW_MODULES: tuple[str, ...] = (
    "projections.course_list",
    "projections.caseload",
    "projections.audit",
    "projections.outcomes",
    "projections.milestones",
)
"""Each module defines `VIEW = ViewSpec(...)` for the view named after the module; adding
a view is adding its module here. A module is imported when its view is first used."""

_Batch = tuple[int, int, list[Positioned]]
"""A batch read from the log: its last notification id, how many, the decoded events."""

Progress = Callable[[int, int], None]
"""Called after each commit with (notifications done, notifications to do)."""


@dataclass(frozen=True)
class ViewStatus:
    """Where one view stands against the head of the log."""

    name: str
    position: int
    head: int
    rebuilding: bool = False

    @property
    def behind(self) -> int:
        """How many notification ids the view has still to process."""
        return max(self.head - self.position, 0)


@dataclass(frozen=True)
class _Reading:
    """What some views read of the log: topics to decode, and topics of which a header."""

    full: frozenset[str]
    headers: dict[str, type[Header]]

    @classmethod
    def of(cls, entries: Sequence[_Entry]) -> _Reading:
        full = {topic for e in entries for topic in e.projection.topics}
        headers = {
            topic: header_class(event_class)
            for e in entries
            for topic, event_class in e.projection.header_topics.items()
            if topic not in full
        }
        return cls(frozenset(full), headers)


@dataclass
class _Entry:
    view: View
    projection: ViewProjection[Any]


@dataclass(frozen=True)
class _Standing:
    """Where a view stands in its tracking table: its position, whether it is rebuilding."""

    position: int
    rebuilding: bool


class ViewAhead(CourseError):
    """A view's tracking position is past the log's last notification: the log was cut
    short under it, or its tracking row was altered."""


def refuse_ahead(ahead: Sequence[tuple[str, int]], head: int) -> None:
    """Raise ViewAhead naming the (view, position) pairs past the log's `head`, if any."""
    if ahead:
        views = ", ".join(f"{name} at #{position}" for name, position in ahead)
        raise ViewAhead(
            f"views: {views}, past the log's last notification #{head}: the log was cut "
            "short or a view's tracking altered; run `forloeb verify --all`, then "
            "`forloeb projections rebuild`"
        )


@dataclass
class _Written:
    """What one transaction has written so far: each view's position (by `id(entry)`),
    the notifications read, the last of them, and the views it wrote to."""

    positions: dict[int, int]
    count: int = 0
    cursor: int = 0
    touched: dict[int, _Entry] = field(default_factory=dict)


def view_module(name: str) -> str:
    """The module defining view `name` (a view is named after its module)."""
    return f"projections.{name}"


def registered() -> tuple[ViewSpec, ...]:
    """The registered views, in catalog order."""
    return tuple(import_module(module).VIEW for module in VIEW_MODULES)


class OnStorage(Protocol):
    """Something already open on a store's event storage (the course service)."""

    storage: Infrastructure


def open_views(store: StoreConfig, *, app: OnStorage | None = None) -> Views:
    """The views on a store; pass an open `app` to share its event storage and connections."""
    if app is None:
        return Views(store.open({}), owns_storage=True)
    return Views(app.storage, owns_storage=False)


class Views:
    """Every registered view on one store, and the log they follow."""

    batch_size = 10000
    """Notifications read, decoded and projected at a time while catching up or rebuilding."""
    batches_per_commit = 4
    """Batches written in one transaction over a long catch-up: fewer commits write fewer
    pages, while the views' write lock is held that much longer and a crash loses that
    much more work. Memory does not grow: each batch is flushed and dropped before the
    next is read, and SQLite spills a transaction's pages beyond its cache to the log."""

    def __init__(
        self,
        storage: Infrastructure,
        *,
        owns_storage: bool = False,
        views_on: tuple[type[Any], Any] | None = None,
    ) -> None:
        """`views_on` puts the views elsewhere than the store: a view base and its
        datastore (`projections.verify` rebuilds into a scratch copy)."""
        self.storage = storage
        self._owns_storage = owns_storage
        backend = storage.backend
        if views_on is None:
            self._view_base = backend.view_base
            self._may_create = backend.creates_tables(storage.factory)
            self._datastore = backend.views_datastore(storage.factory)
        else:
            self._view_base, self._datastore = views_on
            self._may_create = True
        self._entries: dict[str, _Entry] = {}
        self._secrets = ViewSecrets(storage.master_key.derive(VIEW_KEY_PURPOSE))
        """The views opened so far: a view's module is imported when it is first used."""

    def create_tables(self) -> None:
        """Open every view now, so a connection that may create tables creates (or resets,
        if its columns changed) each view's tables: what `forloeb init` needs, since
        views otherwise open when first used."""
        for name in self.names:
            self._entry(name)

    def _open(self, name: str) -> _Entry:
        spec: ViewSpec = import_module(view_module(name)).VIEW
        view = _variant(self._view_base, spec.view)(self._datastore)
        view.application_name = self.storage.name
        view.log = self.storage.events
        view.secrets = self._secrets
        view.may_create_tables = self._may_create
        if self._may_create:
            view.create_table()
            view.reset_if_outdated()
        return _Entry(view, spec.projection(view=view))

    # The views ------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """The views' names, in catalog order."""
        return [module.rpartition(".")[2] for module in VIEW_MODULES]

    def view(self, name: str) -> View:
        """One view by name."""
        return self._entry(name).view

    def _entry(self, name: str) -> _Entry:
        if name not in self._entries:
            if name not in self.names:
                known = ", ".join(self.names)
                raise KeyError(f"no view {name!r} (views: {known})")
            self._entries[name] = self._open(name)
        return self._entries[name]

    @property
    def course_list(self) -> CourseListView:
        """Every course, now."""
        return cast("CourseListView", self.view("course_list"))

    @property
    def caseload(self) -> CaseloadView:
        """Consultants' caseloads and what is due, as of a date."""
        return cast("CaseloadView", self.view("caseload"))

    @property
    def audit(self) -> AuditView:
        """One citizen's complete history."""
        return cast("AuditView", self.view("audit"))

    # Keeping them current -------------------------------------------------------------

    def head(self) -> int:
        """The id of the last notification in the log (0 when it is empty)."""
        return self.storage.recorder.max_notification_id() or 0

    def status(self) -> list[ViewStatus]:
        """Each view's position against the head."""
        entries = {name: self._entry(name) for name in self.names}
        standing = self._standing(list(entries.values()))  # before the head, as `_advance`
        head = self.head()
        return [
            ViewStatus(name, standing[id(entry)].position, head, standing[id(entry)].rebuilding)
            for name, entry in entries.items()
        ]

    def _standing(self, entries: Sequence[_Entry]) -> dict[int, _Standing]:
        """Each entry's position and rebuilding mark (by `id(entry)`), read for all of them
        in one query: on PostgreSQL every query is a round trip, and a write command
        asks this of every view."""
        if not entries:
            return {}
        parts = [entry.view.standing_query(i) for i, entry in enumerate(entries)]
        statement = " UNION ALL ".join(sql for sql, _ in parts)
        params = tuple(p for _, ps in parts for p in ps)
        with entries[0].view.read() as c:
            c.execute(statement, params)
            rows = c.fetchall()
        found: dict[tuple[int, str], int] = {
            (row["label"], row["application_name"]): row["position"] for row in rows
        }
        return {
            id(entry): _Standing(
                position=found.get((i, entry.view.application_name)) or 0,
                rebuilding=(i, REBUILDING) in found,
            )
            for i, entry in enumerate(entries)
        }

    def catch_up(
        self, progress: Progress | None = None, *, views: Sequence[str] | None = None
    ) -> int:
        """Bring every view (or only the named `views`) to the head; return how many
        notifications were processed."""
        names = self.names if views is None else views
        return self._advance([self._entry(name) for name in names], progress)

    def rebuild(self, name: str | None = None, progress: Progress | None = None) -> int:
        """Empty one view (or all) and rebuild from the start of the log.

        A rebuild interrupted part-way is marked in the view; the next
        `rebuild` or `catch_up` continues from the position it reached.
        """
        names = self.names if name is None else [name]
        entries = [self._entry(n) for n in names]
        standing = self._standing(entries)
        for entry in entries:
            if not standing[id(entry)].rebuilding:
                with entry.view.transaction(commit=True) as c:
                    entry.view.reset(c)
        return self._advance(entries, progress)

    def _advance(self, entries: Sequence[_Entry], progress: Progress | None) -> int:
        reading = _Reading.of(entries)
        standing = self._standing(entries)  # before the head: a view only follows the log
        head = self.head()
        positions = {key: s.position for key, s in standing.items()}
        refuse_ahead(
            [(e.view.name, positions[id(e)]) for e in entries if positions[id(e)] > head], head
        )
        start = cursor = min(positions.values(), default=head)
        long = head - start > self.batch_size // 10
        if long:
            self._load_keys()
        batches = self.batches_per_commit if long else 1
        with collector_paused(long) as batch_done:
            processed = 0
            while cursor < head:
                written = _Written(dict(positions))
                try:
                    self._transaction(entries, written, cursor, head, reading, batches, batch_done)
                except IntegrityError:
                    # Another process moved these views on meanwhile: continue from there.
                    # If none moved, the conflict is in a view's own rows: a real error.
                    moved = {key: s.position for key, s in self._standing(entries).items()}
                    if all(moved[id(e)] <= positions[id(e)] for e in written.touched.values()):
                        raise
                    positions = moved
                    cursor = min(positions.values())
                    continue
                if not written.count:
                    break
                positions = written.positions
                processed += written.count
                cursor = written.cursor
                if progress is not None:
                    progress(cursor - start, head - start)
        for entry in entries:
            if standing[id(entry)].rebuilding and positions[id(entry)] >= head:
                entry.view.finish_rebuild()
        return processed

    def _transaction(
        self,
        entries: Sequence[_Entry],
        written: _Written,
        cursor: int,
        head: int,
        reading: _Reading,
        batches: int,
        batch_done: Callable[[], None],
    ) -> None:
        """Up to `batches` batches after `cursor` in one transaction, noted in `written`
        (nothing when the log has nothing after `cursor`). If the transaction fails, every
        projection it touched forgets what it kept of it."""
        try:
            with entries[0].view.transaction(commit=True) as c:
                for _ in range(batches):
                    if not self._batch(c, entries, written, cursor, head, reading):
                        break
                    cursor = written.cursor
                    batch_done()
        except BaseException:
            for entry in written.touched.values():
                entry.projection.finish(None)
            raise

    def _load_keys(self) -> None:
        """Unwrap the citizen keys at once before reading much of the log (paged queries,
        not one per citizen met; up to the keyring's bound, the rest as met)."""
        self.storage.keyring.load_all()

    def _read(self, after: int, head: int, reading: _Reading) -> _Batch | None:
        """The next batch after a position: its last id, its size, the events views read.

        An event some view reads in full is decoded (without the domain's checks it
        passed when written: `to_logged_event`); one the views read only the
        header of becomes that `Header`; any other is skipped.
        """
        notifications = view_reading.select_for_views(
            self.storage.recorder, after, self.batch_size, head, reading.full
        )
        if not notifications:
            return None
        decode = self.storage.mapper.to_logged_event
        full, headers = reading.full, reading.headers
        events: list[Positioned] = []
        append = events.append
        for n, originator_id, version, topic, state in notifications:
            if topic in full:
                append((decode(StoredEvent(originator_id, version, topic, state)), n))
            else:
                header = headers.get(topic)
                if header is not None:
                    append((header(originator_id, version), n))
        return notifications[-1][0], len(notifications), events

    def _batch(
        self,
        c: Any,
        entries: Sequence[_Entry],
        written: _Written,
        cursor: int,
        head: int,
        reading: _Reading,
    ) -> bool:
        """The next batch after `cursor`, read and written in the cursor's transaction, noted
        in `written`; whether there was one. (A method of its own, so a batch's events are
        gone before the next batch is read.)"""
        batch = self._read(cursor, head, reading) if cursor < head else None
        if batch is None:
            return False
        last, count, events = batch
        behind = [e for e in entries if written.positions[id(e)] < last]
        written.touched.update((id(e), e) for e in behind)
        tracking = Tracking(self.storage.name, last)
        self._write(c, behind, written.positions, events, tracking, last >= head)
        for entry in behind:
            written.positions[id(entry)] = last
        written.count += count
        written.cursor = last
        return True

    def _write(
        self,
        c: Any,
        behind: Sequence[_Entry],
        positions: dict[int, int],
        events: list[Positioned],
        tracking: Tracking,
        final: bool,
    ) -> None:
        """One batch in the cursor's transaction: each view's new position first (the lock),
        then its changes; the `final` batch (reaching the head) also lets each view settle.
        Each projection is told the batch is written (`finish`): the caller tells it
        otherwise if the transaction then fails."""
        if not behind:
            return
        for entry in behind:
            entry.projection.start(positions[id(entry)])
        for entry in behind:
            entry.view.track(c, tracking)
        for entry in behind:
            position = positions[id(entry)]
            fresh = (
                events
                if not events or events[0][1] > position
                else [(event, n) for event, n in events if n > position]
            )
            entry.projection.project(c, fresh)
            if final:
                entry.projection.settle(c)
        for entry in behind:
            entry.projection.finish(tracking.notification_id)

    # Lifetime ---------------------------------------------------------------------

    def close(self) -> None:
        """Release the views' connections (the event storage's too, if the views opened it)."""
        if self._datastore is not getattr(self.storage.factory, "datastore", None):
            self._datastore.close()
        if self._owns_storage:
            self.storage.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_VARIANTS: dict[tuple[type[Any], type[Any]], type[Any]] = {}


def _variant(base: type[Any], view: type[Any]) -> type[Any]:
    """The view class mixed with the store's SQL variant (its tracking recorder)."""
    key = (base, view)
    if key not in _VARIANTS:
        name = f"{base.__name__.removesuffix('View')}{view.__name__}"
        _VARIANTS[key] = type(name, (base, view), {})
    return _VARIANTS[key]
