"""One vocabulary for the command line and `forloeb import`.

A command's name, its fields and their values mean the same whether they
come from CLI options or from an import line; validation is the command
model's own (pydantic), turned into one `field: reason` line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from domain.errors import CourseError, InvalidInput, MoveRefused
from domain.validation import first_error
from workflows.commands import COMMANDS_BY_NAME, Command, command_for


def command_class(name: object) -> type[Command]:
    """The command class for a command name, e.g. "praktik start"."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("command", 'missing; give the command\'s name, e.g. "accept"')
    cls = COMMANDS_BY_NAME.get(" ".join(name.split()))
    if cls is None:
        known = ", ".join(sorted(COMMANDS_BY_NAME))
        raise InvalidInput("command", f"unknown command {name!r} (known: {known})")
    return cls


def build_command(cls: type[Command], fields: Mapping[str, Any]) -> Command:
    """The validated command from option values; InvalidInput names the first bad field."""
    try:
        return cls.model_validate(dict(fields))
    except ValidationError as e:
        raise InvalidInput(*first_error(e)) from None


def build_command_from_json(cls: type[Command], fields: Mapping[str, Any]) -> Command:
    """The validated command from JSON values, strictly: no true for 1.0, no 0 for a date."""
    try:
        return cls.model_validate_json(json.dumps(dict(fields)), strict=True)
    except ValidationError as e:
        raise InvalidInput(*first_error(e)) from None
    except (TypeError, ValueError) as e:
        raise InvalidInput("line", f"not plain JSON values ({e})") from None


def field_name(key: str) -> str:
    """A field name from an option or import key: kebab-case becomes snake_case."""
    return key.strip().replace("-", "_")


def command_from_line(line: Mapping[str, Any]) -> Command:
    """The command an import line asks for: {"command": name, field: value, ...}."""
    fields = {field_name(key): value for key, value in line.items()}
    cls = command_class(fields.pop("command", None))
    return build_command_from_json(cls, fields)


def reason(error: CourseError) -> str:
    """Why a command was refused, with workflow moves named as the commands that ask for them."""
    if isinstance(error, MoveRefused):
        return error.describe(command_for)
    return str(error)


def refusal_fields(error: CourseError) -> dict[str, object]:
    """A refused move's fields (move, state, why, allowed) in the commands' names; {} for
    any other refusal."""
    if isinstance(error, MoveRefused):
        return error.as_dict(command_for)
    return {}
