"""The OpenAPI document is generated from the command models and committed: no drift."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli.main import forloeb
from server.app import print_openapi
from workflows.commands import COMMANDS_BY_NAME

COMMITTED = Path(__file__).parents[2] / "docs" / "openapi.json"


def test_the_committed_document_is_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == print_openapi(), (
        "docs/openapi.json is stale: run `forloeb server --openapi > docs/openapi.json`"
    )


def test_forloeb_server_openapi_prints_it() -> None:
    result = CliRunner().invoke(forloeb, ["server", "--openapi"])

    assert result.exit_code == 0
    assert result.stdout == COMMITTED.read_text(encoding="utf-8")


def test_every_command_model_is_a_body_of_post_commands() -> None:
    document = json.loads(print_openapi())
    body = document["paths"]["/commands"]["post"]["requestBody"]["content"]["application/json"]
    named = {ref["$ref"].rsplit("/", 1)[1] for ref in body["schema"]["oneOf"]}

    assert named == {cls.__name__ for cls in COMMANDS_BY_NAME.values()}
    for name in named:
        assert "properties" in document["components"]["schemas"][name]
