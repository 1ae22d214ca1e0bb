"""Completion, exit and follow-up.

Imported when one of them is first used (see `workflows.commands`).
"""

# No `from __future__ import annotations` here: pydantic then takes each field's type as
# an object instead of evaluating its text, a sizeable share of building the models.

from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from domain.values import (
    ExitOntoCode,
    ExitReasonCode,
    FollowUpOutcome,
    FreeText,
)
from workflows.command_base import CourseCommand


class Complete(CourseCommand):
    """The citizen completed the programme (a milestone; the course goes on until its exit)."""

    name = "complete"
    trigger = "complete_programme"
    note: FreeText = Field(default="", description="free-text note")


class Exit(CourseCommand):
    """End the course: planned (from job or education) or unplanned (with a reason)."""

    name = "exit"
    planned: bool = Field(description="planned exit (else unplanned)")
    onto: ExitOntoCode | None = Field(
        default=None,
        description="planned exit onto disability_pension or a destination the programme "
        "adds (see programmes show), from any working state",
    )
    reason: ExitReasonCode | None = Field(
        default=None,
        validate_default=True,
        description="why (unplanned): one of the backbone's reasons or one the programme adds",
    )
    detail: FreeText = Field(default="", description="free-text detail")

    @field_validator("reason")
    @classmethod
    def _reason_fits_kind(cls, reason: str | None, info: ValidationInfo) -> str | None:
        planned = info.data.get("planned")
        if planned and reason is not None:
            raise ValueError("only unplanned exits have a reason")
        if planned is False and reason is None:
            raise ValueError("required for an unplanned exit")
        if planned is False and info.data.get("onto") is not None:
            raise ValueError("an unplanned exit goes onto nothing; leave out --onto")
        return reason

    def trigger_name(self) -> str:
        if self.planned:
            return "exit_planned" if self.onto is None else "exit_pension"
        return "exit_unplanned"

    def event_fields(self) -> dict[str, Any]:
        if self.planned:
            return {"note": self.detail} | ({} if self.onto is None else {"after": self.onto})
        return {"reason": self.reason, "detail": self.detail}


class FollowUp(CourseCommand):
    """Record a follow-up observation after exit."""

    name = "follow-up"
    trigger = "follow_up"
    outcome: FollowUpOutcome = Field(description="what the follow-up found")
    note: FreeText = Field(default="", description="free-text note")
