"""`forloeb serve`: keep the CLI's modules imported and fork a fresh child per command.

The `forloeb` script (`cli.launcher`) hands its argv, environment, working
directory, umask and standard streams to this server over an AF_UNIX socket;
a forked child takes them on and runs the command exactly as the script would
in-process, so nothing is cached between commands but imported code. The
server opens no store, connection or thread (it forks); it stops when the
project's files change (a request then gets `stale` and the client runs the
command itself), on SIGTERM or SIGINT, or after --idle-timeout seconds idle.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import importlib
import io
import json
import os
import pkgutil
import signal
import socket
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from cli import launcher

PACKAGES = ("cli", "domain", "workflows", "projections")
"""The project's packages: all imported at start, and watched for changes."""
LIBRARIES = (
    "eventsourcing.sqlite",
    "eventsourcing.postgres",
    "cryptography.hazmat.primitives.ciphers.aead",
    "rich._emoji_codes",
)
"""Imported at start when installed (the stores and the cipher a command opens)."""
REQUEST_LIMIT = 16 * 1024 * 1024
REQUEST_SECONDS = 5.0


class Stop(Exception):
    """SIGTERM: leave the accept loop and clean up."""


@dataclass
class Request:
    """One client's command, as the launcher sent it."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    umask: int
    stdio: list[list[str | None]]
    fds: list[int]

    @classmethod
    def from_message(cls, message: dict[str, Any], fds: list[int]) -> Request:
        """The request in a checked message (KeyError or TypeError if it is malformed)."""
        request = cls(
            argv=[str(a) for a in message["argv"]],
            env={str(k): str(v) for k, v in message["env"].items()},
            cwd=str(message["cwd"]),
            umask=int(message["umask"]),
            stdio=[list(pair) for pair in message["stdio"]],
            fds=fds,
        )
        if len(request.stdio) != 3 or not request.argv:
            raise TypeError("malformed request")
        return request

    def close(self) -> None:
        """Close this process's copies of the client's streams."""
        for fd in self.fds:
            with contextlib.suppress(OSError):
                os.close(fd)


@click.command("serve")
@click.option(
    "--socket",
    "path",
    envvar=launcher.SOCKET_ENV,
    type=click.Path(dir_okay=False, path_type=Path),
    help="where to listen [env FORLOEB_SOCKET; default $XDG_RUNTIME_DIR/forloeb/server.sock, "
    "else /tmp/forloeb-UID/server.sock]",
)
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="stop after this long with no command (0: never)",
)
def serve_command(path: Path | None, idle_timeout: float) -> None:
    """Serve `forloeb` commands from a process with the modules imported (much faster start).

    Each command runs in a fresh child with the caller's terminal, environment
    and folder; the server holds no store open and no state between commands.
    Stop it with Ctrl-C or SIGTERM; it stops by itself when the code changes.
    """
    where = Path(path) if path is not None else Path(launcher.socket_path())
    watched = Watched.now()  # before importing: a change while importing counts too
    preload()
    listener, inode = listen(where)
    click.echo(f"forloeb serve: listening on {where} (pid {os.getpid()})")
    sys.stdout.flush()
    served, reason = 0, "stopped"
    try:
        served, reason = Server(listener, watched, idle_timeout).run()
    finally:
        close_listener(listener, where, inode)
        click.echo(f"forloeb serve: {reason}; served {served} command(s)")


def preload() -> None:
    """Import every module a command can need (opening nothing)."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            with contextlib.suppress(ImportError):
                importlib.import_module(info.name)
    from cli.main import write_commands

    write_commands()
    for name in LIBRARIES:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    complete_models()


def complete_models() -> None:
    """Build the validators pydantic defers to first use (models with forward references),
    so each child does not build them again: pure computation, nothing opened."""
    from pydantic import BaseModel

    for name, module in list(sys.modules.items()):
        if name.partition(".")[0] not in PACKAGES:
            continue
        for value in list(vars(module).values()):
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and not value.__pydantic_complete__
            ):
                with contextlib.suppress(Exception):
                    value.model_rebuild()


