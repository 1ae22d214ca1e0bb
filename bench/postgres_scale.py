"""How the PostgreSQL event store grows: write N events, measure speed and size.

    eval "$(FORLOEB_PG_DURABLE=1 .ci/pg-start)"     # durable settings, like production
    .venv/bin/python -m bench.postgres_scale --events 500000
    .ci/pg-stop "$FORLOEB_PG_DIR"

Writes whole citizen courses of 50 course events each (referral, baseline,
sessions, meetings, measurements, internship, job, planned exit) through
`CourseService.execute_many`, a batch of courses per save, into a new database
initialised as `forloeb init` does, as the role in FORLOEB_BENCH_DATABASE_URL
(else FORLOEB_TEST_DATABASE_URL). Every course also adds 2 citizen-index
events. Reports events/s (overall and per tenth of the run, to show whether
writing slows as the table grows), the table and index sizes from
pg_total_relation_size, bytes per event, the time to load one course at the
final size, and the linear estimate for 50 million events. The database is
dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import time
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from cli.bootstrap import open_service

COURSE_EVENTS = 50
CITIZEN_EVENTS = 2
NATIONAL_EVENTS = 50_000_000
"""98 municipalities, ~1 million courses over a decade, ~50 events each."""


def cpr_for(n: int) -> str:
    """A distinct, well-formed CPR number for citizen n (a valid birth date, a serial)."""
    born = date(1930, 1, 1) + timedelta(days=n % 36_500)
    return f"{born:%d%m%y}-{n // 36_500 % 10_000:04d}"


def course_commands(n: int, start: date) -> tuple[UUID, list[Any]]:
    """The 50-event life of one course, as commands (ids fixed up front)."""
    from workflows.commands import (
        Accept,
        Exit,
        JobStart,
        Measure,
        Meeting,
        PraktikEnd,
        PraktikStart,
        Refer,
        Session,
    )

    course_id = uuid4()
    c = str(course_id)
    day = start
    commands: list[Any] = [
        Refer(
            cpr=cpr_for(n),
            programme="pva",
            referring_caseworker="sb",
            course_id=course_id,
            occurred_on=day,
        ),
        Accept(course=c, consultant=f"rk-{n % 40}", occurred_on=day),
        Measure(course=c, point=1, form="citizen", who5=[2, 2, 1, 3, 2], occurred_on=day),
        Measure(course=c, point=1, form="staff", diagnosis="yes", occurred_on=day),
    ]  # 5 events: the second form completes the baseline
    for week in range(29):
        commands.append(Session(course=c, note=f"uge {week}", occurred_on=day))
    for _ in range(6):
        commands.append(Meeting(course=c, participants=["rk", "sb", "jk"], occurred_on=day))
    for point in (2, 3, 4):
        commands.append(Measure(course=c, point=point, form="citizen", occurred_on=day))
        commands.append(Measure(course=c, point=point, form="staff", occurred_on=day))
    commands += [
        PraktikStart(
            course=c, employer="Netto", hours_per_week=12,
            planned_end=day + timedelta(days=90), occurred_on=day,
        ),
        PraktikEnd(course=c, occurred_on=day),
        JobStart(course=c, employer="Netto", hours_per_week=20, occurred_on=day),
        Exit(course=c, planned=True, occurred_on=day),
    ]  # fmt: skip
    return course_id, commands


def write_courses(
    service: Any, courses: int, batch_courses: int, progress: bool
) -> tuple[list[UUID], list[tuple[int, float]]]:
    """Write the courses in batches; (course ids, (events so far, seconds so far) per batch)."""
    start = date.today() - timedelta(days=400)
    course_ids: list[UUID] = []
    marks: list[tuple[int, float]] = []
    events = 0
    began = time.perf_counter()
    for first in range(0, courses, batch_courses):
        batch: list[Any] = []
        for n in range(first, min(first + batch_courses, courses)):
            course_id, commands = course_commands(n, start)
            course_ids.append(course_id)
            batch.extend(commands)
        results = service.execute_many(batch, "bench")
        refused = [r for r in results if isinstance(r, Exception)]
        if refused:
            raise SystemExit(f"bench: a command was refused: {refused[0]}")
        events += sum(len(r.events) for r in results) + CITIZEN_EVENTS * (
            min(first + batch_courses, courses) - first
        )
        marks.append((events, time.perf_counter() - began))
        if progress and len(marks) % 20 == 0:
            done, seconds = marks[-1]
            print(f"  {done:>10,} events  {done / seconds:>8,.0f} events/s", file=sys.stderr)
    return course_ids, marks


def rate_by_tenth(marks: list[tuple[int, float]]) -> list[float]:
    """Events per second within each tenth of the run."""
    total = marks[-1][0]
    rates = []
    previous = (0, 0.0)
    for tenth in range(1, 11):
        goal = total * tenth / 10
        mark = next(m for m in marks if m[0] >= goal)
        if mark[0] > previous[0] and mark[1] > previous[1]:
            rates.append((mark[0] - previous[0]) / (mark[1] - previous[1]))
        previous = mark
    return rates


def sizes(conn: Any, table: str) -> dict[str, int]:
    """Heap, index and total bytes of a table (with its TOAST)."""
    row = conn.execute(
        "SELECT pg_relation_size(%s::regclass), pg_indexes_size(%s::regclass), "
        "pg_total_relation_size(%s::regclass), (SELECT count(*) FROM " + table + ")",
        (table, table, table),
    ).fetchone()
    assert row is not None
    return {"heap": row[0], "indexes": row[1], "total": row[2], "rows": row[3]}


def show(conn: Any, what: str, *, select: bool = False) -> str:
    """A server setting (SHOW), or the value of an expression (SELECT)."""
    from psycopg import sql

    statement = (
        sql.SQL("SELECT " + what) if select else sql.SQL("SHOW {}").format(sql.Identifier(what))
    )
    row = conn.execute(statement).fetchone()
    assert row is not None
    return str(row[0])


def read_rates(service: Any, page: int = 1000) -> tuple[float, float]:
    """Events/s reading the whole log in notification order: raw rows, then decoded events."""
    rates = []
    for decode in (False, True):
        began = time.perf_counter()
        count, position = 0, 0
        while True:
            notifications = service.recorder.select_notifications(
                start=position, limit=page, inclusive_of_start=False
            )
            if not notifications:
                break
            if decode:
                for notification in notifications:
                    service.mapper.to_domain_event(notification)
            count += len(notifications)
            position = notifications[-1].id
        rates.append(count / (time.perf_counter() - began))
    return rates[0], rates[1]


def load_times(service: Any, course_ids: list[UUID], samples: int) -> list[float]:
    """Seconds to load (replay) randomly chosen courses from the full store."""
    rng = random.Random(7)
    times = []
    for course_id in rng.sample(course_ids, min(samples, len(course_ids))):
        began = time.perf_counter()
        service.get_course(course_id)
        times.append(time.perf_counter() - began)
    return times


def main(argv: list[str] | None = None) -> int:
    """Run the measurement; print a summary and a JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.postgres_scale", description=__doc__)
    parser.add_argument("--events", type=int, default=200_000, help="events to write (about)")
    parser.add_argument("--batch-courses", type=int, default=20, help="courses per save")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)

    import psycopg
    from psycopg import sql

    from cli.admin import init_store
    from storage.postgres import PostgresTarget
    from storage.store import EVENTS_TABLE, StoreConfig

    url = os.environ.get("FORLOEB_BENCH_DATABASE_URL") or os.environ.get(
        "FORLOEB_TEST_DATABASE_URL"
    )
    if not url:
        print("bench: set FORLOEB_BENCH_DATABASE_URL (or run .ci/pg-start)", file=sys.stderr)
        return 2
    server = PostgresTarget.from_url(url)
    name = f"forloeb_scale_{secrets.token_hex(4)}"
    admin = psycopg.connect(**server.connect_kwargs(), autocommit=True)
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = url.split("?")[0].rsplit("/", 1)[0]
    store = StoreConfig(database_url=f"{parts}/{name}")
    try:
        init_store(store)
        settings = {
            key: show(admin, key)
            for key in ("fsync", "synchronous_commit", "full_page_writes", "shared_buffers")
        }
        per_course = COURSE_EVENTS + CITIZEN_EVENTS
        courses = max(1, round(args.events / per_course))
        service = open_service(store)
        try:
            course_ids, marks = write_courses(service, courses, args.batch_courses, not args.quiet)
            events, seconds = marks[-1]
            loads = load_times(service, course_ids, 200)
            raw_rate, decoded_rate = read_rates(service)
        finally:
            service.close()
        with psycopg.connect(**store.postgres.connect_kwargs(), autocommit=True) as conn:
            conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(EVENTS_TABLE)))
            size = sizes(conn, EVENTS_TABLE)
            database_bytes = int(show(conn, "pg_database_size(current_database())", select=True))
        per_event = size["total"] / size["rows"]
        tenths = rate_by_tenth(marks)
        result = {
            "store": store.describe(),
            "settings": settings,
            "courses": courses,
            "events": events,
            "rows": size["rows"],
            "seconds": round(seconds, 1),
            "events_per_second": round(events / seconds),
            "events_per_second_by_tenth": [round(r) for r in tenths],
            "batch_courses": args.batch_courses,
            "events_per_save": args.batch_courses * per_course,
            "heap_bytes": size["heap"],
            "index_bytes": size["indexes"],
            "total_bytes": size["total"],
            "database_bytes": database_bytes,
            "bytes_per_event": round(per_event, 1),
            "load_course_ms_median": round(statistics.median(loads) * 1000, 2),
            "read_events_per_second": round(raw_rate),
            "read_and_decode_events_per_second": round(decoded_rate),
            "load_course_ms_p95": round(sorted(loads)[int(len(loads) * 0.95) - 1] * 1000, 2),
            "national_events": NATIONAL_EVENTS,
            "national_total_gb_estimate": round(per_event * NATIONAL_EVENTS / 1e9, 1),
            "national_write_hours_at_this_rate": round(
                NATIONAL_EVENTS / (events / seconds) / 3600, 1
            ),
        }
        print(
            f"{events:,} events ({courses:,} courses) in {seconds:,.1f} s = "
            f"{events / seconds:,.0f} events/s; per tenth: "
            + ", ".join(f"{r:,.0f}" for r in tenths)
        )
        print(
            f"{EVENTS_TABLE}: {size['rows']:,} rows, heap {size['heap'] / 1e6:,.1f} MB + "
            f"indexes {size['indexes'] / 1e6:,.1f} MB = {size['total'] / 1e6:,.1f} MB "
            f"({per_event:,.0f} bytes/event)"
        )
        print(
            f"load one course (50 events): median {result['load_course_ms_median']} ms, "
            f"p95 {result['load_course_ms_p95']} ms"
        )
        print(
            f"read the whole log: {raw_rate:,.0f} events/s raw, "
            f"{decoded_rate:,.0f} events/s decoded"
        )
        print(
            f"50 M events at {per_event:,.0f} bytes/event: about "
            f"{result['national_total_gb_estimate']} GB"
        )
        print(json.dumps(result))
    finally:
        if not args.keep:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
