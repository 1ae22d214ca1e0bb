"""Backup and restore: pg_dump (custom format) and pg_restore give back the same log.

The comparison is the raw stored rows (ids, versions, topics, payload bytes,
notification ids), the decoded events of every course, and every read view
caught up on each store, and the hash chains `forloeb verify` checks.
`EXTRA_CHECKS` is the hook for more.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from cli.admin import init_store
from cli.bootstrap import open_service
from storage.store import EVENTS_TABLE, StoreConfig
from workflows.commands import Accept, Command, Exit, JobStart, Measure, Refer, Session, today

from .pgtools import PgServer, unavailable

EARLY = today() - timedelta(days=60)


def client_tool(name: str) -> str:
    """The path of a PostgreSQL client program (skip, or fail when PostgreSQL is required)."""
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} is not installed (apt-get install postgresql-client)")
        raise AssertionError("unreachable")
    return path


def run_tool(tool: str, store: StoreConfig, *args: str) -> None:
    """Run pg_dump/pg_restore against the store; the password goes through the environment."""
    target = store.postgres
    env = {**os.environ, "PGPASSWORD": target.password}
    connection = [f"--host={target.host}", f"--port={target.port}", f"--username={target.user}"]
    result = subprocess.run(
        [client_tool(tool), *connection, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{tool} failed: {result.stderr}"


def write_courses(store: StoreConfig, count: int) -> list[UUID]:
    """Several courses in different states, through the course service."""
    service = open_service(store)
    try:
        course_ids = []
        for n in range(count):
            referred = service.execute(
                Refer(
                    cpr=f"0101{80 + n % 20:02d}-{1000 + n}",
                    programme="pva",
                    referring_caseworker="sb",
                    occurred_on=EARLY,
                ),
                "rk",
            )
            course = str(referred.course_id)
            steps: list[Command] = [Accept(course=course, consultant=f"rk-{n % 3}")]
            if n % 2 == 0:
                steps += [
                    Measure(course=course, point=1, form="citizen", mental_health="poor"),
                    Measure(course=course, point=1, form="staff", diagnosis="yes"),
                    Session(course=course, note=f"samtale {n} æøå"),
                ]
            if n % 4 == 0:
                steps += [
                    JobStart(course=course, employer="Netto", hours_per_week=15),
                    Exit(course=course, planned=True),
                ]
            for step in steps:
                service.execute(step, "rk")
            course_ids.append(referred.course_id)
        return course_ids
    finally:
        service.close()


def stored_rows(store: StoreConfig) -> list[tuple[Any, ...]]:
    """Every stored event row, in notification order."""
    target = store.postgres
    with psycopg.connect(**target.connect_kwargs()) as conn:
        statement = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {} ORDER BY notification_id"
        ).format(sql.Identifier(target.schema, EVENTS_TABLE))
        return [tuple(row) for row in conn.execute(statement).fetchall()]


def course_histories(store: StoreConfig, course_ids: list[UUID]) -> dict[UUID, list[Any]]:
    """Each course's decoded events, as plain data."""
    service = open_service(store)
    try:
        return {
            cid: [(type(e).__name__, e.model_dump()) for e in service.course_events(cid)]
            for cid in course_ids
        }
    finally:
        service.close()


def views_snapshot(store: StoreConfig, course_ids: list[UUID]) -> dict[str, Any]:
    """Every read view caught up with the log, as sorted rows per table."""
    from projections.catalog import open_views

    views = open_views(store)
    try:
        views.catch_up()
        return {name: views.view(name).snapshot() for name in views.names}
    finally:
        views.close()


def chain_verification(store: StoreConfig, course_ids: list[UUID]) -> tuple[int, int, list[str]]:
    """What `forloeb verify --all` checks: events and aggregates verified, and the findings
    (none: the restored hash chains and signed heads hold)."""
    from storage.chain import Verifier

    service = open_service(store)
    try:
        verifier = Verifier(service.recorder.require_chain_key())  # type: ignore[attr-defined]
        found = [f.line() for f in service.recorder.chain_findings(verifier)]  # type: ignore[attr-defined]
        assert found == []
        return verifier.events, verifier.aggregates, found
    finally:
        service.close()


StoreCheck = Callable[[StoreConfig, list[UUID]], Any]
EXTRA_CHECKS: list[StoreCheck] = [views_snapshot, chain_verification]
"""Checks run on both stores and compared (`forloeb verify`'s chain check among them)."""


def compare_stores(original: StoreConfig, restored: StoreConfig, course_ids: list[UUID]) -> None:
    """The restored store holds exactly what the original held."""
    assert stored_rows(restored) == stored_rows(original)
    assert course_histories(restored, course_ids) == course_histories(original, course_ids)
    for check in EXTRA_CHECKS:
        assert check(restored, course_ids) == check(original, course_ids)


@pytest.fixture
def client_tools() -> None:
    client_tool("pg_dump")
    client_tool("pg_restore")


@pytest.mark.usefixtures("client_tools")
def test_a_dump_restores_to_the_same_events_for_every_course(
    pg_server: PgServer, tmp_path: Path
) -> None:
    dump = tmp_path / "forloeb.dump"
    with pg_server.database("forloeb_src") as source_name:
        source = pg_server.store(source_name)
        init_store(source)
        course_ids = write_courses(source, 12)
        run_tool("pg_dump", source, "--format=custom", f"--file={dump}", source_name)
        assert dump.stat().st_size > 0

        with pg_server.database("forloeb_restored") as restored_name:
            restored = pg_server.store(restored_name)
            run_tool(
                "pg_restore", restored, "--exit-on-error", "--no-owner",
                f"--dbname={restored_name}", str(dump),
            )  # fmt: skip
            compare_stores(source, restored, course_ids)
            views = views_snapshot(restored, course_ids)
            assert len(views["course_list"]["course_list"]) == len(course_ids)  # not vacuous
            assert len(stored_rows(restored)) > 12 * 3

            # The restored store is a working store: commands carry on where they stopped.
            service = open_service(restored)
            try:
                outcome = service.execute(Session(course=str(course_ids[1])), "rk")
            finally:
                service.close()
            source_rows = stored_rows(source)
            last_version = max(row[2] for row in source_rows if row[1] == course_ids[1])
            assert outcome.versions == (last_version + 1,)
            new_rows = stored_rows(restored)[len(source_rows) :]
            # The notification sequence was restored too: the next id follows on.
            assert [row[0] for row in new_rows] == [source_rows[-1][0] + 1]
