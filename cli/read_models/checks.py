"""`forloeb verify` and `forloeb projections status|verify`: is the log whole, are the
views current and equal to a rebuild."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from cli.read_models.common import ReadModel


class Finding(ReadModel):
    """One piece of evidence of tampering."""

    aggregate: str = Field(description='"course", "citizen index", "log", "key row", …')
    id: str
    version: int = Field(description="the position, or -1 where there is none")
    kind: str
    detail: str


class Sealed(ReadModel):
    """What `verify --seal` chained."""

    events: int
    aggregates: int
    skipped: list[str]


class LogHead(ReadModel):
    """The log's signed head, to keep outside the database."""

    start: int
    position: int
    digest: str


class VerifyReport(ReadModel):
    """`forloeb verify [COURSE|--all] --format json`: what was checked and what was found."""

    course_id: UUID | None = Field(description="the course verified; null for --all")
    events: int
    aggregates: int
    findings: list[Finding]
    summary: str
    sealed: Sealed | None = Field(description="what --seal chained; null without --seal")
    log_head: LogHead | None = Field(
        description="null for one course, or while the log chain has no head yet"
    )


class ViewStatus(ReadModel):
    """One view's position against the head of the log."""

    view: str
    position: int
    head: int
    behind: int
    rebuilding: bool


class ProjectionsStatus(ReadModel):
    """`forloeb projections status --format json`."""

    head: int = Field(description="the head of the event log")
    views: list[ViewStatus]


class Difference(ReadModel):
    """One way a view's stored rows differ from its rebuild from the log."""

    view: str
    table: str
    key: str = Field(description="the row's key columns, column=value joined by commas")
    column: str | None = Field(description="null where the whole row is missing or extra")
    stored: Any
    rebuilt: Any


class ProjectionsVerify(ReadModel):
    """`forloeb projections verify [NAME] --format json`."""

    views: list[str]
    rows: int
    differences: list[Difference]
