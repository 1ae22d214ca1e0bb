"""Praktik, jobs and education: each started and ended.

Imported when one of them is first used (see `workflows.commands`).
"""

# No `from __future__ import annotations` here: pydantic then takes each field's type as
# an object instead of evaluating its text, a sizeable share of building the models.

from datetime import date

from pydantic import Field

from domain.values import (
    FreeText,
    HoursPerWeek,
    JobKind,
    JobKindCode,
    Name,
    PraktikOutcome,
)
from workflows.command_base import CourseCommand


class PraktikStart(CourseCommand):
    """Start a workplace internship (virksomhedspraktik)."""

    name = "praktik start"
    trigger = "start_praktik"
    employer: Name = Field(description="the workplace")
    hours_per_week: HoursPerWeek = Field(description="agreed hours per week")
    planned_end: date = Field(description="planned last day (YYYY-MM-DD)")


class PraktikEnd(CourseCommand):
    """End the internship, completed or aborted."""

    name = "praktik end"
    trigger = "end_praktik"
    outcome: PraktikOutcome = Field(default=PraktikOutcome.COMPLETED, description="how it ended")
    note: FreeText = Field(default="", description="free-text note")


class JobStart(CourseCommand):
    """The citizen started paid work: ordinary, a flexjob or a wage-subsidy job."""

    name = "job start"
    trigger = "start_job"
    employer: Name = Field(description="the employer")
    hours_per_week: HoursPerWeek = Field(description="hours per week")
    ordinary_hours: bool = Field(default=True, description="ordinary (unsubsidised) hours")
    kind: JobKindCode = Field(
        default=JobKind.ORDINARY,
        description="ordinary, flexjob (fleksjob), wage_subsidy (løntilskud), or a kind the "
        "programme adds (see programmes show)",
    )


class JobEnd(CourseCommand):
    """The job ended and support continues."""

    name = "job end"
    trigger = "end_job"
    note: FreeText = Field(default="", description="free-text note")


class EducationStart(CourseCommand):
    """The citizen started an education."""

    name = "education start"
    trigger = "start_education"
    institution: Name = Field(description="the school or institution")
    programme_of_study: Name | None = Field(default=None, description="the education")


class EducationEnd(CourseCommand):
    """The education ended and support continues."""

    name = "education end"
    trigger = "end_education"
    note: FreeText = Field(default="", description="free-text note")