@dataclass
class Watched:
    """What the server's code was loaded from, as it was at start: the modification time
    of every project source file, and the entries of the project's folders and of the
    folders on the import path (a new module, a `pip install`)."""

    files: dict[str, int]
    folders: dict[str, tuple[int, frozenset[str]]]

    @classmethod
    def now(cls) -> Watched:
        """The project's files and folders, and the import path's folders, as they are."""
        files: list[str] = []
        folders = [p for p in sys.path if p and os.path.isdir(p)]
        for package in PACKAGES:
            root = os.path.dirname(importlib.import_module(package).__file__ or "")
            for folder, dirs, names in os.walk(root):
                dirs[:] = [d for d in dirs if d != "__pycache__"]
                folders.append(folder)
                files += [os.path.join(folder, n) for n in names if n.endswith(".py")]
        return cls(
            {f: _mtime(f) for f in files}, {f: (_mtime(f), _entries(f)) for f in folders}
        )

    def changed(self) -> bool:
        """Whether any file changed or vanished, or any folder gained or lost an entry
        that matters (a folder is listed again only when its own time changed)."""
        if any(_mtime(path) != mtime for path, mtime in self.files.items()):
            return True
        for folder, (mtime, entries) in self.folders.items():
            now = _mtime(folder)
            if now != mtime:
                if _entries(folder) != entries:
                    return True
                self.folders[folder] = (now, entries)
        return False


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


IMPORTABLE = (".py", ".pth", ".so", ".pyd", ".dist-info", ".egg-info", ".egg-link")
"""Entries of a watched folder that can change what is imported (with names without a dot:
packages); not bytecode caches, hidden files or data (a store's journal beside the code)."""


def _entries(folder: str) -> frozenset[str]:
    """The entries of a folder that can change what is imported."""
    try:
        names = os.listdir(folder)
    except OSError:
        return frozenset()
    return frozenset(
        name
        for name in names
        if name != "__pycache__"
        and not name.startswith(".")
        and ("." not in name or name.endswith(IMPORTABLE))
    )


