"""The audit trail: one citizen's complete history, across all their courses.

Each entry: when it happened, when it was recorded, who recorded it, what it
was and its details, in the order the log recorded them. A correction is
shown beside what it corrects: the correction names its target, the target
lists the corrections made to it.

The view is an index: which courses are a citizen's. The entries themselves
are read from the log (the aggregate's own sequence) when a history is asked
for, not copied: the auditor sees the recorded events themselves, the view
costs one row per course to build, and it holds no second copy of health
data for erasure (crypto-shredding) to miss. Entries are in the order they
were recorded (recorded time, then course and version).

Room for the data-protection work: `history` is the one read path to a
citizen's record, so logging who looked belongs there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from domain.events import Corrected, CourseEvent, Referred
from projections.base import Handler, View, ViewProjection, ViewSpec, key

_NOT_DETAILS = {
    "originator_id",
    "originator_version",
    "originator_topic",
    "timestamp",
    "actor",
    "recorded_by",
    "occurred_on",
    "command_id",
}


@dataclass(frozen=True)
class AuditEntry:
    """One recorded event, with the corrections that concern it."""

    course_id: UUID
    version: int
    occurred_on: date
    recorded_at: datetime
    actor: str
    """On whose behalf it was recorded."""
    recorded_by: str
    """Who entered it (an admin, when not the actor)."""
    event: str
    details: dict[str, Any]
    corrects: int | None = None
    """For a correction: the version of the event it corrects."""
    corrected_by: tuple[int, ...] = ()
    """For a corrected event: the versions of its corrections, oldest first."""
    retracted: bool = False
    """The event was marked as entered in error by a correction."""


class AuditView(View):
    """Each course's citizen (by subject id, never the CPR) and programme: the index into
    the log for a citizen's history."""

    name = "audit"
    tables: ClassVar[dict[str, str]] = {
        "audit_courses": "course_id TEXT PRIMARY KEY, subject TEXT NOT NULL, "
        "programme TEXT NOT NULL",
    }
    indexes: ClassVar[dict[str, str]] = {"audit_courses_subject": "audit_courses (subject)"}

    def history(
        self, subject: UUID | None = None, course_id: UUID | None = None
    ) -> list[AuditEntry]:
        """Everything recorded about a citizen (all courses) or one course, as recorded."""
        if (subject is None) == (course_id is None):
            raise ValueError("give either a citizen's subject id or a course id")
        if subject is not None:
            query, param = "SELECT course_id FROM {audit_courses} WHERE subject=?", str(subject)
        else:
            query, param = "SELECT course_id FROM {audit_courses} WHERE course_id=?", str(course_id)
        events = [
            event for row in self.rows(query, (param,)) for event in self._read(row["course_id"])
        ]
        events.sort(key=lambda e: (e.timestamp, str(e.originator_id), e.originator_version))
        return entries_of(events)

    def _read(self, course_id: str) -> list[CourseEvent]:
        """One course's events, from the log."""
        if self.log is None:
            raise RuntimeError("the audit view reads the log; open it through the catalog")
        return [e for e in self.log.get(UUID(course_id)) if isinstance(e, CourseEvent)]


def entries_of(events: list[CourseEvent]) -> list[AuditEntry]:
    """The events as entries, in the order given, each correction linked to its target."""
    return _linked([_entry(event) for event in events])


def _entry(event: CourseEvent) -> AuditEntry:
    return AuditEntry(
        course_id=event.originator_id,
        version=event.originator_version,
        occurred_on=event.occurred_on,
        recorded_at=event.timestamp,
        actor=event.actor,
        recorded_by=event.recorded_by,
        event=type(event).__name__,
        details=event.model_dump(mode="json", exclude=_NOT_DETAILS),
        corrects=event.target_version if isinstance(event, Corrected) else None,
    )


def _linked(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Each corrected entry with the versions of its corrections, and whether retracted."""
    corrections: dict[tuple[UUID, int], list[AuditEntry]] = {}
    for entry in entries:
        if entry.corrects is not None:
            corrections.setdefault((entry.course_id, entry.corrects), []).append(entry)
    linked = []
    for entry in entries:
        found = corrections.get((entry.course_id, entry.version), [])
        if found:
            entry = replace(
                entry,
                corrected_by=tuple(c.version for c in found),
                retracted=any(c.details.get("retracted") for c in found),
            )
        linked.append(entry)
    return linked


class AuditProjection(ViewProjection[AuditView]):
    """Notes each new course's citizen and programme."""

    name = "audit"

    def begin(self) -> None:
        self.courses: list[tuple[str, str, str]] = []

    def flush(self, c: Any) -> None:
        self.execute_many(c, "INSERT INTO {audit_courses} VALUES (?, ?, ?)", self.courses)

    def referred(self, c: Any, e: Referred, _: int) -> None:
        self.courses.append((key(e.originator_id), str(e.subject), e.programme))

    handlers: ClassVar[dict[type[Any], Handler]] = {Referred: referred}


VIEW = ViewSpec(AuditView, AuditProjection)
