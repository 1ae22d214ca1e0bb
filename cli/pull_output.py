"""Printing a pull: JSON for programs, CSV one line per cell (the manifest first), or tables
for people under lines saying what they are of."""

from __future__ import annotations

import csv
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cli.pulls import manifest_of
from cli.render import console, emit_json, table

if TYPE_CHECKING:
    from cli.pulls import Pulled
    from projections.manifest import Command, Manifest, OptionValue
    from projections.pull import Pull


def emit_pull(pulled: Pull, output_format: str) -> None:
    """A pull as JSON, as CSV (one line per cell, the manifest first) or as tables."""
    if output_format == "json":
        emit_json(pulled.model_dump(mode="json", by_alias=True))
    elif output_format == "csv":
        write_long_csv(pulled)
    else:
        print_tables(pulled)


def write_long_csv(pulled: Pull) -> None:
    """The manifest (table `manifest`) and every cell as one CSV line each."""
    from projections.manifest import flattened

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["table", "row", "column", "value", "suppressed"])
    for key, value in flattened(pulled.manifest):
        writer.writerow(["manifest", key, "", value, ""])
    for shown in pulled.tables:
        for row in shown.rows:
            for column, cell in zip(shown.columns, row.cells, strict=True):
                suppressed = cell.suppressed or ""
                shown_value = "" if cell.suppressed else cell.value
                writer.writerow([shown.name, row.label.strip(), column, shown_value, suppressed])


def header_lines(manifest: Manifest) -> list[str]:
    """What a pull is of, and what to give to pull it again, for people."""
    from projections.manifest import utc_text

    cohort = manifest.cohort
    period = f"{cohort.first or '…'} to {cohort.last or '…'}"
    below = manifest.suppression.below
    definition = manifest.definition
    code = manifest.code
    return [
        f"{manifest.programme}: cohort by {cohort.by} {period}, as of {manifest.as_of}, "
        f"known at {utc_text(manifest.known_at)}"
        + (f", counts under {below} hidden" if below else ""),
        f"log position {manifest.log_position}; definition "
        + (f"{definition.origin} {definition.sha256[:12]}" if definition else "none")
        + "; configuration "
        + (manifest.configuration_sha256[:12] if manifest.configuration_sha256 else "none")
        + f"; {code.package} {code.version}"
        + (f" {code.commit[:12]}" if code.commit else ""),
    ]


def print_tables(pulled: Pull) -> None:
    """The tables for people, under lines saying what they are of."""
    from projections.pull import shown_text

    below = pulled.manifest.suppression.below
    out = console()
    for line in header_lines(pulled.manifest):
        out.print(line, soft_wrap=True)
    for shown in pulled.tables:
        cells = [[row.label, *(shown_text(c, below) for c in row.cells)] for row in shown.rows]
        out.print(table(shown.title, ["", *shown.columns], cells))


def pulled_output(
    model: type[Pull],
    pulled: Pulled,
    command: Command,
    shown: list[dict[str, Any]],
    suppress_below: int | None,
    options: Mapping[str, OptionValue] | None = None,
) -> Pull:
    """The pull as a model: its manifest and its tables (shown by `Report.shown`)."""
    from projections.pull import pulled_tables

    manifest = manifest_of(pulled, command, suppress_below, options)
    return model(manifest=manifest, tables=pulled_tables(shown, suppress_below))
