"""The large benchmark store (300k courses, about 10M events): built once, then kept.

Importing 10M events takes most of an hour on this machine, so the store is
built once per version of what decides its contents and kept under
`FORLOEB_BENCH_CACHE` (default `bench/results/stores/`, git-ignored). Its
name carries the cohort size, the seed and a digest of the demo generator's
and the domain's sources: change either and the next run builds a new store.
The build imports the generator's lines straight through the importer (no
JSONL file: it would be several GB), into a temporary name renamed when done,
so an interrupted build is never taken for a finished one. The stores of a run
share one master key, kept beside them (`master.key`).

`python -m bench.large_store [--courses N]` builds (or finds) the store and
prints its path.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

from bench.fixture import ACTOR, SEED
from bench.measure import REPO_ROOT, RESULTS_DIR, say

COURSES = 300_000
"""The national-scale store's cohort (about 10M events)."""
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
    return cache_dir() / f"demo-{courses}-seed{seed}-{generator_digest()}.sqlite"


def large_store(courses: int = COURSES, seed: int = SEED) -> Path:
    """The kept store's path, importing it first if it is not there yet.

    Needs FORLOEB_MASTER_KEY set to `cached_master_key()` (the bench does).
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
    from demo import generate
    from storage.store import StoreConfig

    service = open_service(StoreConfig(sqlite_path=path))
    done = 0
    started = time.perf_counter()

    def progress(lines: int) -> None:
        nonlocal done
        done += lines
        if done % (BATCH * 250) < lines:
            rate = done / (time.perf_counter() - started)
            say(f"large store: {done:,} lines ({rate:,.0f} lines/s)")

    try:
        report = import_lines(
            service, generate(size=courses, seed=seed), ACTOR, batch_size=BATCH,
            after_batch=progress,
        )  # fmt: skip
        if report.refused:
            first = report.refused[0]
            raise RuntimeError(
                f"large store: {len(report.refused)} lines refused, first line "
                f"{first.line}: {first.reason}"
            )
        return event_count(service)
    finally:
        service.close()


def main(argv: list[str]) -> None:
    """Build (or find) the kept store and print its path."""
    parser = argparse.ArgumentParser(prog="python -m bench.large_store")
    parser.add_argument("--courses", type=int, default=COURSES)
    args = parser.parse_args(argv)
    from bench.measure import child_env

    os.environ["FORLOEB_MASTER_KEY"] = cached_master_key()
    os.environ.update(child_env())
    print(large_store(args.courses))


if __name__ == "__main__":
    main(sys.argv[1:])
