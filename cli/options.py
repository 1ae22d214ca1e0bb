"""Click options generated from a command model's fields.

Each field becomes a `--kebab-case` option: closed vocabularies (enums,
Literals) become choices, bools become flags, lists take comma lists and dicts
take `key=value` pairs. Options are never required at click level: pydantic
checks the assembled fields, so a missing field reads like every other error.
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin
from uuid import UUID

import click
from pydantic.fields import FieldInfo

from domain.errors import InvalidInput

COMMON_FIELDS = ("occurred_on", "actor", "command_id")
"""Fields every command has; listed after the command's own options."""

OPTION_NAMES = {"changes": "set"}
"""Fields whose option reads better under another name (`correct --set path=value`)."""

OFF_FLAGS = {"planned": "unplanned"}
"""Boolean fields whose negative flag has its own word (`exit --unplanned`)."""

PAIRS_HELP = "repeatable or comma-separated; values are read as JSON when they parse"

_PAIR_SEPARATOR = re.compile(r",(?=\s*[\w.]+=)")
_METAVARS: dict[Any, str] = {date: "YYYY-MM-DD", int: "INTEGER", float: "NUMBER", UUID: "UUID"}


_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_DAY_FIRST = re.compile(r"([0-9]{1,2})([-.])([0-9]{1,2})\2([0-9]{4})")
_SHORT_YEAR = re.compile(r"[0-9]{1,2}([-.])[0-9]{1,2}\1[0-9]{2}")
DATE_FORMATS = "YYYY-MM-DD, DD-MM-YYYY or DD.MM.YYYY"


def parse_date(text: str) -> date:
    """A date written YYYY-MM-DD, DD-MM-YYYY or DD.MM.YYYY (day first, the Danish way);
    ValueError, with the reason, for anything else."""
    text = text.strip()
    if iso := _ISO_DATE.fullmatch(text):
        year, month, day = iso.groups()
    elif day_first := _DAY_FIRST.fullmatch(text):
        day, _, month, year = day_first.groups()
    elif _SHORT_YEAR.fullmatch(text):
        raise ValueError(f"{text!r} is ambiguous: write the year with four digits")
    else:
        raise ValueError(f"{text!r} is not a date ({DATE_FORMATS})")
    try:
        return date(int(year), int(month), int(day))
    except ValueError as e:
        raise ValueError(f"{text!r} is not a date: {e}") from None


class DateParam(click.ParamType[Any, Any]):
    """A click type for dates in any of the accepted ways (`parse_date`); a bad one is
    InvalidInput naming the field (exit 2, one line). `as_datetime` gives midnight that day."""

    name = "date"

    def __init__(self, *, as_datetime: bool = False) -> None:
        self.as_datetime = as_datetime

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, date):
            day = value.date() if isinstance(value, datetime) else value
        else:
            try:
                day = parse_date(str(value))
            except ValueError as e:
                raise InvalidInput(param.name if param and param.name else "date", str(e)) from None
        return datetime.combine(day, datetime.min.time()) if self.as_datetime else day


DATE = DateParam()


@dataclass(frozen=True)
class FieldOption:
    """A generated click option and how its value becomes the field's input."""

    field: str
    option: click.Option
    convert: Callable[[Any], Any]

    def given(self, value: Any) -> bool:
        """Whether the user gave the option (unset options are left to the model's default)."""
        return value is not None and value != ()


def _unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _literal_choices(annotation: Any) -> dict[str, Any] | None:
    annotation = _unwrap_optional(annotation)
    if get_origin(annotation) is Literal:
        return {str(value): value for value in get_args(annotation)}
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return {str(member.value): member.value for member in annotation}
    return None


def parse_list(text: str, field: str = "value") -> list[str]:
    """A comma list: "3, 2,1" → ["3", "2", "1"]; blank text is no items, and a blank item
    among others is refused (",,," names nobody; "1,,2" has lost an answer)."""
    if not text.strip():
        return []
    items = [item.strip() for item in text.split(",")]
    if "" in items:
        raise InvalidInput(field, f"item {items.index('') + 1} of {len(items)} is empty")
    return items


def parse_value(text: str, field: str = "value") -> Any:
    """A pair's value: JSON when it parses (4, true, null, "x"), else the text itself."""
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidInput(field, "a value is nested too deeply") from None
    except ValueError:
        return text


def parse_pairs(field: str, occurrences: tuple[str, ...]) -> dict[str, Any]:
    """`key=value` pairs from repeated options; one option may hold several, comma-separated."""
    pairs: dict[str, Any] = {}
    for occurrence in occurrences:
        for pair in _PAIR_SEPARATOR.split(occurrence):
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise InvalidInput(field, f"{_quoted_path(pair)} is not key=value")
            if key.strip() in pairs:
                raise InvalidInput(field, f"{key.strip()} is given twice")
            pairs[key.strip()] = parse_value(value.strip(), field)
    return pairs


_FIELD_PATH = re.compile(r"^[\w.]{1,40}$")


def _quoted_path(item: str) -> str:
    """An item quoted in an error only if it looks like a field path (never free text)."""
    return repr(item) if _FIELD_PATH.match(item.strip()) else "an item"


def _help(info: FieldInfo) -> str:
    text = info.description or ""
    if info.is_required():
        return f"{text} [required]".strip()
    default = info.default
    if isinstance(default, Enum):
        default = default.value
    if default not in (None, "", False, True) and info.default_factory is None:
        text = f"{text} [default: {default}]".strip()
    return text


def field_option(name: str, info: FieldInfo) -> FieldOption:
    """The click option for one model field."""
    option_word = OPTION_NAMES.get(name, name).replace("_", "-")
    help_text = _help(info)
    annotation = _unwrap_optional(info.annotation)
    origin = get_origin(annotation)
    if annotation is bool:
        return _flag(name, option_word, info, help_text)
    choices = _literal_choices(annotation)
    if choices is not None:
        option = click.Option(
            [f"--{option_word}", name], type=click.Choice(list(choices)), help=help_text
        )
        return FieldOption(name, option, choices.__getitem__)
    if origin is list:
        option = click.Option([f"--{option_word}", name], metavar="A,B,...", help=help_text)
        return FieldOption(name, option, lambda text: parse_list(text, name))
    if origin is dict:
        help_text = f"{help_text} ({PAIRS_HELP})"
        option = click.Option(
            [f"--{option_word}", name], metavar="KEY=VALUE", multiple=True, help=help_text
        )
        return FieldOption(name, option, lambda pairs: parse_pairs(name, pairs))
    metavar = _METAVARS.get(annotation, "TEXT")
    kind = DATE if annotation is date else None
    option = click.Option([f"--{option_word}", name], type=kind, metavar=metavar, help=help_text)
    return FieldOption(name, option, lambda value: value)


def _flag(name: str, word: str, info: FieldInfo, help_text: str) -> FieldOption:
    if info.default is False:
        option = click.Option([f"--{word}", name], is_flag=True, default=None, help=help_text)
    else:
        declaration = f"--{word}/--{OFF_FLAGS.get(name, 'not-' + word)}"
        option = click.Option([declaration, name], default=None, help=help_text)
    return FieldOption(name, option, bool)


def command_options(fields: dict[str, FieldInfo], skip: set[str]) -> list[FieldOption]:
    """Options for a model's fields: its own fields first, then the common ones."""
    own = [name for name in fields if name not in COMMON_FIELDS and name not in skip]
    common = [name for name in COMMON_FIELDS if name in fields]
    return [field_option(name, fields[name]) for name in [*own, *common]]
