"""The correction command: an earlier event corrected or retracted.

Imported when one of them is first used (see `workflows.commands`).
"""

# No `from __future__ import annotations` here: pydantic then takes each field's type as
# an object instead of evaluating its text, a sizeable share of building the models.

from typing import Any

from pydantic import Field

from domain.values import (
    FreeText,
)
from workflows.command_base import CourseCommand


class Correct(CourseCommand):
    """Correct an earlier event (by sequence number) or retract it; the original stays."""

    name = "correct"
    trigger = "correct"
    version: int = Field(ge=1, description="sequence number of the event to correct")
    reason: FreeText = Field(min_length=1, description="why the correction is made")
    changes: dict[str, Any] = Field(
        default_factory=dict, description="field=value pairs (dotted paths) to change"
    )
    retract: bool = Field(default=False, description="the event was entered in error")
