"""The evaluators' export: pseudonymised courses and their state spells, for their own statistics.

An export is a folder of two tables and a codebook: `courses` (one row per
course: dates to the day, outcomes, forms, the censoring date) and `spells`
(one row per stay of a course in a state: from, to, how it ended), as CSV or
Parquet, and `datapackage.json`, a Frictionless data package describing every
column (`projections.codebook`) and holding the pull's manifest. A Parquet file
carries the manifest in its own key-value metadata too (`forloeb.manifest`).

The citizen appears only as a pseudonym, a keyed hash (HMAC-SHA256) of the
citizen's subject id (a random id, linked to the CPR only through the key
store, and not at all once the citizen is erased); the course likewise, by a
keyed hash of its id. The key is FORLOEB_PSEUDONYM_KEY when set, else a random
secret kept in the store, so the same citizen has the same pseudonym in every
export from that store, and nobody without the key can link a pseudonym back.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from domain.programme import Outcomes
from projections.export_columns import Column, columns_for, spell_columns
from projections.manifest import Manifest
from projections.outcomes_course import CourseOutcome
from projections.spells import spells
from storage.owner_only import make_folders, replace_file

KEY_VARIABLE = "FORLOEB_PSEUDONYM_KEY"
"""Environment variable holding the pseudonym key (any text); else the store's own secret."""
PSEUDONYM_LENGTH = 32
"""Hex digits kept of the HMAC (128 bits)."""
FORMATS = ("csv", "parquet")
PACKAGE_FILE = "datapackage.json"
MANIFEST_KEY = b"forloeb.manifest"
"""The Parquet key-value metadata key holding the manifest (JSON)."""


def pseudonym(subject: str, key: bytes) -> str:
    """A pseudonym: HMAC-SHA256 of a random id (a citizen's subject id, a course id) under
    `key`, in hex."""
    return hmac.new(key, subject.encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_LENGTH]


def pseudonym_key(environ: Mapping[str, str], store_secret: Callable[[], bytes]) -> bytes:
    """The key: FORLOEB_PSEUDONYM_KEY if set, else the store's secret."""
    given = environ.get(KEY_VARIABLE, "")
    return given.encode() if given else store_secret()


@dataclass(frozen=True)
class ExportTable:
    """One table of an export: its name, columns and rows."""

    name: str
    description: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    primary_key: tuple[str, ...]


def course_table(
    courses: Sequence[CourseOutcome],
    key: bytes,
    censored_on: date,
    outcomes: Outcomes | None = None,
) -> ExportTable:
    """One row per course, the citizen and the course as pseudonyms (`outcomes`: what the
    programme adds to the backbone's exits)."""
    columns = columns_for(courses, censored_on, outcomes)
    rows = []
    for course in courses:
        row = {column.name: column.value(course) for column in columns}
        row["pseudonym"] = pseudonym(course.subject, key)
        row["course"] = pseudonym(course.course_id, key)
        rows.append(row)
    return ExportTable(
        "courses", "one row per course, as of the censoring date", columns, rows, ("course",)
    )


def spell_table(courses: Sequence[CourseOutcome], key: bytes, censored_on: date) -> ExportTable:
    """One row per stay of a course in a state, in date order per course."""
    columns = spell_columns(censored_on)
    rows = []
    for course in courses:
        found = spells(course)
        for number, spell in enumerate(found, start=1):
            row = {column.name: column.value(spell) for column in columns}
            row["pseudonym"] = pseudonym(course.subject, key)
            row["course"] = pseudonym(course.course_id, key)
            row["spell"] = number
            row["next_state"] = found[number].state.value if number < len(found) else None
            rows.append(row)
    return ExportTable(
        "spells",
        "one row per stay of a course in a state (a state spell), as of the censoring date",
        columns,
        rows,
        ("course", "spell"),
    )


def export_tables(
    courses: Sequence[CourseOutcome],
    key: bytes,
    censored_on: date,
    outcomes: Outcomes | None = None,
) -> list[ExportTable]:
    """The export's tables: courses and spells (`outcomes`: what the programme adds to the
    backbone's exits, allowed values of the codebook)."""
    return [
        course_table(courses, key, censored_on, outcomes),
        spell_table(courses, key, censored_on),
    ]


def check_folder(out: Path) -> None:
    """Refuse an `--out` that is a file, or names a file by its suffix (ValueError)."""
    if out.suffix.lower().lstrip(".") in FORMATS:
        raise ValueError(
            f"out: {out.name} names a file; give a folder (the export writes several files)"
        )
    if out.exists() and not out.is_dir():
        raise ValueError(f"out: {out} is a file, not a folder")
    if not out.parent.is_dir():
        reason = "is not a folder" if out.parent.exists() else "does not exist"
        raise ValueError(f"out: {out}: the folder {out.parent} {reason}")


def write_export(
    folder: Path, tables: Sequence[ExportTable], manifest: Manifest, file_format: str
) -> list[Path]:
    """Write each table (CSV or Parquet) and the data package into `folder` (made owner-only
    if missing); the files written."""
    from projections.codebook import data_package

    if file_format not in FORMATS:
        raise ValueError(f"format: {file_format} is not one of {', '.join(FORMATS)}")
    make_folders(folder)
    written = []
    for table in tables:
        path = folder / f"{table.name}.{file_format}"
        if file_format == "csv":
            write_csv(path, table)
        else:
            write_parquet(path, table, manifest)
        written.append(path)
    package = data_package(tables, manifest, file_format)
    path = folder / PACKAGE_FILE
    text = json.dumps(package, ensure_ascii=False, indent=2) + "\n"
    replace_file(path, lambda out: out.write(text.encode("utf-8")))
    return [*written, path]


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write_csv(path: Path, table: ExportTable) -> None:
    """Rows as CSV with a header; empty fields for missing values (an owner-only file)."""

    def write(out: IO[bytes]) -> None:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\n")
        names = [column.name for column in table.columns]
        writer.writerow(names)
        for row in table.rows:
            writer.writerow([_csv_value(row[name]) for name in names])
        text.flush()
        text.detach()

    replace_file(path, write)


def write_parquet(path: Path, table: ExportTable, manifest: Manifest) -> None:
    """Rows as a Parquet file with a typed schema, each field's description and the
    manifest in its metadata (needs pyarrow; an owner-only file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {
        "string": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
    }
    fields = [
        pa.field(c.name, types[c.type], nullable=not c.required,
                 metadata={b"description": c.description.encode()})
        for c in table.columns
    ]  # fmt: skip
    manifest_json = manifest.model_dump_json(by_alias=True).encode()
    schema = pa.schema(fields, metadata={MANIFEST_KEY: manifest_json})
    arrow = pa.Table.from_pylist(list(table.rows), schema=schema)
    replace_file(path, lambda out: pq.write_table(arrow, out))
