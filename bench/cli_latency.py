"""Benchmark 1: wall time of one CLI write command, as a whole process, on a large store.

Measured: `forloeb session COURSE --note bench` run as the installed console
script, N times, alternating with the baseline `python -c pass` (the
interpreter's own start and exit), so both see the same load, twice:
- remote: with a `forloeb server` on loopback (started here, with a personal
  access token for the user bench, stopped after); the client imports only the
  standard library's HTTP client. Goal: median <= 100 ms per command;
- in-process: every module imported anew, the store opened; reported only.

Before timing, the project's packages are compiled (`python -m compileall -q
...`): this sandbox sets PYTHONDONTWRITEBYTECODE=1, so a cold run would
otherwise compile them from source every time, which an installed wheel
(shipping bytecode) never does.

Where the time goes, from the same run:
- `forloeb --version` in-process: the CLI imported but no store touched;
- `bench.cli_phases`: the write done step by step with a clock around each step;
- `python -X importtime`: the write command's imports, summed per top-level package.
"""

from __future__ import annotations

import json
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.baseline import python_startup_seconds
from bench.measure import (
    REPO_ROOT,
    Figure,
    child_env,
    child_json,
    median,
    python_argv,
    say,
    spread,
    timed_run,
)

GOAL_SECONDS = 0.100
IMPORTTIME = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")
PACKAGES = ("domain", "storage", "workflows", "projections", "programmes", "cli", "demo", "server")
SERVER_START_SECONDS = 120.0


def forloeb_script() -> str:
    """The installed console script next to this interpreter."""
    return str(Path(sys.executable).with_name("forloeb"))


def write_argv(store_args: list[str], course: str) -> list[str]:
    """The measured write command."""
    return [forloeb_script(), "--as", "bench", *store_args, "session", course, "--note", "bench"]


