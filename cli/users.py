"""`forloeb users list|add|remove`: who may use forloeb, and as what (admins only).

The users live in the configuration file (`cli.config`); each change edits
only the users' entries, keeping the file's comments and layout, and rewrites
it whole (a temporary file renamed over it), validated like the file itself.
"""

from __future__ import annotations

from typing import Any

import click
from pydantic import ValidationError

from cli.config import ConfigFile, UserEntry, save_users
from cli.context import AppContext, app_context, valid_login
from cli.render import console, emit_model, format_option, table
from domain.errors import InvalidInput
from domain.validation import first_error
from workflows.access import USERS, NotAllowed, Role


def _admin_context() -> AppContext:
    app = app_context()
    app.require(USERS)
    return app


def user_rows(content: ConfigFile) -> list[dict[str, Any]]:
    """The users as plain rows, by login."""
    return [
        {
            "login": login,
            "role": entry.role.value,
            "name": entry.name or login,
            "team": entry.team,
        }
        for login, entry in sorted(content.users.items())
    ]


@click.group("users")
def users_group() -> None:
    """Users and their roles, kept in the configuration file (admins only)."""


@users_group.command("list")
@format_option
def list_command(output_format: str) -> None:
    """List the users: login, role, name on courses, team."""
    app = _admin_context()
    rows = user_rows(app.config.content)
    if output_format == "json":
        from cli.read_models.admin import UserList

        emit_model(UserList.model_validate({"users": rows}))
        return
    cells = [[r["login"], r["role"], r["name"], r["team"]] for r in rows]
    title = f"{len(rows)} users in {app.config.path}"
    console().print(table(title, ["login", "role", "name", "team"], cells))


def new_entry(role: str, name: str | None, team: str | None) -> UserEntry:
    """A validated user entry; InvalidInput names the option that is wrong."""
    try:
        return UserEntry.model_validate({"role": role, "name": name, "team": team})
    except ValidationError as e:
        raise InvalidInput(*first_error(e)) from None


def checked_users(content: ConfigFile, users: dict[str, UserEntry]) -> ConfigFile:
    """The configuration with another set of users, checked as a whole (one consultant per
    name, a team for every team lead)."""
    try:
        return ConfigFile.model_validate({**content.model_dump(), "users": users})
    except ValidationError as e:
        field, reason = first_error(e)
        if field == "input" and ": " in reason:
            field, _, reason = reason.partition(": ")
        raise InvalidInput(field, reason) from None


@users_group.command("add")
@click.argument("login")
@click.option(
    "--role", required=True, type=click.Choice([r.value for r in Role]), help="what they may do"
)
@click.option("--name", metavar="NAME", help="their name on courses (consultants) [the login]")
@click.option("--team", metavar="TEAM", help="their team (consultants, team leads)")
def add_command(login: str, role: str, name: str | None, team: str | None) -> None:
    """Add a user with a role."""
    app = _admin_context()
    try:
        login = valid_login(login)
    except InvalidInput as e:
        raise InvalidInput("login", e.reason) from None
    content = app.config.content
    if login in content.users:
        existing = content.users[login].role.value
        raise NotAllowed(
            f"users: {login} is already a user ({existing}); remove them first to change that"
        )
    entry = new_entry(role, name, team)
    changed = checked_users(content, {**content.users, login: entry})
    save_users(app.config, changed.users)
    click.echo(f"users: added {login} as {entry.role.label} to {app.config.path}")


@users_group.command("remove")
@click.argument("login")
def remove_command(login: str) -> None:
    """Remove a user: from now on they are refused."""
    app = _admin_context()
    content = app.config.content
    if login not in content.users:
        raise NotAllowed(f"users: {login} is not a user")
    if login == app.user.login:
        raise NotAllowed("users: you cannot remove yourself; another admin can")
    users = {k: v for k, v in content.users.items() if k != login}
    save_users(app.config, checked_users(content, users).users)
    click.echo(f"users: removed {login} from {app.config.path}")
