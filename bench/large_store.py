"""The large benchmark store (300k courses, about 10M events): built once, then kept.

The store is built once per version of what decides its contents and kept
under `FORLOEB_BENCH_CACHE` (default `bench/results/stores/`, git-ignored),
with its key-encryption keys beside it (`keks/`) and one master key for all
kept stores (`master.key`). Its name carries the cohort size, the seed, the
chunk size, the fitting steps and a digest of the sources that decide its
events (the demo generator, the domain, the workflows, the storage, the
programme definitions and the importer): change any of them and the next run
builds a new store.

The builder (`bench.bulk_store`) imports demo cohorts of `CHUNK` citizens one
after another through the real import path; each chunk fits its start
self-ratings with `FIT_STEPS` search steps instead of the demo's 40,000
(they then fit tables 5.2 and 6.2 less closely; nothing is compared with the
published figures at this size). The build runs in its own process
(`python -m bench.large_store`), into a temporary name renamed when done, so
an interrupted build is never taken for a finished one. SIGTERM or SIGINT,
or `--until HH:MM` (UTC), stops it after the chunk being imported: the store
is then kept under the name of the courses it holds (a store of fewer
courses, exactly as a build of that size makes it), and a later build of
more courses continues the largest such store instead of starting afresh.

`python -m bench.large_store [--courses N] [--until HH:MM]` builds (or finds)
the store and prints its path.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.bulk_store import BuildReport, build_store
from bench.fixture import SEED
from bench.measure import REPO_ROOT, RESULTS_DIR, say

COURSES = 300_000
"""The national-scale store's cohort (about 10M events)."""
CHUNK = 500
"""Citizens per demo cohort, imported one after another."""
FIT_STEPS = 2000
"""Search steps fitting each chunk's start self-ratings (the demo's own: 40,000)."""
BATCH = 5000
"""Import batch (lines): fewer, larger transactions than the CLI's default."""
CACHE_ENV = "FORLOEB_BENCH_CACHE"
KEY_FILE = "master.key"
KEK_FOLDER = "keks"
DIGESTED = ("demo", "domain", "workflows", "storage", "programmes", "cli/importer.py")
"""The sources that decide what the store holds (the views are rebuilt, not kept)."""
LOG_EVERY = 20
"""Chunks between progress lines."""


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


def kek_dir() -> Path:
    """The kept stores' key-encryption keys (kept as long as the stores)."""
    folder = cache_dir() / KEK_FOLDER
    folder.mkdir(exist_ok=True, mode=0o700)
    return folder


@contextmanager
def kept_store_env() -> Iterator[None]:
    """The kept stores' master key and KEK folder in this process's environment, for the
    duration (children started inside inherit them through `child_env`)."""
    saved = {name: os.environ.get(name) for name in ("FORLOEB_MASTER_KEY", "FORLOEB_KEK_DIR")}
    os.environ["FORLOEB_MASTER_KEY"] = cached_master_key()
    os.environ["FORLOEB_KEK_DIR"] = str(kek_dir())
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _digested_files() -> Iterator[Path]:
    for name in DIGESTED:
        where = REPO_ROOT / name
        if where.is_file():
            yield where
            continue
        for source in sorted(where.rglob("*")):
            if source.suffix in (".py", ".toml") and "__pycache__" not in source.parts:
                yield source


