"""The audit trail: one citizen's complete history, across all their courses.

One row per course event, in the order the log recorded them: when it
happened, when it was recorded, who recorded it, what it was and its details.
A correction is shown beside what it corrects: the correction names its
target, the target lists the corrections made to it.

Room for the data-protection work: `history` is the one read path to a
citizen's record, so logging who looked belongs there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

import orjson

from domain.events import CourseEvent, Referred
from projections.base import Handler, Row, View, ViewProjection, ViewSpec, iso

_COMMON = {"originator_id", "originator_version", "timestamp", "actor", "occurred_on", "command_id"}


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
            "event TEXT NOT NULL, details TEXT NOT NULL"
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
        return _linked([_entry(row) for row in rows])


def _entry(row: Row) -> AuditEntry:
    details = orjson.loads(row["details"])
    corrects = details.get("target_version") if row["event"] == "Corrected" else None
    return AuditEntry(
        position=row["position"],
        course_id=UUID(row["course_id"]),
        version=row["version"],
        occurred_on=date.fromisoformat(row["occurred_on"]),
        recorded_at=datetime.fromisoformat(row["recorded_at"]),
        actor=row["actor"],
        event=row["event"],
        details=details,
        corrects=corrects,
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
            entry = AuditEntry(
                **{
                    **entry.__dict__,
                    "corrected_by": tuple(c.version for c in found),
                    "retracted": any(c.details.get("retracted") for c in found),
                }
            )
        linked.append(entry)
    return linked


class AuditProjection(ViewProjection[AuditView]):
    """Appends every course event with its provenance."""

    name = "audit"

    def referred(self, c: Any, e: Referred, position: int) -> None:
        self.execute(
            c,
            "INSERT INTO {audit_courses} VALUES (?, ?, ?)",
            str(e.originator_id),
            e.cpr,
            e.programme,
        )
        self.recorded(c, e, position)

    def recorded(self, c: Any, e: CourseEvent, position: int) -> None:
        self.execute(
            c,
            "INSERT INTO {audit_events} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            position,
            str(e.originator_id),
            e.originator_version,
            iso(e.occurred_on),
            e.timestamp.isoformat(),
            e.actor,
            type(e).__name__,
            e.model_dump_json(exclude=_DETAILS_EXCLUDED),
        )

    handlers: ClassVar[dict[type[Any], Handler]] = {
        **dict.fromkeys(CourseEvent.__subclasses__(), recorded),
        Referred: referred,
    }


_DETAILS_EXCLUDED = _COMMON | {"originator_topic"}

VIEW = ViewSpec(AuditView, AuditProjection)
