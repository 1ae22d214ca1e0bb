"""Benchmark 2: import throughput (events/s) against the bare library.

forloeb: a JSONL file of the demo cohort is read and applied through the real
import path (`cli.importer.import_lines`, batches of N lines) into a fresh
store; the clock runs from reading the file to the last batch saved (the
`import` command's final catch-up of the views is benchmark 3's rebuild).

Baseline, same run, same kind of fresh store: eventsourcing's default
Application saving as many events, with the same events per aggregate and
stored states of the same mean size, in batches of as many events as the
forloeb batch produced on average. Goal: forloeb/bare ratio >= 1.0.

Also reported, not judged: the same import with data protection switched off
(personal fields stored unsealed, the log not hash-chained: the library's own
SQLite recorder), which shows what sealing and chaining cost.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.store import StoreConfig
    from workflows.service import CourseService

from bench.baseline import bare_save_throughput
from bench.fixture import ACTOR, StoreFactory, StoreShape, event_count, open_service, sqlite_shape
from bench.measure import Figure, median, say, spread

GOAL_RATIO = 1.0


@dataclass
class ImportRun:
    """One import of the file: events written, seconds, lines refused."""

    events: int
    seconds: float
    refused: int
    lines: int
    store: StoreConfig | None = None

    @property
    def rate(self) -> float:
        """Events per second."""
        return self.events / self.seconds


def forloeb_import(
    factory: StoreFactory, jsonl: Path, batch_size: int, label: str, *, protected: bool = True
) -> ImportRun:
    """Import the file into a fresh store through `import_lines`; leaves the store in place.

    `protected=False` stores personal fields unsealed and the log unchained (a
    comparison only: forloeb itself never runs so)."""
    from cli.importer import import_lines

    store = factory.fresh(label)
    service = open_service(store) if protected else _unprotected_service(store)
    gc.collect()
    try:
        started = time.perf_counter()
        lines = jsonl.read_text(encoding="utf-8").splitlines()
        report = import_lines(service, lines, ACTOR, batch_size=batch_size)
        seconds = time.perf_counter() - started
        events = event_count(service)
    finally:
        service.close()
    return ImportRun(events, seconds, len(report.refused), report.lines, store)


def _unprotected_service(store: StoreConfig) -> CourseService:
    """The course service with the library's plain recorder and no sealing (comparison)."""
    from eventsourcing.sqlite import SQLiteApplicationRecorder
    from eventsourcing.utils import get_topic

    from cli.bootstrap import open_service

    library_recorder = {"APPLICATION_RECORDER_TOPIC": get_topic(SQLiteApplicationRecorder)}
    service = open_service(store, env=library_recorder)
    service.mapper.keyring = None  # type: ignore[attr-defined]
    return service


def bare_import(
    factory: StoreFactory, shape: StoreShape, batch_events: int, label: str
) -> ImportRun:
    """The bare library saving the same shape of events into a fresh store."""
    store = factory.fresh(label)
    env = bare_env(store.env())
    gc.collect()
    events, seconds = bare_save_throughput(
        env, shape.events_per_aggregate, shape.mean_state_bytes, batch_events
    )
    return ImportRun(events, seconds, 0, 0, store)


def bare_env(env: dict[str, str]) -> dict[str, str]:
    """The store's eventsourcing settings for the bare app (it may create its own table)."""
    bare = {k: v for k, v in env.items() if k != "APPLICATION_RECORDER_TOPIC"}
    bare["CREATE_TABLE"] = "yes"
    return bare


def run(
    factory: StoreFactory,
    jsonl: Path,
    lines: int,
    batch_sizes: list[int],
    runs: int,
    shape: StoreShape | None,
    keep_batch: int,
) -> tuple[list[Figure], StoreShape, StoreConfig | None]:
    """Measure every batch size; return figures, the store's shape and the kept store.

    The store imported with `keep_batch` is kept as the fixture for the
    other benchmarks (its import is one of the measured runs).
    """
    figures: list[Figure] = []
    kept: StoreConfig | None = None
    for batch in batch_sizes:
        ours: list[ImportRun] = []
        theirs: list[ImportRun] = []
        for i in range(runs):
            label = f"import-{batch}-{i}"
            say(f"{factory.kind}: forloeb import, batch {batch} lines, run {i + 1}/{runs}")
            ours.append(forloeb_import(factory, jsonl, batch, label))
            imported = ours[-1].store
            if shape is None and imported is not None and imported.sqlite_path is not None:
                shape = sqlite_shape(imported.sqlite_path)
            if batch == keep_batch and kept is None:
                kept = imported
            if shape is None:
                raise RuntimeError("the store shape comes from a SQLite import; run SQLite first")
            batch_events = max(1, round(batch * ours[0].events / max(lines, 1)))
            say(f"{factory.kind}: bare eventsourcing, batch {batch_events} events, run {i + 1}")
            theirs.append(bare_import(factory, shape, batch_events, f"bare-{batch}-{i}"))
        figures.append(_figure(factory.kind, batch, ours, theirs))
        if batch == keep_batch and factory.kind == "sqlite":
            figures.append(_unprotected_figure(factory, jsonl, batch, runs, theirs))
    if shape is None:
        raise RuntimeError("no batch size was measured")
    return figures, shape, kept


def _figure(kind: str, batch: int, ours: list[ImportRun], theirs: list[ImportRun]) -> Figure:
    rate = median([r.rate for r in ours])
    bare = median([r.rate for r in theirs])
    return Figure(
        benchmark=f"2 import [{kind}]",
        name=f"batch {batch} lines",
        value=rate,
        unit="events/s",
        baseline=bare,
        baseline_name="bare eventsourcing",
        goal=f"ratio >= {GOAL_RATIO}",
        met=rate / bare >= GOAL_RATIO,
        detail={
            "events": ours[0].events,
            "lines": ours[0].lines,
            "refused": ours[0].refused,
            "forloeb_seconds": spread([r.seconds for r in ours]),
            "bare_seconds": spread([r.seconds for r in theirs]),
            "bare_events": theirs[0].events,
            "mean_state_bytes": _state_bytes(ours[0]),
            "bare_mean_state_bytes": _state_bytes(theirs[0]),
        },
    )


def _unprotected_figure(
    factory: StoreFactory, jsonl: Path, batch: int, runs: int, theirs: list[ImportRun]
) -> Figure:
    """The import without sealing and chaining, beside the same bare runs (not judged)."""
    plain: list[ImportRun] = []
    for i in range(runs):
        say(f"{factory.kind}: forloeb import unsealed and unchained, run {i + 1}/{runs}")
        plain.append(forloeb_import(factory, jsonl, batch, f"plain-{batch}-{i}", protected=False))
    return Figure(
        benchmark=f"2 import [{factory.kind}]",
        name=f"batch {batch} lines, unsealed + unchained (comparison)",
        value=median([r.rate for r in plain]),
        unit="events/s",
        baseline=median([r.rate for r in theirs]),
        baseline_name="bare eventsourcing",
        detail={"forloeb_seconds": spread([r.seconds for r in plain])},
    )


def _state_bytes(run: ImportRun) -> float | None:
    """Mean stored state size of a SQLite run's events (the payload-size check)."""
    if run.store is None or run.store.sqlite_path is None:
        return None
    return sqlite_shape(run.store.sqlite_path).mean_state_bytes
