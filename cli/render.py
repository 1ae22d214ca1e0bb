"""Printing: the --format option, JSON output, rich tables and write confirmations."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import click

if TYPE_CHECKING:  # rich is imported when something is drawn, not on every command
    from pydantic import BaseModel
    from rich.console import Console
    from rich.table import Table

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "json")


def format_option(function: F) -> F:
    """Add `--format table|json` to a command (as the `output_format` argument)."""
    option = click.option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="print a table for people or JSON for programs",
    )
    return option(function)


def format_param() -> click.Option:
    """The --format option as a parameter object, for generated commands."""
    return click.Option(
        ["--format", "output_format"],
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="print a line for people or JSON for programs",
    )


def console() -> Console:
    """A console on the current stdout (test runners swap it), as wide as the terminal:
    COLUMNS, else the terminal's own width (stderr's when stdout is piped), else 80."""
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False)


def _plain(value: Any) -> Any:
    if isinstance(value, UUID | date | datetime):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_json(data: Any) -> str:
    """Data as indented JSON (UUIDs, dates and enums as strings)."""
    return json.dumps(data, default=_plain, ensure_ascii=False, indent=2)


def emit_json(data: Any) -> None:
    """Print data as JSON on stdout."""
    click.echo(to_json(data))


def emit_model(model: BaseModel) -> None:
    """Print a read command's output model as JSON on stdout (cli.read_models)."""
    emit_json(model.model_dump(mode="json"))


LOCAL_ZONE = "Danish time"
"""How the tables for people name the zone their times are in (Europe/Copenhagen)."""


def local_minute(moment: datetime) -> str:
    """A recorded moment to the minute in Danish time, as the tables for people show it
    (JSON has it in UTC, to the microsecond)."""
    from domain.course import LOCAL_TIME

    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M")


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """A rich table of plain cells, never read as markup (None shows as a dash)."""
    from rich.table import Table
    from rich.text import Text

    grid = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(Text("–" if cell is None else str(cell)) for cell in row))
    return grid


def short_id(course_id: UUID | str) -> str:
    """The first 8 characters of a course id (enough to refer to it)."""
    return str(course_id)[:8]
