"""The course service: turns commands into events on Course aggregates.

Every command takes one path: load the course, ask the workflow whether the
move is allowed, let the aggregate record the event, save with optimistic
concurrency. A conflicting save is retried on the fresh course only if the
decision still holds there; otherwise it is refused and nothing is written.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    InfrastructureFactory,
    IntegrityError,
    Mapper,
    Recording,
    TrackingRecorder,
)
from eventsourcing.utils import Environment, EnvType

from domain.course import Course
from domain.errors import (
    AlreadyOpen,
    AmbiguousCourse,
    ConcurrentChange,
    CourseError,
    CourseNotFound,
    InvalidInput,
)
from domain.events import LEGACY_CITIZEN_NAMESPACE, CourseEvent
from domain.values import CourseState, normalise_cpr
from storage.infrastructure import Infrastructure
from storage.keys import RegisteredElsewhere
from storage.secrets import MasterKey
from workflows.commands import COMMAND_NAMESPACE, Command, CourseCommand, is_correct, is_refer
from workflows.decision import check_entry_route, decide
from workflows.machine import Workflow

if TYPE_CHECKING:
    from domain.citizen import Citizen, ReadKind
    from workflows.intake_commands import Refer

WorkflowFor = Callable[[str], Workflow]
"""The workflow a programme runs, by the programme's name."""

_COURSE_REF = re.compile(r"[0-9a-fA-F-]+")
"""A course id or prefix: hex digits and dashes (ASCII)."""


CourseFinder = Callable[[str], list[UUID]]
"""Finds the course ids whose id starts with a prefix (a read-model lookup)."""

Authorise = Callable[[str, Command, Course | None], None]
"""Checks that the actor may issue the command on the course (None: whether their role
may issue it at all, asked before a course is looked up); raises a CourseError to
refuse. Called before anything is decided."""


@dataclass(frozen=True)
class Outcome:
    """What a command did: the course, its state after the command, the events it
    recorded, or that it was a repeat."""

    course_id: UUID
    state: CourseState
    events: tuple[str, ...] = ()
    skipped: bool = False
    versions: tuple[int, ...] = ()


def _our_aggregates() -> tuple[type[Course | Citizen], ...]:
    """The aggregate classes `save` collects directly: the course, and the citizen index
    once loaded (a command on a course alone never imports it)."""
    citizen = sys.modules.get("domain.citizen")
    return (Course,) if citizen is None else (Course, citizen.Citizen)


