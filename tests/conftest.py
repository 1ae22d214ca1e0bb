"""Shared fixtures: a course service on a fresh store — SQLite and PostgreSQL alike.

`store` is parametrised over both stores, so every test that uses `store` or
`service` runs once on an SQLite file and once on a PostgreSQL database of its
own (`-m "not postgres"` runs only the SQLite half). A test that is about
SQLite itself asks for `sqlite_store`; one that is about PostgreSQL asks for
`pg_store` or `pg_server`.

The PostgreSQL half needs FORLOEB_TEST_DATABASE_URL (`eval "$(.ci/pg-start)"`
starts a throw-away server and sets it). Without it those tests are skipped,
unless FORLOEB_REQUIRE_POSTGRES=1 (as in `.ci/run`), which makes them fail.

Each PostgreSQL test gets a new database copied from a per-worker template on
which `forloeb init` already ran: about as fast as a fresh SQLite file, and
nothing one test writes can be seen by another, across pytest-xdist workers too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cli.store import StoreConfig
from workflows.service import CourseService

if TYPE_CHECKING:
    from tests.postgres.pgtools import PgServer


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker the PostgreSQL half of the suite carries."""
    config.addinivalue_line("markers", "postgres: runs against the PostgreSQL test server")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/postgres/ as a PostgreSQL test."""
    for item in items:
        if item.path.parent.name == "postgres":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The PostgreSQL test server (skips, or fails under FORLOEB_REQUIRE_POSTGRES=1)."""
    from tests.postgres.pgtools import server_from_environment

    server = server_from_environment()
    yield server
    server.close()


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> Iterator[str]:
    """A database on which `forloeb init` ran, copied for each test (one per worker)."""
    from cli.admin import init_store

    name = pg_server.create_database("forloeb_tpl")
    init_store(pg_server.store(name))
    yield name
    pg_server.drop_database(name)


@pytest.fixture
def pg_store(pg_server: PgServer, pg_template: str) -> Iterator[StoreConfig]:
    """A fresh, initialised PostgreSQL event store in a database of its own."""
    with pg_server.database(template=pg_template) as name:
        yield pg_server.store(name)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> StoreConfig:
    """A fresh, empty SQLite event store."""
    return StoreConfig(sqlite_path=tmp_path / "forloeb.sqlite")


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def store(request: pytest.FixtureRequest) -> StoreConfig:
    """A fresh, empty event store: each test runs on SQLite and on PostgreSQL."""
    fixture = {"sqlite": "sqlite_store", "postgres": "pg_store"}[request.param]
    chosen: StoreConfig = request.getfixturevalue(fixture)
    return chosen


@pytest.fixture
def service(store: StoreConfig) -> Iterator[CourseService]:
    """A course service on the fresh store."""
    app = CourseService(env=store.env())
    yield app
    app.close()