def compile_project() -> None:
    """Compile the project's packages to bytecode, as an installed wheel ships them."""
    subprocess.run(python_argv("-m", "compileall", "-q", *PACKAGES), cwd=REPO_ROOT, check=True)


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server(env: dict[str, str], store_args: list[str]) -> Iterator[dict[str, str]]:
    """A `forloeb server` on loopback serving the store, and the clients' environment: its
    URL and a personal access token for the user bench (created on the store, not timed)."""
    made = subprocess.run(
        [forloeb_script(), "--as", "bench", *store_args, "tokens", "create", "bench",
         "--expires", "2099-12-31", "--format", "json"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    token = json.loads(made.stdout)["token"]
    port = free_loopback_port()
    process = subprocess.Popen(
        [forloeb_script(), "--as", "bench", *store_args, "server", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        ready, _, _ = select.select([process.stderr], [], [], SERVER_START_SECONDS)
        line = process.stderr.readline() if ready else ""
        if "forloeb server on" not in line:
            raise RuntimeError(f"forloeb server did not start: {line.strip()}")
        _wait_listening(port)
        yield {**env, "FORLOEB_SERVER_URL": f"http://127.0.0.1:{port}", "FORLOEB_TOKEN": token}
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"forloeb server is not listening on port {port}")


def run(kind: str, store_args: list[str], course: dict[str, Any], runs: int) -> list[Figure]:
    """Time the write command remote (a server on loopback) and in-process against `python -c
    pass`; break the in-process time down."""
    say("compiling the project's packages (python -m compileall; not timed)")
    compile_project()
    cold_env = child_env()
    argv = write_argv(store_args, course["course_id"])
    remote_argv = [forloeb_script(), "session", course["course_id"], "--note", "bench"]
    say(f"{kind}: CLI write x{runs} remote and x{runs} in-process, alternating with python -c pass")
    writes, colds, startups, versions = [], [], [], []
    with server(child_env(), store_args) as remote_env:
        timed_run(remote_argv, remote_env)  # warm the page cache; not counted
        timed_run(argv, cold_env)
        for _ in range(runs):
            writes.append(timed_run(remote_argv, remote_env))
            startups.append(python_startup_seconds())
            colds.append(timed_run(argv, cold_env))
            versions.append(timed_run([forloeb_script(), "--version"], cold_env))
    phases = phase_breakdown(store_args, course["course_id"], max(3, runs // 3))
    imports = import_breakdown(argv, cold_env)
    write, baseline = median(writes), median(startups)
    name = f"session on a {course['version']}-event course"
    return [
        Figure(
            benchmark=f"1 CLI write [{kind}]",
            name=f"{name}, remote (forloeb server on loopback)",
            value=write,
            unit="s",
            baseline=baseline,
            baseline_name="python -c pass",
            goal=f"<= {GOAL_SECONDS * 1000:.0f} ms",
            met=write <= GOAL_SECONDS,
            detail={
                "course": course,
                "write_seconds": spread(writes),
                "in_process_seconds": spread(colds),
                "python_seconds": spread(startups),
                "version_seconds": spread(versions),
                "phases_seconds": phases,
                "imports": imports,
            },
        ),
        Figure(
            benchmark=f"1 CLI write [{kind}]",
            name=f"{name}, in-process",
            value=median(colds),
            unit="s",
            baseline=baseline,
            baseline_name="python -c pass",
        ),
        Figure(
            benchmark=f"1 CLI write [{kind}]",
            name="forloeb --version in-process (imports only)",
            value=median(versions),
            unit="s",
            baseline=baseline,
            baseline_name="python -c pass",
        ),
    ]


def phase_breakdown(store_args: list[str], course: str, runs: int) -> dict[str, float]:
    """Median seconds of each step of a write, from `bench.cli_phases` child processes."""
    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        result = child_json(
            python_argv("-m", "bench.cli_phases", *store_args, "--", course), child_env()
        )
        for name, seconds in result["phases"].items():
            samples[name].append(seconds)
    return {name: median(values) for name, values in samples.items()}


def import_breakdown(argv: list[str], env: dict[str, str], top: int = 12) -> dict[str, Any]:
    """Self import time per top-level package of one write (`-X importtime`), largest first."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    per_package: dict[str, float] = defaultdict(float)
    modules = 0
    for line in done.stderr.splitlines():
        match = IMPORTTIME.match(line)
        if match is None:
            continue
        modules += 1
        package = match.group(4).split(".")[0]
        per_package[package] += int(match.group(1)) / 1e6
    ranked = sorted(per_package.items(), key=lambda item: item[1], reverse=True)
    return {
        "total_seconds": sum(per_package.values()),
        "modules": modules,
        "by_package_seconds": dict(ranked[:top]),
        "other_seconds": sum(seconds for _, seconds in ranked[top:]),
    }


def describe(figure: Figure) -> list[str]:
    """Readable lines: where a write command's time goes."""
    detail = figure.detail
    lines = [f"{figure.benchmark}: where one write's time goes (medians)"]
    for label, key in (
        ("python -c pass", "python_seconds"),
        ("whole write, remote", "write_seconds"),
        ("forloeb --version, in-process", "version_seconds"),
        ("whole write, in-process", "in_process_seconds"),
    ):
        lines.append(f"  {label:<30} {detail[key]['median'] * 1e3:7.1f} ms")
    lines.append("  inside an in-process write, step by step:")
    for name, seconds in detail["phases_seconds"].items():
        lines.append(f"    {seconds * 1e3:7.1f} ms  {name}")
    imports = detail["imports"]
    lines.append(
        f"  in-process imports (-X importtime, {imports['modules']} modules, "
        f"{imports['total_seconds'] * 1e3:.0f} ms self time in all, inflated by the tracing):"
    )
    for package, seconds in imports["by_package_seconds"].items():
        lines.append(f"    {seconds * 1e3:7.1f} ms  {package}")
    lines.append(f"    {imports['other_seconds'] * 1e3:7.1f} ms  (all other packages)")
    return lines
