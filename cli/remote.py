"""The `forloeb` console script: run the command on a shared server when one is named,
else in this process.

`--server URL` (anywhere on the command line) or FORLOEB_SERVER_URL names the server:
`https://…`, `http://` on loopback, or `unix:/path/to.sock`. The command line is sent
to `POST /cli` and its output and exit code are the server's, as embedded mode would
print them. This module speaks HTTP/1.1 over a plain socket itself, so a remote
command starts about as fast as Python does. The token is FORLOEB_TOKEN, else the one
`forloeb login` kept; on a Unix socket the kernel names the caller and none is sent.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

SERVER_ENV = "FORLOEB_SERVER_URL"
TOKEN_ENV = "FORLOEB_TOKEN"
LOCAL_COMMANDS = frozenset({"login", "logout", "server"})
"""Commands that always run here (they talk to the server, or are it)."""
TIMEOUT_SECONDS = 120.0
RESENDS = 1
"""How often a request whose reply was lost is sent again (with the same request id)."""


class LostReply(OSError):
    """The request was sent but no reply came back: it may or may not have been applied."""


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


def open_socket(server: str) -> tuple[Any, str]:
    """A connected socket to the server (TLS for https, AF_UNIX for unix:) and its Host."""
    import socket

    if server.startswith("unix:"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT_SECONDS)
        sock.connect(server.removeprefix("unix:"))
        return sock, "localhost"
    from urllib.parse import urlsplit

    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"server: {server!r} is not an https://, http:// or unix: URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    sock = socket.create_connection((parts.hostname, port), timeout=TIMEOUT_SECONDS)
    host = parts.netloc.rpartition("@")[2]
    if parts.scheme == "https":
        import ssl

        context = ssl.create_default_context(cafile=os.environ.get("FORLOEB_CA_FILE") or None)
        sock = context.wrap_socket(sock, server_hostname=parts.hostname)
    return sock, host


def exchange(server: str, path: str, body: bytes, token: str | None) -> tuple[int, bytes]:
    """POST `body` to the server's `path` (HTTP/1.1, one request per connection): the
    status and the response body. The standard library's http.client would import the
    email package, as long again as the rest of the client."""
    sock, host = open_socket(server)
    sent = False
    try:
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: {host}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            "Connection: close",
        ]
        if token:
            head.append(f"Authorization: Bearer {token}")
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        sent = True
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError as error:
        if sent or isinstance(error, ConnectionResetError | BrokenPipeError):
            reason = error.strerror or str(error) or type(error).__name__
            raise LostReply(error.errno, reason) from error
        raise
    finally:
        sock.close()
    raw = b"".join(chunks)
    header, _, content = raw.partition(b"\r\n\r\n")
    if not raw.startswith(b"HTTP/") or b"\r\n\r\n" not in raw:
        raise LostReply(0, "the connection closed before a reply")
    lines = header.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
    }
    if fields.get("transfer-encoding", "").lower() == "chunked":
        content = dechunked(content)
    elif "content-length" in fields:
        content = content[: int(fields["content-length"])]
    return status, content


def dechunked(content: bytes) -> bytes:
    """A chunked transfer coding's body, joined."""
    out = []
    while content:
        size_line, _, rest = content.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out.append(rest[:size])
        content = rest[size + 2 :]
    return b"".join(out)


def token_for(server: str) -> str | None:
    """FORLOEB_TOKEN, else the token `forloeb login` kept for this server; None on a socket."""
    if server.startswith("unix:"):
        return None
    named = os.environ.get(TOKEN_ENV)
    if named:
        return named.strip()
    from cli.credentials import TokenStore

    return TokenStore().load(server)


