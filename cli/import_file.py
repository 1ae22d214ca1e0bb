"""The `forloeb import FILE.jsonl` command: read, import, summarise, exit code."""

from __future__ import annotations

import io
import itertools
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

import click
from rich.progress import Progress

from cli.context import app_context
from cli.importer import ImportReport, import_lines
from cli.render import emit_model, format_option
from domain.errors import InvalidInput
from workflows.access import IMPORT

SHOWN_REFUSALS = 50
MAX_LINE_CHARACTERS = 1 << 20
"""The longest line read (1 Mi characters): a command's line is a few thousand at most, so
a longer one is not an import file (or it is endless, like /dev/zero)."""


def _cannot_read(path: str, reason: str) -> InvalidInput:
    return InvalidInput("file", f"cannot read {path}: {reason}")


@contextmanager
def opened(path: str) -> Iterator[BinaryIO]:
    """The file to import, opened for reading; only a regular file is read ("-": stdin)."""
    if path == "-":
        yield sys.stdin.buffer
        return
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO must not block
    except OSError as e:
        raise _cannot_read(path, e.strerror or type(e).__name__) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        kind = "a folder" if os.path.isdir(path) else "a device, pipe or socket"
        raise _cannot_read(path, f"not a regular file ({kind})")
    with os.fdopen(fd, "rb") as stream:
        yield stream


def checked_lines(stream: BinaryIO, path: str) -> Iterator[str]:
    """The stream's lines, one at a time: UTF-8 (a byte-order mark dropped), split at CR,
    LF or CR LF only (JSON text may hold U+2028 and friends), each at most
    MAX_LINE_CHARACTERS long."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline=None)
    try:
        for number in itertools.count(1):
            line = text.readline(MAX_LINE_CHARACTERS + 1)
            if not line:
                return
            line = line.removesuffix("\n")
            if len(line) > MAX_LINE_CHARACTERS:
                raise _cannot_read(
                    path, f"line {number} is longer than {MAX_LINE_CHARACTERS} characters"
                )
            try:
                line.encode("utf-8")  # bytes that were not UTF-8 are lone surrogates now
            except UnicodeEncodeError:
                raise _cannot_read(path, f"line {number} is not UTF-8 text") from None
            yield line
    finally:
        text.detach()


@contextmanager
def import_file(path: str) -> Iterator[tuple[Iterator[str], int]]:
    """The file's lines and how many are not blank, after one pass that checks every line,
    so a file refused whole has had nothing applied. Stdin is kept in a private temporary
    file for the second pass."""
    with opened(path) as stream, tempfile.TemporaryFile() as copy:
        spool = stream is sys.stdin.buffer
        total = 0
        for line in checked_lines(stream, path):
            total += bool(line.strip())
            if spool:
                copy.write(line.encode("utf-8") + b"\n")
        source: BinaryIO = copy if spool else stream
        source.seek(0)
        yield checked_lines(source, path), total


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
    if file != "-":  # the remote client sends a file's lines as `import -`
        app.refuse_server_file("file", file)
    with import_file(file) as (lines, total), progress_bar(total) as advance:
        report = import_lines(app.service, lines, app.recorded_by, after_batch=advance)
    app.caught_up_after_write()
    if report.lines and not report.json_lines:
        raise InvalidInput("file", f"{file} is not JSONL: no line is a JSON object")
    if output_format == "json":
        emit_model(report.reply())
    else:
        click.echo("\n".join(summary(file, report)))
    if report.refused:
        click.get_current_context().exit(1)
