"""The PostgreSQL test server: throw-away databases and roles with collision-free names.

The server is named by FORLOEB_TEST_DATABASE_URL (`.ci/pg-start` prints it).
Its role must be allowed to create databases and roles (CREATEDB CREATEROLE);
it need not be a superuser. Every name carries the pytest-xdist worker id and
a random suffix, so parallel workers and repeated runs never collide.

Without the URL the PostgreSQL tests are skipped with a reason that says how to
run them; with FORLOEB_REQUIRE_POSTGRES=1 (set by `.ci/run`) they fail instead,
so a CI run can never pass with the PostgreSQL half silently missing.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlparse, urlunparse

import psycopg
import pytest
from psycopg import errors, sql

from storage.postgres import PostgresTarget
from storage.store import StoreConfig

URL_VARIABLE = "FORLOEB_TEST_DATABASE_URL"
REQUIRE_VARIABLE = "FORLOEB_REQUIRE_POSTGRES"
HOW_TO_RUN = 'start a throw-away server with `eval "$(.ci/pg-start)"` (see docs/operations.md)'


def postgres_required() -> bool:
    """Whether a missing or broken PostgreSQL test server must fail the run."""
    return os.environ.get(REQUIRE_VARIABLE, "") not in ("", "0")


def unavailable(reason: str) -> None:
    """Skip the test for `reason`, or fail it when PostgreSQL is required."""
    if postgres_required():
        pytest.fail(f"{REQUIRE_VARIABLE}=1 but {reason}", pytrace=False)
    pytest.skip(f"{reason}; {HOW_TO_RUN}")


def unique_name(prefix: str) -> str:
    """A database or role name no other worker or run uses."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{prefix}_{worker}_{secrets.token_hex(5)}"


def with_credentials(
    url: str, *, dbname: str | None = None, user: str | None = None, password: str | None = None
) -> str:
    """The URL with another database and/or login."""
    parts = urlparse(url)
    username = user if user is not None else parts.username or ""
    secret = password if password is not None else parts.password or ""
    login = quote(username, safe="") + (":" + quote(secret, safe="") if secret else "")
    netloc = f"{login}@{parts.hostname}:{parts.port or 5432}"
    path = "/" + (dbname if dbname is not None else parts.path.lstrip("/"))
    return urlunparse((parts.scheme, netloc, path, "", parts.query, ""))


@dataclass
class PgServer:
    """The test server, through one autocommit connection of the test role."""

    url: str
    conn: psycopg.Connection[Any] = field(repr=False)
    created_databases: set[str] = field(default_factory=set)
    created_roles: set[str] = field(default_factory=set)

    @classmethod
    def connect(cls, url: str) -> PgServer:
        """Connect to the server's own database; a failure is a skip (or a failure)."""
        try:
            target = PostgresTarget.from_url(url)
            conn = psycopg.connect(**target.connect_kwargs(), autocommit=True)
        except Exception as e:  # any reason the server cannot be used ends up here
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            unavailable(f"the PostgreSQL test server at {_describe(url)} is unusable: {first}")
            raise
        return cls(url=url, conn=conn)

    @property
    def target(self) -> PostgresTarget:
        """The test role's own connection settings."""
        return PostgresTarget.from_url(self.url)

    def url_for(self, dbname: str, *, user: str | None = None, password: str | None = None) -> str:
        """A URL for one of the server's databases, as the test role or another login."""
        return with_credentials(self.url, dbname=dbname, user=user, password=password)

    def create_database(self, prefix: str = "forloeb_t", template: str | None = None) -> str:
        """A new empty database (a copy of `template` if given); its name."""
        name = unique_name(prefix)
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self.conn.execute(statement)
        self.created_databases.add(name)
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database made here, disconnecting anyone still in it.

        Ending another role's session needs pg_signal_backend (`.ci/pg-start`
        grants it); without it, wait a little for sessions that are closing.
        """
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        for attempt in range(50):
            try:
                self.conn.execute(statement)
                break
            except (errors.InsufficientPrivilege, errors.ObjectInUse):
                if attempt == 49:
                    raise
                time.sleep(0.1)
        self.created_databases.discard(name)

    def empty_database(self, dbname: str, schema: str = "public") -> None:
        """Delete every row of every table in the schema and restart its sequences.

        Fails (rather than hangs) if a leftover session still holds a lock.
        """
        with psycopg.connect(
            **{**self.target.connect_kwargs(), "dbname": dbname}, autocommit=True
        ) as conn:
            conn.execute("SET lock_timeout = '10s'")
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchall()
            sequences = conn.execute(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = %s", (schema,)
            ).fetchall()
            with conn.transaction():
                for (table,) in tables:
                    conn.execute(
                        sql.SQL("DELETE FROM {}.{}").format(
                            sql.Identifier(schema), sql.Identifier(table)
                        )
                    )
                for (sequence,) in sequences:
                    conn.execute(
                        sql.SQL("ALTER SEQUENCE {}.{} RESTART").format(
                            sql.Identifier(schema), sql.Identifier(sequence)
                        )
                    )

    def create_role(self, prefix: str = "forloeb_app") -> tuple[str, str]:
        """A new login role with a random password: (name, password)."""
        name = unique_name(prefix)
        password = secrets.token_hex(12)
        self.conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(password)
            )
        )
        self.created_roles.add(name)
        return name, password

    def drop_role(self, name: str) -> None:
        """Drop a role made here (its databases must be gone or its grants revoked)."""
        self.conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
        self.created_roles.discard(name)

    def close(self) -> None:
        """Drop whatever is left over, then disconnect."""
        for name in sorted(self.created_databases):
            self.drop_database(name)
        for name in sorted(self.created_roles):
            self.drop_role(name)
        self.conn.close()

    @contextmanager
    def database(self, prefix: str = "forloeb_t", template: str | None = None) -> Iterator[str]:
        """A throw-away database for the duration of the block."""
        name = self.create_database(prefix, template)
        try:
            yield name
        finally:
            self.drop_database(name)

    def store(self, dbname: str) -> StoreConfig:
        """The event store in one of the server's databases, as the test role."""
        return StoreConfig(database_url=self.url_for(dbname))


def _describe(url: str) -> str:
    try:
        return PostgresTarget.from_url(url).describe()
    except Exception:
        return "(unparseable URL)"


def server_from_environment() -> PgServer:
    """The test server named by FORLOEB_TEST_DATABASE_URL (skips or fails without it)."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if not url:
        unavailable(f"{URL_VARIABLE} is not set")
    return PgServer.connect(url)
