"""The large benchmark store (300k courses, about 10M events): built once, then kept.

Importing 10M events takes most of an hour on this machine, so the store is
built once per version of what decides its contents and kept under
`FORLOEB_BENCH_CACHE` (default `bench/results/stores/`, git-ignored). Its
name carries the cohort size, the seed and a digest of the demo generator's
and the domain's sources: change either and the next run builds a new store.
The demo generator fits each cohort to the published tables, which takes
time growing faster than its size (3,000 citizens: half a minute), so the
large cohort is many demo cohorts of `CHUNK` citizens, each with its own seed
(as many municipalities running the programme over the same years), their
lines merged by date, and each fitted with `FIT_STEPS` search steps instead of
the demo's 40,000 (the start self-ratings then fit tables 5.2 and 6.2 less
closely; nothing is compared with the published figures at this size). The
build runs in its own process (`python -m bench.large_store`), so that setting
stays there. The build imports those lines straight through
the importer (no JSONL file: it would be several GB), into a temporary name
renamed when done, so an interrupted build is never taken for a finished one.
A line refused (two cohorts may draw the same CPR) is counted and reported,
not fatal. The stores of a run share one master key, kept beside them
(`master.key`).

`python -m bench.large_store [--courses N]` builds (or finds) the store and
prints its path.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.fixture import ACTOR, SEED
from bench.measure import REPO_ROOT, RESULTS_DIR, say

COURSES = 300_000
"""The national-scale store's cohort (about 10M events)."""
CHUNK = 500
"""Citizens per demo cohort merged into a large one."""
FIT_STEPS = 2000
"""Search steps fitting each chunk's start self-ratings (the demo's own: 40,000)."""
BATCH = 2000
"""Import batch (lines): fewer, larger transactions than the CLI's default."""
CACHE_ENV = "FORLOEB_BENCH_CACHE"
KEY_FILE = "master.key"
DIGESTED = ("demo", "domain")
"""The packages whose sources decide what the store holds."""


def cache_dir() -> Path:
    """Where large stores are kept (made owner-only on first use)."""
    root = Path(os.environ.get(CACHE_ENV) or RESULTS_DIR / "stores")
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def cached_master_key() -> str:
    """The master key of the kept stores (made at random, once)."""
    from storage.secrets import MasterKey

    path = cache_dir() / KEY_FILE
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(MasterKey.generate().text() + "\n")
    return path.read_text().strip()


def generator_digest() -> str:
    """A short digest of the sources that decide the store's events."""
    digest = hashlib.sha256()
    for package in DIGESTED:
        for source in sorted((REPO_ROOT / package).rglob("*.py")):
            digest.update(str(source.relative_to(REPO_ROOT)).encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def store_path(courses: int, seed: int = SEED) -> Path:
    """The kept store for this cohort size, seed and generator version."""
    return (
        cache_dir()
        / f"demo-{courses}-seed{seed}-chunk{CHUNK}-fit{FIT_STEPS}-{generator_digest()}.sqlite"
    )


def cohort_lines(courses: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """Import lines for `courses` citizens: demo cohorts of `CHUNK`, merged by date."""
    from demo import generate, vive_answers

    vive_answers.SEARCH_STEPS = FIT_STEPS
    if courses <= CHUNK:
        return generate(size=courses, seed=seed)
    sizes = [CHUNK] * (courses // CHUNK) + ([courses % CHUNK] if courses % CHUNK else [])
    cohorts = [generate(size=n, seed=seed * 100_000 + i) for i, n in enumerate(sizes)]
    return heapq.merge(*cohorts, key=lambda line: str(line["occurred_on"]))


def large_store(courses: int = COURSES, seed: int = SEED) -> Path:
    """The kept store's path, importing it first (in a child process) if it is not there."""
    path = store_path(courses, seed)
    if not path.exists():
        from bench.measure import child_env

        env = {**child_env(), "FORLOEB_MASTER_KEY": cached_master_key()}
        argv = [sys.executable, "-m", "bench.large_store", "--courses", str(courses)]
        subprocess.run([*argv, "--seed", str(seed)], env=env, check=True, stdout=subprocess.DEVNULL)
    return path


def build(courses: int = COURSES, seed: int = SEED) -> Path:
    """The kept store's path, importing it here first if it is not there yet.

    Needs FORLOEB_MASTER_KEY set to `cached_master_key()`.
    """
    path = store_path(courses, seed)
    if path.exists():
        say(f"large store: kept {path.name}")
        return path
    building = path.with_name(path.stem + ".building.sqlite")
    for stale in building.parent.glob(building.name + "*"):
        stale.unlink()
    say(f"large store: importing {courses:,} courses into {building} (once; it is kept)")
    started = time.perf_counter()
    events = _import(building, courses, seed)
    say(f"large store: {events:,} events in {time.perf_counter() - started:,.0f} s")
    for part in ("", "-wal", "-shm"):
        source = Path(str(building) + part)
        if source.exists():
            source.rename(Path(str(path) + part))
    return path


def _import(path: Path, courses: int, seed: int) -> int:
    """Import the demo cohort of `courses` into a new SQLite store; the events it holds."""
    from bench.fixture import event_count, open_service
    from cli.importer import import_lines
    from storage.store import StoreConfig

    service = open_service(StoreConfig(sqlite_path=path))
    done = 0
    started = time.perf_counter()

    def progress(lines: int) -> None:
        nonlocal done
        done += lines
        if done % (BATCH * 50) < lines:
            rate = done / (time.perf_counter() - started)
            say(f"large store: {done:,} lines ({rate:,.0f} lines/s)")

    try:
        report = import_lines(
            service, cohort_lines(courses, seed), ACTOR, batch_size=BATCH, after_batch=progress
        )
        if report.refused:
            first = report.refused[0]
            say(
                f"large store: {len(report.refused)} of {report.lines:,} lines refused, "
                f"first line {first.line}: {first.reason}"
            )
        return event_count(service)
    finally:
        service.close()


def main(argv: list[str]) -> None:
    """Build (or find) the kept store and print its path."""
    parser = argparse.ArgumentParser(prog="python -m bench.large_store")
    parser.add_argument("--courses", type=int, default=COURSES)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    from bench.measure import child_env

    os.environ["FORLOEB_MASTER_KEY"] = cached_master_key()
    os.environ.update(child_env())
    print(build(args.courses, args.seed))


if __name__ == "__main__":
    main(sys.argv[1:])
