"""`python -m bench` (`make bench`): forloeb's benchmarks, each beside a same-run baseline.

1. CLI write latency on a store of ~N events, remote through a `forloeb server` on
   loopback (goal <= 100 ms per command) and in-process (reported);
2. import throughput against the bare eventsourcing library (goal ratio >= 1.0);
3. views: catch-up after one command (<= 10 ms), full rebuild against a bare
   read+decode loop (ratio >= 0.6), rebuild peak memory (<= 300 MB);
4. duckdb: the outcome tables by forloeb beside DuckDB SQL over the Parquet
   export (and export + DuckDB), counts checked equal (needs duckdb, pyarrow),
   at --events and on the kept store of --large-courses (300k courses, about
   10M events: built once, then kept; `--no-large` skips it), whose
   views' first build is also measured (events/s, peak memory);
5. start: the in-process write as a whole process (goal <= 200 ms) and
   `forloeb --help` (<= 120 ms), beside `python -c pass`, in-process;
6. load: 50 clients x 200 commands on 20 courses through one server on PostgreSQL,
   commands/s and p50/p95 latency beside one client alone, and every accepted
   command counted in the log exactly once.
With FORLOEB_BENCH_DATABASE_URL (or FORLOEB_TEST_DATABASE_URL) set, 1 and 2 run
on PostgreSQL too (6 runs only there). Prints a table; writes bench/results/<time>.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from bench import (
    cli_latency,
    cli_start,
    duckdb_outcomes,
    import_throughput,
    large_store,
    load,
    outcomes_memory,
    profile_import,
    projection_catchup,
)
from bench.fixture import SQLiteStores, StoreFactory, pick_open_course, scratch_dir, write_jsonl
from bench.measure import Figure, child_env, say, table, write_json
from bench.pg import PostgresStores, server_url

BENCHMARKS = ("cli", "import", "views", "duckdb", "start", "load")
DEFAULT_BATCH = 500
"""cli.importer.BATCH_SIZE; the store imported with it is kept for benchmarks 1 and 3."""
PROFILE_LINES = 6000
"""Lines imported under cProfile (the profiler slows the import 2-3 times)."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="events in the store")
    parser.add_argument("--runs", type=int, default=20, help="runs of the short measurements")
    parser.add_argument(
        "--import-runs", type=int, default=3, help="imports per batch size (each beside a bare run)"
    )
    parser.add_argument("--rebuild-runs", type=int, default=3, help="rebuilds (and bare loops)")
    parser.add_argument("--duckdb-runs", type=int, default=7, help="runs of benchmark 4")
    parser.add_argument(
        "--batch-sizes", default="500,2000", help="import batch sizes to try (lines, comma list)"
    )
    parser.add_argument(
        "--only", action="append", choices=BENCHMARKS, help="run only these (repeatable)"
    )
    parser.add_argument("--clients", type=int, default=load.CLIENTS, help="load: clients")
    parser.add_argument(
        "--commands", type=int, default=load.COMMANDS, help="load: commands per client"
    )
    parser.add_argument("--courses", type=int, default=load.COURSES, help="load: courses")
    parser.add_argument(
        "--servers", type=int, default=1, help="load: server processes on the one store"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 10k events, few runs")
    parser.add_argument(
        "--start",
        action="store_true",
        help="only the start benchmark, at --events (100k): a few minutes",
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--no-profile", action="store_true", help="skip the import profile")
    parser.add_argument(
        "--large-courses",
        type=int,
        default=large_store.COURSES,
        help="courses in the kept large store (benchmarks 3 and 4)",
    )
    parser.add_argument(
        "--no-large", action="store_true", help="skip the large store (a quick run)"
    )
    parser.add_argument(
        "--large-only",
        action="store_true",
        help="only the kept large store's benchmarks (3 and 4 there; no --events store)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch stores")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.runs, args.rebuild_runs, args.import_runs = 10_000, 5, 1, 1
        args.duckdb_runs = 3
        args.clients, args.commands = 10, 20
        args.no_large = True
        args.batch_sizes = str(DEFAULT_BATCH)
    if args.start:
        args.only = ["start"]
        args.runs = min(args.runs, 15)
    args.batch_sizes = [int(b) for b in str(args.batch_sizes).split(",")]
    if DEFAULT_BATCH not in args.batch_sizes:
        args.batch_sizes.insert(0, DEFAULT_BATCH)
    args.only = set(args.only or BENCHMARKS)
    return args


def run_store(
    factory: StoreFactory, args: argparse.Namespace, jsonl: Path, lines: int, notes: dict[str, Any]
) -> list[Figure]:
    """Every selected benchmark on one kind of store."""
    figures: list[Figure] = []
    kind = factory.kind
    is_sqlite = kind == "sqlite"
    if "import" in args.only:
        found, notes["shape"], store = import_throughput.run(
            factory,
            jsonl,
            lines,
            args.batch_sizes,
            args.import_runs,
            notes.get("shape"),
            DEFAULT_BATCH,
        )
        figures += found
    else:
        say(f"{kind}: loading the store (not timed)")
        store = import_throughput.forloeb_import(factory, jsonl, DEFAULT_BATCH, "fixture").store
    assert store is not None
    store_args = factory.cli_args(store)
    if "views" in args.only and is_sqlite:
        figures += projection_catchup.rebuild_figures(kind, store_args, args.rebuild_runs)
    if {"views", "cli", "start"} & args.only:
        course = _open_course(store)
        notes[f"course_{kind}"] = course
    if "views" in args.only and is_sqlite:
        figures.append(
            projection_catchup.catch_up_figure(kind, store, course["course_id"], args.runs)
        )
    if "cli" in args.only:
        figures += cli_latency.run(kind, store_args, course, args.runs)
    if "start" in args.only and is_sqlite:
        figures += cli_start.run(kind, store_args, course, args.runs)
    if "duckdb" in args.only and is_sqlite:
        skipped = duckdb_outcomes.skip_line()
        if skipped:
            say(skipped)
            notes["duckdb_skipped"] = skipped
        else:
            try:
                figures += duckdb_outcomes.run(kind, store, args.duckdb_runs)
            except Exception as error:  # a disagreement is reported, the other figures kept
                notes["failed_duckdb"] = f"{type(error).__name__}: {error}"
                say(f"duckdb: FAILED: {notes['failed_duckdb']}")
    if "import" in args.only and is_sqlite and not args.no_profile:
        say(f"{kind}: profiling an import (cProfile)")
        notes["import_profile"] = profile_import.profile_import(
            factory, jsonl, DEFAULT_BATCH, max_lines=min(lines, PROFILE_LINES)
        )
    return figures


def run_large(args: argparse.Namespace, notes: dict[str, Any]) -> list[Figure]:
    """Benchmarks 3 (the views' first build, the outcomes pull's memory) and 4 on the kept
    large store."""
    from demo import PROGRAMME
    from storage.store import StoreConfig

    with large_store.kept_store_env():
        path = large_store.large_store(args.large_courses)
        kind = f"sqlite {args.large_courses // 1000}k courses"
        figures: list[Figure] = []
        if "views" in args.only:
            figures += projection_catchup.first_build_figures(kind, ["--db", str(path)])
        skipped = duckdb_outcomes.skip_line() if "duckdb" in args.only else None
        if skipped is not None:
            say(f"{kind}: {skipped}")
        elif "duckdb" in args.only:
            try:
                store = StoreConfig(sqlite_path=path)
                figures += duckdb_outcomes.run(kind, store, args.duckdb_runs)
            except Exception as error:  # a disagreement is reported, the other figures kept
                notes["failed_duckdb_large"] = f"{type(error).__name__}: {error}"
                say(f"duckdb (large): FAILED: {notes['failed_duckdb_large']}")
        if "views" in args.only:
            say(f"{kind}: forloeb outcomes as a process (peak memory)")
            figures += outcomes_memory.pull_figures(kind, ["--db", str(path)], PROGRAMME)
    return figures


def _open_course(store: Any) -> dict[str, Any]:
    """An open course to write to; views are caught up first (not timed)."""
    from bench.fixture import open_service

    say("choosing a course (catching the views up first, not timed)")
    service = open_service(store)
    try:
        return pick_open_course(store, service)
    finally:
        service.close()


def factories(args: argparse.Namespace, root: Path) -> list[StoreFactory]:
    """SQLite always; PostgreSQL when a server is named (1 and 2 only)."""
    found: list[StoreFactory] = [SQLiteStores(root / "sqlite")]
    url = server_url()
    if url and not args.no_postgres:
        found.append(PostgresStores(url))
    elif not args.no_postgres:
        say("PostgreSQL: skipped (set FORLOEB_BENCH_DATABASE_URL or FORLOEB_TEST_DATABASE_URL)")
    return found


def side_by_side(figures: list[Figure]) -> str | None:
    """Benchmarks 1 and 2 with one column per store kind (when more than one ran)."""
    kinds = sorted({f.benchmark.split("[")[-1].rstrip("]") for f in figures}, reverse=True)
    if len(kinds) < 2:
        return None
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for f in figures:
        base, _, kind = f.benchmark.partition(" [")
        if base[0] in "12":
            ratio = "" if f.ratio is None else f" (x{f.ratio:.2f})"
            rows.setdefault((base, f.name), {})[kind.rstrip("]")] = _value(f) + ratio
    if not rows:
        return None
    width = max(len(f"{b}: {n}") for b, n in rows)
    lines = ["side by side (median, ratio to the same-run baseline)"]
    lines.append((f"  {'':<{width}}  " + "  ".join(f"{k:<28}" for k in kinds)).rstrip())
    for (base, name), cells in rows.items():
        values = "  ".join(f"{cells.get(k, '-'):<28}" for k in kinds)
        lines.append(f"  {base + ': ' + name:<{width}}  {values}".rstrip())
    return "\n".join(lines)


def _value(figure: Figure) -> str:
    """The median, briefly."""
    if figure.unit == "s":
        return f"{figure.value * 1000:.1f} ms"
    return f"{figure.value:,.0f} {figure.unit}"


def git_state() -> dict[str, Any]:
    """The commit measured and whether the tree had uncommitted changes."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD"),
        "changed_files": len(git("status", "--porcelain").splitlines()),
    }


def report(figures: list[Figure], notes: dict[str, Any]) -> str:
    """The table, then where the time goes."""
    parts = [table(figures)]
    both = side_by_side(figures)
    if both is not None:
        parts.append(both)
    for figure in figures:
        if figure.benchmark.startswith("1 ") and "phases_seconds" in figure.detail:
            parts.append("\n".join(cli_latency.describe(figure)))
        if "breakdown" in figure.detail:
            parts.append("\n".join(projection_catchup.describe(figure)))
        if "duckdb_check" in figure.detail:
            parts.append("\n".join(duckdb_outcomes.describe(figure)))
        if "server_cpu_share" in figure.detail:
            parts.append("\n".join(load.describe(figure)))
    for skipped in ("duckdb_skipped", "load_skipped"):
        if skipped in notes:
            parts.append(notes[skipped])
    if "import_profile" in notes:
        parts.append("\n".join(profile_import.describe(notes["import_profile"])))
    return "\n\n".join(parts)


def run_stores(
    args: argparse.Namespace, root: Path, figures: list[Figure], notes: dict[str, Any]
) -> None:
    """Benchmarks 1-5 on each kind of store, loaded with the demo cohort."""
    jsonl = root / "cohort.jsonl"
    say(f"writing the demo cohort for ~{args.events:,} events to {jsonl}")
    lines = write_jsonl(jsonl, args.events)
    notes["jsonl_lines"] = lines
    for factory in factories(args, root):
        try:
            figures += run_store(factory, args, jsonl, lines, notes)
        except Exception as error:  # report what was measured, and what failed
            notes[f"failed_{factory.kind}"] = f"{type(error).__name__}: {error}"
            say(f"{factory.kind}: FAILED: {type(error).__name__}: {error}")
        finally:
            if factory.kind != "sqlite" or not args.keep:
                factory.cleanup()


def run_load(args: argparse.Namespace, figures: list[Figure], notes: dict[str, Any]) -> None:
    """Benchmark 6 on a fresh PostgreSQL store (skipped without one)."""
    url = server_url()
    if not url or args.no_postgres:
        notes["load_skipped"] = "6 load: skipped (it needs PostgreSQL: FORLOEB_BENCH_DATABASE_URL)"
        say(notes["load_skipped"])
        return
    factory = PostgresStores(url)
    try:
        store = factory.fresh("load")
        found = load.run(
            factory.kind, store, factory.cli_args(store), args.clients, args.commands,
            args.courses, args.servers,
        )  # fmt: skip
        figures += found
        if not found[0].met:
            notes["failed_load"] = found[0].detail["check"]
    except Exception as error:  # report what was measured, and what failed
        notes["failed_load"] = f"{type(error).__name__}: {error}"
        say(f"load: FAILED: {notes['failed_load']}")
    finally:
        factory.cleanup()


def main(argv: list[str]) -> int:
    """Run the benchmarks, print the report, write the JSON."""
    args = parse_args(argv)
    os.environ["FORLOEB_MASTER_KEY"] = large_store.cached_master_key()  # the kept stores' key
    os.environ.update(child_env())  # the bench user and one master key, here and in children
    started = time.time()
    figures: list[Figure] = []
    notes: dict[str, Any] = {}
    with scratch_dir(keep=args.keep) as root:
        if args.only - {"load"} and not args.large_only:
            run_stores(args, root, figures, notes)
        if "load" in args.only and not args.large_only:
            run_load(args, figures, notes)
        if not args.no_large and {"views", "duckdb"} & args.only:
            try:
                figures += run_large(args, notes)
            except Exception as error:  # report what was measured, and what failed
                notes["failed_large"] = f"{type(error).__name__}: {error}"
                say(f"large store: FAILED: {type(error).__name__}: {error}")
    meta = {
        "argv": argv,
        "events_requested": args.events,
        "runs": args.runs,
        "batch_sizes": args.batch_sizes,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "wall_seconds": time.time() - started,
        "git": git_state(),
    }
    notes.pop("shape", None)
    print(report(figures, notes))
    for key, problem in notes.items():
        if key.startswith("failed_"):
            print(f"\n{key.removeprefix('failed_')}: FAILED: {problem}")
    path = write_json(figures, meta, notes)
    print(f"\nresults: {path}")
    failed = any(key.startswith("failed_") for key in notes)
    return 1 if failed else 0  # a benchmark that could not run, or a mismatch, fails make bench


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
