"""`forloeb init`: create or upgrade the store's tables, explicitly and idempotently.

On SQLite the tables appear on first use anyway; `init` just makes that step
visible. On PostgreSQL the application role is not allowed to create tables
(see docs/operations.md), so the owner role runs `init` once per database and
again after each upgrade:

    FORLOEB_DATABASE_URL=postgresql://forloeb_owner@db/forloeb \
        forloeb init --grant-to forloeb_app

Every statement is `IF NOT EXISTS` / `OR REPLACE` / GRANT, so a second run
changes nothing and says so. Without a configuration file `init` creates one
with the acting user as admin; with one, only an admin may run it.
`--grant-to ROLE` gives the application role exactly what it needs: SELECT and
INSERT on the append-only tables (events, snapshots), full row access to
derived tables (views, tracking), use of the sequences — and never UPDATE,
DELETE or TRUNCATE on the events.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import click

from cli.config import Config, UserEntry, config_path, create_config, load_config
from cli.store import APPLICATION_NAME, EVENTS_TABLE, StoreConfig, check_reachable
from domain.errors import CourseError
from workflows.access import INIT, Role, authorise_action

APPEND_ONLY_TABLES = (
    EVENTS_TABLE,
    f"{APPLICATION_NAME}_snapshots",
    f"{APPLICATION_NAME}_event_links",
)
"""Tables holding the record itself: the application may read and append, nothing more."""


class InitRefused(CourseError):
    """`forloeb init` could not create or grant something; the message says what."""


@dataclass
class InitReport:
    """What `init` found and did."""

    store: str
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    granted: list[str] = field(default_factory=list)
    events: int = 0

    def lines(self) -> list[str]:
        """The report as lines for the terminal."""
        if self.created:
            head = f"{self.store}: created {', '.join(self.created)}"
        else:
            head = f"{self.store}: already initialised, nothing to create"
        lines = [head]
        if self.existing:
            lines.append(f"  existing tables: {', '.join(self.existing)} ({self.events} events)")
        lines.extend(f"  granted {grant}" for grant in self.granted)
        return lines


def init_store(store: StoreConfig, grant_to: str | None = None) -> InitReport:
    """Create the store's missing tables (as the owner role) and optionally grant access."""
    check_reachable(store)
    if store.is_postgres:
        return _init_postgres(store, grant_to)
    if grant_to is not None:
        raise InitRefused("grant_to: SQLite has no roles; use file permissions instead")
    return _init_sqlite(store)


def open_schema(store: StoreConfig) -> None:
    """Open everything that owns tables through the store's init config, then close it.

    The event store's tables come from eventsourcing (CREATE_TABLE=yes); the read
    views' tables from `projections.catalog.open_views` when that module exists.
    """
    from eventsourcing.persistence import PersistenceError

    from workflows.service import CourseService

    owner_store = store.for_init()
    try:
        service = CourseService(env=owner_store.env())
        service.close()
        if find_spec("projections.catalog") is not None:
            from projections.catalog import open_views

            with open_views(owner_store) as views:
                views.create_tables()
    except PersistenceError as e:
        raise _refused(store, e) from None


def _init_sqlite(store: StoreConfig) -> InitReport:
    assert store.sqlite_path is not None
    before = _sqlite_tables(store) if store.sqlite_path.exists() else set()
    open_schema(store)
    after = _sqlite_tables(store)
    report = InitReport(store.describe(), sorted(after - before), sorted(before))
    if store.events_table in before:
        conn = sqlite3.connect(store.sqlite_path)
        try:
            count = f'SELECT count(*) FROM "{store.events_table}"'
            report.events = conn.execute(count).fetchone()[0]
        finally:
            conn.close()
    return report


def _sqlite_tables(store: StoreConfig) -> set[str]:
    assert store.sqlite_path is not None
    conn = sqlite3.connect(store.sqlite_path)
    try:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    finally:
        conn.close()
    return {name for (name,) in rows}


def _init_postgres(store: StoreConfig, grant_to: str | None) -> InitReport:
    import psycopg
    from psycopg import sql

    target = store.postgres
    try:
        with psycopg.connect(**target.connect_kwargs(), autocommit=True) as conn:
            if target.schema != "public":
                conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(target.schema))
                )
            before = _pg_relations(conn, target.schema, "r")
    except psycopg.Error as e:
        raise _refused(store, e) from None
    open_schema(store)
    try:
        with psycopg.connect(**target.connect_kwargs(), autocommit=True) as conn:
            after = _pg_relations(conn, target.schema, "r")
            report = InitReport(store.describe(), sorted(after - before), sorted(before))
            if EVENTS_TABLE in before:
                count = sql.SQL("SELECT count(*) FROM {}.{}").format(
                    sql.Identifier(target.schema), sql.Identifier(EVENTS_TABLE)
                )
                report.events = _pg_count(conn, count)
            if grant_to is not None:
                with conn.transaction():
                    report.granted = _grant(conn, target.schema, grant_to)
    except psycopg.Error as e:
        raise _refused(store, e) from None
    return report


