"""The course's people: its consultant and its team.

Imported when one of them is first used (see `workflows.commands`).
"""

# No `from __future__ import annotations` here: pydantic then takes each field's type as
# an object instead of evaluating its text, a sizeable share of building the models.

from pydantic import Field

from domain.values import (
    FreeText,
    Label,
    Name,
)
from workflows.command_base import CourseCommand


class Reassign(CourseCommand):
    """Another resource consultant takes over the course."""

    name = "reassign"
    trigger = "reassign"
    consultant: Name = Field(description="the new resource consultant")
    reason: FreeText = Field(default="", description="why")


class TeamAdd(CourseCommand):
    """A professional joins the course's team in one of the programme's roles."""

    name = "team add"
    trigger = "add_member"
    member: Name = Field(description="the user joining the team")
    role: Label = Field(description="their role in the programme (see programmes show)")


class TeamRemove(CourseCommand):
    """A professional leaves the course's team."""

    name = "team remove"
    trigger = "remove_member"
    member: Name = Field(description="the user leaving the team")
