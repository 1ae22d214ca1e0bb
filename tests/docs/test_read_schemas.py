"""Each read command's JSON Schema is committed in docs/schemas, generated from its model
(`cli.read_models`), and the OpenAPI document holds the same models: no drift."""

from __future__ import annotations

import json
from pathlib import Path

from cli.read_models import READ_MODELS
from cli.read_models.schemas import schema_files
from server.app import print_openapi

SCHEMAS = Path(__file__).parents[2] / "docs" / "schemas"
STALE = "docs/schemas is stale: run `.venv/bin/python -m cli.read_models docs/schemas`"


def test_the_committed_schemas_are_the_generated_ones() -> None:
    generated = schema_files()
    committed = {path.name: path.read_text(encoding="utf-8") for path in SCHEMAS.glob("*.json")}

    assert set(committed) >= set(generated), STALE
    for name, text in generated.items():
        assert committed[name] == text, f"{name}: {STALE}"


def test_every_read_model_is_a_component_of_the_openapi_document() -> None:
    components = json.loads(print_openapi())["components"]["schemas"]

    for command, model in READ_MODELS.items():
        schema = json.loads((SCHEMAS / f"{command}.json").read_text(encoding="utf-8"))
        component = components[model.__name__]
        assert sorted(component["properties"]) == sorted(schema["properties"]), command
        assert component["additionalProperties"] is False


def test_the_typed_reads_answer_with_the_read_models() -> None:
    paths = json.loads(print_openapi())["paths"]
    typed = {
        "/courses": "CourseList", "/courses/{ref}": "CourseReport", "/caseload": "CaseloadReport",
        "/due": "DueReport", "/audit/{cpr}": "AuditReport", "/workflow": "Workflow",
        "/programmes": "ProgrammeList", "/programmes/{name}": "ProgrammeReport",
        "/projections/status": "ProjectionsStatus", "/users": "UserList", "/tokens": "TokenList",
    }  # fmt: skip

    for path, model in typed.items():
        answer = paths[path]["get"]["responses"]["200"]["content"]["application/json"]
        assert answer["schema"] == {"$ref": f"#/components/schemas/{model}"}, path