def generator_digest() -> str:
    """A short digest of the sources that decide the store's events."""
    digest = hashlib.sha256()
    for source in _digested_files():
        digest.update(str(source.relative_to(REPO_ROOT)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def store_path(courses: int, seed: int = SEED, digest: str | None = None) -> Path:
    """The kept store for this cohort size, seed and generator version."""
    version = digest or generator_digest()
    return cache_dir() / f"demo-{courses}-seed{seed}-chunk{CHUNK}-fit{FIT_STEPS}-{version}.sqlite"


def large_store(courses: int = COURSES, seed: int = SEED) -> Path:
    """The kept store's path, building it first (in a child process) if it is not there.

    Call inside `kept_store_env()`.
    """
    path = store_path(courses, seed)
    if not path.exists():
        from bench.measure import child_env

        argv = [sys.executable, "-m", "bench.large_store", "--courses", str(courses)]
        argv += ["--seed", str(seed)]
        subprocess.run(argv, env=child_env(), check=True, stdout=subprocess.DEVNULL)
    if not path.exists():
        raise RuntimeError(f"the large store build stopped early; {path.name} is not there")
    return path


def build(courses: int = COURSES, seed: int = SEED, until: datetime | None = None) -> Path:
    """The kept store's path, building it here first if it is not there yet.

    Call inside `kept_store_env()`. Stopped early (a signal, or `until`), the
    store is kept under the size it reached, and that path is returned.
    """
    digest = generator_digest()
    path = store_path(courses, seed, digest)
    if path.exists():
        say(f"large store: kept {path.name}")
        return path
    building = path.with_name(path.stem + ".building.sqlite")
    for stale in building.parent.glob(building.name + "*"):
        stale.unlink()
    first_chunk = _continue_from(courses, seed, digest, building)
    say(f"large store: building {courses:,} courses into {building} (once; it is kept)")
    stopping = _stop_on_signals(until)
    started = time.perf_counter()

    def progress(report: BuildReport) -> None:
        if report.chunks % LOG_EVERY == 0:
            seconds = time.perf_counter() - started
            say(
                f"large store: {report.courses:,} courses, {report.lines:,} lines in "
                f"{seconds:,.0f} s ({report.lines / seconds:,.0f} lines/s)"
            )

    report = build_store(
        building,
        courses,
        seed=seed,
        chunk=CHUNK,
        fit_steps=FIT_STEPS,
        batch=BATCH,
        progress=progress,
        stop=stopping,
        first_chunk=first_chunk,
    )
    events = _event_count(building)
    say(
        f"large store: {report.courses:,} courses, {events:,} events in "
        f"{time.perf_counter() - started:,.0f} s"
        + (" (stopped early)" if report.stopped else "")
    )
    if report.refused_count:
        say(f"large store: {report.refused_count} lines refused, first: {report.refused[0]}")
    if report.stopped:
        path = store_path(report.courses, seed, digest)
    for part in ("", "-wal", "-shm"):
        source = Path(str(building) + part)
        if source.exists():
            source.rename(Path(str(path) + part))
    return path


def _continue_from(courses: int, seed: int, digest: str, building: Path) -> int:
    """Move the largest kept store that a build of `courses` begins with (same seed,
    chunking, fitting and sources; whole chunks, fewer courses) to `building`; the
    chunks it holds (0: none, start afresh). Its views, if built, are rebuilt by the
    next run, as for any new store."""
    kept = [
        size
        for size in range(CHUNK, courses, CHUNK)
        if store_path(size, seed, digest).exists()
    ]
    if not kept:
        return 0
    smaller = store_path(max(kept), seed, digest)
    say(f"large store: continuing {smaller.name} ({max(kept):,} courses)")
    for part in ("-wal", "-shm", ""):  # the file last: a kept name is a finished store
        source = Path(str(smaller) + part)
        if source.exists():
            source.rename(Path(str(building) + part))
    return max(kept) // CHUNK


def _stop_on_signals(until: datetime | None) -> Callable[[], bool]:
    """A `stop()` for the builder: true after SIGTERM or SIGINT, or once `until` is past."""
    signalled: list[int] = []

    def note(signum: int, _frame: object) -> None:
        say(f"large store: signal {signum}: stopping after this chunk")
        signalled.append(signum)

    signal.signal(signal.SIGTERM, note)
    signal.signal(signal.SIGINT, note)
    return lambda: bool(signalled) or (until is not None and datetime.now(UTC) >= until)


def _event_count(path: Path) -> int:
    from bench.fixture import event_count, open_service
    from storage.store import StoreConfig

    service = open_service(StoreConfig(sqlite_path=path))
    try:
        return event_count(service)
    finally:
        service.close()


def _until(text: str) -> datetime:
    """`HH:MM` (UTC) today, or tomorrow if that is past."""
    hour, minute = (int(part) for part in text.split(":"))
    now = datetime.now(UTC)
    at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at if at > now else at + timedelta(days=1)


def main(argv: list[str]) -> None:
    """Build (or find) the kept store and print its path."""
    parser = argparse.ArgumentParser(prog="python -m bench.large_store")
    parser.add_argument("--courses", type=int, default=COURSES)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--until", type=_until, help="stop after the chunk running at HH:MM UTC")
    args = parser.parse_args(argv)
    from bench.measure import child_env

    with kept_store_env():
        os.environ.update(child_env())
        print(build(args.courses, args.seed, args.until))


if __name__ == "__main__":
    main(sys.argv[1:])
