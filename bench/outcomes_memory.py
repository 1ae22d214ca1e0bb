"""The outcomes pull as a whole `forloeb outcomes` process: wall time and peak memory.

The pull runs as its own process on a store whose views are built, and its
peak resident memory is the kernel's account of that one child (`os.wait4`),
so nothing of the benchmark's own process is counted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.measure import BENCH_USER, Figure, child_env

MEMORY_GOAL_MB = 300.0


@dataclass(frozen=True)
class Pull:
    """One `forloeb outcomes` process: its wall time and peak RSS."""

    seconds: float
    peak_rss_mb: float


def forloeb_script() -> str:
    """The project's `forloeb` console script (beside this interpreter)."""
    return str(Path(sys.executable).with_name("forloeb"))


def pull(store_args: list[str], programme: str) -> Pull:
    """Run `forloeb outcomes --programme PROGRAMME --format json` once and account for it."""
    argv = [forloeb_script(), *store_args, "--as", BENCH_USER, "outcomes"]
    argv += ["--programme", programme, "--format", "json"]
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise RuntimeError(f"forloeb outcomes exited {process.returncode}: {errors[-400:]}")
    return Pull(seconds, usage.ru_maxrss / 1024)


def pull_figures(kind: str, store_args: list[str], programme: str, runs: int = 3) -> list[Figure]:
    """The outcomes pull's median wall time and its highest peak memory over `runs`."""
    pulls = [pull(store_args, programme) for _ in range(runs)]
    peak = max(p.peak_rss_mb for p in pulls)
    seconds = sorted(p.seconds for p in pulls)[len(pulls) // 2]
    name = f"3 views [{kind}]"
    return [
        Figure(name, "forloeb outcomes as a process (views built)", seconds, "s"),
        Figure(
            name, "forloeb outcomes peak memory (RSS)", peak, "MB",
            goal=f"<= {MEMORY_GOAL_MB:.0f} MB", met=peak <= MEMORY_GOAL_MB,
        ),
    ]  # fmt: skip
