"""`forloeb serve`: the installed script relays commands to a forked child of the server.

Every test runs real processes: a server on a socket of its own (FORLOEB_SOCKET)
and the installed `forloeb` script as its client. The server says how many
commands it served when it stops, so a test can tell a served command from one
the script ran in-process after falling back.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import initialised

if not hasattr(socket, "AF_UNIX"):
    pytest.skip("the server needs AF_UNIX sockets", allow_module_level=True)

pytestmark = pytest.mark.subprocess

FORLOEB = Path(sys.executable).parent / "forloeb"
REPO = Path(__file__).resolve().parents[2]
CPR = "010190-1234"
STARTUP_SECONDS = 60.0


def base_env(tmp_path: Path, db: Path, **extra: str) -> dict[str, str]:
    """The environment of a client or server: the tests' users, no FORLOEB_* but these; the
    store it names is initialised."""
    if not db.exists():
        initialised(db)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORLOEB_")}
    env.update(
        FORLOEB_CONFIG=os.environ["FORLOEB_CONFIG"],
        FORLOEB_MASTER_KEY=os.environ["FORLOEB_MASTER_KEY"],
        FORLOEB_DB=str(db),
        FORLOEB_USER="anna",
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    env.update(extra)
    return env


@dataclass
class Served:
    """A running `forloeb serve` and how to reach it."""

    socket: Path
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def stop(self) -> str:
        """SIGTERM; wait; everything it printed. Asserts it exited 0 and removed its socket."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=20)
        self.output.append(out)
        text = "".join(self.output)
        assert self.process.returncode == 0, text
        assert not self.socket.exists()
        return text

    def served(self) -> int:
        """How many commands it served (stops it)."""
        found = re.search(r"served (\d+) command", self.stop())
        assert found is not None, self.output
        return int(found.group(1))


def start_server(socket_path: Path, env: dict[str, str], *extra: str) -> Served:
    """Start `forloeb serve` and wait for its `listening` line."""
    process = subprocess.Popen(
        [str(FORLOEB), "serve", "--socket", str(socket_path), *extra],
        env={**env, "FORLOEB_SERVER": "off"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=socket_path.parent.parent,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], STARTUP_SECONDS)
    line = process.stdout.readline() if ready else ""
    if "listening on" not in line:
        process.kill()
        raise AssertionError(f"the server did not start: {line}{process.communicate()[0]}")
    return Served(socket_path, process, [line])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Served]:
    """A server on a socket of its own (stopped after the test, whatever happens)."""
    (tmp_path / "server").mkdir()
    served = start_server(tmp_path / "server" / "sock" / "server.sock",
                          base_env(tmp_path, tmp_path / "server-default.sqlite"))
    yield served
    _kill(served)


def _kill(served: Served) -> None:
    if served.process.poll() is None:
        served.process.kill()
        served.process.communicate(timeout=20)