def with_input(argv: list[str], stdin: str | None = None) -> tuple[list[str], str | None]:
    """The arguments and the standard input to send (`stdin`: given, else this process's
    when the command reads it): `import FILE` sends the local file's lines as `import -`
    does, `outcomes diff FILE` the saved pull as `-` (the server cannot read this
    machine's files, and reads none of its own for a request), also after the global
    options (`--as kim import FILE`)."""
    start = _command_index(argv)
    if argv[start : start + 1] == ["import"]:
        for i, arg in enumerate(argv[start + 1 :], start=start + 1):
            if not arg.startswith("-"):
                with open(arg, encoding="utf-8", errors="surrogateescape", newline="") as file:
                    return [*argv[:i], "-", *argv[i + 1 :]], file.read()
    if argv[start : start + 1] == ["outcomes"] and "diff" in argv[start + 1 :]:
        diff = argv.index("diff", start + 1)
        if _command_index(argv[start + 1 : diff + 1]) == diff - start - 1:
            # (outcomes' own options before diff are refused)
            return pulls_sent(argv, diff, stdin if stdin is not None else sys.stdin.read)
    if stdin is not None:
        return argv, stdin
    if "-" in argv[1:] and not sys.stdin.isatty():
        return argv, sys.stdin.read()
    return argv, None


PULL_FIELDS = ("before", "after")
PULL_LIMIT = 256 << 20
"""The most bytes a saved pull is read for (256 MiB), here and on the server."""


class UnreadablePull(Exception):
    """A saved pull the client cannot read: the field and the reason."""


