"""The bulk builder: a large store, cohort chunk by cohort chunk, through the real import.

A large cohort is many demo cohorts of `chunk` citizens, each with its own
seed (as many municipalities running the programme over the same years).
Each chunk's lines go through `cli.importer.import_lines`, the path of
`forloeb import`: every line is decided by the service on the real
aggregates, sealed, chained and signed by the store's own save, in batches
of `batch` lines (one transaction each; the log's chain continues from one
to the next). What makes it fast is the order: merging every chunk's lines
by date (as the builder first did) kept all 300k courses open at once, far
more than the service keeps in memory between batches, so nearly every
batch replayed its courses from the log. One chunk after another keeps a
chunk's few hundred courses in memory from referral to exit; the service
forgets them when the chunk is done, so memory stays flat. The views are
not kept up while building: they are built once, from the finished log.

The store for `n` chunks is the first `n` chunks of any larger build (each
chunk's seed is its number), so a build stopped between chunks (`stop()`)
is a finished store of fewer courses.

Two chunks may draw the same CPR: the second referral is then refused, as
`forloeb import` refuses it (the citizen already has an open course), and
so are that course's later lines; they are counted and reported, not fatal
(at 169,000 citizens: 228 referrals, 7,152 lines).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.fixture import ACTOR

Progress = Callable[["BuildReport"], None]
"""Told after every chunk how far the build is."""


@dataclass
class BuildReport:
    """What a build did so far."""

    courses: int = 0
    chunks: int = 0
    lines: int = 0
    refused: list[str] = field(default_factory=list)
    """The first refused lines' reasons (two chunks may draw the same CPR)."""
    refused_count: int = 0
    stopped: bool = False
    """Whether the build stopped before all its chunks (then `courses` is fewer)."""


def chunk_sizes(courses: int, chunk: int) -> list[int]:
    """The chunks' sizes: `chunk` each, the last one what is left."""
    if courses < 1:
        raise ValueError("courses: must be at least 1")
    return [chunk] * (courses // chunk) + ([courses % chunk] if courses % chunk else [])


def chunk_seed(seed: int, number: int) -> int:
    """Chunk `number`'s own seed."""
    return seed * 100_000 + number


def chunk_lines(size: int, seed: int, fit_steps: int) -> Iterator[dict[str, Any]]:
    """One chunk's import lines: a demo cohort of `size`, its start ratings fitted with
    `fit_steps` search steps."""
    from demo import generate

    return generate(size=size, seed=seed, search_steps=fit_steps)


def build_store(
    path: Path,
    courses: int,
    *,
    seed: int,
    chunk: int,
    fit_steps: int,
    batch: int,
    progress: Progress | None = None,
    stop: Callable[[], bool] = lambda: False,
    first_chunk: int = 0,
) -> BuildReport:
    """Import `courses` citizens into the SQLite store at `path`, chunk by chunk.

    Needs FORLOEB_MASTER_KEY (and FORLOEB_KEK_DIR where the keys should live).
    `stop()` is asked between chunks; when it says so, the build ends there.
    `first_chunk` continues a store that holds the chunks before it (a smaller
    build with the same seed, chunk size and fitting); `courses` counts them too.
    """
    from bench.fixture import open_service
    from cli.importer import import_lines
    from storage.store import StoreConfig

    service = open_service(StoreConfig(sqlite_path=path))
    report = BuildReport(courses=first_chunk * chunk, chunks=first_chunk)
    try:
        for number, size in enumerate(chunk_sizes(courses, chunk)):
            if number < first_chunk:
                continue
            if stop():
                report.stopped = True
                break
            done = import_lines(
                service,
                chunk_lines(size, chunk_seed(seed, number), fit_steps),
                ACTOR,
                batch_size=batch,
            )
            service._forget_batch_cache()  # the chunk's courses are done with
            report.courses += size
            report.chunks += 1
            report.lines += done.lines
            report.refused_count += len(done.refused)
            report.refused += [f"chunk {number}: {r.reason}" for r in done.refused][
                : max(0, 5 - len(report.refused))
            ]
            if progress is not None:
                progress(report)
    finally:
        service.close()
    return report
