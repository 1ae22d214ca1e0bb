"""The `forloeb import FILE.jsonl` command: read, import, summarise, exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.progress import Progress

from cli.context import app_context
from cli.importer import ImportReport, import_lines
from cli.render import emit_json, format_option
from domain.errors import InvalidInput
from workflows.access import IMPORT

SHOWN_REFUSALS = 50


def read_lines(path: str) -> list[str]:
    """The file's lines ("-" reads stdin); InvalidInput when it cannot be read as text."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise InvalidInput("file", f"cannot read {path}: {reason}") from None
    return json_lines(text.removeprefix("\ufeff"))


def json_lines(text: str) -> list[str]:
    """JSONL lines: split on newline only (JSON text may hold U+2028 and friends)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[int], None] | None]:
    """A progress callback drawing a bar when stdout is a terminal, else None."""
    if not sys.stdout.isatty() or total == 0:
        yield None
        return
    with Progress(transient=True) as progress:
        task = progress.add_task("importing", total=total)
        yield lambda done: progress.advance(task, done)


def summary(path: str, report: ImportReport) -> list[str]:
    """The import's outcome for people: counts, then each refused line and why."""
    lines = [
        f"import {path}: {report.lines} lines, {report.applied} applied, "
        f"{report.skipped} skipped (already applied), {len(report.refused)} refused"
    ]
    lines += [f"  line {r.line}: {r.reason}" for r in report.refused[:SHOWN_REFUSALS]]
    hidden = len(report.refused) - SHOWN_REFUSALS
    if hidden > 0:
        lines.append(f"  … and {hidden} more refused lines (--format json lists them all)")
    return lines


@click.command("import")
@click.argument("file", metavar="FILE.jsonl")
@format_option
def import_command(file: str, output_format: str) -> None:
    """Apply a JSONL file of commands, one per line: {"command": "accept", "course": ..., ...}.

    Keys are the commands' option names (snake_case or kebab-case). Each line is
    applied or refused on its own; lines whose command_id was already applied are
    skipped. Exit 1 if any line was refused, 2 if the file is not JSONL at all.
    """
    app = app_context()
    app.require(IMPORT)
    lines = read_lines(file)
    total = sum(1 for line in lines if line.strip())
    with progress_bar(total) as advance:
        report = import_lines(app.service, lines, app.actor, after_batch=advance)
    app.caught_up_views()
    if report.lines and not report.json_lines:
        raise InvalidInput("file", f"{file} is not JSONL: no line is a JSON object")
    if output_format == "json":
        emit_json(report.as_dict())
    else:
        click.echo("\n".join(summary(file, report)))
    if report.refused:
        click.get_current_context().exit(1)
