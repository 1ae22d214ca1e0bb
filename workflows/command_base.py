"""The base of every command: what a caseworker asks for, validated before anything is
decided (the commands themselves: `workflows.commands`)."""

# No `from __future__ import annotations` here: pydantic then takes each field's type as
# an object instead of evaluating its text, a sizeable share of building the models.

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, uuid5

from pydantic import BaseModel, ConfigDict, Field

from domain.course import LOCAL_TIME
from domain.values import Name

COMMAND_NAMESPACE = uuid5(NAMESPACE_URL, "https://forloeb.dk/command")
"""Namespace of the course ids a referral's command id gives (the same id, the same course)."""


def today() -> date:
    """Today's Danish calendar date."""
    return datetime.now(LOCAL_TIME).date()


class Command(BaseModel):
    """Base of all commands."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: ClassVar[str]
    """The CLI command and import line `command` value."""
    summary: ClassVar[str] = ""

    occurred_on: date = Field(
        default_factory=today, description="date it happened (YYYY-MM-DD), default today"
    )
    actor: Name | None = Field(
        default=None, description="who recorded it (default: --as / FORLOEB_USER)"
    )
    command_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=r"^[\x20-\x7e]+$",
        description="idempotency key: a command with an id already applied is skipped",
    )

    def event_fields(self) -> dict[str, Any]:
        """The payload of the event this command records."""
        return self.model_dump(exclude=COMMON_FIELDS | {"course"})


COMMON_FIELDS = {"occurred_on", "actor", "command_id"}


class CourseCommand(Command):
    """A command on an existing course."""

    trigger: ClassVar[str]
    course: str = Field(
        min_length=1, max_length=80, description="course id, unique id prefix, or CPR"
    )

    def trigger_name(self) -> str:
        """The workflow trigger this command asks for."""
        return self.trigger
