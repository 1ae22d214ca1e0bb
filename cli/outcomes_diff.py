"""`forloeb outcomes diff BEFORE [AFTER]`: what changed between two pulls, and which events
in the log changed it."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.context import app_context
from cli.remote import PULL_LIMIT
from cli.render import console, emit_json, table
from domain.errors import InvalidInput
from workflows.access import ANALYSIS, OUTCOMES, REPORT_CASELOAD

if TYPE_CHECKING:
    from cli.pulls import Pulled
    from projections.manifest import Manifest
    from projections.outcomes_course import CourseOutcome
    from projections.pull import Pull, PulledCell, PulledTable
    from projections.pull_diff import PullDiff


STDIN = Path("-")
"""A pull given as `-` is read from standard input (one JSON document after another)."""


class StdinPulls:
    """The JSON documents on standard input, taken one at a time by the pulls given as `-`
    (how the remote client sends saved pulls of its own machine to the server)."""

    def __init__(self) -> None:
        self._text: str | None = None
        self._at = 0

    def next(self, field: str) -> Any:
        """The next document, or InvalidInput naming `field`."""
        if self._text is None:
            self._text = sys.stdin.read(2 * PULL_LIMIT + 1)
            if len(self._text) > 2 * PULL_LIMIT:
                raise InvalidInput(field, f"-: is longer than {2 * PULL_LIMIT:,} characters")
        text = self._text
        while self._at < len(text) and text[self._at].isspace():
            self._at += 1
        if self._at == len(text):
            raise InvalidInput(field, "-: standard input holds no (further) pull")
        try:
            document, self._at = json.JSONDecoder().raw_decode(text, self._at)
        except json.JSONDecodeError as error:
            raise InvalidInput(field, f"-: not a JSON pull ({error})") from None
        return document


def load_pull(field: str, path: Path, stdin: StdinPulls | None = None) -> Pull:
    """A saved `--format json` pull, or InvalidInput naming the file and what is wrong;
    `-` takes the next pull on standard input. On the shared server only `-` is read."""
    from storage.text_files import read_text_file

    if path == STDIN:
        return validated(field, path, (stdin or StdinPulls()).next(field))
    app_context().refuse_server_file(field, path)
    try:
        data = json.loads(read_text_file(path, PULL_LIMIT))
    except OSError as error:
        raise InvalidInput(field, f"{path}: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(field, f"{path}: not a JSON pull ({error})") from None
    except ValueError as error:  # not a regular file, or too long
        raise InvalidInput(field, f"{path} {error}") from None
    return validated(field, path, data)


def validated(field: str, path: Path, data: Any) -> Pull:
    """The document as a pull, or InvalidInput naming the first thing wrong."""
    from pydantic import ValidationError

    from projections.pull import Pull

    try:
        return Pull.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(file)"
        raise InvalidInput(field, f"{path}: {where}: {first['msg']}") from None


def require_reading(manifest_command: str) -> None:
    """Refuse unless the user may read the tables of this command."""
    app_context().require(OUTCOMES if manifest_command == "outcomes" else ANALYSIS)


def tables_of(manifest: Manifest) -> Callable[[Pulled, int | None], list[dict[str, Any]]]:
    """How the manifest's command makes its tables from a pull, with its options."""
    from cli.analysis import TABLES
    from cli.outcomes import outcome_tables

    if manifest.command == "outcomes":
        return lambda pulled, below: outcome_tables(pulled, manifest.options, below)
    if manifest.command in TABLES:
        build = TABLES[manifest.command]
        return lambda pulled, below: build(pulled, manifest.options, below)
    raise InvalidInput("before", f"a pull of `{manifest.command}` has no tables to compare")


def repeat(before: Pull, pulled: Pulled) -> Pull:
    """The same pull as `before` (command, options, suppression) over `pulled`."""
    from cli.pull_output import pulled_output
    from projections.pull import AnalysisPull, OutcomesPull

    manifest = before.manifest
    below = manifest.suppression.below
    model = OutcomesPull if manifest.command == "outcomes" else AnalysisPull
    tables = tables_of(manifest)(pulled, below)
    return pulled_output(model, pulled, manifest.command, tables, below, manifest.options)


def same_cohort(before: Pull, after: Pull) -> None:
    """Refuse to compare pulls of different programmes, cohorts or commands."""
    old, new = before.manifest, after.manifest
    for name in ("command", "programme", "cohort"):
        if getattr(old, name) != getattr(new, name):
            raise InvalidInput("after", f"a pull of another {name} than the one before")


