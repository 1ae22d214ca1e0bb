"""Errors become exit codes in one place, each as one line on stderr.

Bad input (InvalidInput, click usage errors) exits 2, a refused command
(CourseError, a refusal by the access policy among them) exits 1, anything
unexpected exits 3 with the trace written to a log file, never to the screen.

Neither the screen nor the log gets personal data: a CPR number in an error
line is masked (DDMMYY-xxxx), and the log keeps the trace's frames and
exception types but not the messages of exceptions that may quote input
(notes and other free text), only those of the storage and the system.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from domain.errors import CourseError, InvalidInput

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


def error_log_path() -> Path:
    """Where unexpected errors are traced: $XDG_STATE_HOME/forloeb/errors.log."""
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home) / "forloeb" / "errors.log"


_CPR = re.compile(r"(?<!\w)(\d{6})-?(\d{4})(?!\w)")
"""A CPR number, with or without its dash, standing on its own."""


def mask_cprs(text: str) -> str:
    """The text with every CPR-shaped number masked: 010190-1234 → 010190-xxxx."""
    return _CPR.sub(lambda match: f"{match.group(1)}-xxxx", text)


SAFE_MESSAGE_MODULES = ("sqlite3", "psycopg", "eventsourcing.persistence", "eventsourcing.sqlite",
                        "eventsourcing.postgres")  # fmt: skip
"""Exceptions from these modules describe the storage, not what was typed."""
SAFE_MESSAGE_TYPES = (OSError, ImportError, MemoryError, RecursionError, NotImplementedError)


WITHHELD = "(message withheld: may quote input)"


def _message_is_safe(error: BaseException) -> bool:
    module = type(error).__module__
    return isinstance(error, SAFE_MESSAGE_TYPES) or module.startswith(SAFE_MESSAGE_MODULES)


def scrubbed_trace(error: BaseException) -> str:
    """The trace of an error and its causes: frames and types; a message only when it
    cannot quote input, and CPR numbers masked even then."""
    import traceback  # only when something went wrong

    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = f"{type(current).__module__}.{type(current).__qualname__}"
        message = str(current) if _message_is_safe(current) else WITHHELD
        frames = "".join(traceback.format_tb(current.__traceback__))
        parts.append(f"Traceback (most recent call last):\n{frames}{name}: {mask_cprs(message)}\n")
        current = current.__cause__ or current.__context__
    return "\nwhich was raised while handling:\n\n".join(parts)


def write_trace(error: BaseException) -> Path:
    """Append the error's scrubbed trace to the log (a temp file if the log is not
    writable, or is a symbolic link); the log is owner-only."""
    import tempfile  # only when something went wrong

    from storage.owner_only import open_log

    entry = (
        f"--- {datetime.now(UTC).isoformat(timespec='seconds')} "
        f"pid {os.getpid()}\n{scrubbed_trace(error)}\n"
    )
    for path in (error_log_path(), Path(tempfile.gettempdir()) / "forloeb-errors.log"):
        try:
            with open_log(path) as log:
                log.write(entry)
            return path
        except OSError:
            continue
    return Path("(nowhere: no writable log location)")


MAX_ERROR_LENGTH = 400
"""An error line quotes input; a hostile input must not make it a screenful."""


def fail(message: str, code: int) -> int:
    """Print one error line on stderr (CPR numbers masked); the exit code to use."""
    line = mask_cprs(" ".join(message.split()))
    if len(line) > MAX_ERROR_LENGTH:
        line = line[: MAX_ERROR_LENGTH - 1] + "…"
    click.echo(f"error: {line}", err=True)
    return code


def _is_validation_error(error: BaseException) -> bool:
    """A pydantic ValidationError, told without importing pydantic for every command."""
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(error, pydantic.ValidationError)


_DAMAGE = ("database disk image is malformed", "file is not a database")
"""What SQLite says of a store file cut short or overwritten (not of a busy or locked one)."""


def damaged_store(error: BaseException) -> str | None:
    """SQLite's word for a damaged store file, if that is what `error` (or what it was
    raised from) is: a truncated or overwritten file is the store's state, not a bug."""
    sqlite3 = sys.modules.get("sqlite3")
    seen: BaseException | None = error
    while sqlite3 is not None and seen is not None:
        if type(seen) is sqlite3.DatabaseError and str(seen) in _DAMAGE:
            return str(seen)
        seen = seen.__cause__ or seen.__context__
    return None


def handle(error: BaseException) -> int:
    """The exit code for an error, after printing its one line."""
    damage = damaged_store(error)
    if damage is not None:
        return fail(
            f"db: the SQLite store is damaged ({damage}): it was cut short or overwritten; "
            "restore it from a backup",
            EXIT_REFUSED,
        )
    if isinstance(error, InvalidInput):
        return fail(str(error), EXIT_BAD_INPUT)
    if isinstance(error, CourseError):
        from cli.vocabulary import reason as refusal_reason

        return fail(refusal_reason(error), EXIT_REFUSED)
    if _is_validation_error(error):
        from domain.validation import first_error

        field, reason = first_error(error)  # type: ignore[arg-type]
        return fail(f"{field}: {reason}", EXIT_BAD_INPUT)
    if isinstance(error, click.ClickException):
        return fail(error.format_message(), error.exit_code)
    if isinstance(error, click.Abort | KeyboardInterrupt):
        return fail("interrupted; nothing more was written", EXIT_INTERRUPTED)
    path = write_trace(error)
    click.echo(f"internal error: {type(error).__name__}; full trace in {path}", err=True)
    return EXIT_INTERNAL
