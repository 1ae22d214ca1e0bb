"""Child process: rebuild every view, or only read and decode the log, printed as JSON.

`python -m bench.rebuild_child rebuild|decode|breakdown|status STORE-OPTIONS...`
opens the store, then either rebuilds all views (`Views.rebuild()`) or runs
the bare library loop that reads and decodes the same events. It reports the
seconds (wall and this process's CPU), the events, and the process's peak
resident memory before and after
(own process, so the figure is the rebuild's alone plus the interpreter).
In every mode the views are opened (their modules imported) before the clocks
start, so neither figure includes loading code.
`breakdown` rebuilds with a clock around reading, decoding and each view's
projection (wrappers, no profiler), to show where a rebuild's time goes.
`status` only says whether any view is behind the head.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli.bootstrap import open_service


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB.

    Linux's VmHWM, which starts afresh at exec. `ru_maxrss` does not: it keeps
    the high-water mark of the forked parent, so a child started from a big
    benchmark process would report the parent's memory. It is only the fallback.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def clocked(spent: dict[str, float], name: str, function: Callable[..., Any]) -> Any:
    """`function`, adding the seconds each call takes to `spent[name]`."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - started

    return timed


def instrument(service: Any) -> dict[str, float]:
    """Clock reading, decoding and every view's `project` (class-wide); the totals."""
    from projections.base import ViewProjection
    from storage import view_reading

    spent: dict[str, float] = defaultdict(float)
    view_reading.select_for_views = clocked(
        spent, "read notifications (recorder)", view_reading.select_for_views
    )
    service.mapper.to_logged_event = clocked(
        spent, "decode events (mapper)", service.mapper.to_logged_event
    )
    original = ViewProjection.project

    def project(self: Any, c: Any, events: Any) -> None:
        started = time.perf_counter()
        try:
            original(self, c, events)
        finally:
            spent[f"project: {type(self).__name__}"] += time.perf_counter() - started

    ViewProjection.project = project  # type: ignore[method-assign]
    return spent


def instrument_settling(spent: dict[str, float]) -> None:
    """Clock each projection's `settle` (the views must be open, their classes imported)."""
    from projections.base import ViewProjection

    for cls in ViewProjection.__subclasses__():
        if "settle" in vars(cls):  # work kept back to the batch reaching the head
            name = f"settle: {cls.__name__}"
            cls.settle = clocked(spent, name, cls.settle)  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    """Open the store, run the requested pass once, print its figures."""
    mode, store_args = argv[0], argv[1:]
    options = dict(zip(store_args[::2], store_args[1::2], strict=True))
    from bench.baseline import bare_decode_throughput
    from projections.catalog import Views, open_views
    from storage.store import StoreConfig

    store = StoreConfig.from_options(options.get("--db"), options.get("--database-url"))
    service = open_service(store)
    spent = instrument(service) if mode == "breakdown" else {}
    views = open_views(store, app=service)
    for name in views.names:  # every mode: the code is loaded before either clock starts
        views.view(name)
    if mode == "breakdown":
        instrument_settling(spent)
    rss_before = peak_rss_mb()
    cpu_started = time.process_time()
    if mode in ("rebuild", "breakdown"):
        started = time.perf_counter()
        events = views.rebuild()
        seconds = time.perf_counter() - started
    elif mode == "decode":
        events, seconds = bare_decode_throughput(service, Views.batch_size)
    elif mode == "status":  # whether any view is behind the head, nothing built
        statuses = views.status()
        behind = any(s.behind or s.rebuilding for s in statuses)
        print(json.dumps({"mode": mode, "behind": behind, "head": views.head()}))
        views.close()
        service.close()
        return
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    result = {
        "mode": mode,
        "events": events,
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu_started,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
        "spent_seconds": dict(spent),
    }
    views.close()
    service.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
