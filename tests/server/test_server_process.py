"""`forloeb server` as its own process, and the installed `forloeb` script talking to it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import initialised

pytestmark = pytest.mark.subprocess

SCRIPT = str(Path(sys.executable).with_name("forloeb"))


def forloeb(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, env=env, check=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_installed_script_runs_a_command_on_the_server_with_its_output_and_exit_code(
    tmp_path: Path,
) -> None:
    db = initialised(tmp_path / "forloeb.sqlite")
    local = {**os.environ, "FORLOEB_DB": str(db), "FORLOEB_USER": "anna",
             "XDG_STATE_HOME": str(tmp_path / "state"), "COLUMNS": "120"}  # fmt: skip
    made = forloeb("tokens", "create", "anna", "--expires", "2099-01-01", "--format", "json",
                   env=local)  # fmt: skip
    token = json.loads(made.stdout)["token"]
    port = free_port()
    server = subprocess.Popen(
        [SCRIPT, "server", "--port", str(port)], env=local,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        remote = {k: v for k, v in os.environ.items() if not k.startswith("FORLOEB_")}
        remote |= {"FORLOEB_SERVER_URL": f"http://127.0.0.1:{port}", "FORLOEB_TOKEN": token,
                   "COLUMNS": "120", "XDG_STATE_HOME": str(tmp_path / "remote-state")}  # fmt: skip

        referred = forloeb("refer", "--cpr", "010190-1234", "--programme", "pva",
                           "--referring-caseworker", "anna", env=remote)  # fmt: skip
        refused = forloeb("accept", "nope", "--consultant", "anna", env=remote)  # bad input: 2
        unknown = forloeb("--server", f"http://127.0.0.1:{port}", "courses", env={
            **remote, "FORLOEB_TOKEN": "flb_wrong"})  # fmt: skip
        listed_remote = forloeb("courses", env=remote)
        listed_local = forloeb("courses", env=local)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)

    assert referred.returncode == 0 and referred.stdout.startswith("course ")
    assert refused.returncode == 2 and refused.stderr.startswith("error: course: ")
    assert (unknown.returncode, unknown.stderr) == (
        1, f"error: not logged in to http://127.0.0.1:{port}: run forloeb login --server "
        f"http://127.0.0.1:{port}\n",
    )  # fmt: skip
    assert listed_remote.stdout == listed_local.stdout
    assert listed_remote.returncode == 0
