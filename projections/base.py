"""What every view shares: its own tables and tracking, and a projection that fills them.

A view is an eventsourcing `TrackingRecorder` with tables of its own and a
tracking table named after it (`<name>_tracking`), so every view can be at its
own position and be rebuilt alone. The view's SQL is written once, with `?`
placeholders and `{table}` names; the SQLite and PostgreSQL variants
(`storage.sqlite_views`, `storage.postgres_views`) supply the dialect.

A projection turns events into writes on its view. The catalog hands it a
batch of events inside a transaction that also records the batch's last
position in the view's tracking table, so a batch counts exactly once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date
from functools import lru_cache
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from eventsourcing.persistence import EventStore, Tracking, TrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic

from projections.view_secrets import ViewSecrets

Row = Mapping[str, Any]
Positioned = tuple[Any, int]
"""A domain event with its notification id (its position in the log)."""

_CONSTRAINTS = frozenset({"PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "CONSTRAINT"})

REBUILDING = "__rebuilding__"
"""Tracking-table row marking a rebuild in progress (like eventsourcing's `__migration__`)."""


class View(TrackingRecorder, ABC):
    """A read model with its own tables, written together with its tracking position."""

    name: ClassVar[str]
    """The view's name; prefixes its tracking table."""
    tables: ClassVar[dict[str, str]]
    """Table name -> column definitions (portable SQL: TEXT, INTEGER, BIGINT)."""
    indexes: ClassVar[dict[str, str]] = {}
    """Index name -> `table (columns)`."""

    application_name: str = ""
    """The upstream application whose log the view follows (set by the catalog)."""
    may_create_tables: bool = True
    """Whether the connection may drop and create tables; if not, a reset deletes rows."""
    log: EventStore[Any] | None = None
    """The log's event store, for views that read source events at query time (set by the
    catalog); projections never read it."""
    secrets: ViewSecrets | None = None
    """Pseudonyms and sealing under the store's view key (set by the catalog)."""

    @property
    def sealed(self) -> ViewSecrets:
        """The view's secrets; a view that seals or pseudonymises is opened with them."""
        if self.secrets is None:
            raise RuntimeError(f"view {self.name}: opened without the store's view key")
        return self.secrets

    # Supplied by the dialect variant ------------------------------------------

    @abstractmethod
    def transaction(self, *, commit: bool) -> AbstractContextManager[Any]:
        """A transaction on the view's database, yielding a cursor."""

    def read(self) -> AbstractContextManager[Any]:
        """A cursor for one read-only statement: a read transaction here; PostgreSQL runs
        the statement on its own (its own snapshot, without BEGIN and ROLLBACK round trips)."""
        return self.transaction(commit=False)

    @abstractmethod
    def table(self, name: str) -> str:
        """The table's name as SQL (schema-qualified where the dialect has schemas)."""

    @abstractmethod
    def placeholders(self, statement: str) -> str:
        """The statement with `?` placeholders in the dialect's style."""

    @abstractmethod
    def track(self, c: Any, tracking: Tracking) -> None:
        """Record the position in the cursor's transaction; refuse a position not ahead."""

    @abstractmethod
    def create_table(self) -> None:
        """Create the tracking table and the view's tables if missing."""

    @property
    @abstractmethod
    def tracking_table(self) -> str:
        """The tracking table's name as SQL."""

    @abstractmethod
    def existing_columns(self, c: Any, name: str) -> list[str]:
        """The columns the table has in the database, in order (none if it is missing)."""

    # Portable -----------------------------------------------------------------

    _sql_cache: dict[str, str]

    def sql(self, statement: str) -> str:
        """The statement with `{table}` names resolved and placeholders converted (cached)."""
        cache: dict[str, str] = self.__dict__.setdefault("_sql_cache", {})
        try:
            return cache[statement]
        except KeyError:
            names = {t: self.table(t) for t in self.tables}
            resolved = self.placeholders(statement.format(**names))
            cache[statement] = resolved
            return resolved

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        """The rows a read-only query returns."""
        with self.read() as c:
            c.execute(self.sql(statement), tuple(params))
            return list(c.fetchall())

    def ddl(self, *, indexes: bool = True) -> list[str]:
        """The statements creating the view's tables and (unless not wanted) its indexes."""
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.table(t)} ({columns})"
            for t, columns in self.tables.items()
        ]
        return statements + self.index_ddl() if indexes else statements

    def index_ddl(self) -> list[str]:
        """The statements creating the view's indexes, if missing."""
        statements = []
        for index, target in self.indexes.items():
            table, _, columns = target.partition(" ")
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {index} ON {self.table(table)} {columns}"
            )
        return statements

    def declared_columns(self, name: str) -> list[str]:
        """The columns `tables` declares for the table, in order."""
        pieces, depth, start = [], 0, 0
        definition = self.tables[name]
        for i, char in enumerate(definition + ","):
            depth += (char == "(") - (char == ")")
            if char == "," and depth == 0:
                pieces.append(definition[start:i].split()[0])
                start = i + 1
        return [p for p in pieces if p.upper() not in _CONSTRAINTS]

    def outdated(self, c: Any) -> bool:
        """Whether a table of the view exists with other columns than declared."""
        for t in self.tables:
            existing = self.existing_columns(c, t)
            if existing and existing != self.declared_columns(t):
                return True
        return False

    def reset_if_outdated(self) -> bool:
        """Reset the view if its tables are outdated (see `reset`); whether it was."""
        with self.transaction(commit=True) as c:
            if not self.outdated(c):
                return False
            self.reset(c)
            return True

    def position(self) -> int:
        """The last notification id the view has processed (0 before the first)."""
        return self.max_tracking_id(self.application_name) or 0

    def standing_query(self, label: int) -> tuple[str, tuple[Any, ...]]:
        """A SELECT of (label, application_name, position) rows: the view's position and,
        if a rebuild is under way, its mark; `Views` unites these to ask all views at once."""
        statement = (
            f"SELECT {label:d} AS label, application_name, MAX(notification_id) AS position "
            f"FROM {self.tracking_table} WHERE application_name IN (?, ?) "
            "GROUP BY application_name"
        )
        return self.placeholders(statement), (self.application_name, REBUILDING)

    def reset(self, c: Any) -> None:
        """Empty the view, forget its position, and mark it as rebuilding (one transaction).

        Where tables may be created, they are made anew without their indexes:
        `finish_rebuild` creates those once, at the end, which is much faster than
        keeping them up to date row by row. (Queries are right without them, only
        slower, while an interrupted rebuild waits to be continued.)
        """
        if self.may_create_tables:
            for t in self.tables:
                c.execute(f"DROP TABLE IF EXISTS {self.table(t)}")
            for statement in self.ddl(indexes=False):
                c.execute(statement)
        else:
            for t in self.tables:
                c.execute(f"DELETE FROM {self.table(t)}")
        forget = self.placeholders(f"DELETE FROM {self.tracking_table} WHERE application_name=?")
        c.execute(forget, (self.application_name,))
        c.execute(forget, (REBUILDING,))
        mark = self.placeholders(f"INSERT INTO {self.tracking_table} VALUES (?, ?)")
        c.execute(mark, (REBUILDING, 1))

    def finish_rebuild(self) -> None:
        """Create the indexes a reset left out, and clear the rebuilding mark (the view
        has reached the head)."""
        with self.transaction(commit=True) as c:
            if self.may_create_tables:
                for statement in self.index_ddl():
                    c.execute(statement)
            statement = f"DELETE FROM {self.tracking_table} WHERE application_name=?"
            c.execute(self.placeholders(statement), (REBUILDING,))

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, sorted: for comparing two builds of the view."""
        result = {}
        with self.transaction(commit=False) as c:
            for t in self.tables:
                c.execute(f"SELECT * FROM {self.table(t)}")
                result[t] = sorted(
                    (tuple(row.values()) if isinstance(row, dict) else tuple(row))
                    for row in c.fetchall()
                )
        return result


TView = TypeVar("TView", bound=View)
Handler = Callable[[Any, Any, Any, int], object]


class Header:
    """What the log's notification says of an event without decoding it: whose and which.

    Each event class gets a subclass of its own (`header_class`), so handlers
    are still found by the type of what they are given.
    """

    __slots__ = ("originator_id", "originator_version")

    event_class: ClassVar[type[Any]]

    def __init__(self, originator_id: Any, originator_version: int) -> None:
        self.originator_id = originator_id
        self.originator_version = originator_version


_HEADER_CLASSES: dict[type[Any], type[Header]] = {}


def header_class(event_class: type[Any]) -> type[Header]:
    """The `Header` subclass standing for an undecoded event of `event_class` (one each)."""
    found = _HEADER_CLASSES.get(event_class)
    if found is None:
        name = f"{event_class.__name__}Header"
        found = type(name, (Header,), {"__slots__": (), "event_class": event_class})
        _HEADER_CLASSES[event_class] = found
    return found


class ViewProjection(Projection[TView], ABC, Generic[TView]):
    """Projects events into one view. Subclasses map event classes to handlers.

    `handlers` lists, for each event class the view reads, a function
    `(projection, cursor, event, position)`; other events only advance the
    position. `header_handlers` lists those that read nothing but the event's
    `originator_id` and `originator_version`: they are given the event, or,
    when no view reads more of it, its `Header` (not decoded at all). `topics`
    and `header_topics` follow, so the catalog decodes only events some view
    reads. A handler may write at once, or collect rows that `flush` writes
    for the whole batch (`executemany`: far fewer statements when
    rebuilding); `begin` starts each batch's collection.
    """

    handlers: ClassVar[dict[type[Any], Handler]] = {}
    header_handlers: ClassVar[dict[type[Any], Handler]] = {}
    header_topics: ClassVar[dict[str, type[Any]]] = {}
    """Topic -> event class, for the events the view reads only the header of."""
    _dispatch: ClassVar[dict[type[Any], Handler]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        both = set(cls.handlers) & set(cls.header_handlers)
        if both:
            raise TypeError(f"{cls.__name__}: handled both in full and by header: {both}")
        cls.topics = tuple(get_topic(event_class) for event_class in cls.handlers)
        cls.header_topics = {get_topic(k): k for k in cls.header_handlers}
        cls._dispatch = {
            **cls.handlers,
            **cls.header_handlers,
            **{header_class(k): h for k, h in cls.header_handlers.items()},
        }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """The library's one-event entry point: the event and its position in one transaction."""
        with self.view.transaction(commit=True) as c:
            self.view.track(c, tracking)
            self.project(c, [(domain_event, tracking.notification_id)])
            self.settle(c)

    def project(self, c: Any, events: Sequence[Positioned]) -> None:
        """Write a batch of events to the view in the cursor's transaction."""
        self.begin()
        handler_of = self._dispatch.get
        for event, position in events:
            handler = handler_of(type(event))
            if handler is not None:
                handler(self, c, event, position)
        self.flush(c)

    def start(self, position: int) -> None:
        """The catalog is about to project a batch onto the view, now at `position`.

        With `finish`, lets a projection keep what it wrote across batches: it is
        valid only while the view is at the position of the last batch it saw
        committed (override both to keep such state; `process_event` calls neither).
        """

    def finish(self, position: int | None) -> None:
        """The batch's transaction committed and the view is at `position`, or, given
        None, it did not commit (forget anything the batch taught)."""

    def begin(self) -> None:
        """Start collecting a batch's rows (override with `flush`)."""

    def settle(self, c: Any) -> None:
        """The batch just projected reached the head of the log: finish any work kept back
        until then (in the same transaction)."""

    def flush(self, c: Any) -> None:
        """Write the rows collected for the batch."""

    def execute_many(self, c: Any, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one of the view's statements for each row, if there are any."""
        if rows:
            c.executemany(self.view.sql(statement), rows)

    def execute(self, c: Any, statement: str, *params: Any) -> None:
        """Run one of the view's statements in the cursor's transaction."""
        c.execute(self.view.sql(statement), params)


def as_dicts(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows of one query as dicts (PostgreSQL's already are). SQLite's rows find a column
    by name with a case-blind scan of every column before it: for rows read column by
    column many times over, a dict made once is much cheaper."""
    if not rows or isinstance(rows[0], dict):
        return list(rows)
    names = rows[0].keys()
    return [dict(zip(names, row, strict=True)) for row in rows]


@lru_cache(maxsize=1 << 14, typed=True)
def iso(day: date | str) -> str:
    """A date as stored in views: ISO text (sorts and compares as dates on both dialects).

    Cached: a log has few distinct days and many events on each, and `date.isoformat`
    formats through `PyUnicode_FromFormat`, some thousands of instructions a call."""
    return day.isoformat() if isinstance(day, date) else date.fromisoformat(str(day)).isoformat()


class ViewSpec:
    """One view as the catalog knows it: the view class and the projection that fills it."""

    def __init__(self, view: type[Any], projection: type[ViewProjection[Any]]) -> None:
        """`view` is the dialect-neutral `View` subclass; the catalog adds the dialect."""
        self.view = view
        self.projection = projection

    @property
    def name(self) -> str:
        """The view's name."""
        return str(self.view.name)


_KEYS: dict[int, str] = {}
_KEPT_KEYS = 1 << 16


def key(course_id: UUID) -> str:
    """A course id as stored in views (cached: every view stores it for every event).

    Cached by the id's integer: hashing that is far cheaper than hashing the UUID.
    """
    number = course_id.int
    found = _KEYS.get(number)
    if found is None:
        if len(_KEYS) >= _KEPT_KEYS:
            _KEYS.clear()
        found = _KEYS[number] = str(course_id)
    return found
