"""Turning pydantic's validation errors into one line: the field and the reason."""

from __future__ import annotations

from pydantic import ValidationError


def first_error(error: ValidationError) -> tuple[str, str]:
    """The dotted field path and the reason of the first validation error."""
    details = error.errors(include_url=False, include_input=False)
    if not details:
        return "input", str(error)
    detail = details[0]
    location = ".".join(str(part) for part in detail["loc"] if not isinstance(part, int))
    message = str(detail["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return location or "input", message
