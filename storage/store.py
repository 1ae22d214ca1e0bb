"""Where the event log lives: an embedded SQLite file by default, PostgreSQL by URL.

The choice is configuration alone: `--db PATH` / FORLOEB_DB selects a SQLite
file, `--database-url postgresql://…` / FORLOEB_DATABASE_URL selects a
PostgreSQL database. Both map onto eventsourcing's own persistence modules;
whatever differs between them is the store's backend (`storage.backend`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from domain.errors import CourseError
from storage.backend import APPLICATION_NAME, EVENTS_TABLE, SQLITE_EVENTS_TABLE, Backend
from storage.keks import KEK_DIR_ENV
from storage.secrets import MASTER_KEY_ENV, MASTER_KEY_FILE_ENV, MasterKey, MasterKeyProblem

if TYPE_CHECKING:
    from storage.infrastructure import Infrastructure
    from storage.postgres import PostgresTarget

__all__ = ["APPLICATION_NAME", "EVENTS_TABLE", "StoreConfig", "StoreUnavailable"]


DEFAULT_DB_NAME = "forloeb.sqlite"


def default_db() -> Path:
    """The default SQLite store: the user's data folder ($XDG_DATA_HOME/forloeb, by default
    ~/.local/share/forloeb, on Linux), as platformdirs finds it."""
    from platformdirs import user_data_path

    return user_data_path(APPLICATION_NAME, appauthor=False) / DEFAULT_DB_NAME


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else None


class StoreUnavailable(CourseError):
    """The event store cannot be used: unreachable, missing, or not initialised.

    The message is one line naming the store (host, port, database; never the
    password) and what to do about it.
    """


@dataclass(frozen=True)
class StoreConfig:
    """A chosen event store: a SQLite file, or a PostgreSQL URL."""

    sqlite_path: Path | None = None
    database_url: str | None = None
    create_tables: bool = False
    """Create missing tables (the owner role, during `forloeb init`); SQLite always does."""
    master_key_file: Path | None = None
    """Where the master key is (from the configuration file); see `master_key`."""
    in_memory: bool = False
    """The library's in-memory store (tests, library use): nothing is kept."""
    own_keys: bool = False
    """A municipality's store on a shared server (`cli.municipalities`): its master key is
    `master_key_file` and its KEK folder `kek_dir`, never FORLOEB_MASTER_KEY or
    FORLOEB_KEK_DIR, which belong to no one municipality."""
    kek_dir: Path | None = None
    """The store's own KEK folder (with `own_keys`); see `storage.keks`."""

    @classmethod
    def from_options(cls, db: str | None, database_url: str | None) -> StoreConfig:
        """The store from CLI options, falling back to the environment, then the default.

        An explicit option beats the environment: `--db x.sqlite` means SQLite
        even when FORLOEB_DATABASE_URL is set.
        """
        if database_url:
            return cls(database_url=database_url)
        if db:
            return cls(sqlite_path=Path(db).expanduser())
        url = os.environ.get("FORLOEB_DATABASE_URL")
        if url:
            return cls(database_url=url)
        path = os.environ.get("FORLOEB_DB")
        return cls(sqlite_path=Path(path).expanduser() if path else default_db())

    @property
    def backend(self) -> Backend:
        """What this kind of store offers: environment, tables, views, compaction, dialect."""
        if self.in_memory:
            from storage.memory import MemoryBackend

            return MemoryBackend()
        if self.database_url is not None:
            from storage.postgres import PostgresBackend

            return PostgresBackend(self.postgres)
        assert self.sqlite_path is not None
        from storage.sqlite import SQLiteBackend

        return SQLiteBackend(self.sqlite_path)

    @property
    def is_postgres(self) -> bool:
        """Whether the store is a PostgreSQL database."""
        return self.database_url is not None

    @property
    def postgres(self) -> PostgresTarget:
        """The PostgreSQL connection settings (only for a PostgreSQL store)."""
        if self.database_url is None:
            raise ValueError("not a PostgreSQL store")
        from storage.postgres import PostgresTarget

        return PostgresTarget.from_url(self.database_url)

    @property
    def events_table(self) -> str:
        """The name of the table that holds the events."""
        return EVENTS_TABLE if self.is_postgres else SQLITE_EVENTS_TABLE

    @property
    def folder(self) -> Path | None:
        """The folder a SQLite store's file is in (None for a server's database)."""
        return self.backend.folder

    def describe(self) -> str:
        """A one-line description without secrets."""
        return self.backend.describe()

    def env(self) -> dict[str, str]:
        """eventsourcing environment variables (PostgreSQL tables only if `create_tables`),
        plus the master key the service encrypts personal data under."""
        env = self.backend.library_env(create_tables=self.create_tables)
        env[MASTER_KEY_ENV] = self.master_key().text()
        if self.own_keys:  # "" (no KEK folder) hides the process's FORLOEB_KEK_DIR
            env[KEK_DIR_ENV] = str(self.kek_dir) if self.kek_dir is not None else ""
        return env

    def master_key(self) -> MasterKey:
        """The deployment's master key, never kept in the store.

        From FORLOEB_MASTER_KEY (base64), else the key file named by the
        configuration or FORLOEB_MASTER_KEY_FILE, else, for a SQLite store, the
        user's own (`storage.key_home`: the OS keyring, or an owner-only file in
        the user's configuration folder, made on first use). A store made when the
        key was kept beside it (`forloeb.sqlite` → `forloeb.key`) still finds it
        there, with a warning to move it. A PostgreSQL store must be given one.
        """
        from storage.key_home import beside_warning, home_master_key, in_folder_of, warn

        if self.own_keys:
            if self.master_key_file is None:
                raise MasterKeyProblem(f"master key: none given for {self.describe()}")
            return MasterKey.from_file(self.master_key_file)
        text = os.environ.get(MASTER_KEY_ENV)
        if text:
            return MasterKey.from_text(text, MASTER_KEY_ENV)
        named = self.master_key_file or _env_path(MASTER_KEY_FILE_ENV)
        if named is not None:
            if in_folder_of(named, self.folder):
                warn(beside_warning(named))
            return MasterKey.from_file(named)
        beside = self.backend.default_master_key_file()
        if beside is None:
            raise MasterKeyProblem(
                f"master key: none given for {self.describe()}; set {MASTER_KEY_ENV} or "
                f"{MASTER_KEY_FILE_ENV} (or master_key_file in the configuration)"
            )
        if beside.exists():
            warn(beside_warning(beside))
            return MasterKey.from_file(beside)
        return home_master_key()[0]

    def for_init(self) -> StoreConfig:
        """The same store, opened by `forloeb init`: missing tables are created."""
        return replace(self, create_tables=True)

    def open(
        self,
        defaults: Mapping[str, str],
        env: Mapping[str, str] | None = None,
        *,
        checked: bool = True,
    ) -> Infrastructure:
        """The store's event storage, opened and (unless not `checked`: `forloeb init`, which
        makes what the checks look for) checked; `defaults` are the application's library
        settings, `env` overrides the store's own (tests swap a recorder)."""
        from storage.infrastructure import library_environment, open_storage

        backend = self.backend

        def opened() -> Infrastructure:
            settings = {**self.env(), **(env or {})}
            storage = open_storage(
                backend, library_environment(APPLICATION_NAME, defaults, settings)
            )
            if checked:
                try:  # every command, read-only ones too, refuses another master key
                    storage.keyring.refuse_another_master_key()
                except BaseException:
                    storage.close()
                    raise
            return storage

        return backend.open(opened) if checked else opened()


def check_reachable(config: StoreConfig) -> None:
    """Connect once; an unreachable server or missing database raises StoreUnavailable.

    A SQLite store is reachable when its directory can be created.
    """
    config.backend.check_reachable()


def check_ready(config: StoreConfig) -> None:
    """As `check_reachable`, and the event store's tables exist (`forloeb init` was run)."""
    config.backend.check_ready()
