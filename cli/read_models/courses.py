"""`forloeb courses` and `forloeb show`: the course list and one course."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from cli.read_models.common import CprMasked, HistoryEntry, ReadModel
from domain.values import CourseState


class CourseRow(ReadModel):
    """One course of the list."""

    course_id: UUID
    cpr_masked: CprMasked | None
    programme: str
    state: CourseState
    state_since: date
    consultant: str | None
    referred_on: date
    version: int = Field(ge=1)


class CourseList(ReadModel):
    """`forloeb courses --format json`: the courses you may see, newest referral last."""

    courses: list[CourseRow]


class Measured(ReadModel):
    """A form recorded at a measurement point."""

    point: int
    form: str = Field(description="citizen or staff")


class CourseReport(ReadModel):
    """`forloeb show COURSE --format json`: its facts, the allowed next moves, its history."""

    course_id: UUID
    cpr_masked: CprMasked | None
    programme: str
    state: CourseState
    state_since: date
    referred_on: date
    consultant: str | None
    measurements: list[Measured]
    follow_up_measurements: list[Measured]
    version: int = Field(ge=1)
    allowed_next: list[str] = Field(description="the commands that may be given next")
    history: list[HistoryEntry]
