"""Writer processes for the concurrency fault test: random commands on shared courses.

Each writer runs in a spawned OS process with its own course service (its own
connections and aggregate cache); it shares nothing with the others but the
store. Once every writer is ready, each refers the same few citizens (in the
same order, so the referrals race), then sends random commands to the shared
courses as fast as it can, and
writes what became of each one to a JSON file: accepted (with the versions
recorded), refused (with the error's type and message) or crashed (an error
that is not a CourseError, which the test treats as a bug).
"""

from __future__ import annotations

import json
import random
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from cli.bootstrap import open_storage
from domain.errors import CourseError
from storage.store import StoreConfig
from tests.postgres.writers import CountingService
from workflows.commands import (
    Command,
    EducationEnd,
    EducationStart,
    Exit,
    FollowUp,
    GroupComplete,
    GroupJoin,
    JobEnd,
    JobStart,
    Measure,
    Meeting,
    PraktikEnd,
    PraktikStart,
    Reassign,
    Refer,
    Session,
)

LATE = 0.85
"""Share of a writer's run after which it may also exit courses (and follow them up)."""
CITIZEN_POOL = tuple(f"0404{80 + n:02d}-{4000 + n}" for n in range(6))
"""Citizens every writer refers first, in this order: all writers refer the same citizen
at the same moment (one course opens; the others are refused, or retried and refused)."""


@dataclass(frozen=True)
class Result:
    """What became of one command, with what is needed to send it again."""

    command_id: str
    course_id: str
    actor: str
    command: str
    fields: dict[str, Any]
    status: str  # accepted | skipped | refused | crashed
    versions: tuple[int, ...] = ()
    error_type: str = ""
    message: str = ""
    conflicts: int = 0
    """Version conflicts the service met while saving this command (each retried or refused)."""


def random_command(
    rng: random.Random, course: str, command_id: str, on: date, phase: float
) -> Command:
    """A command whose acceptance depends on the course's state at the moment it lands
    (`phase`: how far through its run the writer is, 0 to 1)."""
    common: dict[str, Any] = {"course": course, "command_id": command_id, "occurred_on": on}
    late = phase >= LATE
    roll = rng.random()
    if late and roll < 0.06:
        if rng.random() < 0.6:
            return Exit(planned=True, **common)
        return Exit(planned=False, reason="not_motivated", **common)
    if late and roll < 0.10:
        return FollowUp(outcome="employed", **common)
    choices: list[tuple[float, Callable[[], Command]]] = [
        (0.22, lambda: Session(note=command_id, **common)),
        (0.08, lambda: Meeting(participants=["rk", "sb"], **common)),
        (0.10, lambda: Measure(point=rng.randint(2, 6), form=rng.choice(["citizen", "staff"]),
                               **common)),
        (0.11, lambda: PraktikStart(employer="Foetex", hours_per_week=12,
                                    planned_end=on + timedelta(days=90), **common)),
        (0.09, lambda: PraktikEnd(**common)),
        (0.08, lambda: JobStart(employer="Netto", hours_per_week=20, **common)),
        (0.07, lambda: JobEnd(**common)),
        (0.04, lambda: EducationStart(institution="ZBC", **common)),
        (0.04, lambda: EducationEnd(**common)),
        (0.07, lambda: Reassign(consultant=rng.choice(["rk-anna", "rk-bo", "rk-cem"]), **common)),
        (0.05, lambda: GroupJoin(group_course=f"g{rng.randint(1, 3)}", **common)),
        (0.05, lambda: GroupComplete(group_course=f"g{rng.randint(1, 3)}", **common)),
    ]
    pick = rng.random() * sum(weight for weight, _ in choices)
    for weight, make in choices:
        pick -= weight
        if pick < 0:
            return make()
    return choices[0][1]()


def result_of(
    command: Command, course_id: str, actor: str, service: CountingService, run: Any
) -> Result:
    """Send one command through `run` and describe what became of it."""
    before = service.conflicts

    def result(status: str, course: str = course_id, **more: Any) -> Result:
        return Result(
            command.command_id or "", course, actor, command.name,
            command.model_dump(mode="json"), status,
            conflicts=service.conflicts - before, **more,
        )

    try:
        outcome = run(command, actor)
    except CourseError as error:
        return result("refused", error_type=type(error).__name__, message=str(error))
    except Exception as error:  # a bug: recorded for the test to show, not hidden
        text = "".join(traceback.format_exception(error))
        return result("crashed", error_type=type(error).__name__, message=text)
    # A referral learns its course here.
    return result("skipped" if outcome.skipped else "accepted", str(outcome.course_id),
                  versions=outcome.versions)


def run_writer(
    store: StoreConfig,
    course_ids: list[str],
    writer: int,
    commands: int,
    on: date,
    ready: Any,
    out: Path,
) -> None:
    """Refer the pooled citizens, then send random commands to random shared courses
    (`commands` in all); write the results to `out`."""
    service = CountingService(open_storage(store))
    rng = random.Random(1000 + writer)
    actor = f"writer-{writer}"
    results: list[Result] = []
    try:
        ready.wait(timeout=120)  # every writer has its service open: start together
        for n in range(commands):
            command_id = f"w{writer}-{n:04d}"
            course_id = rng.choice(course_ids)
            command: Command
            if n < len(CITIZEN_POOL):
                course_id = ""  # known once accepted
                command = Refer(cpr=CITIZEN_POOL[n], programme="pva", referring_caseworker="sb",
                                occurred_on=on, command_id=command_id)
            else:
                command = random_command(rng, course_id, command_id, on, n / commands)
            results.append(result_of(command, course_id, actor, service, service.execute))
    finally:
        service.close()
        out.write_text(json.dumps([asdict(r) for r in results]))


def read_results(path: Path) -> list[Result]:
    """The results a writer wrote."""
    return [
        Result(**{**row, "versions": tuple(row["versions"])})
        for row in json.loads(path.read_text())
    ]


def course_uuid(result: Result) -> UUID:
    """The course a result is about."""
    return UUID(result.course_id)
