"""Crashes: `forloeb projections rebuild` killed with SIGKILL at 25 random points.

A store holding a large cohort (about 11,000 events: more than one batch of
the rebuild, so a kill can fall between two committed batches) has its views
rebuilt from zero once, to completion, in a process of its own: that is the
reference. Then, 25 times, a rebuild is started as a real process and killed
at a seeded random moment of its run (opening the store, emptying the views,
writing a batch, committing, creating the indexes at the end). After each kill:

- the log is untouched: the events, their hash chain and the citizens' keys
  hold the same rows as before (count and digest);
- one plain run to completion — `projections rebuild` again, or the
  `projections run --once` catch-up, in turn (in this process, through click)
  — leaves every view at the head,
  none marked as rebuilding, and equal, row for row, to the reference.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.bootstrap import open_service
from cli.importer import import_lines
from cli.main import forloeb as forloeb_group
from cli.projections_cmd import status_dict
from projections.base import REBUILDING
from projections.catalog import open_views, registered
from storage.store import StoreConfig

from .conftest import write_import_file
from .crashes import (
    USER,
    Kill,
    Watcher,
    caught_up,
    kill_when,
    log_digest,
    projection_status,
    start,
    views_snapshot,
)

REBUILD_SIZE = 330
"""Citizens in the store: about 10,000 lines, 11,000 events."""
KILLS = {"sqlite": 25, "postgres": 6}
FIRST_VIEW = registered()[0].name
"""The view a rebuild empties first: its rebuilding mark says the rebuild has begun."""
MISSES = 6
"""Attempts at a kill point before giving up (each with half the jitter of the last)."""
FINISHERS = (("projections", "rebuild"), ("projections", "run", "--once"))

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]


def fill(store: StoreConfig, folder: Path) -> None:
    """Import the cohort into the store (in this process) and catch the views up."""
    lines = write_import_file(folder / "cohort.jsonl", REBUILD_SIZE, seed=12)
    service = open_service(store)
    try:
        report = import_lines(service, lines.read_text().splitlines(), "tester")
        assert report.applied == report.lines and not report.refused
        with open_views(store, app=service) as views:
            views.catch_up()
    finally:
        service.close()


def rebuilding_mark(store: StoreConfig, prefix: str) -> str:
    """Whether the first view is marked as rebuilding (its reset has committed)."""
    return (
        f"SELECT count(*) FROM {prefix}{FIRST_VIEW}_tracking "
        f"WHERE application_name = '{REBUILDING}'"
    )


@dataclass(frozen=True)
class Timing:
    """How a rebuild run to completion spends its time."""

    starting: float
    """From the start until the first view was emptied and marked as rebuilding."""
    rebuilding: float
    """From then until the process ended."""


def reference_rebuild(store: StoreConfig, tmp_path: Path) -> Timing:
    """Rebuild every view to completion in a process of its own, and time it."""
    started = time.monotonic()
    process = start(store, tmp_path, "projections", "rebuild")
    with Watcher(store, rebuilding_mark) as marked:
        while process.poll() is None and not marked():
            time.sleep(0.005)
    reset = time.monotonic()
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    assert "rebuilt to position" in out
    return Timing(reset - started, time.monotonic() - reset)


def kill_rebuild(store: StoreConfig, tmp_path: Path, kill: Kill) -> bool:
    """Start a rebuild and kill it as planned: `jitter` seconds after the first view was
    reset, or (target 0) after the start. A rebuild that finishes first is started again
    with half the jitter (a few times); whether one was killed."""
    jitter = kill.jitter
    for _ in range(MISSES):
        process = start(store, tmp_path, "projections", "rebuild")
        if kill.target == 0:
            killed = kill_when(process, lambda: True, jitter)
        else:
            with Watcher(store, rebuilding_mark) as marked:
                killed = kill_when(process, lambda: marked() > 0, jitter)
        if killed:
            return True
        jitter /= 2
    return False


def finish(store: StoreConfig, tmp_path: Path, *args: str) -> str:
    """`forloeb ARGS` run to completion in this process (a rebuild or a catch-up); its
    output."""
    where = ["--database-url", store.database_url] if store.database_url else [
        "--db", str(store.sqlite_path)]
    runner = CliRunner(env={"XDG_STATE_HOME": str(tmp_path / "state")})
    result = runner.invoke(forloeb_group, [*where, "--as", USER, *args])
    assert result.exit_code == 0, result.output
    return result.output


def kill_plan(rng: random.Random, count: int, timing: Timing) -> list[Kill]:
    """`count` kill points: a few while the process starts, the rest spread over the
    rebuild itself (emptying, batches, commits, indexes at the end)."""
    early = [Kill(0, rng.uniform(0.0, timing.starting)) for _ in range(count // 8)]
    late = [Kill(1, rng.uniform(0.0, timing.rebuilding)) for _ in range(count - len(early))]
    plan = early + late
    rng.shuffle(plan)
    return plan


def views_status(store: StoreConfig) -> list[dict[str, Any]]:
    """Each view's status, as `projections status --format json` gives it."""
    with open_views(store) as views:
        return [status_dict(s) for s in views.status()]


def test_a_rebuild_killed_at_random_points_finishes_equal_to_a_rebuild_from_zero(
    store: StoreConfig, tmp_path: Path
) -> None:
    kind = "postgres" if store.is_postgres else "sqlite"
    fill(store, tmp_path)
    log = log_digest(store)
    timing = reference_rebuild(store, tmp_path)
    reference = views_snapshot(store)
    assert sum(len(rows) for view in reference.values() for rows in view.values()) > 1000
    landed = 0

    for n, kill in enumerate(kill_plan(random.Random(1864), KILLS[kind], timing)):
        landed += kill_rebuild(store, tmp_path, kill)
        assert log_digest(store) == log

        finish(store, tmp_path, *FINISHERS[n % len(FINISHERS)])
        assert caught_up(views_status(store))
        assert views_snapshot(store) == reference

    assert landed == KILLS[kind], f"only {landed} kills hit a running rebuild"
    assert caught_up(projection_status(store, tmp_path))
    assert log_digest(store) == log
