"""Shared fixtures: a course service on a fresh store — SQLite and PostgreSQL alike.

`store` is parametrised over both stores, so every test that uses `store` or
`service` runs once on an SQLite file and once on a PostgreSQL database of its
own (`-m "not postgres"` runs only the SQLite half). A test that is about
SQLite itself asks for `sqlite_store`; one that is about PostgreSQL asks for
`pg_store` or `pg_server`.

The PostgreSQL half needs FORLOEB_TEST_DATABASE_URL (`eval "$(.ci/pg-start)"`
starts a throw-away server and sets it). Without it those tests are skipped,
unless FORLOEB_REQUIRE_POSTGRES=1 (as in `.ci/run`), which makes them fail.

Each pytest-xdist worker has its own database, initialised once with `forloeb
init`; before every test all its tables are emptied and its sequences restarted
(about 10 ms, where copying a template database takes 150-350 ms), so each test
starts from a store as empty as a new SQLite file and no test sees another's rows.
Tests that need a database of their own (roles, backups) use
`pg_server.database()`.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cli.bootstrap import open_service
from storage.store import StoreConfig
from workflows.service import CourseService

if TYPE_CHECKING:
    from tests.postgres.pgtools import PgServer


TEST_MASTER_KEY = base64.b64encode(bytes(range(32))).decode()
"""The master key every test store is encrypted under (tests that are about keys set their own)."""
os.environ.setdefault("FORLOEB_MASTER_KEY", TEST_MASTER_KEY)
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="forloeb-test-config-")
"""No test reads or writes the OS keyring or the configuration folder of whoever runs them:
a store given no master key keeps it there (tests about that set their own)."""
os.environ["FORLOEB_KEK_DIR"] = tempfile.mkdtemp(prefix="forloeb-test-keks-")
"""Every test store's key-encryption keys, one folder per test process (an xdist worker
must not share the controller's), as a deployment names them (a PostgreSQL store
needs it; tests of the default folder, or of rotation, set their own)."""


TEST_ADMINS = (
    "anna", "bo", "mette", "demo", "tester", "evaluator", "o'brien", "bench",
    "user0", "user1", "user2", "user3",
)  # fmt: skip
"""The users the tests written before access control act as: admins, who may do anything,
so those tests keep their meaning. Tests about access use a configuration of their own."""


def _write_test_config() -> str:
    """A configuration file naming TEST_ADMINS and the OS user as admins (removed at exit)."""
    import atexit
    import getpass
    import shutil
    import tempfile

    from cli.config import UserEntry, create_config
    from workflows.access import Role

    folder = Path(tempfile.mkdtemp(prefix="forloeb-test-config-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "forloeb.toml"
    admins = dict.fromkeys([*TEST_ADMINS, getpass.getuser()], UserEntry(role=Role.ADMIN))
    create_config(path, admins)
    return str(path)


os.environ["FORLOEB_CONFIG"] = _write_test_config()
"""Every command in the tests (and every process they start) reads this configuration."""

for _name in ("FORLOEB_SERVER_URL", "FORLOEB_TOKEN"):
    os.environ.pop(_name, None)
"""Processes the tests start run in-process, never on a shared server the person running
the tests may have configured; the remote tests start their own (tests/server/live.py)."""


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker the PostgreSQL half of the suite carries."""
    config.addinivalue_line("markers", "postgres: runs against the PostgreSQL test server")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the PostgreSQL test server (the `store` param marks itself)."""
    for item in items:
        if "pg_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The PostgreSQL test server (skips, or fails under FORLOEB_REQUIRE_POSTGRES=1)."""
    from tests.postgres.pgtools import server_from_environment

    server = server_from_environment()
    yield server
    server.close()


@pytest.fixture(scope="session")
def pg_worker_database(pg_server: PgServer) -> Iterator[str]:
    """This worker's own database, on which `forloeb init` ran once."""
    from cli.admin import init_store

    name = pg_server.create_database("forloeb_w")
    init_store(pg_server.store(name))
    yield name
    pg_server.drop_database(name)


@pytest.fixture
def pg_store(pg_server: PgServer, pg_worker_database: str) -> StoreConfig:
    """A fresh, initialised PostgreSQL event store: the worker's database, emptied."""
    pg_server.empty_database(pg_worker_database)
    return pg_server.store(pg_worker_database)


def initialised(path: Path) -> Path:
    """A SQLite store at `path` as `forloeb init` leaves it: the commands other than `init`
    and `demo` refuse a store that is not there."""
    from cli.bootstrap import create_schema

    create_schema(StoreConfig(sqlite_path=path))
    return path


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
    app = open_service(store)
    yield app
    app.close()
