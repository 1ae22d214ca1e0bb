"""Key-encryption keys are not opt-in: every new store gets them, outside the database and
the store's folder; a store without them is named by `init` and `verify`, and moved under
them by `rotate-keys`; `rotate-keys --if-older-than` rotates on a schedule.

Given a store, when it is made or checked, then its citizen keys are (or are said not to
be) under a KEK. Store-backed: SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result

from cli.bootstrap import create_schema, open_service
from cli.main import forloeb
from storage.keks import KEK_DIR_ENV, KEK_MAX_AGE_ENV, KekFolder
from storage.keys import STORE_ID
from storage.secrets import MasterKeyProblem
from storage.store import StoreConfig
from tests.postgres.pgtools import PgServer
from tests.protection.test_erasure import closed_course
from tests.protection.test_sealing import CPR, OTHER_CPR
from workflows.service import CourseService

DAY = 24 * 3600


def cli(store: StoreConfig, *args: str) -> Result:
    """`forloeb ARGS` as admin anna on the store (in-process)."""
    where = (
        ["--database-url", store.database_url]
        if store.database_url is not None
        else ["--db", str(store.sqlite_path)]
    )
    return CliRunner().invoke(forloeb, ["--as", "anna", *where, *args])


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configuration with anna as admin."""
    path = tmp_path / "forloeb.toml"
    path.write_text('[users.anna]\nrole = "admin"\n', encoding="utf-8")
    monkeypatch.setenv("FORLOEB_CONFIG", str(path))
    return path


@pytest.fixture
def kek_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "keks"
    monkeypatch.setenv(KEK_DIR_ENV, str(folder))
    return folder


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def own_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreConfig]:
    """A store of its own, each kind: `init` runs on it (not on the worker's database,
    which later tests expect as they left it)."""
    if request.param == "sqlite":
        yield StoreConfig(sqlite_path=tmp_path / "forloeb.sqlite")
        return
    pg_server: PgServer = request.getfixturevalue("pg_server")
    name = pg_server.create_database("forloeb_kek")
    try:
        yield pg_server.store(name)
    finally:
        pg_server.drop_database(name)


def key_row_keks(service: CourseService) -> list[int | None]:
    return sorted(
        (row.kek for row in service.keyring.store.all_rows()), key=lambda k: (k is None, k)
    )


def legacy_service(store: StoreConfig) -> CourseService:
    """A service that writes key rows as forloeb did before KEKs (the master key alone)."""
    service = open_service(store)
    service.keyring.keks = None
    return service


def age(folder: Path, number: int, days: int) -> None:
    """Make KEK `number` look `days` old."""
    path = folder / f"kek-{number:06d}.key"
    then = time.time() - days * DAY
    os.utime(path, (then, then))


# -- a new store ----------------------------------------------------------------------------


def test_a_new_sqlite_store_keeps_its_keks_in_the_users_config_folder_not_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEK_DIR_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    store = StoreConfig(sqlite_path=tmp_path / "data" / "forloeb.sqlite")

    notes = create_schema(store)
    service = open_service(store)
    try:
        closed_course(service, CPR)
        store_id = service.keyring.store.meta_value(STORE_ID)
        assert store_id is not None
        assert key_row_keks(service) == [1]
    finally:
        service.close()

    folder = tmp_path / "config" / "forloeb" / "keks" / store_id
    assert [p.name for p in folder.iterdir()] == ["kek-000001.key"]
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["forloeb.sqlite"]
    assert notes == [f"keks: citizen keys go under key-encryption key 1, in {folder}"]


def test_two_sqlite_stores_of_one_user_keep_their_keks_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rotation destroys the older KEKs of its own store only."""
    monkeypatch.delenv(KEK_DIR_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    one, two = (StoreConfig(sqlite_path=tmp_path / f"{n}.sqlite") for n in ("one", "two"))
    create_schema(one)
    create_schema(two)
    first, second = open_service(one), open_service(two)
    try:
        closed_course(first, CPR)
        closed_course(second, OTHER_CPR)
        first.keyring.rotate(lambda subject: CPR.replace("-", ""))

        assert key_row_keks(first) == [2]
        assert second.keyring.cipher(second.keyring.store.all_rows()[0].subject) is not None
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_init_refuses_a_new_postgres_store_without_a_kek_folder(
    pg_server: PgServer, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEK_DIR_ENV)
    name = pg_server.create_database("forloeb_kek")
    try:
        store = pg_server.store(name)

        result = cli(store, "init")

        assert result.exit_code == 2, result.output
        assert result.output.strip().splitlines() == [
            "error: FORLOEB_KEK_DIR: not set; a new PostgreSQL store needs a folder outside "
            "the database for its key-encryption keys (see docs/operations.md); nothing was "
            "created"
        ]
        with psycopg.connect(**store.postgres.connect_kwargs()) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()
        assert tables == (0,)
    finally:
        pg_server.drop_database(name)


@pytest.mark.postgres
def test_init_with_a_kek_folder_makes_keks_required_on_postgres(
    pg_server: PgServer, config: Path, kek_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = pg_server.create_database("forloeb_kek")
    try:
        store = pg_server.store(name)
        result = cli(store, "init")
        assert result.exit_code == 0, result.output
        assert f"keks: citizen keys go under key-encryption key 1, in {kek_dir}" in result.output
        assert [p.name for p in kek_dir.iterdir()] == ["kek-000001.key"]

        monkeypatch.delenv(KEK_DIR_ENV)  # a later run that forgot the setting
        service = open_service(store)
        try:
            with pytest.raises(MasterKeyProblem, match="no KEK folder is set; set FORLOEB_KEK"):
                closed_course(service, CPR)
            assert service.keyring.store.all_rows() == []  # nothing under the master key alone
        finally:
            service.close()
    finally:
        pg_server.drop_database(name)


# -- a store from before KEKs ---------------------------------------------------------------


def test_a_store_with_keys_under_the_master_key_alone_is_named_then_migrated(
    own_store: StoreConfig, config: Path, kek_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given citizen keys written before KEKs, `init` and `verify` name them; when the
    keys are rotated, they are under a KEK and `verify` is clean."""
    store = own_store
    with monkeypatch.context() as before_keks:
        before_keks.delenv(KEK_DIR_ENV)
        if store.is_postgres:
            create_schema(store)  # as `init` made it before KEKs were required
        old = legacy_service(store)
        try:
            closed_course(old, CPR)
            assert key_row_keks(old) == [None]
        finally:
            old.close()

    initialised = cli(store, "init")
    checked = cli(store, "verify", "--all")

    assert initialised.exit_code == 0, initialised.output
    assert (
        "warning: 1 citizen key(s) are wrapped under the master key alone (written before "
        "key-encryption keys): their erasure does not reach the WAL or backups; run "
        "`forloeb citizen rotate-keys`"
    ) in initialised.output
    assert checked.exit_code == 1, checked.output
    assert (
        "citizen keys KEK: erasure not final: 1 citizen key(s) are wrapped under the master "
        "key alone"
    ) in checked.output

    rotated = cli(store, "citizen", "rotate-keys", "--if-older-than", "30d")

    assert rotated.exit_code == 0, rotated.output
    assert "rotating: citizen keys under the master key alone" in rotated.output
    service = open_service(store)
    try:
        assert key_row_keks(service) == [2]
    finally:
        service.close()
    after = cli(store, "verify", "--all")
    assert after.exit_code == 0, after.output
    assert "erasure not final" not in after.output


