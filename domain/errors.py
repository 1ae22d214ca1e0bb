"""Errors a course can raise. Each message is one line a caseworker can act on."""

from __future__ import annotations

from collections.abc import Callable, Sequence


class CourseError(Exception):
    """A command was refused; nothing was recorded."""


class InvalidInput(CourseError):
    """A value failed validation; the message names the field and the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class MoveRefused(CourseError):
    """The workflow does not allow this move from the course's current state.

    The refusal is data: the move tried, the state, the moves allowed there and,
    when the state was right but a condition was not met, why. Its message is
    built from those fields; a reader names the moves its own way with `describe`.
    """

    def __init__(
        self, trigger: str, state: str, allowed: Sequence[str], why: str = ""
    ) -> None:
        self.trigger = trigger
        self.state = str(state)
        self.allowed: tuple[str, ...] = tuple(allowed)
        self.why = why
        super().__init__(self.describe())

    def describe(self, name: Callable[[str], str] = str) -> str:
        """The refusal as one line, each move named by `name` (the trigger by default)."""
        allowed = ", ".join(name(trigger) for trigger in self.allowed) or "none"
        because = f" ({self.why})" if self.why else ""
        return (
            f"cannot {name(self.trigger)} a course in state {self.state}{because}; "
            f"allowed here: {allowed}"
        )

    def as_dict(self, name: Callable[[str], str] = str) -> dict[str, object]:
        """The refusal's fields as plain JSON-ready values, moves named by `name`."""
        return {
            "move": name(self.trigger),
            "state": self.state,
            "why": self.why or None,
            "allowed": [name(trigger) for trigger in self.allowed],
        }


class CourseNotFound(CourseError):
    """No course matches the given reference."""


class AmbiguousCourse(CourseError):
    """More than one course matches the given reference."""


class AlreadyOpen(CourseError):
    """The citizen already has an open course in the programme."""


class ConcurrentChange(CourseError):
    """Someone else changed the course at the same time; nothing was written."""
