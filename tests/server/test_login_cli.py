"""`forloeb login` / `forloeb logout`: a token per server, kept owner-only; failures in one line."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import keyring
import pytest
from click.testing import CliRunner, Result
from keyring.backends import fail

from cli.credentials import TokenStore
from cli.main import forloeb
from server.oidc import OidcSettings, OidcVerifier
from tests.server.provider import AUDIENCE, DEVICE_CLIENT, enter_user_code

SERVER = "https://forloeb.kommune.example"


@pytest.fixture(autouse=True)
def owner_only_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No keyring: tokens go to the 0600 file under this test's config home."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield tmp_path / "config" / "forloeb" / "tokens.json"
    keyring.set_keyring(before)


def forloeb_cli(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(forloeb, list(args), input=input)


def test_login_keeps_a_pasted_token_in_an_owner_only_file(owner_only_file: Path) -> None:
    result = forloeb_cli("login", "--server", SERVER + "/", "--token-stdin", input="tok-123\n")

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"logged in to {SERVER}; the token is kept in {owner_only_file} (readable only by you)\n"
    )
    assert stat.S_IMODE(owner_only_file.stat().st_mode) == 0o600
    assert TokenStore().require(SERVER) == "tok-123"


def test_login_and_logout_take_the_server_from_forloeb_server_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORLOEB_SERVER_URL", SERVER)

    kept = forloeb_cli("login", "--token-stdin", input="tok-456\n")
    forgotten = forloeb_cli("logout")

    assert kept.exit_code == 0, kept.output
    assert kept.stdout.startswith(f"logged in to {SERVER}; ")
    assert forgotten.exit_code == 0, forgotten.output
    assert TokenStore().load(SERVER) is None


def test_logout_forgets_the_token_and_says_so_when_there_was_none() -> None:
    forloeb_cli("login", "--server", SERVER, "--token-stdin", input="tok-123\n")

    first = forloeb_cli("logout", "--server", SERVER)
    second = forloeb_cli("logout", "--server", SERVER)

    assert (first.exit_code, first.stdout) == (0, f"logged out of {SERVER}\n")
    assert (second.exit_code, second.stdout) == (
        0, f"not logged in to {SERVER}; nothing to forget\n"
    )
    assert TokenStore().load(SERVER) is None


@pytest.mark.parametrize(
    ("args", "stdin", "line"),
    [
        (["--server", "ftp://x", "--token-stdin"], "t\n",
         "Invalid value for '--server': 'ftp://x' is not an http(s) URL"),
        (["--server", SERVER, "--token-stdin"], "\n",
         "Invalid value for --token-stdin: give exactly one token on standard input"),
        (["--server", SERVER, "--token-stdin"], "one\ntwo\n",
         "Invalid value for --token-stdin: give exactly one token on standard input"),
        (["--server", SERVER, "--issuer", "https://login.example.dk"], None,
         "--issuer and --client-id go together"),
    ],
)  # fmt: skip
def test_bad_login_input_is_one_line_exit_2_and_nothing_kept(
    args: list[str], stdin: str | None, line: str, owner_only_file: Path
) -> None:
    result = forloeb_cli("login", *args, input=stdin)

    assert (result.exit_code, result.stderr) == (2, f"error: {line}\n")
    assert not owner_only_file.exists()


def test_a_server_that_cannot_be_reached_is_one_line_exit_1(owner_only_file: Path) -> None:
    result = forloeb_cli("login", "--server", "http://127.0.0.1:9")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot reach http://127.0.0.1:9/auth/config: ")
    assert result.stderr.count("\n") == 1
    assert not owner_only_file.exists()


class AuthConfig(BaseHTTPRequestHandler):
    """Stands in for `forloeb server`'s GET /auth/config (its documented contract)."""

    settings: ClassVar[dict[str, str]] = {}

    def do_GET(self) -> None:
        body = json.dumps(self.settings).encode() if self.path == "/auth/config" else b"{}"
        self.send_response(200 if self.path == "/auth/config" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def forloeb_server(issuer: str) -> Iterator[str]:
    """A server that names the test provider at /auth/config."""
    handler = type("Handler", (AuthConfig,), {"settings": {
        "issuer": issuer, "client_id": DEVICE_CLIENT, "audience": AUDIENCE,
        "scope": "openid forloeb"}})  # fmt: skip
    httpd = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.slow
@pytest.mark.subprocess
def test_login_with_the_device_flow_end_to_end(
    issuer: str, forloeb_server: str, owner_only_file: Path, tmp_path: Path
) -> None:
    """The installed command prints the code; the person enters it at the provider; the
    command polls (5 s), keeps the token, and the token proves the person's identity."""
    environment = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    command = subprocess.Popen(
        [str(Path(sys.executable).parent / "forloeb"), "login", "--server", forloeb_server],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
    )  # fmt: skip
    assert command.stderr is not None
    instruction = command.stderr.readline()
    words = instruction.split()
    verification_uri, user_code = words[words.index("open") + 1], words[-1]

    enter_user_code(verification_uri, user_code)
    stdout, stderr = command.communicate(timeout=60)

    assert command.returncode == 0, stderr
    assert instruction == f"To log in, open {issuer}/device and enter the code {user_code}\n"
    assert stdout == (
        f"logged in to {forloeb_server}; the token is kept in {owner_only_file} "
        "(readable only by you)\n"
    )
    token = TokenStore().require(forloeb_server)
    identity = OidcVerifier(OidcSettings(issuer=issuer, audience=AUDIENCE)).verify(token)
    assert identity.user == "anna"