def forloeb(env: dict[str, str], *args: str, input: str | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed script; stdout, stderr and exit code."""
    return subprocess.run([str(FORLOEB), *args], env=env, input=input, capture_output=True,
                          text=True, timeout=60, check=False, cwd=cwd)


def through(served: Served, env: dict[str, str]) -> dict[str, str]:
    """The environment that sends the script to this server."""
    return {**env, "FORLOEB_SOCKET": str(served.socket)}


def in_process(env: dict[str, str]) -> dict[str, str]:
    """The environment that keeps the script in-process."""
    return {**env, "FORLOEB_SERVER": "off"}


RECORDED = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)?")
"""A recording time (system time): the two stores record theirs a moment apart."""


RANDOM_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
"""A random (version 4) UUID, like a citizen's subject id; course ids here are version 5."""


def outcome(done: subprocess.CompletedProcess[str]) -> tuple[str, str, int]:
    """What the user sees, with recording times and random ids masked; the rest as is."""

    def mask(text: str) -> str:
        return RANDOM_ID.sub("<uuid4>", RECORDED.sub("<time>", text))

    return mask(done.stdout), mask(done.stderr), done.returncode


SCRIPT: list[list[str]] = [
    ["refer", "--cpr", CPR, "--programme", "pva", "--referring-caseworker", "bo",
     "--occurred-on", "2019-01-02", "--command-id", "script-1"],
    ["accept", CPR, "--consultant", "mette", "--occurred-on", "2019-01-03"],
    ["measure", CPR, "--point", "1", "--form", "citizen", "--mental-health", "poor",
     "--physical-health", "good", "--who5", "1,2,1,0,2", "--occurred-on", "2019-01-04"],
    ["measure", CPR, "--point", "1", "--form", "staff", "--diagnosis", "yes", "--medication",
     "yes", "--alcohol", "no", "--network-meeting", "no", "--occurred-on", "2019-01-05"],
    ["session", CPR, "--note", "first talk", "--occurred-on", "2019-01-06"],
    ["exit", CPR, "--planned"],
    ["measure", CPR, "--point", "2", "--form", "citizen", "--who5", "1,2,9,0,2"],
    ["session", CPR, "--bogus"],
    ["show", CPR],
    ["show", CPR, "--format", "json"],
    ["courses", "--format", "json"],
    ["--version"],
]
"""Writes, a refused move (exit 1), bad input (exit 2), a usage error (exit 2) and reads."""


def test_a_session_of_commands_is_the_same_served_and_in_process(
    tmp_path: Path, server: Served
) -> None:
    served_env = through(server, base_env(tmp_path, tmp_path / "served.sqlite"))
    local_env = in_process(base_env(tmp_path, tmp_path / "local.sqlite"))

    codes = []
    for args in SCRIPT:
        served = forloeb(served_env, *args)
        local = forloeb(local_env, *args)

        assert outcome(served) == outcome(local), args
        codes.append(local.returncode)
    assert codes == [0, 0, 0, 0, 0, 1, 2, 2, 0, 0, 0, 0]  # refusals and errors included
    assert server.served() == len(SCRIPT)


def test_a_prompt_reads_the_clients_stdin(tmp_path: Path, server: Served) -> None:
    env = through(server, base_env(tmp_path, tmp_path / "store.sqlite"))
    forloeb(env, *SCRIPT[0])

    typed_wrong = forloeb(env, "citizen", "erase", CPR, "--reason", "test", input="020290-1234\n")

    assert typed_wrong.returncode == 1, typed_wrong.stderr
    assert "Type the CPR number again" in typed_wrong.stdout
    assert typed_wrong.stderr == (
        "error: confirm: the CPR typed did not match; nothing was erased\n"
    )
    assert server.served() == 2


def test_a_relative_path_is_the_clients(tmp_path: Path, server: Served) -> None:
    work = tmp_path / "work"
    work.mkdir()
    initialised(work / "here.sqlite")
    env = through(server, base_env(tmp_path, tmp_path / "unused.sqlite"))

    done = forloeb(env, "--db", "here.sqlite", *SCRIPT[0], cwd=work)

    assert done.returncode == 0, done.stderr
    assert (work / "here.sqlite").is_file()
    assert not (tmp_path / "server" / "here.sqlite").exists()  # where the server runs
    assert server.served() == 1


def test_the_actor_is_the_clients_user(tmp_path: Path, server: Served) -> None:
    env = through(server, base_env(tmp_path, tmp_path / "store.sqlite", FORLOEB_USER="bo"))

    forloeb(env, *SCRIPT[0])
    shown = forloeb(env, "show", CPR, "--format", "json")

    assert [row["actor"] for row in json.loads(shown.stdout)["history"]] == ["bo"]
    assert server.served() == 2  # the server itself was started as anna


def test_a_stale_server_is_bypassed_and_stops(tmp_path: Path) -> None:
    code = tmp_path / "code"
    for package in ("cli", "domain", "workflows", "projections"):
        shutil.copytree(REPO / package, code / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "server").mkdir()
    env = base_env(tmp_path, tmp_path / "store.sqlite", PYTHONPATH=str(code))
    served = start_server(tmp_path / "server" / "sock" / "server.sock", env)
    try:
        first = forloeb(through(served, env), *SCRIPT[0])
        module = code / "domain" / "values.py"
        os.utime(module, ns=(time.time_ns(), module.stat().st_mtime_ns + 10**9))

        stale = forloeb(through(served, env), "show", CPR)
        fresh = forloeb(in_process(env), "show", CPR)

        assert first.returncode == 0, first.stderr
        assert outcome(stale) == outcome(fresh)
        assert stale.returncode == 0, stale.stderr
        served.process.wait(timeout=20)  # it stops by itself
        text = served.stop()
        assert "the project's files changed; served 1 command(s)" in text
    finally:
        _kill(served)


@pytest.mark.parametrize(
    "garbage", [b"", b"\x00\x00\x00\x02{}", b"\x00\x00\x00\x04null", b"\xff\xff\xff\xffx"]
)
def test_a_bad_request_leaves_the_server_serving(
    tmp_path: Path, server: Served, garbage: bytes
) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as bad:
        bad.connect(str(server.socket))
        bad.sendall(garbage)
        bad.shutdown(socket.SHUT_WR)
        assert bad.recv(100) in (b"", b"mismatch\n")

    done = forloeb(through(server, base_env(tmp_path, tmp_path / "store.sqlite")), *SCRIPT[0])

    assert done.returncode == 0, done.stderr
    assert server.served() == 1


def test_a_server_set_up_otherwise_is_bypassed(tmp_path: Path) -> None:
    (tmp_path / "server").mkdir()
    env = base_env(tmp_path, tmp_path / "store.sqlite", PYTHONUTF8="0")
    served = start_server(tmp_path / "server" / "sock" / "server.sock", env)
    try:
        utf8_mode = forloeb(through(served, {**env, "PYTHONUTF8": "1"}), *SCRIPT[0])
        same = forloeb(through(served, env), "show", CPR)

        assert utf8_mode.returncode == 0, utf8_mode.stderr
        assert utf8_mode.stdout.startswith("course ")
        assert same.returncode == 0, same.stderr
        assert served.served() == 1  # only the second: the first ran in-process
    finally:
        _kill(served)


@pytest.mark.parametrize("leftover", ["none", "socket", "file"])
def test_no_listening_server_means_in_process(tmp_path: Path, leftover: str) -> None:
    path = tmp_path / "server.sock"
    if leftover == "socket":
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
            dead.bind(str(path))  # the file stays; nothing listens on it
    elif leftover == "file":
        path.write_text("not a socket")
    env = base_env(tmp_path, tmp_path / "store.sqlite", FORLOEB_SOCKET=str(path))

    done = forloeb(env, *SCRIPT[0])

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("course ")
    assert done.stderr == ""


def test_serve_refuses_a_socket_folder_others_may_enter(tmp_path: Path) -> None:
    folder = tmp_path / "open"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    env = base_env(tmp_path, tmp_path / "store.sqlite")

    done = forloeb(env, "serve", "--socket", str(folder / "server.sock"))

    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {folder} is open to other users (mode 755")
    assert not (folder / "server.sock").exists()


def test_serve_refuses_to_start_beside_a_live_server(tmp_path: Path, server: Served) -> None:
    env = base_env(tmp_path, tmp_path / "store.sqlite")

    done = forloeb(env, "serve", "--socket", str(server.socket), "--idle-timeout", "1")

    assert done.returncode == 1
    assert done.stderr == f"error: a server already listens on {server.socket}\n"
    assert server.socket.stat().st_mode & 0o777 == 0o600
    assert server.socket.parent.stat().st_mode & 0o777 == 0o700
    assert server.served() == 0


def test_serve_stops_when_idle(tmp_path: Path) -> None:
    (tmp_path / "server").mkdir()
    served = start_server(tmp_path / "server" / "sock" / "server.sock",
                          base_env(tmp_path, tmp_path / "store.sqlite"), "--idle-timeout", "0.5")
    try:
        served.process.wait(timeout=20)
        assert "idle for 0.5 s; served 0 command(s)" in served.stop()
    finally:
        _kill(served)


def read_until(stream: int, text: str, seconds: float = 30.0) -> str:
    """Read a pipe until `text` appears (the prompt has no newline)."""
    seen, deadline = "", time.monotonic() + seconds
    while text not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.1)
        if ready:
            chunk = os.read(stream, 4096)
            if not chunk:
                break
            seen += chunk.decode()
    assert text in seen, seen
    return seen


def waiting_erase(env: dict[str, str]) -> subprocess.Popen[str]:
    """`citizen erase` stopped at its prompt, its stdin held open."""
    forloeb(env, *SCRIPT[0])
    client = subprocess.Popen(
        [str(FORLOEB), "citizen", "erase", CPR, "--reason", "test"], env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert client.stdout is not None
    read_until(client.stdout.fileno(), "Type the CPR number again")
    return client


def worker(served: Served) -> int:
    """The pid of the server's one child (the worker running a command)."""
    children = subprocess.run(["pgrep", "-P", str(served.process.pid)], capture_output=True,
                              text=True, check=False).stdout.split()
    assert len(children) == 1, children
    return int(children[0])


def wait_until_reading(pid: int, seconds: float = 30.0) -> None:
    """Wait until the process sleeps in a pipe read. A SIGINT that lands between the prompt
    and the read is only seen when the read returns (CPython checks signals between
    bytecodes), in-process or served alike: the test must not send it there."""
    wchan, deadline = Path(f"/proc/{pid}/wchan"), time.monotonic() + seconds
    if not wchan.exists():
        time.sleep(1.0)
        return
    while "pipe" not in wchan.read_text() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_ctrl_c_on_the_client_interrupts_the_command(tmp_path: Path, server: Served) -> None:
    client = waiting_erase(through(server, base_env(tmp_path, tmp_path / "store.sqlite")))
    wait_until_reading(worker(server))

    client.send_signal(signal.SIGINT)
    client.wait(timeout=30)  # stdin stays open: the prompt cannot end by reading EOF
    _, err = client.communicate(timeout=30)

    assert client.returncode == 130
    assert err.endswith("error: interrupted; nothing more was written\n")
    assert server.served() == 2


def test_sigterm_on_the_client_ends_it_as_it_ends_the_command(
    tmp_path: Path, server: Served
) -> None:
    client = waiting_erase(through(server, base_env(tmp_path, tmp_path / "store.sqlite")))

    client.send_signal(signal.SIGTERM)
    client.wait(timeout=30)  # stdin stays open: the prompt cannot end by reading EOF
    client.communicate(timeout=30)

    assert client.returncode == -signal.SIGTERM  # as an in-process command would end
    assert server.served() == 2


def test_a_worker_killed_leaves_one_line_and_exit_1(tmp_path: Path, server: Served) -> None:
    client = waiting_erase(through(server, base_env(tmp_path, tmp_path / "store.sqlite")))

    os.kill(worker(server), signal.SIGKILL)
    client.wait(timeout=30)
    _, err = client.communicate(timeout=30)

    assert client.returncode == 1
    assert err == "forloeb: the server's worker ended without an exit code\n"


def test_killing_the_client_ends_the_command(tmp_path: Path, server: Served) -> None:
    client = waiting_erase(through(server, base_env(tmp_path, tmp_path / "store.sqlite")))
    child = worker(server)

    client.kill()
    client.wait(timeout=30)  # its stdin stays open: the prompt cannot end by reading EOF

    deadline = time.monotonic() + 30
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(child)
    client.communicate(timeout=30)


def _alive(pid: int) -> bool:
    """Whether a process of that pid exists (the server reaps its children at once)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
