"""Evaluators' commands: `outcomes` (the published tables) and `export` (one row per course).

Both read the outcomes view for a programme and a cohort, with two kinds of
time: `--as-of DATE` is the world on that date as we know it now (what had
happened by then); `--known-at TIMESTAMP` is what the system had recorded by
then, so a report can be pulled again exactly as it was, whatever was
back-dated or corrected since.
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from cli.context import app_context
from cli.filters import chosen_programme
from cli.options import DateParam, parse_date
from cli.render import console, emit_json, table
from domain.course import LOCAL_TIME
from domain.errors import InvalidInput
from workflows.access import EXPORT, OUTCOMES
from workflows.commands import today

if TYPE_CHECKING:
    from projections.outcomes import Cohort, CohortBy, OutcomesView
    from projections.outcomes_course import CourseOutcome

F = TypeVar("F", bound=Callable[..., Any])
DATE = DateParam(as_datetime=True)


def parse_known_at(text: str | None) -> datetime | None:
    """A recorded-time limit: an ISO timestamp (Danish time unless a zone is given), or a
    date meaning the end of that day."""
    if text is None:
        return None
    try:
        day = parse_date(text)
    except ValueError:
        day = None
    try:
        moment = datetime.combine(day, time()) if day else datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("known_at", f"{text!r} is not an ISO date or timestamp") from None
    if day is not None:  # a bare date: everything recorded that day
        moment = datetime.combine(day + timedelta(days=1), time()) - timedelta(microseconds=1)
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TIME)


def cohort_options(function: F) -> F:
    """The options choosing a programme's cohort and the two kinds of time."""
    decorators = [
        click.option(
            "--programme", metavar="NAME", help="the programme [the store's one, if only one]"
        ),
        click.option(
            "--cohort-from", type=DATE, metavar="YYYY-MM-DD", help="first day of the cohort period"
        ),
        click.option(
            "--cohort-to", type=DATE, metavar="YYYY-MM-DD", help="last day of the cohort period"
        ),
        click.option(
            "--cohort-by",
            type=click.Choice(["referral", "baseline"]),
            default="referral",
            show_default=True,
            help="the period is of the referral or of the baseline",
        ),
        click.option(
            "--as-of",
            type=DATE,
            metavar="YYYY-MM-DD",
            help="the world on this date (by when things happened) [today]",
        ),
        click.option(
            "--known-at",
            metavar="TIMESTAMP",
            help="only what was recorded by then, ISO (Danish time; a date = end of day) [now]",
        ),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


def read_courses(
    programme: str | None,
    cohort_from: datetime | None,
    cohort_to: datetime | None,
    cohort_by: str,
    as_of: datetime | None,
    known_at: str | None,
) -> tuple[dict[str, Any], list[CourseOutcome], OutcomesView]:
    """The cohort's courses from the caught-up view, and a description of what was asked
    (its programme the one named, or the store's only one)."""
    view, cohort, day, known = asked(programme, cohort_from, cohort_to, cohort_by, as_of, known_at)
    courses = view.courses(cohort, day, known)
    return describe(cohort, day, known), courses, view


def asked(
    programme: str | None,
    cohort_from: datetime | None,
    cohort_to: datetime | None,
    cohort_by: str,
    as_of: datetime | None,
    known_at: str | None,
) -> tuple[OutcomesView, Cohort, date, datetime | None]:
    """The caught-up outcomes view, and the cohort, as-of date and known-at moment asked."""
    from projections.outcomes import Cohort

    by = cast("CohortBy", cohort_by)  # click has checked it is one of the two
    known = parse_known_at(known_at)
    view = cast("OutcomesView", app_context().caught_up_views("outcomes").view("outcomes"))
    chosen = chosen_programme(programme, view.programmes())
    cohort = Cohort(chosen, _day(cohort_from), _day(cohort_to), by)
    return view, cohort, _day(as_of) or today(), known


def check_out_folder(out: Path) -> None:
    """Refuse, as bad input, an output file whose folder does not exist."""
    folder = out.parent
    if not folder.is_dir():
        reason = "is not a folder" if folder.exists() else "does not exist"
        raise InvalidInput("out", f"{out}: the folder {folder} {reason}")


def describe(cohort: Cohort, as_of: date, known_at: datetime | None) -> dict[str, Any]:
    """What a report is of: programme, cohort, and both kinds of time."""
    return {
        "programme": cohort.programme,
        "cohort": {"by": cohort.by, "from": cohort.first, "to": cohort.last},
        "as_of": as_of,
        "known_at": known_at.isoformat() if known_at else "now",
    }


@click.command("outcomes")
@cohort_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="tables for people, CSV (table,row,column,value) or JSON for programs",
)
@click.option(
    "--suppress-below",
    type=click.IntRange(min=3),
    metavar="N",
    help='show counts under N as "<N", and as "x" any cell that would give one away',
)
@click.option(
    "--follow-up-forms",
    is_flag=True,
    help="add a table of the forms taken after exit (follow-up points; never in table 2.1)",
)
@click.option(
    "--table",
    "chosen",
    multiple=True,
    metavar="NAME",
    help="only this table: a VIVE number (4.1, 6.5, …) or a name (status, goals, …); "
    "repeat for more (default: all)",
)
def outcomes_command(
    programme: str | None,
    cohort_from: datetime | None,
    cohort_to: datetime | None,
    cohort_by: str,
    as_of: datetime | None,
    known_at: str | None,
    output_format: str,
    suppress_below: int | None,
    follow_up_forms: bool,
    chosen: tuple[str, ...],
) -> None:
    """The evaluators' outcome tables for a programme's cohort (every VIVE midterm table:
    2.1, 4.1-4.7, 5.1-5.4, 6.1-6.6; goals; follow-up)."""
    from projections.outcomes_tables import table_names

    known = table_names()
    for name in chosen:
        if name not in known:
            raise click.BadParameter(
                f"unknown table {name!r} (known: {', '.join(known)})", param_hint="--table"
            )
    app_context().require(OUTCOMES)
    view, cohort, day, moment = asked(programme, cohort_from, cohort_to, cohort_by, as_of, known_at)
    about = describe(cohort, day, moment)
    report = view.report(cohort, day, moment, follow_up_forms=follow_up_forms)
    tables = report.shown(suppress_below)
    if chosen:
        wanted = {name for choice in chosen for name in known[choice]}
        tables = [shown for shown in tables if shown["name"] in wanted]
    about["suppress_below"] = suppress_below
    if output_format == "json":
        emit_json({**about, "tables": tables})
    elif output_format == "csv":
        write_long_csv(tables)
    else:
        print_tables(about, tables)


