"""Fresh PostgreSQL stores for benchmarks 1 and 2, when a server is named.

FORLOEB_BENCH_DATABASE_URL (else FORLOEB_TEST_DATABASE_URL, as printed by
`.ci/pg-start`) names a server and a role allowed to create databases. Each
store is a new database `forloeb_bench_<random>`, initialised as `forloeb
init` does (owner role creates the tables), used through the ordinary
application settings, and dropped at the end.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse, urlunparse

if TYPE_CHECKING:
    from storage.store import StoreConfig

URL_VARIABLES = ("FORLOEB_BENCH_DATABASE_URL", "FORLOEB_TEST_DATABASE_URL")


def server_url() -> str | None:
    """The PostgreSQL server to benchmark on, if one is named in the environment."""
    for name in URL_VARIABLES:
        url = os.environ.get(name, "").strip()
        if url:
            return url
    return None


def with_database(url: str, dbname: str) -> str:
    """The URL naming another database on the same server (query, e.g. schema, dropped)."""
    parts = urlparse(url)
    return urlunparse((parts.scheme, parts.netloc, "/" + dbname, "", "", ""))


@dataclass
class PostgresStores:
    """Fresh databases on one server, dropped by `cleanup`."""

    url: str
    kind: str = "postgresql"
    created: list[str] = field(default_factory=list)

    def _admin(self) -> Any:
        import psycopg

        from storage.postgres import PostgresTarget

        target = PostgresTarget.from_url(self.url)
        return psycopg.connect(**target.connect_kwargs(), autocommit=True)

    def fresh(self, label: str) -> StoreConfig:
        """A new database with forloeb's tables, as `forloeb init` makes them."""
        from psycopg import sql

        from cli.admin import open_schema
        from storage.store import StoreConfig

        name = f"forloeb_bench_{label.replace('-', '_')}_{secrets.token_hex(3)}"
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        store = StoreConfig(database_url=with_database(self.url, name))
        open_schema(store, [])
        return store

    def cli_args(self, store: StoreConfig) -> list[str]:
        """`--database-url URL`."""
        assert store.database_url is not None
        return ["--database-url", store.database_url]

    def cleanup(self) -> None:
        """Drop every database made here."""
        from psycopg import sql

        with self._admin() as conn:
            for name in self.created:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
        self.created.clear()
