"""`forloeb export`: pseudonymised courses and state spells, with a codebook, for evaluators."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import click

from cli.context import app_context
from cli.pulls import cohort_options, manifest_of, pull
from domain.errors import InvalidInput
from workflows.access import EXPORT


@click.command("export")
@cohort_options
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    metavar="FOLDER",
    help="the folder to write into (made if missing; its parent must exist): "
    "courses.csv and spells.csv (or .parquet) and the codebook datapackage.json",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="the tables' file format (Parquet needs pyarrow)",
)
def export_command(
    programme: str | None,
    cohort_from: datetime | None,
    cohort_to: datetime | None,
    cohort_by: str,
    as_of: datetime | None,
    known_at: str | None,
    out: Path,
    file_format: str,
) -> None:
    """Export pseudonymised courses and state spells (no CPR numbers), with a codebook, for
    evaluators' statistics.

    Writes into the folder FOLDER: courses.csv, one row per course (dates to
    the day, the censoring date: the as-of date); spells.csv, one row per stay
    of a course in a state (from, to, how it ended); and datapackage.json, a
    Frictionless data package: every column's type, meaning and allowed
    values, and the pull's manifest (also in each Parquet file's metadata).

    The pseudonym is an HMAC-SHA256 of the citizen's random subject id (never of
    the CPR) under FORLOEB_PSEUDONYM_KEY, or under a secret kept in the store
    when that is not set. The files are readable by their owner only.
    """
    from cli.programmes_cmd import catalogue
    from projections.export import (
        KEY_VARIABLE,
        check_folder,
        export_tables,
        pseudonym_key,
        write_export,
    )

    app_context().require(EXPORT)
    try:
        check_folder(out)
    except ValueError as e:
        raise InvalidInput("out", str(e).partition(": ")[2]) from None
    if file_format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise click.ClickException(
                "writing Parquet needs pyarrow (pip install 'forloeb[parquet]')"
            ) from None
    pulled = pull(programme, cohort_from, cohort_to, cohort_by, as_of, known_at)
    key = pseudonym_key(os.environ, pulled.view.pseudonym_secret)
    definition = catalogue().get(pulled.cohort.programme)
    outcomes = definition.outcomes if definition else None
    tables = export_tables(pulled.courses, key, pulled.as_of, outcomes)
    manifest = manifest_of(pulled, "export", None, {"format": file_format})
    written = write_export(out, tables, manifest, file_format)
    keyed_by = KEY_VARIABLE if os.environ.get(KEY_VARIABLE) else "the store's secret"
    courses, spells = (len(table.rows) for table in tables)
    click.echo(
        f"{courses} courses and {spells} spells written to {out}: "
        + ", ".join(path.name for path in written)
        + f" (pseudonyms keyed by {keyed_by})"
    )
