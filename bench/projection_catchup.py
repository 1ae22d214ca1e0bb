"""Benchmark 3: the read views, incrementally and from scratch, on the large store.

- Catch-up after one command: a session is recorded (not timed), then
  `views.catch_up()` is timed; median over N. Baseline: the bare library
  reading and decoding that one new notification. Goal: <= 10 ms.
- Full rebuild of all views (`views.rebuild()`) in events/s, in a child
  process, alternating with a child running the bare loop that only reads and
  decodes the same log (`select_notifications` + `mapper.to_logged_event`,
  the collector paused as over the rebuild: like for like with the views).
  Goal: ratio >= 0.6.
- Peak memory of the rebuild child (VmHWM, interpreter included).
  Goal: <= 300 MB.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from bench.measure import Figure, child_env, child_json, median, python_argv, say, spread
from cli.bootstrap import open_service

if TYPE_CHECKING:
    from storage.store import StoreConfig

CATCH_UP_GOAL_SECONDS = 0.010
REBUILD_GOAL_RATIO = 0.6
MEMORY_GOAL_MB = 300.0


def rebuild_figures(kind: str, store_args: list[str], runs: int) -> list[Figure]:
    """Rebuild all views and decode the log alone, alternately, in child processes."""
    rebuilds: list[dict[str, Any]] = []
    decodes: list[dict[str, Any]] = []
    for i in range(runs):
        say(f"{kind}: rebuild all views, run {i + 1}/{runs}")
        rebuilds.append(_child("rebuild", store_args))
        say(f"{kind}: bare read + decode loop, run {i + 1}/{runs}")
        decodes.append(_child("decode", store_args))
    say(f"{kind}: one more rebuild with clocks around each step")
    breakdown = _child("breakdown", store_args)
    rate = median([r["events"] / r["seconds"] for r in rebuilds])
    bare = median([r["events"] / r["seconds"] for r in decodes])
    peak = max(r["peak_rss_mb"] for r in rebuilds)
    return [
        Figure(
            benchmark=f"3 views [{kind}]",
            name=f"rebuild all views ({rebuilds[0]['events']:,} events)",
            value=rate,
            unit="events/s",
            baseline=bare,
            baseline_name="bare read+decode",
            goal=f"ratio >= {REBUILD_GOAL_RATIO}",
            met=rate / bare >= REBUILD_GOAL_RATIO,
            detail={"rebuild": rebuilds, "decode": decodes, "breakdown": breakdown},
        ),
        Figure(
            benchmark=f"3 views [{kind}]",
            name="rebuild peak memory (RSS)",
            value=peak,
            unit="MB",
            baseline=max(r["peak_rss_mb"] for r in decodes),
            baseline_name="bare read+decode",
            goal=f"<= {MEMORY_GOAL_MB:.0f} MB",
            met=peak <= MEMORY_GOAL_MB,
            detail={"rss_before_rebuild_mb": [r["rss_before_mb"] for r in rebuilds]},
        ),
    ]


def first_build_figures(kind: str, store_args: list[str]) -> list[Figure]:
    """The views' first build on a kept store (a rebuild, in a child process), if its views
    are not built yet: events/s and peak memory (no baseline: a bare loop over 10M events
    would double the run); nothing when they were built by an earlier run."""
    status = _child("status", store_args)
    if not status["behind"]:
        say(f"{kind}: views kept from an earlier run (built at {status['head']:,} events)")
        return []
    say(f"{kind}: building the views ({status['head']:,} events; once, kept)")
    built = _child("rebuild", store_args)
    return [
        Figure(
            benchmark=f"3 views [{kind}]",
            name=f"first build of all views ({built['events']:,} events)",
            value=built["events"] / built["seconds"],
            unit="events/s",
            detail={"first_build": built},
        ),
        Figure(
            benchmark=f"3 views [{kind}]",
            name="first build peak memory (RSS)",
            value=built["peak_rss_mb"],
            unit="MB",
            goal=f"<= {MEMORY_GOAL_MB:.0f} MB",
            met=built["peak_rss_mb"] <= MEMORY_GOAL_MB,
        ),
    ]


def _child(mode: str, store_args: list[str]) -> dict[str, Any]:
    return child_json(python_argv("-m", "bench.rebuild_child", mode, *store_args), child_env())


def catch_up_figure(kind: str, store: StoreConfig, course_id: str, runs: int) -> Figure:
    """Median `views.catch_up()` after one new session, beside decoding that one event."""
    from cli.vocabulary import build_command
    from projections.catalog import open_views
    from workflows.commands import Session

    service = open_service(store)
    views = open_views(store, app=service)
    views.catch_up()
    say(f"{kind}: catch-up after one command x{runs}")
    catch_ups: list[float] = []
    decodes: list[float] = []
    executes: list[float] = []
    try:
        for _ in range(runs):
            command = build_command(Session, {"course": course_id, "note": "bench"})
            started = time.perf_counter()
            service.execute(command, "bench")
            executes.append(time.perf_counter() - started)
            decodes.append(_decode_last(service))
            started = time.perf_counter()
            processed = views.catch_up()
            catch_ups.append(time.perf_counter() - started)
            if processed != 1:
                raise RuntimeError(f"catch_up processed {processed} notifications, not 1")
    finally:
        views.close()
        service.close()
    value = median(catch_ups)
    return Figure(
        benchmark=f"3 views [{kind}]",
        name="catch_up() after one command",
        value=value,
        unit="s",
        baseline=median(decodes),
        baseline_name="bare read+decode 1",
        goal=f"<= {CATCH_UP_GOAL_SECONDS * 1000:.0f} ms",
        met=value <= CATCH_UP_GOAL_SECONDS,
        detail={
            "catch_up_seconds": spread(catch_ups),
            "decode_seconds": spread(decodes),
            "execute_seconds": spread(executes),
        },
    )


def _decode_last(service: Any) -> float:
    """Seconds for the bare library to read and decode the newest notification."""
    started = time.perf_counter()
    head = service.recorder.max_notification_id()
    for notification in service.recorder.select_notifications(
        start=head - 1, limit=10, inclusive_of_start=False
    ):
        service.mapper.to_domain_event(notification)
    return time.perf_counter() - started


def describe(figure: Figure) -> list[str]:
    """Readable lines: where a rebuild's time goes (one instrumented rebuild)."""
    breakdown = figure.detail["breakdown"]
    total = breakdown["seconds"]
    lines = [
        f"{figure.benchmark}: where a rebuild's time goes (one instrumented rebuild, "
        f"{breakdown['events']:,} events in {total:.2f} s)"
    ]
    spent = breakdown["spent_seconds"]
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        lines.append(f"  {100 * seconds / total:5.1f} %  {seconds:6.2f} s  {name}")
    rest = total - sum(spent.values())
    lines.append(
        f"  {100 * rest / total:5.1f} %  {rest:6.2f} s  rest (transactions, tracking, loop)"
    )
    return lines + cpu_lines(figure)


def cpu_lines(figure: Figure) -> list[str]:
    """The rebuild beside the bare loop in CPU seconds (medians of the same runs): on a
    shared machine, other processes' load slows wall time but hardly this."""
    rebuilds, decodes = figure.detail["rebuild"], figure.detail["decode"]
    if not all("cpu_seconds" in r for r in [*rebuilds, *decodes]):
        return []
    rebuild = median([r["cpu_seconds"] / r["events"] for r in rebuilds])
    bare = median([r["cpu_seconds"] / r["events"] for r in decodes])
    events = rebuilds[0]["events"]
    return [
        f"{figure.benchmark}: in CPU seconds (median per event x {events:,} events): "
        f"rebuild {rebuild * events:.2f} s, bare read+decode {bare * events:.2f} s, "
        f"ratio {bare / rebuild:.2f}"
    ]