def compare(before: Pull, after: Pull) -> PullDiff:
    """The changed cells, and the events between the two log positions that changed them."""
    from cli.pulls import pull_again
    from projections.export import pseudonym, pseudonym_key
    from projections.pull import pulled_tables
    from projections.pull_diff import (
        PullDiff,
        attribute,
        changed_cells,
        changed_courses,
        changing_events,
    )
    from projections.pull_log import logged_events

    old, new = before.manifest, after.manifest
    then, now = pull_again(old, old.known_at), pull_again(new, new.known_at)
    changed = changed_courses(then.courses, now.courses)
    key = pseudonym_key(os.environ, then.view.pseudonym_secret)
    build = tables_of(old)

    def unsuppressed(courses: Sequence[CourseOutcome]) -> list[PulledTable]:
        return pulled_tables(build(replace(then, given=list(courses)), None), None)

    moved = attribute(unsuppressed, then.courses, changed)
    courses = {cell: [pseudonym(c, key) for c in ids] for cell, ids in moved.items()}
    named = app_context().may(REPORT_CASELOAD)
    low, high = sorted((old.log_position, new.log_position))
    events = changing_events(
        logged_events(app_context().views, low, high),
        changed,
        [*then.courses, *now.courses],
        (old.as_of, new.as_of),
        course_name=lambda course_id: pseudonym(course_id, key),
        actor_name=lambda actor: actor if named else None,
    )
    cells = changed_cells(before, after, courses)
    return PullDiff(before=old, after=new, cells=cells, events=list(events))


def _cell_text(cell: PulledCell | None, below: int | None) -> Any:
    from projections.pull import shown_text

    return "(none)" if cell is None else shown_text(cell, below)


def print_diff(diff: PullDiff) -> None:
    """The changed cells and the events, for people."""
    from projections.manifest import utc_text

    out = console()
    old, new = diff.before, diff.after
    out.print(
        f"{old.programme}: log position {old.log_position} → {new.log_position}, "
        f"known at {utc_text(old.known_at)} → {utc_text(new.known_at)}, "
        f"as of {old.as_of}" + (f" → {new.as_of}" if new.as_of != old.as_of else ""),
        soft_wrap=True,
    )
    if not diff.cells:
        out.print("no cell changed")
    else:
        below = (old.suppression.below, new.suppression.below)
        rows = [
            [
                c.table,
                c.row,
                c.column,
                _cell_text(c.before, below[0]),
                _cell_text(c.after, below[1]),
                " ".join(course[:8] for course in c.courses),
            ]
            for c in diff.cells
        ]
        out.print(
            table(
                f"{len(rows)} cells changed",
                ["table", "row", "column", "before", "after", "courses"],
                rows,
            )
        )
    if diff.events:
        rows = [
            [
                e.position,
                e.course[:8],
                e.event,
                e.why,
                e.occurred_on,
                f"{e.recorded_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z",
                e.actor,
            ]
            for e in diff.events
        ]
        columns = ["#", "course", "event", "why", "occurred", "recorded", "actor"]
        title = "events recorded between the pulls that changed the cohort's facts"
        out.print(table(title, columns, rows))
    elif diff.cells:
        out.print("no event recorded between the pulls explains the change")


@click.command("diff")
@click.argument("before", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("after", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="tables for people or JSON for programs",
)
def diff_command(before: Path, after: Path | None, output_format: str) -> None:
    """Compare two saved JSON pulls (`outcomes` or `analysis … --format json`), or a saved
    pull with the same pull now (same as-of date, known at now).

    A pull given as `-` is read from standard input (both: one after the other).

    Names each cell that changed (table, row, column, before → after) and the
    events recorded between the two pulls' log positions that changed them:
    back-dated entries, corrections and retractions, erasures (course
    pseudonym, event, why, occurred, recorded, actor).
    """
    stdin = StdinPulls()
    earlier = load_pull("before", before, stdin)
    require_reading(earlier.manifest.command)
    if after is not None:
        later = load_pull("after", after, stdin)
        same_cohort(earlier, later)
    else:
        from cli.pulls import pull_again

        later = repeat(earlier, pull_again(earlier.manifest, None))
    diff = compare(earlier, later)
    if output_format == "json":
        emit_json(diff.model_dump(mode="json", by_alias=True))
    else:
        print_diff(diff)
