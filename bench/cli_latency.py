"""Benchmark 1: wall time of one CLI write command, as a whole process, on a large store.

Measured: `forloeb --as bench STORE session COURSE --note bench` run as the
installed console script, N times, alternating with the baseline `python -c
pass` (the interpreter's own start and exit), so both see the same load, twice:
- served: with a `forloeb serve` running (started here on a temporary socket,
  stopped after), which forks a child with the modules already imported for
  each command. Goal: median <= 150 ms per command. The server's own count of
  commands served must equal the runs, or the benchmark fails (no figure from
  a silent fallback);
- in-process (FORLOEB_SERVER=off): every module imported anew; reported only.

Before timing, the project's packages are compiled (`python -m compileall -q
domain workflows projections cli`): this sandbox sets PYTHONDONTWRITEBYTECODE=1,
so a cold run would otherwise compile them from source every time, which an
installed wheel (shipping bytecode) never does.

Where the time goes, from the same run:
- `forloeb --version` in-process: the CLI imported but no store touched;
- `bench.cli_phases`: the write done step by step with a clock around each step;
- `python -X importtime`: the write command's imports, summed per top-level package.
"""

from __future__ import annotations

import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
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

GOAL_SECONDS = 0.150
IMPORTTIME = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")
PACKAGES = ("domain", "workflows", "projections", "cli")
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


@contextmanager
def server(env: dict[str, str]) -> Iterator[tuple[dict[str, str], list[int]]]:
    """A `forloeb serve` on a temporary socket: the clients' environment, and (after the
    block) the number of commands it says it served."""
    folder = Path(tempfile.mkdtemp(prefix="forloeb-bench-"))
    path = folder / "server.sock"
    process = subprocess.Popen(
        [forloeb_script(), "serve", "--socket", str(path)],
        env={**env, "FORLOEB_SERVER": "off"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served: list[int] = []
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], SERVER_START_SECONDS)
        line = process.stdout.readline() if ready else ""
        if "listening on" not in line:
            raise RuntimeError(f"forloeb serve did not start: {line.strip()}")
        yield {**env, "FORLOEB_SOCKET": str(path)}, served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
        found = re.search(r"served (\d+) command", out)
        served.append(int(found.group(1)) if found else -1)
        shutil.rmtree(folder, ignore_errors=True)


def run(kind: str, store_args: list[str], course: dict[str, Any], runs: int) -> list[Figure]:
    """Time the write command served and in-process against `python -c pass`; break the
    in-process time down."""
    say("compiling the project's packages (python -m compileall; not timed)")
    compile_project()
    cold_env = {**child_env(), "FORLOEB_SERVER": "off"}
    argv = write_argv(store_args, course["course_id"])
    say(f"{kind}: CLI write x{runs} served and x{runs} in-process, alternating with python -c pass")
    writes, colds, startups, versions = [], [], [], []
    with server(child_env()) as (served_env, served):
        timed_run(argv, served_env)  # warm the page cache; not counted
        timed_run(argv, cold_env)
        for _ in range(runs):
            writes.append(timed_run(argv, served_env))
            startups.append(python_startup_seconds())
            colds.append(timed_run(argv, cold_env))
            versions.append(timed_run([forloeb_script(), "--version"], cold_env))
    if served != [runs + 1]:
        raise RuntimeError(f"forloeb serve served {served[0]} of {runs + 1} commands")
    phases = phase_breakdown(store_args, course["course_id"], max(3, runs // 3))
    imports = import_breakdown(argv, cold_env)
    write, baseline = median(writes), median(startups)
    name = f"session on a {course['version']}-event course"
    return [
        Figure(
            benchmark=f"1 CLI write [{kind}]",
            name=f"{name}, served (forloeb serve)",
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
            name=f"{name}, in-process (FORLOEB_SERVER=off)",
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
        ("whole write, served", "write_seconds"),
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
