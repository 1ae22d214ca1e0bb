"""The evaluators' export: one pseudonymised row per course, for their own statistics.

A row carries what the outcome tables are computed from — states, months,
form counts, health and WHO-5 at each point, job, education and praktik —
and never the CPR number: the citizen appears only as a pseudonym, a keyed
hash (HMAC-SHA256) of the citizen's subject id (a random id, linked to the CPR
only through the key store, and not at all once the citizen is erased). The
key is FORLOEB_PSEUDONYM_KEY when set, else a random secret kept in the store,
so the same citizen has the same pseudonym in every export from that store
(and across courses), and nobody without the key can link a pseudonym back to
a citizen.

Dates are given as months (YYYY-MM). Files are CSV, or Parquet (pyarrow).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import IO, Any

from projections.outcomes_course import CourseOutcome
from projections.outcomes_tables import CITIZEN, STAFF, last_point
from storage.owner_only import replace_file

KEY_VARIABLE = "FORLOEB_PSEUDONYM_KEY"
"""Environment variable holding the pseudonym key (any text); else the store's own secret."""
PSEUDONYM_LENGTH = 32
"""Hex digits kept of the HMAC (128 bits)."""
FORMATS = ("csv", "parquet")

Column = tuple[str, str, Callable[[CourseOutcome], Any]]
"""A column: name, type (text, int, float, bool) and how a course gives its value."""


def pseudonym(subject: str, key: bytes) -> str:
    """The citizen's pseudonym: HMAC-SHA256 of their subject id under `key`, in hex."""
    return hmac.new(key, subject.encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_LENGTH]


def pseudonym_key(environ: Mapping[str, str], store_secret: Callable[[], bytes]) -> bytes:
    """The key: FORLOEB_PSEUDONYM_KEY if set, else the store's secret."""
    given = environ.get(KEY_VARIABLE, "")
    return given.encode() if given else store_secret()


def month(day: date | None) -> str | None:
    """A date as its month, YYYY-MM."""
    return None if day is None else f"{day:%Y-%m}"


def exit_kind(course: CourseOutcome) -> str:
    """ongoing, exited_planned or exited_unplanned (a course never has no state here)."""
    if course.is_open:
        return "ongoing"
    return course.state.value if course.state is not None else "unknown"


def _job_field(field: str) -> Callable[[CourseOutcome], Any]:
    return lambda c: None if c.first_job is None else getattr(c.first_job, field)


COURSE_COLUMNS: tuple[Column, ...] = (
    ("programme", "text", lambda c: c.programme),
    ("referred_month", "text", lambda c: month(c.referred_on)),
    ("baseline_month", "text", lambda c: month(c.baseline_on)),
    ("state", "text", lambda c: c.state.value if c.state else None),
    ("state_month", "text", lambda c: month(c.state_since)),
    ("status", "text", exit_kind),
    ("exit_after", "text", lambda c: c.exit_after),
    ("exit_reason", "text", lambda c: c.exit_reason),
    ("citizen_forms", "int", lambda c: sum(form == CITIZEN for _, form in c.forms)),
    ("staff_forms", "int", lambda c: sum(form == STAFF for _, form in c.forms)),
    ("ever_praktik", "bool", lambda c: bool(c.praktik_starts)),
    ("praktik_starts", "int", lambda c: len(c.praktik_starts)),
    ("ever_job", "bool", lambda c: bool(c.jobs)),
    ("job_month", "text", lambda c: month(c.first_job.on) if c.first_job else None),
    ("job_after_praktik", "bool", _job_field("after_praktik")),
    ("job_hours", "float", _job_field("hours")),
    ("ever_education", "bool", lambda c: bool(c.education_starts)),
    ("network_meetings_held", "int", lambda c: len(c.meetings_held)),
    ("follow_up", "text", lambda c: c.follow_up),
    ("follow_up_month", "text", lambda c: month(c.follow_up_on)),
)
"""The columns every export has, after the pseudonym."""


def point_columns(point: int) -> tuple[Column, ...]:
    """The columns of one measurement point: health, WHO-5 index, the network answer."""

    def citizen(field: str) -> Callable[[CourseOutcome], Any]:
        def value(c: CourseOutcome) -> Any:
            form = c.form(point, CITIZEN)
            return None if form is None else getattr(form, field)

        return value

    def network(c: CourseOutcome) -> str | None:
        form = c.form(point, STAFF)
        return None if form is None else form.network

    return (
        (f"mental_health_p{point}", "text", citizen("mental")),
        (f"physical_health_p{point}", "text", citizen("physical")),
        (f"who5_index_p{point}", "int", citizen("who5_index")),
        (f"network_answer_p{point}", "text", network),
    )


def columns_for(courses: Sequence[CourseOutcome]) -> tuple[Column, ...]:
    """Every column of an export of these courses (points up to the last one reached)."""
    points = range(1, last_point(courses) + 1)
    return (
        ("pseudonym", "text", lambda c: None),
        *COURSE_COLUMNS,
        *(column for p in points for column in point_columns(p)),
    )


def export_rows(
    courses: Sequence[CourseOutcome], key: bytes
) -> tuple[tuple[Column, ...], list[dict[str, Any]]]:
    """The export's columns and one row per course, the citizen as a pseudonym."""
    columns = columns_for(courses)
    rows = []
    for course in courses:
        row = {name: value(course) for name, _, value in columns}
        row["pseudonym"] = pseudonym(course.subject, key)
        rows.append(row)
    return columns, rows


def file_format(path: Path) -> str:
    """csv or parquet, from the file's suffix."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"out: {path.name} must end in .csv or .parquet")
    return suffix


def write_export(path: Path, columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> None:
    """Write the rows as CSV or Parquet, by the file's suffix, owner-only."""
    if file_format(path) == "csv":
        write_csv(path, columns, rows)
    else:
        write_parquet(path, columns, rows)


def write_csv(path: Path, columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> None:
    """Rows as CSV with a header; empty fields for missing values (an owner-only file)."""

    def write(out: IO[bytes]) -> None:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        writer = csv.DictWriter(text, fieldnames=[name for name, _, _ in columns])
        writer.writeheader()
        writer.writerows(rows)
        text.flush()
        text.detach()

    replace_file(path, write)


def write_parquet(path: Path, columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> None:
    """Rows as a Parquet file with a typed schema (needs pyarrow; an owner-only file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"text": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    schema = pa.schema([(name, types[kind]) for name, kind, _ in columns])
    table = pa.Table.from_pylist(list(rows), schema=schema)
    replace_file(path, lambda out: pq.write_table(table, out))
