"""`forloeb audit` and `forloeb citizen export`: a citizen's whole record."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import Field

from cli.read_models.common import (
    Erasure,
    HistoryEntry,
    ReadModel,
    ReadRecord,
    UtcTimestamp,
)
from domain.values import CourseState

FullCpr = Annotated[
    str, Field(pattern=r"^\d{6}-\d{4}$", description="in full; null once the citizen is erased")
]
"""The CPR number in full, DDMMYY-SSSS (the audit view and the citizen's own export)."""


class AuditCourse(ReadModel):
    """One of the citizen's courses."""

    course_id: UUID
    programme: str


class AuditReport(ReadModel):
    """`forloeb audit CPR|COURSE --format json`: everything recorded about a citizen, in
    recorded order, who looked and any erasure. The CPR is shown in full here only."""

    cpr: FullCpr | None
    courses: list[AuditCourse]
    history: list[HistoryEntry]
    reads: list[ReadRecord]
    erasure: Erasure | None


class ExportedCitizen(ReadModel):
    """Whom the export is about."""

    cpr: FullCpr | None
    subject: UUID


class ExportedCourse(ReadModel):
    """One course of the export, with its whole history."""

    course_id: UUID
    programme: str
    state: CourseState
    consultant: str | None
    referred_on: date
    history: list[HistoryEntry]


class CitizenExport(ReadModel):
    """The file `forloeb citizen export CPR --out FILE.json` writes (the right of access)."""

    exported_at: UtcTimestamp
    exported_by: str
    citizen: ExportedCitizen
    courses: list[ExportedCourse]
    reads: list[ReadRecord]
    erasure: Erasure | None
