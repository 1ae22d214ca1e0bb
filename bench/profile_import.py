"""Where an import's time goes: cProfile of `import_lines`, grouped into named costs.

The groups are nested (loading an aggregate includes decoding its events), so
shares do not add up to 100 %; each is the cumulative time spent inside that
step, as a share of the whole import under the profiler (which slows Python
code down more than C code, so treat shares as a ranking, not exact figures).
"""

from __future__ import annotations

import cProfile
import pstats
import time
from pathlib import Path
from typing import Any

from bench.fixture import ACTOR, StoreFactory, open_service

GROUPS: tuple[tuple[str, str, str], ...] = (
    ("parse + validate lines (command_from_line)", "cli/vocabulary.py", "command_from_line"),
    (
        "decide each line (CourseService._decide_one, with its checks)",
        "workflows/service.py",
        "_decide_one",
    ),
    ("decide (CourseService.decide)", "workflows/service.py", "decide"),
    (
        "  load aggregates (repository.get)",
        "eventsourcing/application.py",
        "_reconstruct_aggregate",
    ),
    ("    select events (recorder.select_events)", "eventsourcing/sqlite.py", "select_events"),
    (
        "    decode events (PydanticMapper.to_domain_event)",
        "workflows/persistence.py",
        "to_domain_event",
    ),
    ("      pydantic validation (model_validate)", "pydantic/main.py", "model_validate"),
    ("    replay (project_aggregate)", "eventsourcing/application.py", "project_aggregate"),
    ("      runtime Protocol isinstance (typing)", "typing.py", "__instancecheck__"),
    ("  workflow guards (Workflow.decide)", "workflows/machine.py", "decide"),
    ("  record new events (Course.record)", "domain/course.py", "record"),
    ("save batch (CourseService.save)", "workflows/service.py", "save"),
    ("  encode (PydanticMapper.to_stored_event)", "workflows/persistence.py", "to_stored_event"),
    ("  insert (recorder.insert_events)", "eventsourcing/sqlite.py", "insert_events"),
)


def profile_import(
    factory: StoreFactory, jsonl: Path, batch_size: int, max_lines: int
) -> dict[str, Any]:
    """Profile importing the file's first `max_lines` lines into a fresh store."""
    from cli.importer import import_lines

    lines = jsonl.read_text(encoding="utf-8").splitlines()[:max_lines]
    store = factory.fresh("profile")
    service = open_service(store)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    import_lines(service, lines, ACTOR, batch_size=batch_size)
    profiler.disable()
    total = time.perf_counter() - started
    events = service.recorder.max_notification_id() or 0
    service.close()
    stats = pstats.Stats(profiler)
    groups = {label: _cumulative(stats, path, name) for label, path, name in GROUPS}
    return {
        "lines": len(lines),
        "events": events,
        "batch_size": batch_size,
        "seconds_under_profiler": total,
        "groups_seconds": groups,
        "top_own_time": _top_own_time(stats, 12),
    }


def _cumulative(stats: pstats.Stats, path: str, name: str) -> float:
    """Cumulative seconds of the functions named `name` in files ending with `path`."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    return sum(
        float(entry[3])
        for (filename, _, funcname), entry in table.items()
        if funcname == name and filename.endswith(path)
    )


def _top_own_time(stats: pstats.Stats, count: int) -> list[tuple[str, float]]:
    """The functions with the most time of their own."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    ranked = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:count]
    return [(f"{Path(f).name}:{line}({name})", entry[2]) for (f, line, name), entry in ranked]


def describe(profile: dict[str, Any]) -> list[str]:
    """Readable lines: the groups as shares of the profiled import."""
    total = profile["seconds_under_profiler"]
    lines = [
        f"2 import: where the time goes (cProfile, {profile['lines']:,} lines -> "
        f"{profile['events']:,} events, batch {profile['batch_size']}, "
        f"{total:.1f} s under the profiler; nested, so shares overlap)"
    ]
    for label, seconds in profile["groups_seconds"].items():
        lines.append(f"  {100 * seconds / total:5.1f} %  {seconds:6.2f} s  {label}")
    lines.append("  most own time:")
    for name, seconds in profile["top_own_time"]:
        lines.append(f"  {100 * seconds / total:5.1f} %  {seconds:6.2f} s  {name}")
    return lines