def listen(path: Path) -> tuple[socket.socket, int]:
    """A listening socket at `path` (folder 0700, socket 0600) and the socket file's inode;
    ClickException if it cannot or must not be there."""
    folder = path.parent
    check_folder(folder)
    if path.exists() or path.is_symlink():
        remove_stale(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_mask = os.umask(0o177)
    try:
        sock.bind(str(path))
    except OSError as error:
        sock.close()
        raise click.ClickException(f"cannot listen on {path}: {error.strerror}") from None
    finally:
        os.umask(old_mask)
    os.chmod(path, 0o600)
    sock.listen(64)
    return sock, os.stat(path).st_ino


def check_folder(folder: Path) -> None:
    """Create the socket's folder 0700, or refuse one that others could get into."""
    try:
        folder.mkdir(mode=0o700, parents=True)
        os.chmod(folder, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise click.ClickException(f"{folder} is not a folder; not serving there")
    if info.st_uid != os.getuid():
        raise click.ClickException(f"{folder} belongs to another user; not serving there")
    if info.st_mode & 0o077:
        raise click.ClickException(
            f"{folder} is open to other users (mode {stat.S_IMODE(info.st_mode):o}, "
            "must be 700); not serving there"
        )


def remove_stale(path: Path) -> None:
    """Remove a socket file no server answers on; refuse if one does, or if it is no socket."""
    if not stat.S_ISSOCK(os.lstat(path).st_mode):
        raise click.ClickException(f"{path} exists and is not a socket; not serving there")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(str(path))
    except OSError:
        path.unlink()
        return
    finally:
        probe.close()
    raise click.ClickException(f"a server already listens on {path}")


def close_listener(sock: socket.socket, path: Path, inode: int) -> None:
    """Close the socket and remove its file, if it is still ours."""
    with contextlib.suppress(OSError):
        if os.stat(path).st_ino == inode:
            path.unlink()
    sock.close()


class Server:
    """The accept loop: check each request, fork a child for it."""

    def __init__(self, listener: socket.socket, watched: Watched, idle_timeout: float) -> None:
        self.listener = listener
        self.watched = watched
        self.idle_timeout = idle_timeout
        self.served = 0

    def run(self) -> tuple[int, str]:
        """Serve until stopped; the number served and why it stopped."""
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGHUP, _stop)
        gc.freeze()  # children share the imported objects' pages instead of copying them
        try:
            while True:
                conn = self._accept()
                if conn is None:
                    return self.served, f"idle for {self.idle_timeout:g} s"
                with conn:
                    if self._handle(conn) == "stale":
                        return self.served, "the project's files changed"
        except (Stop, KeyboardInterrupt):
            return self.served, "stopped"

    def _accept(self) -> socket.socket | None:
        """The next connection from this user, or None after the idle timeout."""
        self.listener.settimeout(self.idle_timeout or None)
        while True:
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                return None
            except OSError:  # e.g. out of file descriptors for a moment
                time.sleep(0.05)
                continue
            if launcher.peer_uid(conn) == os.getuid():
                return conn
            conn.close()

    def _handle(self, conn: socket.socket) -> str:
        """Answer one connection: 'stale', 'mismatch', 'forked' or 'dropped'."""
        fds: list[int] = []
        try:
            conn.settimeout(REQUEST_SECONDS)
            message, fds = receive(conn)
            verdict = self._verdict(message, fds)
            if verdict != "ok":
                conn.sendall(f"{verdict}\n".encode())
                return verdict
            self._fork(conn, Request.from_message(message, fds))
        except (OSError, ValueError, KeyError, TypeError):
            return "dropped"  # the client sees the connection close and runs the command
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.served += 1
        return "forked"

    def _verdict(self, message: dict[str, Any], fds: list[int]) -> str:
        if message.get("protocol") != launcher.PROTOCOL or len(fds) != 3:
            return "mismatch"
        if message.get("identity") != launcher.identity():
            return "mismatch"
        return "stale" if self.watched.changed() else "ok"

    def _fork(self, conn: socket.socket, request: Request) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                self.listener.close()
                code = Child(conn, request).run()
            finally:
                os._exit(code)


def _stop(_sig: int, _frame: object) -> None:
    raise Stop


def receive(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """The launcher's request and the file descriptors sent with it (the caller closes
    them; closed here if the request is malformed)."""
    data, fds, _flags, _addr = socket.recv_fds(conn, 65536, 3, socket.MSG_CMSG_CLOEXEC)
    try:
        return _message(conn, data), fds
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise


def _message(conn: socket.socket, data: bytes) -> dict[str, Any]:
    """The length-prefixed JSON object that `data` starts, read to its end."""
    if len(data) < 4:
        raise ValueError("short request")
    size = int.from_bytes(data[:4], "big")
    if size > REQUEST_LIMIT:
        raise ValueError("request too large")
    body = bytearray(data[4:])
    while len(body) < size:
        chunk = conn.recv(size - len(body))
        if not chunk:
            raise ValueError("request cut short")
        body += chunk
    message = json.loads(body)
    if not isinstance(message, dict):
        raise ValueError("request is not an object")
    return message


class Child:
    """A forked child: becomes the client's process, runs the command, reports the code."""

    def __init__(self, conn: socket.socket, request: Request) -> None:
        self.conn = conn
        self.request = request

    def run(self) -> int:
        """Take on the client's streams, environment and folder; then run the command."""
        os.setsid()  # no controlling terminal: a prompt reads the client's stdin, not ours
        _default_signals()
        try:
            self._become_client()
            self.conn.settimeout(REQUEST_SECONDS)
            self.conn.sendall(f"pid {os.getpid()}\n".encode())
            if launcher.Lines(self.conn).next() != "go":
                return 1
            self.conn.settimeout(None)
            _die_with_client(self.conn)
        except OSError:
            return 1  # the client gave up: it runs the command itself
        code = run_command(self.request.argv[1:])
        with contextlib.suppress(OSError):
            self.conn.sendall(f"exit {code}\n".encode())
        return code

    def _become_client(self) -> None:
        request = self.request
        for target, fd in enumerate(request.fds):
            os.dup2(fd, target)
        request.close()
        os.environ.clear()
        os.environ.update(request.env)
        time.tzset()
        os.chdir(request.cwd)
        os.umask(request.umask)
        sys.argv = list(request.argv)
        sys.stdin, sys.stdout, sys.stderr = _streams(request.stdio)


def _die_with_client(conn: socket.socket) -> None:
    """Have the kernel send this process SIGIO (default action: terminate) when the client
    closes the connection, so killing the `forloeb` process ends the command, as in-process.
    The client sends nothing after `go`, so nothing else raises SIGIO."""
    fd = conn.fileno()
    fcntl.fcntl(fd, fcntl.F_SETOWN, os.getpid())
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC)


def _default_signals() -> None:
    """The handlers a fresh Python process starts with."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGIO):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)


def _streams(stdio: list[list[str | None]]) -> tuple[io.TextIOWrapper, ...]:
    """Text streams on fds 0, 1, 2 with the client's encodings, buffered as Python does."""
    streams = []
    for fd, (encoding, errors) in enumerate(stdio):
        raw = io.FileIO(fd, "r" if fd == 0 else "w", closefd=False)
        buffered = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
        streams.append(
            io.TextIOWrapper(
                buffered,
                encoding=encoding or "utf-8",
                errors=errors or "strict",
                line_buffering=fd == 2 or (fd == 1 and raw.isatty()),
            )
        )
    return tuple(streams)


def run_command(args: list[str]) -> int:
    """Run `forloeb ARGS` as the console script would; its exit code."""
    import atexit

    from cli.main import forloeb

    try:
        code = forloeb.main(args=args, prog_name="forloeb", standalone_mode=False)
    except SystemExit as exit_:
        code = _exit_status(exit_.code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    return int(code) & 0xFF


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
