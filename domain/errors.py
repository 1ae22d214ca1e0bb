"""Errors a course can raise. Each message is one line a caseworker can act on."""

from __future__ import annotations


class CourseError(Exception):
    """A command was refused; nothing was recorded."""


class InvalidInput(CourseError):
    """A value failed validation; the message names the field and the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class MoveRefused(CourseError):
    """The workflow does not allow this move from the course's current state."""

    def __init__(self, trigger: str, state: str, allowed: list[str], why: str = "") -> None:
        allowed_text = ", ".join(allowed) if allowed else "none"
        because = f" ({why})" if why else ""
        super().__init__(
            f"cannot {trigger} a course in state {state}{because}; allowed here: {allowed_text}"
        )
        self.trigger = trigger
        self.state = state
        self.allowed = allowed


class CourseNotFound(CourseError):
    """No course matches the given reference."""


class AmbiguousCourse(CourseError):
    """More than one course matches the given reference."""


class AlreadyOpen(CourseError):
    """The citizen already has an open course in the programme."""


class ConcurrentChange(CourseError):
    """Someone else changed the course at the same time; nothing was written."""
