"""Microbenchmark: the hash-chained SQLite insert against the library's plain insert.

    .venv/bin/python -m bench.chain_insert [--events 20000] [--runs 3] [--shape import]

Inserts the same batches of StoredEvents, one `insert_events` call per batch,
into a fresh temporary SQLite file, once with eventsourcing's
SQLiteApplicationRecorder and once with ChainedSQLiteRecorder, alternating
which goes first, and prints the median µs per event of each, the ratio, and
the chain's overhead per event. Two shapes of batches (`--shape`, default both):

- import: the batches a real import saves, captured once: the demo cohort
  for ~N events (`bench.fixture.write_jsonl`) imported through
  `cli.importer.import_lines` (500 lines a batch) into a scratch store. Each
  batch is ~540 events over ~300 aggregates, most of them continuing from a
  head written by an earlier batch; states are ~250 bytes, as encrypted.
- synthetic: ~N events, 11 per aggregate, states of ~600 random bytes, batches
  of ~550 events over ~60 aggregates; one aggregate in six is cut across two
  batches, the others start (version 1) and end in their batch.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

from storage.sqlite_recorder import ChainedSQLiteRecorder

EVENTS_PER_AGGREGATE = 11
STATE_BYTES = 600
TOPIC = "domain.events:SessionHeld"
SPLIT_EVERY = 6
"""One new aggregate in this many is cut across two batches (synthetic shape)."""
IMPORT_BATCH_LINES = 500


def synthetic_batches(events: int, batch_size: int = 550, seed: int = 7) -> list[list[StoredEvent]]:
    """~`events` stored events in batches of the synthetic shape (see the module's docstring)."""
    rng = random.Random(seed)
    aggregates = max(1, events // EVENTS_PER_AGGREGATE)
    ids = [UUID(int=rng.getrandbits(128)) for _ in range(aggregates)]
    logs = [
        [
            StoredEvent(
                originator_id,
                version,
                TOPIC,
                rng.randbytes(rng.randint(STATE_BYTES // 2, STATE_BYTES * 3 // 2)),
            )
            for version in range(1, EVENTS_PER_AGGREGATE + 1)
        ]
        for originator_id in ids
    ]
    out: list[list[StoredEvent]] = []
    carried: list[StoredEvent] = []
    batch: list[StoredEvent] = []
    for n, log in enumerate(logs):
        if not batch:
            batch, carried = carried, []
        if n % SPLIT_EVERY == 0:
            cut = rng.randint(3, EVENTS_PER_AGGREGATE - 2)
            batch.extend(log[:cut])
            carried.extend(log[cut:])
        else:
            batch.extend(log)
        if len(batch) >= batch_size:
            out.append(batch)
            batch = []
    if batch or carried:
        out.append(batch + carried)
    return out


def import_batches(events: int) -> list[list[StoredEvent]]:
    """The batches of StoredEvents an import of the demo cohort for ~`events` events saves."""
    from bench.fixture import ACTOR, open_service, write_jsonl
    from cli.importer import import_lines
    from storage.store import StoreConfig

    captured: list[list[StoredEvent]] = []
    with tempfile.TemporaryDirectory(prefix="chain-insert-import-") as folder:
        jsonl = Path(folder) / "cohort.jsonl"
        write_jsonl(jsonl, events)
        service = open_service(StoreConfig(sqlite_path=Path(folder) / "import.sqlite"))
        recorder: Any = service.recorder
        insert = recorder.insert_events

        def capture(stored_events: list[StoredEvent], **kwargs: Any) -> Any:
            captured.append(list(stored_events))
            return insert(stored_events, **kwargs)

        recorder.insert_events = capture
        try:
            lines = jsonl.read_text(encoding="utf-8").splitlines()
            import_lines(service, lines, ACTOR, batch_size=IMPORT_BATCH_LINES)
        finally:
            service.close()
    return captured


def run_once(
    make: Callable[[SQLiteDatastore], SQLiteApplicationRecorder],
    work: list[list[StoredEvent]],
) -> float:
    """Seconds to insert every batch into a fresh file with the recorder `make` builds."""
    with tempfile.TemporaryDirectory(prefix="chain-insert-") as folder:
        datastore = SQLiteDatastore(str(Path(folder) / "bench.sqlite"), lock_timeout=30)
        try:
            recorder = make(datastore)
            recorder.create_table()
            gc.collect()
            started = time.perf_counter()
            for batch in work:
                recorder.insert_events(batch)
            return time.perf_counter() - started
        finally:
            datastore.close()


def plain(datastore: SQLiteDatastore) -> SQLiteApplicationRecorder:
    return SQLiteApplicationRecorder(datastore)


def chained(datastore: SQLiteDatastore) -> SQLiteApplicationRecorder:
    recorder = ChainedSQLiteRecorder(datastore)
    recorder.use_chain_key(os.urandom(32))
    return recorder


def describe(work: list[list[StoredEvent]]) -> str:
    total = sum(len(b) for b in work)
    aggregates = statistics.mean(len({e.originator_id for e in b}) for b in work)
    state = statistics.mean(len(e.state) for b in work for e in b)
    return (
        f"{total} events in {len(work)} batches (~{total / len(work):.0f} events over "
        f"~{aggregates:.0f} aggregates each, states ~{state:.0f} bytes)"
    )


def measure(
    name: str,
    work: list[list[StoredEvent]],
    runs: int,
    makers: Mapping[str, Callable[[SQLiteDatastore], SQLiteApplicationRecorder]],
) -> dict[str, float]:
    """Median µs per event of each recorder over `runs` alternating runs; printed."""
    total = sum(len(b) for b in work)
    print(f"{name}: {describe(work)}")
    times: dict[str, list[float]] = {label: [] for label in makers}
    labels = list(makers)
    for run in range(runs):
        for label in labels[run % len(labels) :] + labels[: run % len(labels)]:
            times[label].append(run_once(makers[label], work))
    us = {label: statistics.median(t) / total * 1e6 for label, t in times.items()}
    for label, t in times.items():
        each = ", ".join(f"{s / total * 1e6:.1f}" for s in t)
        print(f"  {label:8} {us[label]:6.1f} µs/event (median; runs: {each})")
    print(
        f"  ratio chained/plain {us['chained'] / us['plain']:.2f}; "
        f"chain overhead {us['chained'] - us['plain']:.1f} µs/event"
    )
    return us


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shape", choices=["import", "synthetic", "both"], default="both")
    args = parser.parse_args()
    makers = {"plain": plain, "chained": chained}
    if args.shape in ("import", "both"):
        measure("import", import_batches(args.events), args.runs, makers)
    if args.shape in ("synthetic", "both"):
        measure("synthetic", synthetic_batches(args.events), args.runs, makers)


if __name__ == "__main__":
    main()
