"""The audit trail: one citizen's complete history, across all their courses.

Each entry: when it happened, when it was recorded, who recorded it, what it
was and its details, in the order the log recorded them. A correction is
shown beside what it corrects: the correction names its target, the target
lists the corrections made to it.

The view is an index: which courses are a citizen's, and where each of their
events sits in the log. The entries themselves are read from the log when a
history is asked for, not copied: the auditor sees the recorded events, the
view stays small (one narrow row per event, cheap to rebuild), and it holds
no second copy of health data for erasure (crypto-shredding) to miss.

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
    "occurred_on",
    "command_id",
}


@dataclass(frozen=True)
class AuditEntry:
    """One recorded event, with the corrections that concern it."""

    position: int
    course_id: UUID
    version: int
    occurred_on: date
    recorded_at: datetime
    actor: str
    event: str
    details: dict[str, Any]
    corrects: int | None = None
    """For a correction: the version of the event it corrects."""
    corrected_by: tuple[int, ...] = ()
    """For a corrected event: the versions of its corrections, oldest first."""
    retracted: bool = False
    """The event was marked as entered in error by a correction."""


class AuditView(View):
    """Every course event with its provenance, and each course's citizen."""

    name = "audit"
    tables: ClassVar[dict[str, str]] = {
        "audit_courses": "course_id TEXT PRIMARY KEY, cpr TEXT NOT NULL, programme TEXT NOT NULL",
        "audit_events": (
            "position BIGINT PRIMARY KEY, course_id TEXT NOT NULL, version INTEGER NOT NULL"
        ),
    }
    indexes: ClassVar[dict[str, str]] = {
        "audit_courses_cpr": "audit_courses (cpr)",
        "audit_events_course": "audit_events (course_id, version)",
    }

    def history(self, cpr: str | None = None, course_id: UUID | None = None) -> list[AuditEntry]:
        """Everything recorded about a citizen (all courses) or one course, in log order."""
        if (cpr is None) == (course_id is None):
            raise ValueError("give either a CPR number or a course id")
        query = (
            "SELECT e.* FROM {audit_events} e JOIN {audit_courses} c ON c.course_id = e.course_id "
        )
        if cpr is not None:
            rows = self.rows(query + "WHERE c.cpr=? ORDER BY e.position", (cpr.replace("-", ""),))
        else:
            rows = self.rows(query + "WHERE c.course_id=? ORDER BY e.position", (str(course_id),))
        events = self._events({row["course_id"] for row in rows})
        return _linked(
            [_entry(row["position"], events[row["course_id"]][row["version"]]) for row in rows]
        )

    def _events(self, course_ids: set[str]) -> dict[str, dict[int, CourseEvent]]:
        """Each course's events, read from the log, by version."""
        if self.log is None:
            raise RuntimeError("the audit view reads the log; open it through the catalog")
        return {
            course_id: {
                event.originator_version: event
                for event in self.log.get(UUID(course_id))
                if isinstance(event, CourseEvent)
            }
            for course_id in course_ids
        }


def _entry(position: int, event: CourseEvent) -> AuditEntry:
    return AuditEntry(
        position=position,
        course_id=event.originator_id,
        version=event.originator_version,
        occurred_on=event.occurred_on,
        recorded_at=event.timestamp,
        actor=event.actor,
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
    """Indexes every course event: its position, its course and version."""

    name = "audit"

    def begin(self) -> None:
        self.courses: list[tuple[str, str, str]] = []
        self.events: list[tuple[int, str, int]] = []

    def flush(self, c: Any) -> None:
        self.execute_many(c, "INSERT INTO {audit_courses} VALUES (?, ?, ?)", self.courses)
        self.execute_many(c, "INSERT INTO {audit_events} VALUES (?, ?, ?)", self.events)

    def referred(self, c: Any, e: Referred, position: int) -> None:
        self.courses.append((key(e.originator_id), e.cpr, e.programme))
        self.recorded(c, e, position)

    def recorded(self, c: Any, e: CourseEvent, position: int) -> None:
        self.events.append((position, key(e.originator_id), e.originator_version))

    handlers: ClassVar[dict[type[Any], Handler]] = {
        **dict.fromkeys(CourseEvent.__subclasses__(), recorded),
        Referred: referred,
    }


VIEW = ViewSpec(AuditView, AuditProjection)
