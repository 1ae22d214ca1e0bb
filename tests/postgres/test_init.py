"""`forloeb init`: creates the tables once, says so, and changes nothing the second time."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.admin import init_command, init_store
from cli.bootstrap import open_service
from storage.backend import InitRefused
from storage.store import StoreConfig, StoreUnavailable, check_ready
from workflows.commands import Refer

from .pgtools import PgServer


def refer_one(store: StoreConfig) -> None:
    service = open_service(store)
    try:
        service.execute(Refer(cpr="010190-1234", programme="pva", referring_caseworker="sb"), "rk")
    finally:
        service.close()


def test_init_on_a_new_sqlite_file_creates_the_events_table(sqlite_store: StoreConfig) -> None:
    report = init_store(sqlite_store)
    assert "stored_events" in report.created
    assert report.lines()[0].startswith(f"{sqlite_store.describe()}: created ")


def test_init_again_creates_nothing_and_keeps_the_events(store: StoreConfig) -> None:
    init_store(store)
    refer_one(store)
    report = init_store(store)
    assert report.created == []
    assert store.events_table in report.existing
    assert report.events == 3  # the citizen registered, its course opened, the course referred
    assert report.lines()[0] == f"{store.describe()}: already initialised, nothing to create"


def test_postgresql_needs_init_before_use(pg_server: PgServer) -> None:
    with pg_server.database() as name:
        store = pg_server.store(name)
        with pytest.raises(StoreUnavailable, match=r"is not initialised .* run `forloeb init`"):
            check_ready(store)
        report = init_store(store)
        assert "forloeb_events" in report.created
        check_ready(store)
        refer_one(store)


def test_a_command_opens_one_session_and_checks_the_tables_in_it(pg_server: PgServer) -> None:
    with pg_server.database() as name:
        store = pg_server.store(name)
        with pytest.raises(StoreUnavailable, match=r"is not initialised .* run `forloeb init`"):
            open_service(store)
        init_store(store)
        service = open_service(store)
        try:
            assert service.recorder.max_notification_id() in (None, 0)
        finally:
            service.close()


def test_a_command_against_a_wrong_password_names_the_reason(pg_server: PgServer) -> None:
    with pg_server.database() as name:
        store = pg_server.store(name)
        url, password = store.database_url, store.postgres.password
        assert url is not None and password
        wrong = StoreConfig(database_url=url.replace(f":{password}@", ":wrong@", 1))
        with pytest.raises(StoreUnavailable, match="password authentication failed"):
            open_service(wrong)


def test_init_creates_a_schema_named_in_the_url(pg_server: PgServer) -> None:
    with pg_server.database() as name:
        store = StoreConfig(database_url=pg_server.url_for(name) + "?schema=kommune_370")
        assert "forloeb_events" in init_store(store).created
        refer_one(store)
        public = pg_server.store(name)
        with pytest.raises(StoreUnavailable, match="not initialised"):
            check_ready(public)  # nothing was created outside the schema


def test_init_refuses_to_grant_sqlite_roles(sqlite_store: StoreConfig) -> None:
    with pytest.raises(InitRefused, match="SQLite has no roles"):
        init_store(sqlite_store, grant_to="app")


def test_the_init_command_takes_its_own_store_options(tmp_path: Path) -> None:
    path = tmp_path / "cli.sqlite"
    first = CliRunner().invoke(init_command, ["--db", str(path)])
    second = CliRunner().invoke(init_command, ["--db", str(path)])
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"sqlite:{path}: created ")
    assert second.exit_code == 0, second.output
    assert second.output.startswith(f"sqlite:{path}: already initialised")


def test_the_init_command_on_postgresql(pg_server: PgServer) -> None:
    with pg_server.database() as name:
        url = pg_server.url_for(name)
        result = CliRunner().invoke(init_command, ["--database-url", url])
        assert result.exit_code == 0, result.output
        described = pg_server.store(name).describe()
        assert result.output.startswith(f"{described}: created ")
        assert pg_server.target.password not in result.output
