"""The audit trail: one citizen's complete history, across all their courses.

One row per course event, in the order the log recorded them: when it
happened, when it was recorded, who recorded it and what it was. A
correction is shown beside what it corrects: the correction names its
target, the target lists the corrections made to it.

The details (the event's own fields: answers, notes, reasons) are read from
the log itself when a history is asked for, not copied into the view: the
auditor sees the recorded events, not a copy of them, and the view holds no
second copy of health data for erasure (crypto-shredding) to miss.

Room for the data-protection work: `history` is the one read path to a
citizen's record, so logging who looked belongs there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from domain.events import Corrected, CourseEvent, Referred
from projections.base import Handler, Row, View, ViewProjection, ViewSpec, key

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
            "position BIGINT PRIMARY KEY, course_id TEXT NOT NULL, version INTEGER NOT NULL, "
            "occurred_on TEXT NOT NULL, recorded_at TEXT NOT NULL, actor TEXT NOT NULL, "
            "event TEXT NOT NULL, corrects INTEGER, retracts INTEGER NOT NULL"
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
        details = self._details({row["course_id"] for row in rows})
        return _linked([_entry(row, details[row["course_id"]][row["version"]]) for row in rows])

    def _details(self, course_ids: set[str]) -> dict[str, dict[int, dict[str, Any]]]:
        """Each course's events' own fields, read from the log, by version."""
        if self.log is None:
            raise RuntimeError("the audit view reads details from the log; open it via the catalog")
        found: dict[str, dict[int, dict[str, Any]]] = {}
        for course_id in course_ids:
            found[course_id] = {
                event.originator_version: event.model_dump(mode="json", exclude=_NOT_DETAILS)
                for event in self.log.get(UUID(course_id))
                if isinstance(event, CourseEvent)
            }
        return found


def _entry(row: Row, details: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        position=row["position"],
        course_id=UUID(row["course_id"]),
        version=row["version"],
        occurred_on=date.fromisoformat(row["occurred_on"]),
        recorded_at=datetime.fromisoformat(row["recorded_at"]),
        actor=row["actor"],
        event=row["event"],
        details=details,
        corrects=row["corrects"],
        retracted=False,
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
    """Appends every course event with its provenance."""

    name = "audit"

    def begin(self) -> None:
        self.courses: list[tuple[str, str, str]] = []
        self.events: list[tuple[Any, ...]] = []

    def flush(self, c: Any) -> None:
        self.execute_many(c, "INSERT INTO {audit_courses} VALUES (?, ?, ?)", self.courses)
        self.execute_many(
            c, "INSERT INTO {audit_events} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self.events
        )

    def referred(self, c: Any, e: Referred, position: int) -> None:
        self.courses.append((key(e.originator_id), e.cpr, e.programme))
        self.recorded(c, e, position)

    def recorded(self, c: Any, e: CourseEvent, position: int) -> None:
        corrects = e.target_version if isinstance(e, Corrected) else None
        retracts = int(isinstance(e, Corrected) and e.retracted)
        self.events.append(
            (
                position,
                key(e.originator_id),
                e.originator_version,
                e.occurred_on.isoformat(),
                e.timestamp.isoformat(),
                e.actor,
                type(e).__name__,
                corrects,
                retracts,
            )
        )

    handlers: ClassVar[dict[type[Any], Handler]] = {
        **dict.fromkeys(CourseEvent.__subclasses__(), recorded),
        Referred: referred,
    }


VIEW = ViewSpec(AuditView, AuditProjection)
