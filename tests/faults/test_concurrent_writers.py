"""Concurrency: eight processes, five hundred commands each, on the same twenty courses.

Every writer is an OS process with its own course service; they start at the
same moment and send commands whose fate depends on the course's state when
they land (praktik, job and education starts and ends, forms that may be
recorded once, group courses, reassignments, exits and follow-ups late in the
run), and early on they refer citizens from a small shared pool, so that two
writers refer the same citizen at the same moment. Both stores run it.
Afterwards:

- every accepted command's events are in the log exactly once, at the versions
  its writer was told, and a refused command left no event;
- every aggregate's versions run 1..N without a gap, and `forloeb verify --all`
  finds the hash chain intact;
- a conflict was either retried on the fresh course (then accepted, or refused
  because the workflow no longer allowed it there) or, after the last retry,
  refused as a concurrent change; every refusal is one line naming what was
  refused, with no traceback;
- replaying the accepted commands one at a time, in the order of their events
  in the log, on a fresh store gives the same courses: state, version, and the
  same events (type, command id, actor) in the same order.
"""

from __future__ import annotations

import multiprocessing
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from cli.bootstrap import open_service, open_storage
from storage.store import StoreConfig
from tests.conftest import initialised
from tests.postgres.writers import CountingService
from workflows.commands import (
    COMMANDS_BY_NAME,
    Accept,
    Command,
    CourseCommand,
    Measure,
    Refer,
    today,
)
from workflows.service import CourseService

from .crashes import verify
from .writers import (
    CITIZEN_POOL,
    Result,
    read_results,
    result_of,
    run_writer,
)

WRITERS = 8
COMMANDS_PER_WRITER = 500
COURSES = 20
REFERRED_ON = today() - timedelta(days=60)
"""The shared courses are referred (and reach active) on this day ..."""
ON = today() - timedelta(days=30)
"""... and every writer's command is dated this day, so a replay decides the same."""
WRITER_TIMEOUT = 600

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Logged:
    """One event as the log holds it."""

    notification_id: int
    originator_id: UUID
    version: int
    event: str
    command_id: str | None
    actor: str | None


# Running the writers ---------------------------------------------------------------------


def open_shared_courses(store: StoreConfig) -> list[Result]:
    """Refer COURSES citizens and bring each course to active; the setup commands' results."""
    service = CountingService(open_storage(store))
    results: list[Result] = []
    try:
        for n in range(COURSES):
            key = f"setup-{n:02d}"
            refer = Refer(cpr=f"0303{70 + n:02d}-{3000 + n}", programme="pva",
                          referring_caseworker="sb", occurred_on=REFERRED_ON,
                          command_id=f"{key}-refer")
            results.append(result_of(refer, "", "setup", service, service.execute))
            course = results[-1].course_id
            steps: list[Command] = [
                Accept(course=course, consultant="rk-anna", occurred_on=REFERRED_ON,
                       command_id=f"{key}-accept"),
                Measure(course=course, point=1, form="citizen", occurred_on=REFERRED_ON,
                        command_id=f"{key}-p1-citizen"),
                Measure(course=course, point=1, form="staff", occurred_on=REFERRED_ON,
                        command_id=f"{key}-p1-staff"),
            ]
            results += [result_of(s, course, "setup", service, service.execute) for s in steps]
            assert service.get_course(UUID(course)).state == "active"
        assert {r.status for r in results} == {"accepted"}, results
        return results
    finally:
        service.close()


def run_writers(store: StoreConfig, course_ids: list[str], folder: Path) -> list[Result]:
    """WRITERS spawned processes, started together, each sending COMMANDS_PER_WRITER."""
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(WRITERS)
    outs = [folder / f"writer-{n}.json" for n in range(WRITERS)]
    processes = [
        context.Process(
            target=run_writer,
            args=(store, course_ids, n, COMMANDS_PER_WRITER, ON, ready, outs[n]),
        )
        for n in range(WRITERS)
    ]
    for process in processes:
        process.start()
    deadline = time.monotonic() + WRITER_TIMEOUT
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    alive = [p for p in processes if p.is_alive()]
    for process in alive:
        process.kill()
    assert not alive, f"{len(alive)} writers still running after {WRITER_TIMEOUT} s"
    assert [p.exitcode for p in processes] == [0] * WRITERS
    return [result for out in outs for result in read_results(out)]


# Reading the log -------------------------------------------------------------------------


def read_log(store: StoreConfig) -> list[Logged]:
    """Every event in the log, in notification order."""
    service = open_service(store)
    try:
        notifications = service.recorder.select_notifications(start=None, limit=10_000_000)
        logged = []
        for n in notifications:
            event = service.mapper.to_domain_event(n)
            logged.append(Logged(
                n.id, event.originator_id, event.originator_version, type(event).__name__,
                getattr(event, "command_id", None), getattr(event, "actor", None),
            ))
        return logged
    finally:
        service.close()


def versions_by_originator(log: list[Logged]) -> dict[UUID, list[int]]:
    """Each aggregate's versions, in log order."""
    versions: dict[UUID, list[int]] = defaultdict(list)
    for event in log:
        versions[event.originator_id].append(event.version)
    return versions


# Replaying serially ----------------------------------------------------------------------


def command_of(result: Result) -> Command:
    """The command a result was for, rebuilt from what the writer recorded."""
    return COMMANDS_BY_NAME[result.command].model_validate(result.fields)


