"""The server's typed reads answer what the CLI's `--format json` prints, checked by the
same model (`cli.read_models`, the endpoint's response_model).

Given a server with one course, when a client GETs each typed read, then it gets 200 and
the very object `forloeb … --format json` prints through the server, valid for its model.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from cli.bootstrap import create_schema
from cli.config import UserEntry, create_config
from cli.read_models import READ_MODELS
from cli.remote import run_remote
from storage.store import StoreConfig
from tests.server.live import LiveServer, live_server
from workflows.access import Role

CPR = "010190-1234"
TYPED: dict[str, tuple[str, tuple[str, ...]]] = {
    "/courses": ("courses", ("courses",)),
    "/courses/{course}": ("show", ("show", "{course}")),
    "/caseload": ("caseload", ("caseload",)),
    "/due": ("due", ("due",)),
    f"/audit/{CPR}?purpose=" + quote("schema check"): (
        "audit", ("audit", CPR, "--purpose", "schema check"),
    ),
    "/workflow?programme=oph": ("workflow", ("workflow", "--programme", "oph")),
    "/programmes": ("programmes-list", ("programmes", "list")),
    "/programmes/oph": ("programmes-show", ("programmes", "show", "oph")),
    "/projections/status": ("projections-status", ("projections", "status")),
    "/users": ("users-list", ("users", "list")),
    "/tokens": ("tokens-list", ("tokens", "list")),
}  # fmt: skip
"""Each typed read's path, its read command (as in READ_MODELS) and its command line."""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    config = tmp_path / "forloeb.toml"
    create_config(config, {"root": UserEntry(role=Role.ADMIN)})
    store = StoreConfig(sqlite_path=tmp_path / "forloeb.sqlite")
    create_schema(store)
    with live_server(store, config) as running:
        yield running


def cli_json(server: LiveServer, token: str, *argv: str) -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORLOEB_TOKEN", token)
        code, out, err = run_remote(server.url, [*argv, "--format", "json"])
    assert code == 0, err
    return json.loads(out)


def get(server: LiveServer, path: str, token: str) -> tuple[int, Any]:
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_each_typed_read_is_the_clis_json_and_valid_for_its_model(server: LiveServer) -> None:
    token = server.token("root")
    course = cli_json(server, token, "refer", "--cpr", CPR, "--programme", "pva",
                      "--referring-caseworker", "root", "--occurred-on", "2019-01-02",
                      )["course_id"]  # fmt: skip

    for path, (command, argv) in TYPED.items():
        status, body = get(server, path.format(course=course), token)
        printed = cli_json(server, token, *(arg.format(course=course) for arg in argv))

        assert status == 200, (path, body)
        if command not in ("audit", "show"):  # each read of a record is logged: reads differ
            assert body == printed, path
        READ_MODELS[command].model_validate_json(json.dumps(body), strict=True)
