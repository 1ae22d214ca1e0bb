"""The outcomes pull as a whole `forloeb outcomes` process: wall time and peak memory.

The pull runs as its own process on a store whose views are built: the
`forloeb` console script's own `main`, started by a few lines that, at exit
(the CLI leaves by `os._exit`, so that too),
print the process's peak resident memory (Linux's VmHWM, which starts afresh
at exec; `ru_maxrss` keeps the forked parent's high-water mark, so it would
count the benchmark's own process).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass

from bench.measure import BENCH_USER, Figure, child_env

MEMORY_GOAL_MB = 300.0


@dataclass(frozen=True)
class Pull:
    """One `forloeb outcomes` process: its wall time and peak RSS."""

    seconds: float
    peak_rss_mb: float


PEAK_MARK = "peak_rss_kib="
RUN_MEASURED = f"""
import atexit, os, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("{PEAK_MARK}" + line.split()[1] + "\\n")
            sys.stderr.flush()
leave = os._exit
def measured_exit(code):
    peak()
    leave(code)
os._exit = measured_exit
atexit.register(peak)
from cli.remote import main
sys.argv[0] = "forloeb"
sys.exit(main())
"""
"""`forloeb ARGS` as the console script runs it, printing its peak RSS (KiB) at exit."""


def pull(store_args: list[str], programme: str) -> Pull:
    """Run `forloeb outcomes --programme PROGRAMME --format json` once and account for it."""
    argv = [sys.executable, "-c", RUN_MEASURED, *store_args, "--as", BENCH_USER, "outcomes"]
    argv += ["--programme", programme, "--format", "json"]
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, errors = process.communicate()
    seconds = time.perf_counter() - started
    text = errors.decode()
    if process.returncode != 0:
        raise RuntimeError(f"forloeb outcomes exited {process.returncode}: {text[-400:]}")
    marks = [line for line in text.splitlines() if line.startswith(PEAK_MARK)]
    if not marks:
        raise RuntimeError("forloeb outcomes: no peak memory reported (not Linux?)")
    return Pull(seconds, int(marks[-1].removeprefix(PEAK_MARK)) / 1024)


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
