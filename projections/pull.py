"""A pull as programs read it (`--format json` of `outcomes` and `analysis`): its manifest
and its tables, every cell an object.

A cell is `{"value": …, "suppressed": null}` when published, and
`{"value": null, "suppressed": "small"}` or `"complementary"` when hidden:
*small*, a count under the threshold (shown "<N" to people); *complementary*,
a cell hidden so that no small one can be worked out, or a figure computed
from a hidden count (shown "x"). Every table of every such command has this
one shape; the JSON Schema files in docs/schemas/ are generated from these
models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from projections.manifest import Manifest
from projections.outcomes_report import SECONDARY_MARK

Suppressed = Literal["small", "complementary"]
CellValue = int | float | str | bool | None


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_serialization_defaults_required=True
    )


class PulledCell(_Model):
    """One cell: its value, or null and why it is hidden."""

    value: CellValue = Field(description="the count or figure; null when hidden or empty")
    suppressed: Suppressed | None = Field(
        None,
        description="null: published; small: a count under the threshold; complementary: "
        "hidden so a small count cannot be worked out (or computed from a hidden count)",
    )


class PulledRow(_Model):
    """A labelled row of cells, one per column."""

    label: str
    cells: list[PulledCell]


class PulledTable(_Model):
    """One table: its name (for `--table`), title, column headings and rows."""

    name: str
    title: str
    columns: list[str]
    rows: list[PulledRow]


class Pull(_Model):
    """A pull: the manifest and the tables."""

    manifest: Manifest
    tables: list[PulledTable]


class OutcomesPull(Pull):
    """`forloeb outcomes --format json`: the outcome tables of a programme's cohort."""


class AnalysisPull(Pull):
    """`forloeb analysis time-to-event|paths|trends --format json`: the analysis tables."""


def pulled_cell(shown: CellValue, below: int | None) -> PulledCell:
    """A cell as `Report.shown(below)` gives it ("<N" and "x" mark hidden cells), as JSON."""
    if below is not None and shown == f"<{below}":
        return PulledCell(value=None, suppressed="small")
    if shown == SECONDARY_MARK:
        return PulledCell(value=None, suppressed="complementary")
    return PulledCell(value=shown)


def pulled_tables(shown: Sequence[Mapping[str, Any]], below: int | None) -> list[PulledTable]:
    """The tables `Report.shown(below)` gives, every cell an object."""
    return [
        PulledTable(
            name=table["name"],
            title=table["title"],
            columns=list(table["columns"]),
            rows=[
                PulledRow(
                    label=row["label"], cells=[pulled_cell(cell, below) for cell in row["cells"]]
                )
                for row in table["rows"]
            ],
        )
        for table in shown
    ]


def shown_text(cell: PulledCell, below: int | None) -> CellValue:
    """A cell as people read it: the value, "<N" for a small one, "x" for the others."""
    if cell.suppressed == "small":
        return f"<{below}"
    if cell.suppressed == "complementary":
        return SECONDARY_MARK
    return cell.value
