"""Crashes: `forloeb import` killed with SIGKILL at 25 random points of a large import.

One import of the demo cohort (about 3,700 lines, eight batches) is started
again and again as a real process and killed each time at a seeded random
moment after it has committed one more batch: while it decides, stores keys
or saves the next batch, or, when that batch was the last, while it catches
the views up. Each run resumes where the last one stopped (lines already
applied are skipped). Once a round gets through the whole file, the next
begins on a fresh store (SQLite: 25 kills in about three rounds; PostgreSQL:
one round). After every kill:

- no command is partial: every command in the log has exactly the events a
  clean import gives it, and every course and citizen holds the start of its
  clean history (a referral's course and its citizen's index together);
- `forloeb verify --all` finds the hash chain intact.

Then one run to completion leaves the same events per course as the clean
import, `projections status` at the head, and views equal to a rebuild from
zero.

One kill point is placed by hand rather than by chance: between storing a
batch's new citizen keys (a transaction of their own) and saving its events.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import pytest

from storage.keys import KEYS_TABLE
from storage.store import StoreConfig
from tests.conftest import initialised

from .conftest import CleanRun
from .crashes import (
    Log,
    caught_up,
    check_whole_commands,
    forloeb,
    kill_import,
    log_digest,
    log_size,
    projection_status,
    rebuilt_snapshot,
    start,
    verify,
    views_snapshot,
)

KILLS = {"sqlite": 25, "postgres": 9}
"""Kill points at most; PostgreSQL stops with the round that completes the log (SQLite
begins another), after at least four."""

ROOT = Path(__file__).parents[2]
"""The project's folder, from which `python -m tests.faults...` runs."""

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]


def check_after_kill(store: StoreConfig, tmp_path: Path, log: Log, clean: Log) -> None:
    """What a kill may leave: fewer commands, never part of one; the chain intact."""
    log.read(store)
    check_whole_commands(log, clean)
    verified = verify(store, tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_an_import_killed_at_random_points_resumes_to_the_clean_result(
    store: StoreConfig, tmp_path: Path, clean_import: CleanRun
) -> None:
    kind = "postgres" if store.is_postgres else "sqlite"
    rng = random.Random(4711)
    log, complete = Log(), False
    kills = landed = catching_up = 0

    n = 0
    while landed < KILLS[kind] and n < 2 * KILLS[kind]:  # a kill that misses is redone
        if complete:  # the import got through: begin again on a fresh store
            if store.is_postgres:
                break
            store, log = fresh_sqlite_store(tmp_path, n), Log()
        n += 1
        process = start(store, tmp_path, "import", str(clean_import.file))
        hit = kill_import(process, store, rng, clean_import.timing)
        complete = log_size(store) == clean_import.timing.events
        kills += 1
        landed += hit
        catching_up += hit and complete
        check_after_kill(store, tmp_path, log, clean_import.log)

    assert landed >= min(KILLS[kind], 4), f"only {landed} of {kills} kills hit an import"
    if kind == "sqlite":
        assert landed == KILLS[kind], f"only {landed} of {kills} kills hit a running import"
    assert catching_up, "no kill fell while the import caught the views up"
    finished = forloeb(store, tmp_path, "import", str(clean_import.file))
    assert finished.returncode == 0, finished.stderr
    assert ", 0 refused" in finished.stdout
    log.read(store)
    assert log.courses == clean_import.log.courses
    assert log.by_command == clean_import.log.by_command
    assert sorted(log.opened().values()) == sorted(clean_import.log.opened().values())
    assert caught_up(projection_status(store, tmp_path))
    assert views_snapshot(store) == rebuilt_snapshot(store)


def fresh_sqlite_store(tmp_path: Path, n: int) -> StoreConfig:
    """A new, empty SQLite store for the next round of kills."""
    folder = tmp_path / f"round-{n}"
    folder.mkdir()
    return StoreConfig(sqlite_path=initialised(folder / "forloeb.sqlite"))


@pytest.mark.parametrize("batch", [1, 3])
def test_an_import_killed_between_storing_keys_and_saving_events_resumes(
    store: StoreConfig, tmp_path: Path, clean_import: CleanRun, batch: int
) -> None:
    where = ["--database-url", store.database_url] if store.database_url else [
        "--db", str(store.sqlite_path)]
    died = subprocess.run(
        [sys.executable, "-m", "tests.faults.die_after_keys", *where,
         str(clean_import.file), str(batch)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert died.returncode == -signal.SIGKILL, died.stderr
    log = Log()
    check_after_kill(store, tmp_path, log, clean_import.log)
    keys, _ = log_digest(store)[KEYS_TABLE]
    assert keys > len(log.citizens), "the kill fell after the keys, before the events"

    finished = forloeb(store, tmp_path, "import", str(clean_import.file))

    assert finished.returncode == 0, finished.stderr
    log.read(store)
    assert log.courses == clean_import.log.courses
    assert sorted(log.opened().values()) == sorted(clean_import.log.opened().values())
    verified = verify(store, tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_check_notices_a_partial_command_or_a_citizen_without_course(
    clean_import: CleanRun,
) -> None:
    clean = clean_import.log
    command_id, events = next((c, e) for c, e in clean.by_command.items() if len(e) == 2)
    (_, course, _), (_, _, second) = events  # e.g. the form that completes the baseline
    half_done = Log(
        by_command={command_id: events[:1]},
        courses={course: clean.courses[course][: second - 1]},
    )
    with pytest.raises(AssertionError):
        check_whole_commands(half_done, clean)

    registered_alone = Log(citizens={uuid4(): [(1, "CitizenRegistered", None)]})
    with pytest.raises(AssertionError):
        check_whole_commands(registered_alone, clean)