@pytest.mark.postgres
def test_a_postgres_store_without_a_kek_folder_keeps_working_and_verify_names_the_risk(
    pg_server: PgServer, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEK_DIR_ENV)
    name = pg_server.create_database("forloeb_kek")
    try:
        store = pg_server.store(name)
        create_schema(store)  # made before KEKs were required
        service = open_service(store)
        try:
            closed_course(service, CPR)
            assert key_row_keks(service) == [None]
            with pytest.raises(MasterKeyProblem, match="no KEK folder is configured"):
                service.keyring.rotate(lambda subject: CPR.replace("-", ""))
        finally:
            service.close()

        initialised = cli(store, "init")
        checked = cli(store, "verify", "--all")
    finally:
        pg_server.drop_database(name)

    assert initialised.exit_code == 0, initialised.output
    assert "warning: no key-encryption key folder is set (FORLOEB_KEK_DIR)" in initialised.output
    assert checked.exit_code == 1
    assert (
        "citizen keys KEK: erasure not final: no key-encryption key folder is set "
        "(FORLOEB_KEK_DIR): an erased citizen's key survives in the WAL and in backups"
    ) in checked.output


# -- scheduled rotation ---------------------------------------------------------------------


def test_rotate_keys_if_older_than_rotates_only_when_due(
    store: StoreConfig, config: Path, kek_dir: Path
) -> None:
    service = open_service(store)
    try:
        closed_course(service, CPR)
    finally:
        service.close()

    young = cli(store, "citizen", "rotate-keys", "--if-older-than", "30d")
    assert young.exit_code == 0, young.output
    assert "the current KEK is younger than 30d: nothing rotated" in young.output
    assert KekFolder(kek_dir).ids() == [1]

    age(kek_dir, 1, 31)
    due = cli(store, "citizen", "rotate-keys", "--if-older-than", "30d")
    again = cli(store, "citizen", "rotate-keys", "--if-older-than", "30d")

    assert due.exit_code == 0, due.output
    assert "rotating: KEK 1 is 31 days old" in due.output
    assert "re-wrapped 1 citizen key(s) under KEK 2; destroyed KEK(s): 1" in due.output
    assert "nothing rotated" in again.output
    assert KekFolder(kek_dir).ids() == [2]


def test_verify_names_a_kek_older_than_the_configured_period(
    store: StoreConfig, config: Path, kek_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = open_service(store)
    try:
        closed_course(service, CPR)
    finally:
        service.close()
    assert cli(store, "verify", "--all").exit_code == 0

    age(kek_dir, 1, 10)
    monkeypatch.setenv(KEK_MAX_AGE_ENV, "1w")
    checked = cli(store, "verify", "--all")

    assert checked.exit_code == 1
    assert (
        "citizen keys KEK: erasure not final: the current key-encryption key (KEK 1) is 10 "
        "days old, over 1w (FORLOEB_KEK_MAX_AGE)"
    ) in checked.output


@pytest.mark.parametrize("period", ["30x", "0d", "d30", ""])
def test_rotate_keys_refuses_a_period_it_cannot_read(
    period: str, tmp_path: Path, config: Path, kek_dir: Path
) -> None:
    store = StoreConfig(sqlite_path=tmp_path / "s.sqlite")
    create_schema(store)

    result = cli(store, "citizen", "rotate-keys", "--if-older-than", period)

    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: if-older-than: {period!r} is not a period such as 12h, 30d or 4w"
    )
    assert KekFolder(kek_dir).ids() == [1]


@pytest.fixture(autouse=True)
def _no_leftover_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(KEK_MAX_AGE_ENV, raising=False)
    yield
