"""`forloeb demo`: the demo cohort goes in through the import path and is shown, with its
progress on a terminal and nothing extra when piped."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cli.demo
from tests.cli.conftest import Run


def tiny_cohort(size: int, seed: int) -> Iterator[dict[str, Any]]:
    """Two courses per size unit: one accepted, one only referred."""
    for n in range(size):
        cpr = f"0101{seed % 100:02d}{n:04d}"
        yield {"command": "refer", "command_id": f"r{seed}-{n}", "cpr": cpr,
               "programme": "pva", "referring_caseworker": "bo"}
        if n % 2 == 0:
            yield {"command": "accept", "command_id": f"a{seed}-{n}", "course": cpr,
                   "consultant": "mette"}


def test_demo_loads_the_cohort_and_shows_states_and_one_history(
    run: Run, run_json: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli.demo, "cohort_generator", lambda: tiny_cohort)

    result = run("demo", "--size", "4", "--seed", "90")

    assert result.exit_code == 0, result.output
    assert "6 lines, 6 applied, 0 skipped (already applied), 0 refused" in result.stdout
    assert "4 courses by state" in result.stdout
    assert "history" in result.stdout
    states = sorted(row["state"] for row in run_json("courses")["courses"])
    assert states == ["baseline", "baseline", "visitation", "visitation"]


def test_the_real_demo_cohort_loads_without_refusals_and_only_once(
    run: Run, run_json: Callable[..., Any]
) -> None:
    first = run("demo", "--size", "8", "--seed", "7")
    second = run("demo", "--size", "8", "--seed", "7")

    assert first.exit_code == 0, first.output
    assert " 0 refused" in summary(first.stdout)
    assert " 0 applied, " in summary(second.stdout)
    assert len(run_json("courses")["courses"]) == 8


def summary(stdout: str) -> str:
    """The import's summary line (after any line about staff added to the configuration)."""
    return next(line for line in stdout.splitlines() if not line.startswith("config: "))


def demo_process(tmp_path: Path, size: int, **streams: Any) -> subprocess.Popen[bytes]:
    """`forloeb demo --size SIZE` as a real process on a fresh store in `tmp_path`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORLOEB_")}
    env |= {"FORLOEB_DB": str(tmp_path / "demo.sqlite"), "FORLOEB_USER": "demo",
            "XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm"}  # fmt: skip
    forloeb = Path(sys.executable).parent / "forloeb"
    return subprocess.Popen([str(forloeb), "demo", "--size", str(size)], env=env, **streams)


@pytest.mark.subprocess
def test_on_a_terminal_the_demo_shows_its_progress(tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    process = demo_process(tmp_path, 12, stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    shown = b""
    while chunk := read_or_end(controller):
        shown += chunk
    os.close(controller)

    assert process.wait(timeout=60) == 0, shown
    assert b"citizens referred" in shown and b"12/12" in shown
    assert b"updating the views" in shown
    assert b"12 courses by state" in shown


def read_or_end(fd: int) -> bytes:
    """The next bytes from a pseudo-terminal; b"" once the other side has closed."""
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: every process holding the terminal has exited
        return b""


@pytest.mark.subprocess
def test_piped_the_demo_shows_no_progress(tmp_path: Path) -> None:
    process = demo_process(tmp_path, 12, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=60)

    assert process.returncode == 0, err
    assert err == b""
    assert b"citizens referred" not in out and b"updating the views" not in out
    assert out.startswith(b"config: created ")
    assert b"12 courses by state" in out
