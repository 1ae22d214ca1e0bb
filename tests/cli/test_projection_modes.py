"""Views kept up inline by commands, or by the `projections run` worker, are the
same views: on SQLite and on PostgreSQL, each equals a rebuild from zero."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from click.testing import CliRunner

from cli.bootstrap import open_service
from cli.main import forloeb
from projections.catalog import open_views
from storage.store import StoreConfig
from tests.conftest import initialised
from workflows.commands import Accept, Measure, Refer, Session


@pytest.fixture
def store(store: StoreConfig) -> StoreConfig:
    """The test store, initialised as `forloeb init` leaves it (commands refuse a SQLite
    file that is not there; the PostgreSQL one is initialised already)."""
    if store.sqlite_path is not None:
        initialised(store.sqlite_path)
    return store


def store_args(store: StoreConfig) -> list[str]:
    """The global options that name the store."""
    if store.database_url is not None:
        return ["--database-url", store.database_url]
    return ["--db", str(store.sqlite_path)]


def cli(store: StoreConfig, *args: str) -> str:
    """Run one forloeb command on the store as mette; its output (it must succeed)."""
    result = CliRunner().invoke(forloeb, [*store_args(store), "--as", "mette", *args])
    assert result.exit_code == 0, result.output
    return result.output


def snapshots(store: StoreConfig) -> dict[str, Any]:
    """Every row of every view, as stored."""
    with open_views(store) as views:
        return {name: views.view(name).snapshot() for name in views.names}


def behind(store: StoreConfig) -> set[str]:
    """The views not at the head of the log."""
    with open_views(store) as views:
        return {s.name for s in views.status() if s.position != s.head}


def rebuilt(store: StoreConfig) -> dict[str, Any]:
    """Every view rebuilt from zero."""
    with open_views(store) as views:
        views.rebuild()
    return snapshots(store)


def test_inline_catch_up_equals_a_rebuild(store: StoreConfig) -> None:
    out = cli(
        store, "refer", "--cpr", "0101901234", "--programme", "pva",
        "--referring-caseworker", "cw-lars", "--occurred-on", "2024-01-02", "--format", "json",
    )  # fmt: skip
    course = json.loads(out)["course_id"]
    cli(store, "accept", course, "--consultant", "mette", "--occurred-on", "2024-01-05")
    cli(store, "measure", course, "--point", "1", "--form", "citizen",
        "--who5", "1,2,3,2,1", "--occurred-on", "2024-02-01")  # fmt: skip
    cli(store, "measure", course, "--point", "1", "--form", "staff",
        "--network-meeting", "no", "--occurred-on", "2024-02-02")  # fmt: skip
    cli(store, "meeting", course, "--occurred-on", "2024-03-01")
    # a write catches up the list
    assert behind(store) == {"caseload", "audit", "outcomes", "milestones"}
    cli(store, "audit", "0101901234", "--purpose", "test")  # records the read, a write
    cli(store, "caseload")  # each read catches up the views it reads
    cli(store, "outcomes", "--programme", "pva")
    cli(store, "programmes", "outcomes", "pva")

    assert not behind(store)
    inline = snapshots(store)
    assert rebuilt(store) == inline


def test_the_worker_catches_up_to_what_a_rebuild_gives(store: StoreConfig) -> None:
    service = open_service(store)
    try:  # written straight through the service: nothing catches the views up
        course = str(
            service.execute(
                Refer(
                    cpr="0202905678",
                    programme="pva",
                    referring_caseworker="cw-lars",
                    occurred_on=date(2024, 1, 2),
                ),
                "mette",
            ).course_id
        )
        service.execute(Accept(course=course, consultant="bo", occurred_on=date(2024, 1, 4)), "bo")
        for form in ("citizen", "staff"):
            measure = Measure(course=course, point=1, form=form, occurred_on=date(2024, 2, 1))
            service.execute(measure, "bo")
        service.execute(Session(course=course, occurred_on=date(2024, 2, 8)), "bo")
    finally:
        service.close()
    assert behind(store)

    cli(store, "projections", "run", "--once")

    assert not behind(store)
    followed = snapshots(store)
    assert rebuilt(store) == followed
