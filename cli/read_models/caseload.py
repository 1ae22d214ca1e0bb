"""`forloeb caseload` and `forloeb due`: who holds which open courses, and what is due."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import Field

from cli.read_models.common import CprMasked, ReadModel
from domain.values import CourseState

DueKind = Literal["measurement", "network_meeting", "praktik_end"]


class NextDue(ReadModel):
    """A course's earliest deadline."""

    kind: DueKind
    due_on: date
    days_overdue: int = Field(description="days past due_on as of the date (negative: to come)")
    detail: str


class CaseloadCourse(ReadModel):
    """One open course of a consultant's caseload."""

    course_id: UUID
    cpr_masked: CprMasked | None
    programme: str
    state: CourseState
    state_since: date
    days_in_state: int
    next_due: NextDue | None


class DaysInState(ReadModel):
    """How long the consultant's open courses have been in their state."""

    median: float | None
    longest: int | None


class Overdue(ReadModel):
    """How many deadlines are overdue, by kind."""

    measurement: int
    network_meeting: int
    praktik_end: int
    total: int


class StateCount(ReadModel):
    """How many open courses are in a state."""

    state: CourseState
    courses: int


class ConsultantLoad(ReadModel):
    """One resource consultant's caseload."""

    consultant: str
    open_courses: int
    target: int
    over_capacity: bool
    by_state: list[StateCount]
    days_in_state: DaysInState
    overdue: Overdue
    courses: list[CaseloadCourse]


class CaseloadReport(ReadModel):
    """`forloeb caseload --format json`: each consultant's open courses as of a date."""

    as_of: date
    programme: str | None
    target: int
    consultants: list[ConsultantLoad]


class DueItem(ReadModel):
    """One thing that needs doing."""

    course_id: UUID
    cpr_masked: CprMasked | None
    consultant: str | None
    programme: str
    kind: DueKind
    due_on: date
    days_overdue: int
    detail: str


class DueReport(ReadModel):
    """`forloeb due --format json`: what is due by the date, most overdue first."""

    as_of: date
    within_days: int
    items: list[DueItem]
