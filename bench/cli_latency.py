"""Benchmark 1: wall time of one CLI write command, as a whole process, on a large store.

Measured: `forloeb --as bench STORE session COURSE --note bench` run as the
installed console script, N times, alternating with the baseline `python -c
pass` (the interpreter's own start and exit), so both see the same load.
Goal: median <= 150 ms per command.

Where the time goes, from the same run:
- `forloeb --version`: the process with the CLI imported but no store touched;
- `bench.cli_phases`: the write done step by step with a clock around each step;
- `python -X importtime`: the write command's imports, summed per top-level package.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.baseline import python_startup_seconds
from bench.measure import (
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


def forloeb_script() -> str:
    """The installed console script next to this interpreter."""
    return str(Path(sys.executable).with_name("forloeb"))


def write_argv(store_args: list[str], course: str) -> list[str]:
    """The measured write command."""
    return [forloeb_script(), "--as", "bench", *store_args, "session", course, "--note", "bench"]


def run(kind: str, store_args: list[str], course: dict[str, Any], runs: int) -> list[Figure]:
    """Time the write command against `python -c pass`, then break its time down."""
    env = child_env()
    argv = write_argv(store_args, course["course_id"])
    say(f"{kind}: CLI write x{runs} alternating with `python -c pass`")
    timed_run(argv, env)  # warm the page cache and .pyc files; not counted
    writes, startups, versions = [], [], []
    for _ in range(runs):
        writes.append(timed_run(argv, env))
        startups.append(python_startup_seconds())
        versions.append(timed_run([forloeb_script(), "--version"], env))
    phases = phase_breakdown(store_args, course["course_id"], max(3, runs // 3))
    imports = import_breakdown(argv, env)
    write = median(writes)
    return [
        Figure(
            benchmark=f"1 CLI write [{kind}]",
            name=f"session on a {course['version']}-event course",
            value=write,
            unit="s",
            baseline=median(startups),
            baseline_name="python -c pass",
            goal=f"<= {GOAL_SECONDS * 1000:.0f} ms",
            met=write <= GOAL_SECONDS,
            detail={
                "course": course,
                "write_seconds": spread(writes),
                "python_seconds": spread(startups),
                "version_seconds": spread(versions),
                "phases_seconds": phases,
                "imports": imports,
            },
        ),
        Figure(
            benchmark=f"1 CLI write [{kind}]",
            name="forloeb --version (imports only)",
            value=median(versions),
            unit="s",
            baseline=median(startups),
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
        ("forloeb --version", "version_seconds"),
        ("whole write command", "write_seconds"),
    ):
        lines.append(f"  {label:<30} {detail[key]['median'] * 1e3:7.1f} ms")
    lines.append("  inside the process, step by step:")
    for name, seconds in detail["phases_seconds"].items():
        lines.append(f"    {seconds * 1e3:7.1f} ms  {name}")
    imports = detail["imports"]
    lines.append(
        f"  imports (-X importtime, {imports['modules']} modules, "
        f"{imports['total_seconds'] * 1e3:.0f} ms self time in all, inflated by the tracing):"
    )
    for package, seconds in imports["by_package_seconds"].items():
        lines.append(f"    {seconds * 1e3:7.1f} ms  {package}")
    lines.append(f"    {imports['other_seconds'] * 1e3:7.1f} ms  (all other packages)")
    return lines
