"""Baselines measured in the same run as forloeb's figures.

- `bare_save_throughput`: eventsourcing's default Application (stdlib JSON
  transcoder, dataclass events) saving the same number of events, with the
  same events per aggregate and stored payloads of the same mean size, in
  batches of the same size, to a fresh store of the same kind.
- `bare_decode_throughput`: the library reading the store's log and decoding
  every event (`recorder.select_notifications` + `mapper.to_logged_event`, the
  views' own decode, with the collector paused as over a rebuild), which is
  the floor for any projection rebuild.
- `python_startup_seconds`: `python -c pass`, the floor for any CLI process.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from projections.collector import collector_paused


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


def sized_payload(app: BareApp, state_bytes: float) -> dict[str, Any]:
    """A payload whose stored state (as the bare app encodes it) is about `state_bytes` long."""
    payload: dict[str, Any] = {"kind": "individual", "note": ""}
    probe = BareCourse(payload)
    probe.note(payload)  # most events are `Noted`; size those
    overhead = len(app.mapper.to_stored_event(probe.collect_events()[-1]).state)
    payload["note"] = "x" * max(0, round(state_bytes) - overhead)
    return payload


def bare_save_throughput(
    env: dict[str, str], events_per_course: list[int], state_bytes: float, batch_size: int
) -> tuple[int, float]:
    """Save the given event counts per course in batches of about `batch_size` events.

    Returns (events saved, seconds). Whole aggregates go into a batch; a batch
    is saved as soon as it holds `batch_size` events or more.
    """
    app = BareApp(env=env)
    payload = sized_payload(app, state_bytes)
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


def bare_decode_throughput(app: Application[Any], batch_size: int) -> tuple[int, float]:
    """Read and decode the whole log with the library; (events, seconds).

    Decoded as the views decode (`mapper.to_logged_event`, forloeb's mapper), with
    the cyclic collector paused as over the views' rebuild, so the loop is their
    floor like for like.
    """
    recorder: Any = app.recorder
    mapper: Any = app.mapper
    decode = mapper.to_logged_event
    head = recorder.max_notification_id() or 0
    cursor = 0
    count = 0
    started = time.perf_counter()
    keyring = getattr(app, "keyring", None)
    if keyring is not None:  # unwrap the citizen keys at once, as a rebuild does
        keyring.load_all()
    with collector_paused(head > batch_size // 10) as batch_done:
        while cursor < head:
            notifications = recorder.select_notifications(
                start=cursor, limit=batch_size, stop=head, inclusive_of_start=False
            )
            if not notifications:
                break
            for notification in notifications:
                decode(notification)
            count += len(notifications)
            cursor = notifications[-1].id
            batch_done()
    return count, time.perf_counter() - started


def python_startup_seconds() -> float:
    """Wall time of one `python -c pass`, the floor for any CLI process."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started
