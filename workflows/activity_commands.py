"""What happens on a course: sessions, meetings, group courses, contacts, the citizen's segment.

Imported when one of them is first used (see `workflows.commands`).
"""

# No `from __future__ import annotations` here: pydantic then takes each field's type as
# an object instead of evaluating its text, a sizeable share of building the models.

from pydantic import Field

from domain.values import (
    ContactKind,
    ContactRating,
    FreeText,
    Label,
    MatchGroup,
    MeetingOutcome,
    Name,
    SessionKind,
)
from workflows.command_base import CourseCommand


class Session(CourseCommand):
    """Record an individual or group session."""

    name = "session"
    trigger = "session"
    kind: SessionKind = Field(default=SessionKind.INDIVIDUAL, description="session kind")
    note: FreeText = Field(default="", description="free-text note")


class Meeting(CourseCommand):
    """Record a network meeting (held, or the citizen did not show)."""

    name = "meeting"
    trigger = "meeting"
    outcome: MeetingOutcome = Field(default=MeetingOutcome.HELD, description="what happened")
    participants: list[Name] = Field(
        default_factory=list, max_length=20, description="who took part"
    )
    note: FreeText = Field(default="", description="free-text note")


class GroupJoin(CourseCommand):
    """The citizen joins a group course."""

    name = "group join"
    trigger = "join_group"
    group_course: Name = Field(description="the group course")


class GroupComplete(CourseCommand):
    """The citizen completes a group course they joined."""

    name = "group complete"
    trigger = "complete_group"
    group_course: Name = Field(description="the group course")


class TreatmentPlan(CourseCommand):
    """A psychiatric treatment plan started (the course goes on)."""

    name = "treatment-plan"
    trigger = "treatment_plan"
    note: FreeText = Field(default="", description="free-text note")


class Contact(CourseCommand):
    """Register one contact with the citizen: its kind, the place and the citizen's rating."""

    name = "contact"
    trigger = "contact"
    contact_kind: ContactKind = Field(description="how the contact was made")
    place: Name = Field(description="where, e.g. the drop-in centre's name")
    rating: ContactRating | None = Field(
        default=None, description="the citizen's rating of the contact, 1 (low) to 5 (high)"
    )
    note: FreeText = Field(default="", description="free-text note")


class Segment(CourseCommand):
    """Record the citizen's match group, profiles and case-handling focus as of a date."""

    name = "segment"
    trigger = "segment"
    match_group: MatchGroup | None = Field(
        default=None, description="match group M1, M2 or M3 (a new one is a rematch)"
    )
    profiles: list[Label] = Field(
        default_factory=list, max_length=20, description="profiles, several at once"
    )
    focus: Label | None = Field(default=None, description="the case-handling focus")
