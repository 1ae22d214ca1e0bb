"""The `forloeb` console script: run the command on a shared server when one is named,
else in this process.

`--server URL` (anywhere on the command line) or FORLOEB_SERVER_URL names the server:
`https://…`, `http://` on loopback, or `unix:/path/to.sock`. The command line is sent
to `POST /cli` and its output and exit code are the server's, as embedded mode would
print them. This module imports only the standard library's HTTP client, so a remote
command starts about as fast as Python does. The token is FORLOEB_TOKEN, else the one
`forloeb login` kept; on a Unix socket the kernel names the caller and none is sent.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

SERVER_ENV = "FORLOEB_SERVER_URL"
TOKEN_ENV = "FORLOEB_TOKEN"
LOCAL_COMMANDS = frozenset({"login", "logout", "server"})
"""Commands that always run here (they talk to the server, or are it)."""
TIMEOUT_SECONDS = 120.0


def split_server(argv: list[str]) -> tuple[str | None, list[str]]:
    """The `--server` value (else FORLOEB_SERVER_URL) and the arguments without it."""
    rest: list[str] = []
    server = os.environ.get(SERVER_ENV) or None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i:])
            break
        if arg == "--server" and i + 1 < len(argv):
            server = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--server="):
            server = arg.partition("=")[2]
            i += 1
            continue
        rest.append(arg)
        i += 1
    return server, rest


def columns() -> int:
    """The terminal's width as the CLI's console reads it: COLUMNS, else the terminal's."""
    named = os.environ.get("COLUMNS", "")
    if named.isdigit():
        return max(20, min(int(named), 1000))
    for fd in (1, 2):
        try:
            return max(20, min(os.get_terminal_size(fd).columns, 1000))
        except OSError:
            continue
    return 80


def connection(server: str) -> Any:
    """An HTTP connection to the server (TLS for https, AF_UNIX for unix:)."""
    import http.client

    if server.startswith("unix:"):
        import socket

        path = server.removeprefix("unix:")

        class UnixConnection(http.client.HTTPConnection):
            def connect(self) -> None:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.settimeout(self.timeout)
                self.sock.connect(path)

        return UnixConnection("localhost", timeout=TIMEOUT_SECONDS)
    from urllib.parse import urlsplit

    parts = urlsplit(server)
    if parts.scheme == "https":
        import ssl

        context = ssl.create_default_context(cafile=os.environ.get("FORLOEB_CA_FILE") or None)
        return http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=TIMEOUT_SECONDS, context=context
        )
    if parts.scheme == "http":
        return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=TIMEOUT_SECONDS)
    raise ValueError(f"server: {server!r} is not an https://, http:// or unix: URL")


def token_for(server: str) -> str | None:
    """FORLOEB_TOKEN, else the token `forloeb login` kept for this server; None on a socket."""
    if server.startswith("unix:"):
        return None
    named = os.environ.get(TOKEN_ENV)
    if named:
        return named.strip()
    from server.credentials import TokenStore

    return TokenStore().load(server)


def run_remote(server: str, argv: list[str]) -> tuple[int, str, str]:
    """Run the command line on the server: exit code, stdout, stderr."""
    not_logged_in = f"error: not logged in to {server}: run forloeb login --server {server}\n"
    try:
        conn = connection(server)
        token = token_for(server)
    except Exception as error:  # a bad URL or an unreadable token file: one line
        return 1, "", f"error: {' '.join(str(error).split())}\n"
    body = json.dumps({"argv": argv, "columns": columns()}).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request("POST", "/cli", body, headers)
        response = conn.getresponse()
        raw = response.read()
    except OSError as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        return 1, "", f"error: cannot reach {server}: {reason}\n"
    finally:
        conn.close()
    try:
        reply = json.loads(raw)
    except ValueError:
        reply = None
    if isinstance(reply, dict) and {"exit", "stdout", "stderr"} <= reply.keys():
        return int(reply["exit"]), str(reply["stdout"]), str(reply["stderr"])
    if response.status == 401:
        return 1, "", not_logged_in
    if isinstance(reply, dict) and "error" in reply:
        return int(reply.get("exit", 1)), "", f"error: {reply['error']}\n"
    return 1, "", f"error: {server} answered HTTP {response.status}\n"


def main() -> None:
    """Console-script entry point."""
    server, argv = split_server(sys.argv[1:])
    if server and not LOCAL_COMMANDS.intersection(argv[:1]) and "server" not in argv:
        code, out, err = run_remote(server, argv)
        sys.stdout.write(out)
        sys.stderr.write(err)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code & 0xFF)
    from cli.main import main as in_process

    in_process()
