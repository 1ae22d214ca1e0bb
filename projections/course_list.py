"""The course list: every course as it stands now, one row each.

Serves `forloeb courses` and the id-prefix lookup. Corrections are honoured
as the corrected event would read: a new date for the referral or for the
event that set the current state moves `referred_on` / `state_since`, a new
consultant on the event that set the current consultant replaces them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from domain.events import (
    Accepted,
    ConsultantReassigned,
    Corrected,
    CourseEvent,
    Referred,
)
from domain.values import CourseState
from projections.base import Handler, Row, View, ViewProjection, ViewSpec, iso


@dataclass(frozen=True)
class CourseRow:
    """One course in the list."""

    course_id: UUID
    cpr: str
    programme: str
    state: CourseState
    consultant: str | None
    referred_on: date
    state_since: date
    version: int


class CourseListView(View):
    """Every course: who, which programme, where it stands, and since when."""

    name = "course_list"
    tables: ClassVar[dict[str, str]] = {
        "course_list": (
            "course_id TEXT PRIMARY KEY, cpr TEXT NOT NULL, programme TEXT NOT NULL, "
            "state TEXT NOT NULL, consultant TEXT, referred_on TEXT NOT NULL, "
            "state_since TEXT NOT NULL, state_version INTEGER NOT NULL, "
            "consultant_version INTEGER, version INTEGER NOT NULL"
        ),
    }
    indexes: ClassVar[dict[str, str]] = {
        "course_list_cpr": "course_list (cpr)",
        "course_list_consultant": "course_list (consultant)",
    }

    def find_by_prefix(self, prefix: str) -> list[UUID]:
        """The ids of the courses whose id starts with `prefix`."""
        pattern = _escape_like(prefix.strip().lower()) + "%"
        rows = self.rows(
            "SELECT course_id FROM {course_list} WHERE course_id LIKE ? ESCAPE '\\' "
            "ORDER BY course_id",
            (pattern,),
        )
        return [UUID(row["course_id"]) for row in rows]

    def list_courses(
        self,
        cpr: str | None = None,
        consultant: str | None = None,
        state: str | None = None,
        programme: str | None = None,
    ) -> list[CourseRow]:
        """The courses matching every given filter, oldest referral first."""
        filters = {"cpr": cpr, "consultant": consultant, "state": state, "programme": programme}
        given = {column: value for column, value in filters.items() if value is not None}
        where = " AND ".join(f"{column}=?" for column in given) or "1=1"
        rows = self.rows(
            f"SELECT * FROM {{course_list}} WHERE {where} ORDER BY referred_on, course_id",
            [str(value) for value in given.values()],
        )
        return [_course_row(row) for row in rows]

    def get(self, course_id: UUID) -> CourseRow | None:
        """One course's row, if the view has it."""
        rows = self.rows("SELECT * FROM {course_list} WHERE course_id=?", (str(course_id),))
        return _course_row(rows[0]) if rows else None


def _course_row(row: Row) -> CourseRow:
    return CourseRow(
        course_id=UUID(row["course_id"]),
        cpr=row["cpr"],
        programme=row["programme"],
        state=CourseState(row["state"]),
        consultant=row["consultant"],
        referred_on=date.fromisoformat(row["referred_on"]),
        state_since=date.fromisoformat(row["state_since"]),
        version=row["version"],
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class CourseListProjection(ViewProjection[CourseListView]):
    """Keeps one row per course."""

    name = "course_list"

    def referred(self, c: Any, e: Referred, _: int) -> None:
        self.execute(
            c,
            "INSERT INTO {course_list} VALUES (?, ?, ?, ?, NULL, ?, ?, ?, NULL, ?)",
            str(e.originator_id),
            e.cpr,
            e.programme,
            CourseState.VISITATION.value,
            iso(e.occurred_on),
            iso(e.occurred_on),
            e.originator_version,
            e.originator_version,
        )

    def consultant_set(self, c: Any, e: Accepted | ConsultantReassigned, position: int) -> None:
        self.execute(
            c,
            "UPDATE {course_list} SET consultant=?, consultant_version=? WHERE course_id=?",
            e.consultant,
            e.originator_version,
            str(e.originator_id),
        )
        self.recorded(c, e, position)

    def recorded(self, c: Any, e: CourseEvent, _: int) -> None:
        if e.new_state is None:
            self.execute(
                c,
                "UPDATE {course_list} SET version=? WHERE course_id=?",
                e.originator_version,
                str(e.originator_id),
            )
            return
        self.execute(
            c,
            "UPDATE {course_list} SET state=?, state_since=?, state_version=?, version=? "
            "WHERE course_id=?",
            e.new_state.value,
            iso(e.occurred_on),
            e.originator_version,
            e.originator_version,
            str(e.originator_id),
        )

    def corrected(self, c: Any, e: Corrected, position: int) -> None:
        course_id, target = str(e.originator_id), e.target_version
        if "occurred_on" in e.changes:
            day = iso(e.changes["occurred_on"])
            if target == 1:
                self.execute(
                    c, "UPDATE {course_list} SET referred_on=? WHERE course_id=?", day, course_id
                )
            self.execute(
                c,
                "UPDATE {course_list} SET state_since=? WHERE course_id=? AND state_version=?",
                day,
                course_id,
                target,
            )
        if "consultant" in e.changes:
            self.execute(
                c,
                "UPDATE {course_list} SET consultant=? WHERE course_id=? AND consultant_version=?",
                str(e.changes["consultant"]),
                course_id,
                target,
            )
        self.recorded(c, e, position)

    handlers: ClassVar[dict[type[Any], Handler]] = {
        **dict.fromkeys(CourseEvent.__subclasses__(), recorded),
        Referred: referred,
        Accepted: consultant_set,
        ConsultantReassigned: consultant_set,
        Corrected: corrected,
    }


VIEW = ViewSpec(CourseListView, CourseListProjection)