def pulls_sent(
    argv: list[str], diff: int, stdin: str | Callable[[], str]
) -> tuple[list[str], str | None]:
    """`outcomes diff BEFORE [AFTER]` with each saved pull of this machine sent on standard
    input as `-` (the server reads no file of its own disk for a request); a pull given
    as `-` is the standard input's."""
    from pathlib import Path

    from storage.text_files import read_text_file

    sent, texts, i = list(argv), list[str](), diff + 1
    while i < len(sent) and len(texts) < len(PULL_FIELDS):
        arg = sent[i]
        if arg in _DIFF_WITH_VALUE:
            i += 2
            continue
        if arg == "-":
            texts.append(stdin if isinstance(stdin, str) else stdin())
            stdin = ""  # read once: its pulls are all sent
            i += 1
            continue
        if arg.startswith("-"):
            i += 1
            continue
        field = PULL_FIELDS[len(texts)]
        try:
            texts.append(read_text_file(Path(arg), PULL_LIMIT))
        except (OSError, ValueError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise UnreadablePull(f"{field}: {arg}: {reason}") from None
        sent[i] = "-"
        i += 1
    return (sent, "\n".join(texts)) if texts else (argv, None)


def named_as_given(given: list[str], sent: list[str], out: str, err: str) -> tuple[str, str]:
    """The reply naming the files given, where `with_input` sent them as `-`."""
    changed = [(a, b) for a, b in zip(given, sent, strict=False) if a != b and b == "-"]
    if not changed or len(given) != len(sent):
        return out, err
    name = changed[0][0]
    out = out.replace("import -: ", f"import {name}: ", 1)
    err = err.replace("error: file: - ", f"error: file: {name} ", 1)
    for field, (pull, _) in zip(PULL_FIELDS, changed, strict=False):
        err = err.replace(f"error: {field}: -: ", f"error: {field}: {pull}: ", 1)
    return out, err


_GLOBAL_WITH_VALUE = ("--as", "--db", "--database-url")
_DIFF_WITH_VALUE = ("--format", *_GLOBAL_WITH_VALUE)


def _command_index(argv: list[str]) -> int:
    """Where the command's name is, after the global options before it."""
    i = 0
    while i < len(argv):
        if argv[i] in _GLOBAL_WITH_VALUE:
            i += 2
        elif argv[i].startswith(tuple(f"{option}=" for option in _GLOBAL_WITH_VALUE)):
            i += 1
        else:
            break
    return i


def request_id() -> str:
    """A new request id: 128 random bits."""
    return "req-" + os.urandom(16).hex()


def sent_again_if_lost(server: str, body: bytes, token: str | None) -> tuple[int, bytes]:
    """`exchange` on /cli, sending the same body again (RESENDS times) when a reply is lost;
    still LostReply when a resend cannot even connect (the first may have been applied)."""
    lost: LostReply | None = None
    for _ in range(RESENDS + 1):
        try:
            return exchange(server, "/cli", body, token)
        except LostReply as error:
            lost = error
        except OSError:
            if lost is None:
                raise
            break
    assert lost is not None
    raise lost


def run_remote(server: str, argv: list[str], stdin: str | None = None) -> tuple[int, str, str]:
    """Run the command line on the server (with `stdin` as its input, else what
    `with_input` finds): exit code, stdout, stderr."""
    not_logged_in = f"error: not logged in to {server}: run forloeb login --server {server}\n"
    try:
        token = token_for(server)
    except Exception as error:  # an unreadable token file: one line
        return 1, "", f"error: {' '.join(str(error).split())}\n"
    given = argv
    try:
        argv, stdin = with_input(argv, stdin)
    except OSError as error:
        where = error.filename or "standard input"
        return 2, "", f"error: file: cannot read {where}: {error.strerror or error}\n"
    except UnreadablePull as error:
        return 2, "", f"error: {error}\n"
    out, refused = checked_out(argv)
    if refused:
        return 2, "", f"error: {refused}\n"
    request = {"argv": argv, "columns": columns(), "stdin": stdin, "request_id": request_id()}
    body = json.dumps(request).encode()
    try:
        status, raw = sent_again_if_lost(server, body, token)
    except LostReply as lost:
        line = f"no reply from {server} ({lost.strerror}): it may have been recorded; see show"
        return 1, "", f"error: {line}\n"
    except OSError as error:  # a certificate refused too (also a ValueError)
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        return 1, "", f"error: cannot reach {server}: {reason}\n"
    except ValueError as error:
        return 1, "", f"error: {error}\n"
    try:
        reply = json.loads(raw)
    except ValueError:
        reply = None
    if isinstance(reply, dict) and {"exit", "stdout", "stderr"} <= reply.keys():
        code, printed, errors = int(reply["exit"]), str(reply["stdout"]), str(reply["stderr"])
        printed, errors = named_as_given(given, argv, printed, errors)
        if out is not None and code == 0:
            return written(out, reply.get("files") or [], printed, errors)
        return code, printed, errors
    if status == 401:
        return 1, "", not_logged_in
    if isinstance(reply, dict) and "error" in reply:
        return int(reply.get("exit", 1)), "", f"error: {reply['error']}\n"
    return 1, "", f"error: {server} answered HTTP {status}\n"


def checked_out(argv: list[str]) -> tuple[Any, str | None]:
    """The command line's `--out` (None without one, `cli.remote_out` imported only with
    one) and why the embedded command would refuse it here, or None."""
    if not any(arg == "--out" or arg.startswith("--out=") for arg in argv):
        return None, None
    from cli import remote_out

    try:
        out = remote_out.find_out(argv)
    except remote_out.BadOut as error:
        return None, str(error)
    return out, remote_out.refusal(out) if out is not None else None


def written(out: Any, files: list[Any], stdout: str, stderr: str) -> tuple[int, str, str]:
    """Write the files the server sent back where `--out` names: the command's result, or
    exit 1 with one line when they cannot be written."""
    from cli.remote_out import write_files

    try:
        write_files(out, files)
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        where = error.filename or out.value
        return 1, stdout, f"{stderr}error: out: cannot write {where}: {reason}\n"
    except (ValueError, KeyError, TypeError) as error:  # a reply not shaped as CliReply's
        return 1, stdout, f"{stderr}error: out: the server's files were not readable: {error}\n"
    return 0, stdout, stderr


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
    from cli.startup import defer_garbage_collection

    defer_garbage_collection()  # for the in-process command's first half second
    from cli.code_cache import install

    install()  # before the imports that generate code (dataclasses, TypedDicts, models)
    from cli.main import main as in_process

    in_process()
