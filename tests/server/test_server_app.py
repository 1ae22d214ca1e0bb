"""The shared server: tokens, identities, refusals as HTTP, limits, and on-behalf writes.

Given a store served on loopback (SQLite here; the CLI suite's remote mode serves
PostgreSQL), when a client sends a command line or an import line, then it gets the
CLI's output and exit code, or an HTTP status with the CLI's one line.
"""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from cli.bootstrap import create_schema
from cli.config import UserEntry, create_config
from cli.remote import run_remote
from server.app import MAX_BODY_BYTES
from server.run import Listen, TransportRefused
from storage.store import StoreConfig
from tests.server.live import LiveServer, live_server
from workflows.access import Role

USERS = {
    "root": UserEntry(role=Role.ADMIN),
    "kim": UserEntry(role=Role.CONSULTANT, team="nord"),
    "lars": UserEntry(role=Role.CASEWORKER),
}
REFER = ["refer", "--cpr", "010190-1234", "--programme", "pva",
         "--referring-caseworker", "lars", "--occurred-on", "2019-01-02"]  # fmt: skip


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "forloeb.toml"
    create_config(path, USERS)
    return path


@pytest.fixture
def store(tmp_path: Path) -> StoreConfig:
    chosen = StoreConfig(sqlite_path=tmp_path / "forloeb.sqlite")
    create_schema(chosen)
    return chosen


@pytest.fixture
def server(store: StoreConfig, config: Path) -> Iterator[LiveServer]:
    with live_server(store, config) as running:
        yield running