class CourseService(Application[UUID]):
    """The application service for citizen courses."""

    name = "forloeb"
    env: ClassVar[dict[str, str]] = {
        # Keep recently used courses in memory; each get fast-forwards the cached
        # course with any newer stored events and hands out a copy, so another
        # writer's changes are always seen and a refused command cannot taint it.
        "AGGREGATE_CACHE_MAXSIZE": "20000",
    }
    conflict_retries = 3
    batch_cache_size = 20000
    """Aggregates execute_many keeps in memory between batches, at most."""

    def __init__(
        self,
        storage: Infrastructure,
        *,
        authorise: Authorise | None = None,
        course_finder: CourseFinder | None = None,
        workflow_for: WorkflowFor | None = None,
    ) -> None:
        """The service on opened event storage (see `cli.bootstrap`, which wires it).

        `authorise` checks every command first (None trusts the caller: library use,
        tests); `course_finder` resolves course id prefixes (None: full ids only);
        `workflow_for` gives the workflow a programme runs (None: the backbone for all).
        """
        self.storage = storage
        super().__init__(storage.env)
        self.keyring = storage.keyring
        self.workflow_for: WorkflowFor = workflow_for or (lambda _programme: self.workflow)
        self.course_finder = course_finder
        self.authorise = authorise
        self._batch_aggregates: dict[UUID, Any] = {}
        self._batch_head: int | None = -1

    @cached_property
    def workflow(self) -> Workflow:
        """The backbone workflow: the one a programme without a definition runs (built when
        first used; a programme's own comes from `workflow_for`)."""
        return Workflow()

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """The storage's environment (already the library's merge of defaults and more)."""
        return self.storage.env

    def construct_factory(self, env: Environment) -> InfrastructureFactory[TrackingRecorder]:
        """The storage's factory: its connections are shared with the keyring and views."""
        return self.storage.factory

    def construct_mapper(self) -> Mapper[UUID]:
        """The storage's sealing mapper."""
        return self.storage.mapper

    def construct_recorder(self) -> ApplicationRecorder:
        """The storage's chained recorder."""
        return self.storage.recorder

    def construct_event_store(self) -> EventStore[UUID]:
        """The storage's event store (the read views decode through the same one)."""
        return self.storage.events

    @property
    def secrets(self) -> MasterKey:
        """The deployment's master key."""
        return self.storage.master_key

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's `save`, collecting our own aggregates' events directly.

        `ProcessingEvent.collect_events` asks `isinstance(obj, DomainEventProtocol)` of
        every aggregate; on Python 3.11 a runtime Protocol check costs tens of
        microseconds, a sixth of an import's time. Anything else goes the library's way.
        """
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, _our_aggregates()):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            else:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    # Commands ---------------------------------------------------------------

    def execute(self, command: Command, actor: str) -> Outcome:
        """Apply one command and save it; retry a conflict while the decision holds."""
        for attempt in range(self.conflict_retries + 1):
            cache: dict[UUID, Any] = {}
            try:
                outcome = self.decide(command, actor, cache)
            except _PartlyDecided as partly:
                self.keyring.discard_staged()
                raise partly.error from None
            except BaseException:
                self.keyring.discard_staged()
                raise
            try:
                self.keyring.flush()
                self.save(*changed(cache))
            except (IntegrityError, RegisteredElsewhere):
                if attempt == self.conflict_retries:
                    raise ConcurrentChange(
                        f"course {outcome.course_id}: changed by someone else at the same "
                        "time; nothing was written, try again"
                    ) from None
                continue
            return outcome
        raise AssertionError("unreachable")  # pragma: no cover

    def decide(self, command: Command, actor: str, cache: dict[UUID, Any]) -> Outcome:
        """Decide a command on aggregates held in `cache`, leaving new events pending.

        Nothing is saved; the caller saves the cache's aggregates. A refused
        command raises before any event is triggered, so the cache stays clean.
        """
        if is_refer(command):
            if self.authorise is not None:
                self.authorise(actor, command, None)
            return self._refer(command, actor, cache)
        if not isinstance(command, CourseCommand):
            raise InvalidInput("command", f"{command.name} is not a course command")
        if self.authorise is not None:  # the role first: a refusal tells nothing of courses
            self.authorise(actor, command, None)
        course_id = self.resolve(command.course, cache)
        try:
            course = self._load(Course, course_id, cache)
        except AggregateNotFoundError:
            raise CourseNotFound(f"course: no course {course_id}") from None
        if self.authorise is not None:
            self.authorise(actor, command, course)
        if course.cpr is None:
            raise CourseError(
                f"course: {course_id} belongs to a citizen whose data were erased; "
                "nothing more can be recorded on it"
            )
        if command.command_id is not None and command.command_id in course.command_ids:
            refuse_another_command(command, course, self.workflow_for(course.programme))
            return Outcome(course_id, course.state, skipped=True)
        before = course.version
        try:
            new = decide(
                course,
                command,
                actor,
                workflow=self.workflow_for(course.programme),
                event_at=lambda version: self.event_at(course.id, version, course),
            )
        except CourseError as error:
            if course.version != before:
                raise _PartlyDecided(error) from error
            raise
        return Outcome(
            course_id,
            course.state,
            events=tuple(type(e).__name__ for e in new),
            versions=tuple(e.originator_version for e in new),
        )

    def _refer(self, command: Refer, actor: str, cache: dict[UUID, Any]) -> Outcome:
        course_id = command.course_id
        if course_id is None and command.command_id is not None:
            course_id = uuid5(COMMAND_NAMESPACE, command.command_id)
        if course_id is not None and (course_id in cache or self._stored(course_id)):
            existing = self._load(Course, course_id, cache)
            if command.command_id is not None and command.command_id in existing.command_ids:
                refuse_another_referral(command, existing)
                return Outcome(course_id, existing.state, skipped=True)
            raise CourseError(f"course_id: {course_id} is already in use")
        check_entry_route(self.workflow_for(command.programme), command)
        citizen = self._citizen_for_referral(command.cpr, cache)
        for other_id in citizen.courses_in(command.programme):
            other = self._load(Course, other_id, cache)
            if other.is_open:
                raise AlreadyOpen(
                    f"cpr: the citizen already has an open course {other_id} in "
                    f"{command.programme} (state {other.state})"
                )
        course = Course.refer(
            course_id=course_id,
            actor=command.actor or actor,
            recorded_by=actor,
            occurred_on=command.occurred_on,
            command_id=command.command_id,
            subject=citizen.id,
            **command.event_fields(),
        )
        citizen.open_course(course.id, command.programme)
        cache[citizen.id] = citizen
        cache[course.id] = course
        return Outcome(course.id, course.state, events=("Referred",), versions=(1,))

    def _citizen_for_referral(self, cpr: str, cache: dict[UUID, Any]) -> Citizen:
        """The citizen's index, or a new one (with a new key) for a citizen not yet known."""
        from domain.citizen import Citizen

        subject = self.keyring.subject_of(cpr)
        if subject is None:
            return Citizen.register(self.keyring.register(cpr))
        try:
            citizen: Citizen = self._load(Citizen, subject, cache)
        except AggregateNotFoundError:  # the key was stored, the referral never was
            return Citizen.register(subject)
        if citizen.is_erased:
            raise CourseError(
                "cpr: this citizen's erasure did not finish; run `forloeb citizen erase` again"
            )
        return citizen

    def _stored(self, aggregate_id: UUID) -> bool:
        """Whether the log holds any event of the aggregate (one indexed lookup, where
        `aggregate_id in self.repository` would build the whole aggregate)."""
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def _load(self, cls: type[Any], aggregate_id: UUID, cache: dict[UUID, Any]) -> Any:
        if aggregate_id not in cache:
            aggregate: Any = self.repository.get(aggregate_id, projector_func=replay)
            if not isinstance(aggregate, cls):
                raise CourseNotFound(f"course: no course {aggregate_id}")
            cache[aggregate_id] = aggregate
        return cache[aggregate_id]

    # Queries ----------------------------------------------------------------

    def get_course(self, course_id: UUID) -> Course:
        """The course as its events make it now."""
        try:
            course: Any = self.repository.get(course_id, projector_func=replay)
        except AggregateNotFoundError:
            raise CourseNotFound(f"course: no course {course_id}") from None
        if not isinstance(course, Course):
            raise CourseNotFound(f"course: no course {course_id}")
        return course

    def course_events(self, course_id: UUID) -> list[CourseEvent]:
        """Every event of the course, in order."""
        return [e for e in self.events.get(course_id) if isinstance(e, CourseEvent)]

    def event_at(self, course_id: UUID, version: int, course: Course | None = None) -> CourseEvent:
        """The course's event with the given sequence number.

        Given the course, its events decided but not yet saved (earlier lines of the
        same import batch) count too, so a correction may name one of them.
        """
        latest = course.version if course is not None else None
        if latest is not None and not 1 <= version <= latest:
            raise InvalidInput("version", f"the course has events 1..{latest}, not {version}")
        if course is not None:
            for pending in course.pending_events:
                if pending.originator_version == version and isinstance(pending, CourseEvent):
                    return pending
        found = list(self.events.get(course_id, gt=version - 1, lte=version))
        if not found or not isinstance(found[0], CourseEvent):
            raise InvalidInput("version", f"the course has no event {version}")
        return found[0]

    def courses_of(self, cpr: str) -> list[UUID]:
        """All courses of a citizen, oldest first (none once the citizen is erased)."""
        citizen = self.citizen_by_cpr(cpr)
        return [] if citizen is None else list(citizen.courses)

    def citizen_by_cpr(self, cpr: str) -> Citizen | None:
        """The citizen index of a CPR number, if the citizen is known and not erased."""
        subject = self.keyring.subject_of(cpr)
        if subject is None:  # a citizen registered before per-citizen keys, if any
            return self.citizen(uuid5(LEGACY_CITIZEN_NAMESPACE, cpr))
        return self.citizen(subject)

    def citizen(self, subject: UUID) -> Citizen | None:
        """The citizen index of a subject id."""
        from domain.citizen import Citizen

        try:
            citizen: Any = self.repository.get(subject, projector_func=replay)
        except AggregateNotFoundError:
            return None
        return citizen if isinstance(citizen, Citizen) else None

    # The citizen's record: reads, erasure ----------------------------------------

    def record_read(
        self,
        course_id: UUID | None = None,
        subject: UUID | None = None,
        *,
        actor: str,
        what: ReadKind,
        purpose: str | None = None,
    ) -> None:
        """Record that `actor` looked at a citizen's record (one course's, or the whole)."""
        if subject is None:
            if course_id is None:
                raise ValueError("record_read needs a course or a subject")
            subject = self.get_course(course_id).subject
        if subject is None:
            raise CourseNotFound(f"course: no citizen recorded for course {course_id}")
        self._change_citizen(
            subject,
            lambda citizen: citizen.record_read(
                actor=actor, what=what, course_id=course_id, purpose=purpose or None
            ),
        )

    def erase_citizen(self, cpr: str, *, actor: str, reason: str, on: date) -> Citizen:
        """Crypto-shred a citizen: record the erasure, then destroy their key.

        Refused while any of their courses is open. The log keeps every event;
        the personal part of each can no longer be decrypted, and the CPR no
        longer leads to the citizen.
        """
        subject = self.keyring.subject_of(cpr)
        if subject is None:
            if self.citizen_by_cpr(cpr) is not None:
                raise CourseError(
                    "cpr: this citizen's data were recorded before per-citizen keys; they "
                    "cannot be erased by destroying a key"
                )
            raise CourseNotFound("cpr: no citizen with that CPR number (or already erased)")
        citizen = self.citizen(subject)
        if citizen is None:  # a key was stored, its referral never was (a crash between)
            from domain.citizen import Citizen

            citizen = Citizen.register(subject)
            citizen.erase(actor=actor, erased_on=on, reason=reason)
            self.save(citizen)
        else:
            self._check_all_closed(citizen)
            self._check_is_citizen(citizen, cpr)
            if not citizen.is_erased:
                citizen = self._change_citizen(
                    citizen.id, lambda c: c.erase(actor=actor, erased_on=on, reason=reason)
                )
        self.keyring.erase(citizen.id, cpr)
        self._forget_cached(citizen.courses)
        return citizen

    def _forget_cached(self, course_ids: Iterable[UUID]) -> None:
        """Drop courses from the aggregate cache, where they are held decrypted (a
        long-running server would otherwise show an erased citizen's CPR)."""
        cache = self.repository.cache
        if cache is None:
            return
        for course_id in course_ids:
            with contextlib.suppress(KeyError):
                cache.get(course_id, evict=True)

    def _check_is_citizen(self, citizen: Citizen, cpr: str) -> None:
        """Refuse to erase a citizen whose courses, decrypted, carry another CPR (a key
        table tampered with would otherwise lead erasure to the wrong citizen)."""
        given = normalise_cpr(cpr)
        for course_id in citizen.courses:
            recorded = self.get_course(course_id).cpr
            if recorded and normalise_cpr(recorded) != given:
                raise CourseError(
                    f"cpr: citizen {citizen.id}'s course {course_id} is another CPR's; the key "
                    "table was changed, nothing was erased (run `forloeb verify --all`)"
                )

    def _check_all_closed(self, citizen: Citizen) -> None:
        for course_id in citizen.courses:
            if self.get_course(course_id).is_open:
                raise CourseError(
                    f"cpr: the citizen's course {course_id} is still open; exit it before erasure"
                )

    def citizen_events(self, subject: UUID) -> list[Any]:
        """The citizen index's own events: courses opened, reads, erasure."""
        return list(self.events.get(subject))

    def _change_citizen(self, subject: UUID, change: Callable[[Citizen], None]) -> Citizen:
        for _ in range(self.conflict_retries + 1):
            citizen = self.citizen(subject)
            if citizen is None:
                raise CourseNotFound(f"citizen: no citizen {subject}")
            change(citizen)
            try:
                self.save(citizen)
            except IntegrityError:
                continue
            return citizen
        raise ConcurrentChange("citizen: changed by someone else at the same time; try again")

    def allowed_moves(self, course: Course) -> list[str]:
        """The triggers the workflow allows for the course now."""
        return self.workflow_for(course.programme).allowed(course)

    def resolve(self, ref: str, cache: dict[UUID, Any] | None = None) -> UUID:
        """A course id from a full id, a unique id prefix, or a CPR with one open course.

        `cache` holds aggregates decided but not yet saved (a batch), which count too.
        """
        ref = ref.strip()
        try:
            return UUID(ref)
        except ValueError:
            pass
        if _looks_like_cpr(ref):
            return self._resolve_cpr(ref, {} if cache is None else cache)
        if self.course_finder is None or len(ref) < 4:
            raise InvalidInput("course", f"{ref!r} is not a course id (give at least 4 characters)")
        if not _COURSE_REF.fullmatch(ref) or len(ref) > 36:
            raise InvalidInput(
                "course", f"{ref!r} is not a course id, an id prefix or a CPR number"
            )
        matches = self.course_finder(ref.lower())
        if not matches:
            raise CourseNotFound(f"course: no course id starts with {ref!r}")
        if len(matches) > 1:
            shown = ", ".join(str(m)[:8] for m in matches[:5])
            raise AmbiguousCourse(f"course: {ref!r} matches {len(matches)} courses ({shown})")
        return matches[0]

    def _resolve_cpr(self, ref: str, cache: dict[UUID, Any]) -> UUID:
        try:
            cpr = normalise_cpr(ref)
        except ValueError as e:
            raise InvalidInput("course", f"{ref!r} looks like a CPR number but {e}") from None
        citizen_id = self.keyring.subject_of(cpr)
        course_ids: list[UUID]
        if citizen_id is not None and citizen_id in cache:
            course_ids = list(cache[citizen_id].courses)
        else:
            course_ids = self.courses_of(cpr)
        open_courses = [cid for cid in course_ids if self._load(Course, cid, cache).is_open]
        if not open_courses:
            raise CourseNotFound("course: the citizen has no open course")
        if len(open_courses) > 1:
            raise AmbiguousCourse(
                "course: the citizen has open courses in several programmes; give the course id"
            )
        return open_courses[0]

    def execute_many(self, commands: Iterable[Command], actor: str) -> list[Outcome | CourseError]:
        """Decide a batch on shared aggregates, save once; fall back one by one on conflict.

        Each command is decided on its own: a refused one is returned as its
        error and leaves the others untouched. Aggregates stay in memory from
        one batch to the next as long as nobody else has written in between
        (the head of the log is where this service left it).
        """
        batch = list(commands)
        cache = self._batch_cache()
        results: list[Outcome | CourseError] = []
        try:
            for command in batch:
                results.append(self._decide_one(command, actor, cache))
            self.keyring.flush()
            self.save(*changed(cache))
        except (IntegrityError, _PartlyDecided, ConcurrentChange):
            self._forget_batch_cache()
            self.keyring.discard_staged()
            return [self._execute_one(command, actor) for command in batch]
        except BaseException:
            self._forget_batch_cache()  # it may hold unsaved events
            self.keyring.discard_staged()
            raise
        self._batch_head = self.recorder.max_notification_id()
        return results

    def _batch_cache(self) -> dict[UUID, Any]:
        """The aggregates kept from the last batch, if the log has not moved since."""
        if (
            len(self._batch_aggregates) > self.batch_cache_size
            or self.recorder.max_notification_id() != self._batch_head
        ):
            self._forget_batch_cache()
        return self._batch_aggregates

    def _forget_batch_cache(self) -> None:
        self._batch_aggregates = {}
        self._batch_head = -1

    def _decide_one(
        self, command: Command, actor: str, cache: dict[UUID, Any]
    ) -> Outcome | CourseError:
        try:
            return self.decide(command, actor, cache)
        except CourseError as error:
            return error

    def _execute_one(self, command: Command, actor: str) -> Outcome | CourseError:
        try:
            return self.execute(command, actor)
        except CourseError as error:
            return error