def _pg_relations(conn: Any, schema: str, kind: str) -> set[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind = %s",
        (schema, kind),
    ).fetchall()
    return {name for (name,) in rows}


def _grant(conn: Any, schema: str, role: str) -> list[str]:
    """Least-privilege grants for the application role on every table in the schema."""
    from psycopg import sql

    owner = conn.execute("SELECT current_user").fetchone()[0]
    if role == owner:
        raise InitRefused(
            f"grant_to: {role} is the owner role running init; the application needs "
            "its own role, which must not own the tables"
        )
    s, r = sql.Identifier(schema), sql.Identifier(role)
    granted = [f"USAGE on schema {schema} to {role}"]
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, r))
    for table in sorted(_pg_relations(conn, schema, "r")):
        t = sql.Identifier(table)
        if table in APPEND_ONLY_TABLES:
            conn.execute(sql.SQL("REVOKE ALL ON {}.{} FROM {}").format(s, t, r))
            conn.execute(sql.SQL("GRANT SELECT, INSERT ON {}.{} TO {}").format(s, t, r))
            granted.append(f"SELECT, INSERT on {schema}.{table} to {role} (append only)")
        else:
            conn.execute(
                sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {}.{} TO {}").format(s, t, r)
            )
            granted.append(f"SELECT, INSERT, UPDATE, DELETE on {schema}.{table} to {role}")
    for sequence in sorted(_pg_relations(conn, schema, "S")):
        conn.execute(
            sql.SQL("GRANT USAGE, SELECT ON SEQUENCE {}.{} TO {}").format(
                s, sql.Identifier(sequence), r
            )
        )
        granted.append(f"USAGE, SELECT on sequence {schema}.{sequence} to {role}")
    return granted


def _pg_count(conn: Any, statement: Any) -> int:
    row = conn.execute(statement).fetchone()
    return int(row[0]) if row is not None else 0


def _refused(store: StoreConfig, error: BaseException) -> InitRefused:
    """One line: which store, and the database's first line about what went wrong."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    if store.is_postgres and store.postgres.password:
        text = text.replace(store.postgres.password, "***")
    return InitRefused(f"cannot initialise {store.describe()}: {text}")


@click.command("init")
@click.option("--db", "db", metavar="PATH", help="SQLite event store file (default: FORLOEB_DB)")
@click.option(
    "--database-url",
    metavar="URL",
    help="postgresql://user:password@host:port/db[?schema=NAME] (default: FORLOEB_DATABASE_URL)",
)
@click.option(
    "--grant-to",
    metavar="ROLE",
    help="PostgreSQL: give this application role SELECT, INSERT on the events (no UPDATE/DELETE)",
)
@click.pass_context
def init_command(
    ctx: click.Context, db: str | None, database_url: str | None, grant_to: str | None
) -> None:
    """Create or upgrade the store's tables; safe to run again (run as the owner role).

    Creates the configuration file, with you as admin, if there is none.
    """
    store = _chosen_store(ctx, db, database_url)
    login = _acting_login(ctx)
    path = config_path(store)
    config = _authorised_config(path, login)
    if config is not None and config.master_key_file is not None:
        store = replace(store, master_key_file=config.master_key_file)
    lines = init_store(store, grant_to).lines()
    if config is None:
        create_config(path, {login: UserEntry(role=Role.ADMIN)})
        lines.append(f"config: created {path} with {login} as admin")
    for line in lines:
        click.echo(line)


def _acting_login(ctx: click.Context) -> str:
    from cli.context import AppContext, valid_login
    from cli.main import default_user

    app = ctx.find_object(AppContext)
    return valid_login(app.actor if app is not None else default_user())


def _authorised_config(path: Path, login: str) -> Config | None:
    """The existing configuration, if the acting user is an admin in it; None if there is
    none yet."""
    if not path.exists():
        return None
    config = load_config(path)
    directory = config.directory
    authorise_action(directory, directory.user(login), INIT)
    return config


def _chosen_store(ctx: click.Context, db: str | None, database_url: str | None) -> StoreConfig:
    """The command's own --db/--database-url, else the group's store, else the environment."""
    if db is not None or database_url is not None:
        return StoreConfig.from_options(db, database_url)
    from cli.context import AppContext

    app = ctx.find_object(AppContext)
    if app is not None:
        return app.chosen_store
    return StoreConfig.from_options(None, None)
