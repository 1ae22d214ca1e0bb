"""Benchmark 5: how light `forloeb` starts in-process (no server named).

Measured as whole processes, N times each, interleaved run by run with the
baseline `python -c pass` so all three see the same load:
- the in-process write `forloeb --as bench STORE session COURSE --note bench` on
  the store of ~N events (imports, opens the store, decides, saves, catches up
  the views a write must). Goal: median <= 200 ms;
- `forloeb --help`, which lists the commands without importing them.
  Goal: median <= 120 ms.
The project's packages are compiled first (see `bench.cli_latency`). Where a
write's time goes is printed under benchmark 1.
"""

from __future__ import annotations

from typing import Any

from bench.baseline import python_startup_seconds
from bench.cli_latency import compile_project, forloeb_script, write_argv
from bench.measure import Figure, child_env, median, say, spread, timed_run

WRITE_GOAL_SECONDS = 0.200
HELP_GOAL_SECONDS = 0.120


def run(kind: str, store_args: list[str], course: dict[str, Any], runs: int) -> list[Figure]:
    """Time the in-process write and `--help` against `python -c pass`, interleaved."""
    say("compiling the project's packages (python -m compileall; not timed)")
    compile_project()
    env = child_env()
    write = write_argv(store_args, course["course_id"])
    help_argv = [forloeb_script(), "--help"]
    say(f"{kind}: in-process write and --help x{runs}, alternating with python -c pass")
    timed_run(write, env)  # warm the page cache and the code cache (cli.code_cache); not counted
    timed_run(help_argv, env)
    writes, helps, startups = [], [], []
    for _ in range(runs):
        startups.append(python_startup_seconds())
        writes.append(timed_run(write, env))
        helps.append(timed_run(help_argv, env))
    baseline = median(startups)
    detail = {
        "python_seconds": spread(startups),
        "write_seconds": spread(writes),
        "help_seconds": spread(helps),
    }
    return [
        _figure(
            kind,
            f"session on a {course['version']}-event course, in-process",
            writes,
            baseline,
            WRITE_GOAL_SECONDS,
            detail,
        ),
        _figure(kind, "forloeb --help", helps, baseline, HELP_GOAL_SECONDS, {}),
    ]


def _figure(
    kind: str,
    name: str,
    samples: list[float],
    baseline: float,
    goal: float,
    detail: dict[str, Any],
) -> Figure:
    value = median(samples)
    return Figure(
        benchmark=f"5 CLI start [{kind}]",
        name=name,
        value=value,
        unit="s",
        baseline=baseline,
        baseline_name="python -c pass",
        goal=f"<= {goal * 1000:.0f} ms",
        met=value <= goal,
        detail=detail or {"seconds": spread(samples)},
    )