def refuse_another_referral(command: Refer, existing: Course) -> None:
    """A referral whose command id was applied to another citizen's or programme's referral
    is refused: skipped as already applied, it was silently lost (an import's ids clash)."""
    if existing.cpr is None:  # erased: the file that referred them may be imported again
        return
    if (existing.cpr, existing.programme) != (command.cpr, command.programme):
        raise CourseError(
            f"command_id: {command.command_id} was applied to another referral (course "
            f"{existing.id}: another citizen or programme); nothing was written"
        )


def refuse_another_command(command: CourseCommand, course: Course, workflow: Workflow) -> None:
    """A command whose id recorded another kind of event on the course (a session's id
    reused for a meeting) is refused: skipped as already applied, it was silently lost."""
    assert command.command_id is not None
    recorded = course.command_ids[command.command_id]
    if is_correct(command):
        expected: str | None = "Corrected"
    else:
        move = workflow.by_trigger.get(command.trigger_name())
        expected = None if move is None else move.event.__name__
    if recorded != expected:
        raise CourseError(
            f"command_id: {command.command_id} already recorded {recorded} on course "
            f"{course.id}, which {command.name} does not record; nothing was written"
        )


class _PartlyDecided(Exception):
    """A refused command left events pending; a batch is then redone one by one."""

    def __init__(self, error: CourseError) -> None:
        super().__init__(str(error))
        self.error = error


def changed(cache: dict[UUID, Any]) -> list[Any]:
    """The aggregates with events to save (the library checks each one it is given)."""
    return [aggregate for aggregate in cache.values() if aggregate.pending_events]


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply stored events to an aggregate in order (the library's projector, minus a
    per-event runtime Protocol check that dominated loading)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def _looks_like_cpr(ref: str) -> bool:
    digits = ref.replace("-", "")
    return len(digits) == 10 and digits.isascii() and digits.isdigit()
