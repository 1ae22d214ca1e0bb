"""The JSON Schema files of the pulls (`outcomes`, `analysis`, `outcomes diff` with
`--format json`) are generated from the pydantic models the commands print.

When a model changes on purpose, regenerate the files:

    FORLOEB_SCHEMA_UPDATE=1 .venv/bin/python -m pytest tests/docs/test_pull_schemas.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import BaseModel

from projections.pull import AnalysisPull, OutcomesPull
from projections.pull_diff import PullDiff

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
FILES: dict[str, type[BaseModel]] = {
    "outcomes.json": OutcomesPull,
    "analysis.json": AnalysisPull,
    "outcomes-diff.json": PullDiff,
}


def schema_text(model: type[BaseModel]) -> str:
    """The model's JSON Schema (of what the command prints), as the file holds it."""
    schema = model.model_json_schema(mode="serialization", by_alias=True)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize("name", sorted(FILES))
def test_the_schema_file_is_generated_from_the_model(name: str) -> None:
    path = SCHEMAS / name
    expected = schema_text(FILES[name])
    if os.environ.get("FORLOEB_SCHEMA_UPDATE"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(expected, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == expected, f"regenerate {name} (see module text)"


def test_a_cell_is_a_value_or_null_with_why() -> None:
    schema = json.loads((SCHEMAS / "outcomes.json").read_text(encoding="utf-8"))
    cell = schema["$defs"]["PulledCell"]

    assert cell["required"] == ["value", "suppressed"]
    flags = cell["properties"]["suppressed"]["anyOf"]
    assert {"enum": ["small", "complementary"], "type": "string"} in flags
    assert {"type": "null"} in flags
    assert schema["$defs"]["Manifest"]["properties"]["known_at"]["type"] == "string"
