"""The `forloeb` console script: relay the command to a `forloeb serve` server, else run it here.

Importing click, pydantic, eventsourcing and the domain costs a few hundred
milliseconds; the work of one command is a few tens. A server (`cli.server`)
keeps those modules imported and forks a fresh child per command, which runs
with this process's terminal, stdin, environment and working directory. This
module imports only cheap stdlib modules; with no usable server (none running,
a stale socket, another version, FORLOEB_SERVER=off) it runs the command
in-process, with the same output and exit code.

The relay, over an AF_UNIX stream socket (the server's uid checked first):
client  -> request: 4-byte length + JSON {protocol, identity, argv, env, cwd, umask,
           stdio encodings}, with fds 0, 1, 2 attached (SCM_RIGHTS)
server  -> `stale` / `mismatch`, or closes: the client runs the command itself
child   -> `pid N`: a child was forked for the request
client  -> `go`: from here on the command runs exactly once, in the child
child   -> `exit N` when the command is done (none if it was killed)

It uses the C modules under socket, signal and json (`_socket`, `_signal`,
`_json`): the Python wrappers build enums and import more, which costs the
script several milliseconds on every command.
"""

from __future__ import annotations

import _json
import _locale
import _signal as signal
import _socket as socket
import contextlib
import os
import sys

PROTOCOL = 1
"""Bumped whenever the relay changes; client and server must agree or the client falls back."""
SERVER_ENV = "FORLOEB_SERVER"
SOCKET_ENV = "FORLOEB_SOCKET"
HANDSHAKE_SECONDS = 5.0
"""How long the client waits for a child before it runs the command itself."""
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
NO_EXIT_CODE = "forloeb: the server's worker ended without an exit code\n"
_HEADER = 4


def socket_path() -> str:
    """FORLOEB_SOCKET, else $XDG_RUNTIME_DIR/forloeb/server.sock, else /tmp/forloeb-UID/…"""
    named = os.environ.get(SOCKET_ENV)
    if named:
        return named
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return os.path.join(runtime, "forloeb", "server.sock")
    return os.path.join("/tmp", f"forloeb-{os.getuid()}", "server.sock")


def identity() -> list[str]:
    """What client and server must share: the interpreter's prefix, the code's folder, and
    the text encodings a process picks at start (UTF-8 mode, file names, the locale's)."""
    return [
        sys.prefix,
        os.path.dirname(os.path.abspath(__file__)),
        str(sys.flags.utf8_mode),
        sys.getfilesystemencoding(),
        _locale.getencoding(),
    ]


def peer_uid(sock: socket.socket) -> int:  # also given socket.socket objects
    """The uid of the process at the other end of a connected AF_UNIX socket."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    return int.from_bytes(creds[4:8], sys.byteorder)


def encode(message: dict[str, object]) -> bytes:
    """A length-prefixed JSON message (its values: ints, strings, lists, dicts of those)."""
    body = _json_text(message).encode("ascii")
    return len(body).to_bytes(_HEADER, "big") + body


def _json_text(value: object) -> str:
    """JSON for the request's plain values, as json.dumps would write them (ASCII)."""
    if isinstance(value, str):
        text: str = _json.encode_basestring_ascii(value)
        return text
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, dict):
        items = (f"{_json_text(str(k))}:{_json_text(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_json_text(v) for v in value) + "]"
    raise TypeError(f"cannot send {type(value).__name__}")


def request() -> dict[str, object]:
    """This process's command, environment and standard streams, for the server."""
    mask = os.umask(0)
    os.umask(mask)
    return {
        "protocol": PROTOCOL,
        "identity": identity(),
        "argv": sys.argv,
        "env": dict(os.environ),
        "cwd": os.getcwd(),
        "umask": mask,
        "stdio": [_stream(s) for s in (sys.stdin, sys.stdout, sys.stderr)],
    }


def _stream(stream: object) -> list[str | None]:
    return [getattr(stream, "encoding", None), getattr(stream, "errors", None)]


class Lines:
    """Reads newline-ended replies from the server."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def next(self) -> str | None:
        """The next line, or None when the connection closed first."""
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(256)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode("ascii", "replace")


class Forwarder:
    """Passes SIGINT, SIGTERM and SIGHUP on to the child once its pid is known."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.pending: list[int] = []
        self.sent: list[int] = []
        self.previous = {sig: signal.signal(sig, self._forward) for sig in FORWARDED}

    def _forward(self, sig: int, _frame: object) -> None:
        if self.pid is None:
            self.pending.append(sig)
        else:
            self.sent.append(sig)
            _kill(self.pid, sig)

    def attach(self, pid: int) -> None:
        """The child is known: send it what arrived before."""
        self.pid = pid
        for sig in self.pending:
            self.sent.append(sig)
            _kill(pid, sig)
        self.pending.clear()

    def die_as_child(self) -> None:
        """The child died of a signal passed on: end this process by the same signal."""
        for sig in self.sent[-1:]:
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)

    def restore(self) -> None:
        """Put the handlers back and deliver anything that arrived meanwhile to this process."""
        for forwarded, handler in self.previous.items():
            signal.signal(forwarded, handler)
        for sig in self.pending:
            signal.raise_signal(sig)


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(OSError):  # already gone
        os.kill(pid, sig)


def connect(path: str) -> socket.socket | None:
    """A connection to a live server of this user, or None."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(HANDSHAKE_SECONDS)
        sock.connect(path)
        if peer_uid(sock) != os.getuid():
            raise OSError("the server runs as another user")
    except OSError:
        sock.close()
        return None
    return sock


def handshake(sock: socket.socket, forwarder: Forwarder) -> Lines | None:
    """Send the request; the reply stream once a child has the command, else None."""
    data = encode(request())
    fds = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (0, 1, 2))  # struct int[3]
    sent = sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
    sock.sendall(data[sent:])
    lines = Lines(sock)
    reply = lines.next() or ""
    kind, _, pid = reply.partition(" ")
    if kind != "pid" or not pid.isdigit():
        return None
    sock.sendall(b"go\n")
    forwarder.attach(int(pid))
    return lines


def relay(path: str) -> int | None:
    """Run the command in a server's child: its exit code, or None to run it here."""
    sock = connect(path)
    if sock is None:
        return None
    forwarder = Forwarder()
    try:
        try:
            lines = handshake(sock, forwarder)
        except (OSError, ValueError, TypeError):
            lines = None
        if lines is None:
            forwarder.restore()
            return None
        sock.settimeout(None)  # committed: the command runs in the child, however long
        code = _exit_code(lines)
        if code is None:
            forwarder.die_as_child()
            sys.stderr.write(NO_EXIT_CODE)
            return 1
        return code
    finally:
        sock.close()


def _exit_code(lines: Lines) -> int | None:
    """The child's exit code, or None if it ended without sending one."""
    try:
        reply = lines.next() or ""
    except OSError:
        reply = ""
    kind, _, code = reply.partition(" ")
    return int(code) if kind == "exit" and code.isdigit() else None


def served() -> bool:
    """Whether to try a server: not with FORLOEB_SERVER=off, and never for `serve` itself."""
    if "serve" in sys.argv[1:]:
        return False
    return os.environ.get(SERVER_ENV, "").strip().lower() not in {"off", "0", "no", "false"}


def main() -> None:
    """Console-script entry point."""
    if served():
        code = relay(socket_path())
        if code is not None:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code & 0xFF)
    from cli.main import main as in_process

    in_process()