def replay(accepted: list[Result], log: list[Logged], store: StoreConfig) -> None:
    """Send the accepted commands one at a time, in the log order of their first events;
    each must be accepted again, at the same versions."""
    first_event: dict[str, int] = {}
    for event in log:
        if event.command_id is not None:
            first_event.setdefault(event.command_id, event.notification_id)
    ordered = sorted(accepted, key=lambda r: first_event[r.command_id])
    service = CountingService(open_storage(store))
    try:
        for result in ordered:
            again = result_of(command_of(result), result.course_id, result.actor, service,
                              service.execute)
            assert (again.status, again.versions) == ("accepted", result.versions), again
    finally:
        service.close()


def course_histories(store: StoreConfig, course_ids: list[str]) -> dict[str, object]:
    """Each course's state, version and (event, command id, actor) sequence; and the
    courses of each citizen the writers referred."""
    service = open_service(store)
    try:
        histories: dict[str, object] = {
            cpr: service.courses_of(cpr) for cpr in CITIZEN_POOL
        }
        for course_id in course_ids:
            course = service.get_course(UUID(course_id))
            events = tuple(
                (type(e).__name__, e.command_id, e.actor)
                for e in service.course_events(UUID(course_id))
            )
            histories[course_id] = (course.state, course.version, events)
        return histories
    finally:
        service.close()


# The checks ------------------------------------------------------------------------------

REFUSAL_SHAPES = {
    "ConcurrentChange": re.compile(r"^course [0-9a-f-]{36}: changed by someone else at the "
                                   r"same time; nothing was written, try again$"),
    "MoveRefused": re.compile(r"^cannot [a-z_]+ a course in state [a-z_]+( \(.+\))?; "
                              r"allowed here: .+$"),
    "CourseError": re.compile(r"^(point|group_course): .+$"),
    "InvalidInput": re.compile(r"^[a-z_.]+: .+$"),
    "AlreadyOpen": re.compile(r"^cpr: the citizen already has an open course [0-9a-f-]{36} "
                              r"in pva \(state [a-z_]+\)$"),
}
"""What each kind of refusal says: the course, the move, or the field it refused."""


def check_logged_once(accepted: list[Result], refused: list[Result], log: list[Logged]) -> None:
    """Accepted commands' events are in the log once, at the versions told; refused, none."""
    by_command: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for event in log:
        if event.command_id is not None:
            by_command[event.command_id].append((str(event.originator_id), event.version))
    for result in accepted:
        told = [(result.course_id, version) for version in result.versions]
        assert by_command[result.command_id] == told, result
    assert not [r for r in refused if r.command_id in by_command]
    assert set(by_command) == {r.command_id for r in accepted}


def check_refusals(refused: list[Result], retries: int) -> None:
    """Each refusal is one line of its kind's shape; a concurrent change only after the
    last retry, a workflow refusal only as decided on the course as it then was."""
    for result in refused:
        assert "\n" not in result.message and "Traceback" not in result.message, result
        shape = REFUSAL_SHAPES.get(result.error_type)
        assert shape is not None and shape.match(result.message), result
        if result.error_type == "ConcurrentChange":
            assert result.course_id in result.message
            assert result.conflicts == retries + 1, result
        else:
            assert result.conflicts <= retries, result
        if result.error_type == "MoveRefused":
            command = command_of(result)
            assert isinstance(command, CourseCommand)
            assert result.message.startswith(
                f"cannot {command.trigger_name()} a course in state "
            ), result


def test_many_writers_on_shared_courses_equal_a_serial_replay(
    store: StoreConfig, tmp_path: Path
) -> None:
    setup = open_shared_courses(store)
    course_ids = sorted({r.course_id for r in setup})

    results = setup + run_writers(store, course_ids, tmp_path)

    log = read_log(store)
    kinds = Counter(r.status for r in results)
    crashed = [r for r in results if r.status == "crashed"]
    assert not crashed, crashed[0].message  # every failure is a refusal, not an error
    assert kinds["skipped"] == 0  # every command id was new
    accepted = [r for r in results if r.status == "accepted"]
    refused = [r for r in results if r.status == "refused"]
    assert len(accepted) + len(refused) == len(results)
    assert len(results) == len(setup) + WRITERS * COMMANDS_PER_WRITER

    check_logged_once(accepted, refused, log)
    for originator, versions in versions_by_originator(log).items():
        assert versions == list(range(1, len(versions) + 1)), originator
    check_refusals(refused, CourseService.conflict_retries)

    refusal_kinds = Counter(r.error_type for r in refused)
    conflicted = [r for r in results if r.conflicts]
    assert refusal_kinds["MoveRefused"] and refusal_kinds["CourseError"], refusal_kinds
    assert conflicted, "no save conflicted: the writers never raced"
    assert [r for r in conflicted if r.status == "accepted"], "no conflict was retried"
    exited = [r for r in accepted if r.command == "exit"]
    assert exited, "no course was exited late in the run"
    referred = {r.course_id for r in accepted if r.command == "refer"} - set(course_ids)
    assert len(referred) == len(CITIZEN_POOL), "each pooled citizen has one open course"
    assert refusal_kinds["AlreadyOpen"], "no referral met the citizen's open course"
    verified = verify(store, tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    reference = StoreConfig(sqlite_path=initialised(tmp_path / "serial-replay.sqlite"))
    replay(accepted, log, reference)
    every_course = course_ids + sorted(referred)
    assert course_histories(reference, every_course) == course_histories(store, every_course)
