"""The write replies' JSON Schemas (`cli.read_models.write_reply`) are committed in
docs/schemas beside the reads', and the OpenAPI document holds the same models: POST
/commands answers with WriteReply."""

from __future__ import annotations

import json
from pathlib import Path

from cli.read_models.write_reply import WRITE_MODELS
from server.app import print_openapi

SCHEMAS = Path(__file__).parents[2] / "docs" / "schemas"


def test_every_write_model_is_a_committed_schema_and_an_openapi_component() -> None:
    components = json.loads(print_openapi())["components"]["schemas"]

    for name, model in WRITE_MODELS.items():
        schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
        component = components[model.__name__]
        assert sorted(component["properties"]) == sorted(schema["properties"]), name
        assert component["additionalProperties"] is False


def test_post_commands_answers_with_the_write_reply() -> None:
    post = json.loads(print_openapi())["paths"]["/commands"]["post"]

    answer = post["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/WriteReply"}
