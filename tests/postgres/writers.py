"""One writer process for the many-writers test: commands on shared courses, results back.

Runs in a spawned OS process (no state shared with the test but the database),
so the course service, its connection pool and its aggregates are its own.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from cli.bootstrap import open_storage
from domain.errors import CourseError
from storage.infrastructure import Infrastructure
from storage.store import StoreConfig
from workflows.commands import (
    Command,
    Measure,
    Meeting,
    PraktikEnd,
    PraktikStart,
    Session,
    today,
)
from workflows.service import CourseService


@dataclass(frozen=True)
class Result:
    """What happened to one command."""

    command_id: str
    course_id: str
    status: str  # accepted | skipped | refused
    versions: tuple[int, ...] = ()
    error_type: str = ""
    message: str = ""


class CountingService(CourseService):
    """The course service, counting the version conflicts its saves ran into."""

    name = CourseService.name  # same tables as the real service

    def __init__(self, storage: Infrastructure) -> None:
        super().__init__(storage)
        self.conflicts = 0

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        try:
            return super().save(*objs, **kwargs)
        except IntegrityError:
            self.conflicts += 1
            raise


def command_for(rng: random.Random, course: str, command_id: str) -> Command:
    """A random command: mostly always-allowed ones, some that race on the state."""
    roll = rng.random()
    common: dict[str, Any] = {"course": course, "command_id": command_id}
    if roll < 0.45:
        return Session(note=command_id, **common)
    if roll < 0.60:
        return Meeting(participants=["rk", "sb"], **common)
    if roll < 0.75:
        end = today() + timedelta(days=30)
        return PraktikStart(employer="Føtex", hours_per_week=10, planned_end=end, **common)
    if roll < 0.90:
        return PraktikEnd(**common)
    form = "citizen" if roll < 0.95 else "staff"
    return Measure(point=2, form=form, **common)


def run_writer(
    store: StoreConfig, course_ids: list[UUID], writer: int, commands: int, start_at: float
) -> tuple[list[Result], int]:
    """Send `commands` commands to random shared courses; (results, conflicts met)."""
    service = CountingService(open_storage(store))
    rng = random.Random(writer)
    results: list[Result] = []
    try:
        time.sleep(max(0.0, start_at - time.time()))  # all writers start together
        for n in range(commands):
            course_id = str(rng.choice(course_ids))
            command_id = f"w{writer}-c{n}"
            command = command_for(rng, course_id, command_id)
            try:
                outcome = service.execute(command, f"writer-{writer}")
            except CourseError as error:
                results.append(
                    Result(command_id, course_id, "refused", (), type(error).__name__, str(error))
                )
                continue
            status = "skipped" if outcome.skipped else "accepted"
            results.append(Result(command_id, course_id, status, outcome.versions))
        return results, service.conflicts
    finally:
        service.close()
