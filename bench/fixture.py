"""The benchmark store: the demo cohort, scaled to a number of events, in a fresh store.

`generate(size)` gives about 33 events per referred citizen (lines plus the
citizen's own events and the automatic BaselineCompleted), so the cohort size
is chosen from the requested event count; the actual count is always read back
from cli.bootstrap import open_service
from the store and reported. Stores are fresh SQLite files in a scratch
directory, or fresh PostgreSQL databases (`bench.pg`).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from storage.store import StoreConfig
    from workflows.service import CourseService

EVENTS_PER_CITIZEN = 33.3
"""Events per referred citizen in the demo cohort (measured: 33.2-33.4 from 200 to 3000)."""
SEED = 2019
ACTOR = "bench"


class StoreFactory(Protocol):
    """Makes fresh, empty event stores of one kind and cleans them up."""

    kind: str

    def fresh(self, label: str) -> StoreConfig:
        """A new empty store with its tables created."""
        ...

    def cli_args(self, store: StoreConfig) -> list[str]:
        """The global `forloeb` options selecting the store."""
        ...

    def cleanup(self) -> None:
        """Remove every store this factory made."""
        ...


@dataclass
class SQLiteStores:
    """Fresh SQLite files in one scratch directory."""

    root: Path
    kind: str = "sqlite"

    def fresh(self, label: str) -> StoreConfig:
        """A new SQLite file (eventsourcing creates the tables on first use)."""
        from storage.store import StoreConfig

        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{label}.sqlite"
        for stale in self.root.glob(f"{label}.sqlite*"):
            stale.unlink()
        return StoreConfig(sqlite_path=path)

    def cli_args(self, store: StoreConfig) -> list[str]:
        """`--db PATH`."""
        return ["--db", str(store.sqlite_path)]

    def cleanup(self) -> None:
        """Delete the scratch directory."""
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def scratch_dir(keep: bool = False) -> Iterator[Path]:
    """A scratch directory for stores and files, removed afterwards unless `keep`."""
    root = Path(tempfile.mkdtemp(prefix="forloeb-bench-"))
    try:
        yield root
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def cohort_size(events: int) -> int:
    """The demo cohort size whose store holds about `events` events."""
    return max(1, round(events / EVENTS_PER_CITIZEN))


def write_jsonl(path: Path, events: int, seed: int = SEED) -> int:
    """Write the demo cohort for about `events` events as JSONL; return the line count."""
    from demo import generate

    count = 0
    with path.open("w", encoding="utf-8") as out:
        for line in generate(size=cohort_size(events), seed=seed):
            out.write(json.dumps(line, separators=(",", ":")))
            out.write("\n")
            count += 1
    return count


def open_service(store: StoreConfig) -> CourseService:
    """The course service on a store (tables created where the store allows)."""

    return open_service(store)


def event_count(service: CourseService) -> int:
    """How many events the store holds (the last notification id)."""
    return service.recorder.max_notification_id() or 0


@dataclass(frozen=True)
class StoreShape:
    """What the bare-library baseline copies: events per aggregate and payload size."""

    events_per_aggregate: list[int]
    mean_state_bytes: float

    @property
    def events(self) -> int:
        """All events."""
        return sum(self.events_per_aggregate)


def sqlite_shape(path: Path, table: str = "stored_events") -> StoreShape:
    """Events per aggregate, in order of first appearance, and the mean stored state size."""
    with sqlite3.connect(path) as db:
        rows = db.execute(
            f"SELECT count(*), sum(length(state)), min(rowid) FROM {table} "
            "GROUP BY originator_id ORDER BY min(rowid)"
        ).fetchall()
    total = sum(r[0] for r in rows)
    size = sum(r[1] for r in rows)
    return StoreShape([r[0] for r in rows], size / total if total else 0.0)


def pick_open_course(store: StoreConfig, service: CourseService) -> dict[str, Any]:
    """An open course that accepts a session: the one with the most events (worst case)."""
    from projections.catalog import open_views

    views = open_views(store, app=service)
    views.catch_up()
    rows = [
        row
        for state in ("active", "praktik", "job", "education")
        for row in views.course_list.list_courses(state=state)
    ]
    if not rows:
        raise RuntimeError("the store has no open course in a working state")
    row = max(rows, key=lambda r: (r.version, str(r.course_id)))
    return {"course_id": str(row.course_id), "state": str(row.state), "version": row.version}
