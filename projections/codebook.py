"""The export's codebook: a Frictionless (tabular) data package, `datapackage.json`.

Generated from the same column definitions the export writes
(`projections.export_columns`): per file a Table Schema giving every column's
name, type, description, allowed values (`constraints.enum`) and whether it
may be missing (`constraints.required`; a missing value is the empty string in
CSV, null in Parquet). The pull's manifest rides along as the package's
`manifest` property.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from projections.export_columns import Column
from projections.manifest import Manifest

if TYPE_CHECKING:
    from projections.export import ExportTable

PROFILE = "tabular-data-package"
MEDIA_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


def field_schema(column: Column) -> dict[str, Any]:
    """One column as a Table Schema field."""
    field: dict[str, Any] = {
        "name": column.name,
        "type": column.type,
        "description": column.description,
    }
    if column.type == "date":
        field["format"] = "default"  # ISO 8601, YYYY-MM-DD
    constraints: dict[str, Any] = {"required": column.required}
    if column.enum is not None:
        constraints["enum"] = list(column.enum)
    field["constraints"] = constraints
    return field


def table_schema(table: ExportTable) -> dict[str, Any]:
    """A table's Table Schema: its fields, missing values and keys."""
    schema: dict[str, Any] = {
        "fields": [field_schema(column) for column in table.columns],
        "missingValues": [""],
        "primaryKey": list(table.primary_key),
    }
    if table.name != "courses":
        schema["foreignKeys"] = [
            {"fields": ["course"], "reference": {"resource": "courses", "fields": ["course"]}}
        ]
    return schema


def data_package(
    tables: Sequence[ExportTable], manifest: Manifest, file_format: str
) -> dict[str, Any]:
    """The data package describing the export's files, with the pull's manifest."""
    return {
        "profile": PROFILE,
        "name": f"forloeb-{manifest.programme}-{manifest.as_of}",
        "title": f"{manifest.programme}: courses and state spells as of {manifest.as_of}",
        "created": manifest.model_dump(mode="json")["known_at"],
        "resources": [
            {
                "name": table.name,
                "path": f"{table.name}.{file_format}",
                "profile": "tabular-data-resource",
                "format": file_format,
                "mediatype": MEDIA_TYPES[file_format],
                **({"encoding": "utf-8"} if file_format == "csv" else {}),
                "description": table.description,
                "schema": table_schema(table),
            }
            for table in tables
        ],
        "manifest": manifest.model_dump(mode="json", by_alias=True),
    }
