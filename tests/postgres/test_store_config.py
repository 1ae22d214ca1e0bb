"""Choosing the store by configuration, and an unreachable store as one clear line.

These need no PostgreSQL server: the unreachable cases point at a closed port.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from cli.bootstrap import open_service
from domain.errors import CourseError
from storage.postgres_recorders import advisory_lock_key
from storage.store import (
    StoreConfig,
    StoreUnavailable,
    check_reachable,
    check_ready,
)

URL = "postgresql://app:s3cr%40t@db.example:6543/forloeb?schema=kommune_370"


def closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_the_url_selects_postgresql_and_maps_onto_eventsourcing() -> None:
    env = StoreConfig(database_url=URL).env()
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"]) == ("db.example", "6543")
    assert (env["POSTGRES_DBNAME"], env["POSTGRES_SCHEMA"]) == ("forloeb", "kommune_370")
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("app", "s3cr@t")
    assert env["CREATE_TABLE"] == "no"
    assert env["APPLICATION_RECORDER_TOPIC"] == "storage.postgres_recorders:ChainedPostgresRecorder"


def test_only_init_creates_tables_on_postgresql() -> None:
    store = StoreConfig(database_url=URL)
    assert store.env()["CREATE_TABLE"] == "no"
    assert store.for_init().env()["CREATE_TABLE"] == "yes"
    assert store.for_init().describe() == store.describe()


def test_the_description_names_host_port_database_and_schema_but_no_secret() -> None:
    text = StoreConfig(database_url=URL).describe()
    assert text == "postgresql://db.example:6543/forloeb?schema=kommune_370"
    assert "s3cr" not in text and "app" not in text


def test_sqlite_stays_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FORLOEB_DATABASE_URL", raising=False)
    monkeypatch.setenv("FORLOEB_DB", str(tmp_path / "x.sqlite"))
    store = StoreConfig.from_options(None, None)
    assert not store.is_postgres
    assert store.env()["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"


def test_the_environment_url_selects_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORLOEB_DATABASE_URL", URL)
    assert StoreConfig.from_options(None, None).is_postgres


def test_an_explicit_db_option_beats_the_environment_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FORLOEB_DATABASE_URL", URL)
    store = StoreConfig.from_options(str(tmp_path / "x.sqlite"), None)
    assert store.sqlite_path == tmp_path / "x.sqlite"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "database_url: scheme must be postgresql://, not mysql://"),
        ("postgresql://u@h/db?sslmode=require", "unknown parameter 'sslmode'"),
        ("postgresql://u@h:port/db", "the port is not a number"),
    ],
)
def test_a_bad_url_is_refused_with_the_reason(url: str, message: str) -> None:
    with pytest.raises(StoreUnavailable, match=message):
        StoreConfig(database_url=url).env()


def test_an_unreachable_server_is_one_line_naming_host_port_and_database() -> None:
    port = closed_port()
    store = StoreConfig(database_url=f"postgresql://app:hunter2@127.0.0.1:{port}/forloeb")
    with pytest.raises(StoreUnavailable) as caught:
        check_reachable(store)
    message = str(caught.value)
    assert message == (
        f"cannot reach the event store postgresql://127.0.0.1:{port}/forloeb: "
        "no server is accepting connections there (connection refused)"
    )
    assert "hunter2" not in message
    assert caught.value.__suppress_context__  # raised `from None`: no chained traceback
    assert isinstance(caught.value, CourseError)  # the CLI prints it and exits 1


def test_a_command_stops_at_once_where_nothing_listens() -> None:
    port = closed_port()
    store = StoreConfig(database_url=f"postgresql://app:hunter2@127.0.0.1:{port}/forloeb")
    with pytest.raises(StoreUnavailable) as caught:
        open_service(store)
    assert str(caught.value) == (
        f"cannot reach the event store postgresql://127.0.0.1:{port}/forloeb: "
        "no server is accepting connections there (connection refused)"
    )


def test_check_ready_stops_at_an_unreachable_server() -> None:
    store = StoreConfig(database_url=f"postgresql://app@127.0.0.1:{closed_port()}/forloeb")
    with pytest.raises(StoreUnavailable, match="cannot reach the event store"):
        check_ready(store)


def test_a_sqlite_store_is_reachable_when_its_directory_can_be_made(tmp_path: Path) -> None:
    check_ready(StoreConfig(sqlite_path=tmp_path / "new" / "dir" / "f.sqlite"))
    assert (tmp_path / "new" / "dir").is_dir()


def test_a_sqlite_store_under_a_file_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreUnavailable, match="cannot use the event store sqlite:"):
        check_reachable(StoreConfig(sqlite_path=tmp_path / "file" / "f.sqlite"))


def test_each_events_table_has_its_own_append_lock() -> None:
    key = advisory_lock_key("public", "forloeb_events")
    assert key == advisory_lock_key("public", "forloeb_events")
    assert key != advisory_lock_key("kommune_370", "forloeb_events")
    assert -(2**63) <= key < 2**63
