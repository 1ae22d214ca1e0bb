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

import os
from dataclasses import replace
from functools import partial
from pathlib import Path

import click

from cli.config import Config, UserEntry, config_path, create_config, load_config
from domain.errors import InvalidInput
from storage.backend import InitReport, init_refused
from storage.keks import KEK_DIR_ENV
from storage.store import StoreConfig, StoreUnavailable, check_reachable, check_ready
from workflows.access import INIT, Role, authorise_action


def init_store(store: StoreConfig, grant_to: str | None = None) -> InitReport:
    """Create the store's missing tables (as the owner role) and optionally grant access;
    a new PostgreSQL store only with a KEK folder (FORLOEB_KEK_DIR)."""
    store.backend.check_usable()  # not a folder, device or pipe, nor another kind of file
    check_reachable(store)
    refuse_new_store_without_keks(store)
    notes: list[str] = []
    report = store.backend.init(partial(open_schema, store, notes), grant_to)
    report.notes.extend(notes)
    return report


def refuse_new_store_without_keks(store: StoreConfig) -> None:
    """A new PostgreSQL store gets key-encryption keys outside the database, or is not
    made: its WAL and backups would otherwise keep erased citizens' keys usable. (A SQLite
    store without FORLOEB_KEK_DIR keeps its KEKs in the user's configuration folder.)"""
    if not store.is_postgres or os.environ.get(KEK_DIR_ENV):
        return
    try:
        check_ready(store)
    except StoreUnavailable:
        raise InvalidInput(
            KEK_DIR_ENV,
            "not set; a new PostgreSQL store needs a folder outside the database for its "
            "key-encryption keys (see docs/operations.md); nothing was created",
        ) from None


def open_schema(store: StoreConfig, notes: list[str]) -> None:
    """Open everything that owns tables through the store's init config, then close it;
    what it says about the store's key-encryption keys goes to `notes`."""
    from eventsourcing.persistence import PersistenceError

    from cli.bootstrap import create_schema

    try:
        notes.extend(create_schema(store))
    except PersistenceError as e:
        raise init_refused(store.backend, e) from None


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
@click.option(
    "--municipality",
    metavar="NAME",
    help="a municipality of a shared server: its schema, its own keys and users file, as "
    "--municipalities lists them (--database-url: the owner role's, without the schema)",
)
@click.option(
    "--municipalities",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="FORLOEB_MUNICIPALITIES",
    help="the server's list of municipalities (see `forloeb server --municipalities`)",
)
@click.pass_context
def init_command(
    ctx: click.Context,
    db: str | None,
    database_url: str | None,
    grant_to: str | None,
    municipality: str | None,
    municipalities: Path | None,
) -> None:
    """Create or upgrade the store's tables; safe to run again (run as the owner role).

    Creates the configuration file, with you as admin, if there is none.
    """
    login = _acting_login(ctx)
    if municipality is not None:
        store, path = _municipality_store(ctx, municipality, municipalities, db, database_url)
        config = _authorised_config(path, login)
    else:
        store = _chosen_store(ctx, db, database_url)
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


def _municipality_store(
    ctx: click.Context,
    name: str,
    municipalities: Path | None,
    db: str | None,
    database_url: str | None,
) -> tuple[StoreConfig, Path]:
    """The municipality's store (reached as the given owner URL, if any) and users file."""
    from cli.context import AppContext
    from cli.municipalities import municipality_store

    if municipalities is None:
        raise click.UsageError("--municipality needs --municipalities FILE")
    if db is not None:
        raise click.UsageError("--municipality is a PostgreSQL schema: give --database-url")
    app = ctx.find_object(AppContext)
    given = database_url or (app.database_url if app is not None else None)
    owner_url = given or os.environ.get("FORLOEB_DATABASE_URL")
    return municipality_store(municipalities, name, owner_url)


def _chosen_store(ctx: click.Context, db: str | None, database_url: str | None) -> StoreConfig:
    """The command's own --db/--database-url, else the group's store, else the environment."""
    if db is not None or database_url is not None:
        return StoreConfig.from_options(db, database_url)
    from cli.context import AppContext

    app = ctx.find_object(AppContext)
    if app is not None:
        return app.chosen_store
    return StoreConfig.from_options(None, None)