def write_long_csv(tables: list[dict[str, Any]]) -> None:
    """Every cell as one CSV line: table, row, column, value."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["table", "row", "column", "value"])
    for shown in tables:
        for row in shown["rows"]:
            for column, value in zip(shown["columns"], row["cells"], strict=True):
                writer.writerow([shown["name"], row["label"].strip(), column, value])


def print_tables(about: dict[str, Any], tables: list[dict[str, Any]]) -> None:
    """The tables for people, under a line saying what they are of."""
    cohort = about["cohort"]
    period = f"{cohort['from'] or '…'} to {cohort['to'] or '…'}"
    out = console()
    out.print(
        f"{about['programme']}: cohort by {cohort['by']} {period}, as of {about['as_of']}, "
        f"known at {about['known_at']}"
        + (f", counts under {about['suppress_below']} hidden" if about["suppress_below"] else "")
    )
    for shown in tables:
        cells = [[row["label"], *row["cells"]] for row in shown["rows"]]
        out.print(table(shown["title"], ["", *shown["columns"]], cells))


@click.command("export")
@cohort_options
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="the file to write: FILE.csv or FILE.parquet",
)
def export_command(
    programme: str | None,
    cohort_from: datetime | None,
    cohort_to: datetime | None,
    cohort_by: str,
    as_of: datetime | None,
    known_at: str | None,
    out: Path,
) -> None:
    """Export one pseudonymised row per course (no CPR numbers) for evaluators' statistics.

    The pseudonym is an HMAC-SHA256 of the citizen's random subject id (never of
    the CPR) under FORLOEB_PSEUDONYM_KEY, or under a secret kept in the store
    when that is not set. The file is readable by its owner only.
    """
    from projections.export import (
        KEY_VARIABLE,
        export_rows,
        file_format,
        pseudonym_key,
        write_export,
    )

    app_context().require(EXPORT)
    try:
        file_format(out)
    except ValueError as e:
        raise InvalidInput("out", str(e).partition(": ")[2]) from None
    check_out_folder(out)
    _, courses, view = read_courses(programme, cohort_from, cohort_to, cohort_by, as_of, known_at)
    columns, rows = export_rows(courses, pseudonym_key(os.environ, view.pseudonym_secret))
    try:
        write_export(out, columns, rows)
    except ImportError:
        raise click.ClickException("writing Parquet needs pyarrow (pip install pyarrow)") from None
    keyed_by = KEY_VARIABLE if os.environ.get(KEY_VARIABLE) else "the store's secret"
    click.echo(f"{len(rows)} courses written to {out} (pseudonyms keyed by {keyed_by})")
