"""Baselines measured in the same run as forloeb's figures.

The bare library baseline is eventsourcing's default Application (stdlib JSON
transcoder, dataclass events) saving the same number of events of the same
payload size, in the same batch size, to a fresh SQLite file.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class BareCourse(Aggregate):
    """A course as the bare library would store it: one generic event type."""

    @event("Opened")
    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload

    @event("Noted")
    def note(self, payload: dict[str, Any]) -> None:
        self.payload = payload


class BareApp(Application[UUID]):
    """eventsourcing's Application with its defaults."""


def bare_save_throughput(
    db_path: Path, events_per_course: list[int], payload: dict[str, Any], batch_size: int
) -> tuple[int, float]:
    """Save the given event counts per course in batches; (events saved, seconds)."""
    app = BareApp(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(db_path)})
    total = 0
    started = time.perf_counter()
    pending: list[BareCourse] = []
    pending_events = 0
    for count in events_per_course:
        course = BareCourse(payload)
        for _ in range(count - 1):
            course.note(payload)
        pending.append(course)
        pending_events += count
        if pending_events >= batch_size:
            app.save(*pending)
            total += pending_events
            pending, pending_events = [], 0
    if pending:
        app.save(*pending)
        total += pending_events
    elapsed = time.perf_counter() - started
    app.close()
    return total, elapsed


def python_startup_seconds(runs: int) -> list[float]:
    """Wall times of `python -c pass`, the floor for any CLI process."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - started)
    return times