def post(url: str, path: str, body: bytes, token: str | None = None) -> tuple[int, Any]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request("POST", path, body, headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def announce_body(url: str, path: str, length: int, token: str) -> int:
    """The status a POST gets from its headers alone, announcing a body of `length` bytes.

    The server refuses an oversized body from its Content-Length before reading it; a
    client still sending the body then races the server's close (EPIPE), so the body
    is never sent here."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.putrequest("POST", path)
        for name, value in (("Content-Type", "application/json"),
                            ("Authorization", f"Bearer {token}"),
                            ("Content-Length", str(length))):  # fmt: skip
            conn.putheader(name, value)
        conn.endheaders()
        return conn.getresponse().status
    finally:
        conn.close()


def remote(server: LiveServer, token: str | None, *argv: str) -> tuple[int, str, str]:
    mp = pytest.MonkeyPatch()
    if token is None:
        mp.delenv("FORLOEB_TOKEN", raising=False)
        mp.setenv("XDG_CONFIG_HOME", "/nonexistent-forloeb-test")
        mp.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    else:
        mp.setenv("FORLOEB_TOKEN", token)
    try:
        return run_remote(server.url, list(argv))
    finally:
        mp.undo()


def test_a_write_with_a_token_is_recorded_by_the_tokens_user(server: LiveServer) -> None:
    code, out, err = remote(server, server.token("lars"), *REFER, "--format", "json")

    assert (code, err) == (0, "")
    course = json.loads(out)["course_id"]
    shown = remote(server, server.token("root"), "show", course, "--format", "json")[1]
    first = json.loads(shown)["history"][0]
    assert (first["type"], first["actor"], first["recorded_by"]) == ("Referred", "lars", "lars")


def test_no_token_is_one_line_naming_forloeb_login(server: LiveServer) -> None:
    code, out, err = remote(server, None, "courses")

    assert (code, out) == (1, "")
    assert err == f"error: not logged in to {server.url}: run forloeb login --server {server.url}\n"


def test_an_expired_token_is_refused(server: LiveServer) -> None:
    token = server.token("lars", expires=date.today())
    server.served.service.storage  # noqa: B018  (the same store the server checks)
    from dataclasses import replace

    from server.tokens import digest, token_table
    from storage.tokens import row_mac

    table = token_table(server.served.service.storage)
    row = table.find(digest(token))
    assert row is not None
    expired = replace(row, expires="2000-01-01T23:59:59+00:00")  # its last day is long past
    with table._cursor(commit=True) as c:  # as the application would write it: with its MAC
        table._execute(c, "UPDATE {tokens} SET expires = ?, mac = ? WHERE digest = ?",
                       (expired.expires, row_mac(table._key, expired), digest(token)))  # fmt: skip

    assert remote(server, token, "courses")[0] == 1
    status, body = post(server.url, "/cli", b'{"argv": ["courses"]}', token)
    assert status == 401
    assert body == {"error": "not logged in: token expired", "exit": 1}


def test_a_revoked_token_is_refused_from_then_on(server: LiveServer) -> None:
    token = server.token("lars")
    assert remote(server, token, "courses")[0] == 0
    admin = server.token("root")
    _, out, _ = remote(server, admin, "tokens", "list", "--format", "json")
    token_id = next(row["id"] for row in json.loads(out)["tokens"] if row["user"] == "lars")

    assert remote(server, admin, "tokens", "revoke", token_id)[:2] == (
        0,
        f"revoked token {token_id}\n",
    )
    assert remote(server, token, "courses")[0] == 1
    _, out, _ = remote(server, admin, "tokens", "list", "--format", "json")
    revoked = next(row for row in json.loads(out)["tokens"] if row["id"] == token_id)
    assert (revoked["revoked"], revoked["revoked_by"]) == (True, "root")


def test_tokens_are_for_admins_and_shown_once_stored_as_hashes(server: LiveServer) -> None:
    code, _, err = remote(server, server.token("lars"), "tokens", "create", "kim",
                          "--expires", "2099-01-01")  # fmt: skip
    assert code == 1 and err.startswith("error: as lars (caseworker)")

    code, out, _ = remote(server, server.token("root"), "tokens", "create", "kim",
                          "--expires", "2099-01-01", "--format", "json")  # fmt: skip
    created = json.loads(out)
    listed = remote(server, server.token("root"), "tokens", "list", "--format", "json")[1]
    assert created["token"].startswith("flb_")
    assert created["created_by"] == "root"
    assert created["token"] not in listed
    assert remote(server, created["token"], "courses")[0] == 0


def test_failed_attempts_are_rate_limited_and_logged(
    server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "forloeb.server.auth")
    statuses = [post(server.url, "/cli", b'{"argv": ["courses"]}', "flb_wrong")[0]
                for _ in range(6)]  # fmt: skip

    assert statuses == [401] * 5 + [429]
    assert "authentication failed for client 127.0.0.1: unknown token" in caplog.text


def test_as_another_user_is_refused_unless_an_admin(server: LiveServer) -> None:
    code, _, err = remote(server, server.token("lars"), "--as", "kim", "courses")

    assert code == 1
    assert err == ("error: as lars (caseworker): --as is refused on a server except for an "
                   "admin acting on someone's behalf\n")  # fmt: skip


def test_an_admin_on_behalf_records_both(server: LiveServer) -> None:
    code, out, err = remote(server, server.token("root"), "--as", "lars", *REFER,
                            "--format", "json")  # fmt: skip
    assert (code, err) == (0, "")
    course = json.loads(out)["course_id"]

    shown = json.loads(remote(server, server.token("root"), "show", course, "--format", "json")[1])
    first = shown["history"][0]
    assert (first["actor"], first["recorded_by"]) == ("lars", "root")


def test_an_import_line_with_an_actor_records_both(server: LiveServer) -> None:
    line = {"command": "refer", "cpr": "020290-2345", "programme": "pva",
            "referring_caseworker": "lars", "occurred_on": "2019-01-02",
            "actor": "lars"}  # fmt: skip
    status, outcome = post(server.url, "/commands", json.dumps(line).encode(), server.token("root"))
    assert status == 200, outcome

    shown = json.loads(remote(server, server.token("root"), "show", outcome["course_id"],
                              "--format", "json")[1])  # fmt: skip
    assert (shown["history"][0]["actor"], shown["history"][0]["recorded_by"]) == ("lars", "root")


@pytest.mark.parametrize(
    ("line", "status", "error", "exit_code"),
    [
        ({"command": "refer", "cpr": "nonsense", "programme": "pva",
          "referring_caseworker": "lars"}, 422, "cpr: ", 2),
        ({"command": "accept", "course": "ffffffff", "consultant": "kim"}, 404, "course", 1),
        ({"command": "nonsense"}, 422, "command: ", 2),
    ],
)  # fmt: skip
def test_refusals_are_an_http_status_with_the_clis_line_and_exit_code(
    server: LiveServer, line: dict[str, Any], status: int, error: str, exit_code: int
) -> None:
    got, body = post(server.url, "/commands", json.dumps(line).encode(), server.token("root"))

    assert (got, body["exit"]) == (status, exit_code), body
    assert body["error"].startswith(error) and "\n" not in body["error"]


def test_a_refused_move_is_409_and_an_access_refusal_403(server: LiveServer) -> None:
    referred = json.loads(remote(server, server.token("lars"), *REFER, "--format", "json")[1])
    course = referred["course_id"]
    end = {"command": "praktik end", "course": course, "outcome": "completed"}
    accept = {"command": "accept", "course": course, "consultant": "kim"}

    refused = post(server.url, "/commands", json.dumps(end).encode(), server.token("root"))
    assert refused[0] == 409, refused
    assert post(server.url, "/commands", json.dumps(accept).encode(), server.token("kim"))[0] == 403


def test_a_read_returns_what_format_json_prints(server: LiveServer) -> None:
    remote(server, server.token("lars"), *REFER)
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    conn.request("GET", "/courses", headers={"Authorization": f"Bearer {server.token('root')}"})
    body = json.loads(conn.getresponse().read())
    conn.close()

    cli = remote(server, server.token("root"), "courses", "--format", "json")[1]
    assert body == json.loads(cli)


def test_malformed_and_oversized_requests_get_4xx_and_the_server_stays_up(
    server: LiveServer,
) -> None:
    token = server.token("root")

    assert post(server.url, "/cli", b"{not json", token)[0] == 422
    assert post(server.url, "/cli", b'{"argv": "courses"}', token)[0] == 422
    assert announce_body(server.url, "/cli", MAX_BODY_BYTES + 1, token) == 413
    assert remote(server, token, "courses")[0] == 0


def test_plain_http_is_refused_off_loopback() -> None:
    with pytest.raises(TransportRefused, match=r"refusing plain HTTP on 0\.0\.0\.0"):
        Listen("0.0.0.0", 8750).check()
    Listen("127.0.0.1", 8750).check()
    Listen("::1", 8750).check()


def test_the_unix_socket_names_the_os_user(
    store: StoreConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass

    config = tmp_path / "socket.toml"
    create_config(config, {**USERS, getpass.getuser(): UserEntry(role=Role.CASEWORKER)})
    socket_path = tmp_path / "forloeb.sock"
    with live_server(store, config, Listen(unix_socket=socket_path)) as running:
        monkeypatch.delenv("FORLOEB_TOKEN", raising=False)
        code, out, err = run_remote(running.url, [*REFER, "--format", "json"])
        assert (code, err) == (0, "")
        course = json.loads(out)["course_id"]
        shown = run_remote(running.url, ["show", course, "--format", "json"])[1]

    assert json.loads(shown)["history"][0]["recorded_by"] == getpass.getuser()


def test_an_oidc_access_token_is_accepted_beside_personal_tokens(
    issuer: str, store: StoreConfig, tmp_path: Path
) -> None:
    from server.oidc import OidcSettings, OidcVerifier
    from tests.server.provider import AUDIENCE, service_token

    config = tmp_path / "oidc.toml"
    create_config(config, {**USERS, "anna": UserEntry(role=Role.CASEWORKER)})
    verifier = OidcVerifier(OidcSettings(issuer=issuer, audience=AUDIENCE))
    published = {"issuer": issuer, "client_id": "forloeb-cli", "audience": AUDIENCE}
    with live_server(store, config, oidc=verifier, auth_config=published) as running:
        parts = urlsplit(running.url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        conn.request("GET", "/auth/config")
        assert json.loads(conn.getresponse().read()) == published
        conn.close()
        code, out, err = remote(running, service_token(issuer), *REFER, "--format", "json")
        assert (code, err) == (0, "")
        course = json.loads(out)["course_id"]
        assert remote(running, running.token("lars"), "courses")[0] == 0
        shown = remote(running, running.token("root"), "show", course, "--format", "json")[1]

    assert json.loads(shown)["history"][0]["recorded_by"] == "anna"


def test_forloeb_server_refuses_plain_http_off_loopback_in_one_line() -> None:
    from click.testing import CliRunner

    from cli.main import forloeb

    result = CliRunner().invoke(forloeb, ["server", "--host", "0.0.0.0"])

    assert result.exit_code == 2
    assert result.stderr == (
        "error: refusing plain HTTP on 0.0.0.0: give --certificate and --key, "
        "or listen on loopback or a Unix socket\n"
    )


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["init", "--db", "{tmp}/elsewhere.sqlite"], "command: init runs on its own machine"),
        (["init"], "command: init runs on its own machine"),
        (["server", "--port", "0"], "command: server runs on its own machine"),
        (["login", "--server", "http://127.0.0.1:9"], "command: login runs on its own machine"),
        (["logout"], "command: logout runs on its own machine"),
        (["projections", "run", "--interval", "1"], "once: the shared server runs projections"),
    ],
    ids=["init-elsewhere", "init", "server", "login", "logout", "projections-run"],
)
def test_commands_of_a_machine_of_their_own_are_refused_through_the_server(
    server: LiveServer, tmp_path: Path, argv: list[str], line: str
) -> None:
    """A hand-made request once made a store anywhere on the server's disk (`init --db`),
    or started a server or an endless loop inside the server, holding its lock."""
    sent = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    before = sorted(p.name for p in tmp_path.iterdir())

    status, body = post(server.url, "/cli", json.dumps({"argv": sent}).encode(),
                        server.token("root"))  # fmt: skip

    assert status == 422, body
    assert body["exit"] == 2 and body["stderr"].startswith(f"error: {line}"), body
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert post(server.url, "/cli", b'{"argv": ["courses"]}', server.token("root"))[0] == 200


def test_an_import_never_has_the_server_read_a_file_of_its_own_disk(
    server: LiveServer, tmp_path: Path
) -> None:
    """The remote client sends a file's lines (`import -`); a hand-made request naming a
    path had the server apply a file lying on its own disk."""
    lines = tmp_path / "lines.jsonl"
    lines.write_text(json.dumps({"command": "refer", "cpr": "010190-1234", "programme": "pva",
                                 "referring_caseworker": "lars"}) + "\n")  # fmt: skip

    status, body = post(server.url, "/cli", json.dumps({"argv": ["import", str(lines)]}).encode(),
                        server.token("root"))  # fmt: skip

    assert status == 422, body
    assert body["stderr"] == (
        f"error: file: {lines}: the server reads no file of its own disk for a request\n"
    )
    courses = post(server.url, "/cli", b'{"argv": ["courses", "--format", "json"]}',
                   server.token("root"))  # fmt: skip
    assert courses[1]["exit"] == 0 and json.loads(courses[1]["stdout"])["courses"] == []


def test_outcomes_diff_never_has_the_server_read_a_saved_pull_of_its_own_disk(
    server: LiveServer, tmp_path: Path
) -> None:
    """The remote client sends saved pulls on standard input (`outcomes diff -`); a
    hand-made request naming a path had the server answer what a file of its disk holds."""
    secret = tmp_path / "secret.json"
    secret.write_text('{"manifest": "what the server keeps"}')

    status, body = post(server.url, "/cli",
                        json.dumps({"argv": ["outcomes", "diff", str(secret)]}).encode(),
                        server.token("root"))  # fmt: skip

    assert status == 422, body
    assert body["stderr"] == (
        f"error: before: {secret}: the server reads no file of its own disk for a request\n"
    )
