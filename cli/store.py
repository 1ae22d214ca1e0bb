"""Where the event log lives: an embedded SQLite file by default, PostgreSQL by URL.

The choice is configuration alone: `--db PATH` / FORLOEB_DB selects a SQLite
file, `--database-url postgresql://…` / FORLOEB_DATABASE_URL selects a
PostgreSQL database. Both map onto eventsourcing's own persistence modules.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

DEFAULT_DB = Path("~/.local/share/forloeb/forloeb.sqlite")


@dataclass(frozen=True)
class StoreConfig:
    """A chosen event store: a SQLite file, or a PostgreSQL URL."""

    sqlite_path: Path | None = None
    database_url: str | None = None

    @classmethod
    def from_options(cls, db: str | None, database_url: str | None) -> StoreConfig:
        """The store from CLI options, falling back to the environment, then the default."""
        url = database_url or os.environ.get("FORLOEB_DATABASE_URL")
        if url:
            return cls(database_url=url)
        path = db or os.environ.get("FORLOEB_DB") or str(DEFAULT_DB)
        return cls(sqlite_path=Path(path).expanduser())

    @property
    def is_postgres(self) -> bool:
        """Whether the store is a PostgreSQL database."""
        return self.database_url is not None

    def describe(self) -> str:
        """A one-line description without secrets."""
        if self.database_url is not None:
            parts = urlparse(self.database_url)
            return f"postgresql://{parts.hostname}:{parts.port or 5432}{parts.path}"
        return f"sqlite:{self.sqlite_path}"

    def env(self) -> dict[str, str]:
        """eventsourcing environment variables for this store."""
        if self.database_url is not None:
            return postgres_env(self.database_url)
        assert self.sqlite_path is not None
        self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(self.sqlite_path),
            "SQLITE_LOCK_TIMEOUT": "30",
        }


def postgres_env(url: str) -> dict[str, str]:
    """eventsourcing's PostgreSQL settings from a postgresql:// URL."""
    parts = urlparse(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"database_url: scheme must be postgresql://, not {parts.scheme}://")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/") or "forloeb",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or ""),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_CONNECT_TIMEOUT": "5",
    }
