"""`forloeb tokens create|list|revoke`: personal access tokens for the shared server."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import click

from cli.context import AppContext, app_context, valid_login
from cli.options import DATE
from cli.render import console, emit_json, emit_model, format_option, table
from domain.errors import CourseNotFound, InvalidInput
from workflows.access import USERS

if TYPE_CHECKING:
    from server.tokens import PersonalTokens
    from storage.tokens import TokenRow


def _tokens() -> tuple[AppContext, PersonalTokens]:
    from server.tokens import PersonalTokens, open_token_table

    app = app_context()
    app.require(USERS)
    return app, PersonalTokens(open_token_table(app.service.storage))


def token_dict(row: TokenRow) -> dict[str, Any]:
    """A token's row as plain data (never the token)."""
    return {
        "id": row.token_id,
        "user": row.user,
        "created_at": row.created,
        "expires_at": row.expires,
        "revoked": row.revoked,
        "created_by": row.created_by,
        "revoked_by": row.revoked_by,
        "revoked_at": row.revoked_at,
    }


@click.group("tokens")
def tokens_group() -> None:
    """Personal access tokens for the shared server, kept only as hashes (admins only)."""


@tokens_group.command("create")
@click.argument("user")
@click.option("--expires", type=DATE, required=True, help="the last day the token is valid")
@format_option
def create_command(user: str, expires: date, output_format: str) -> None:
    """Create a token for USER; it is shown once, here, and stored only as a hash."""
    app, tokens = _tokens()
    login = valid_login(user)
    app.directory.user(login)  # refused unless the configuration knows the user
    if expires < date.today():
        raise InvalidInput("expires", f"{expires.isoformat()} is in the past")
    row, token = tokens.create(login, expires, by=app.recorded_by)
    if output_format == "json":
        emit_json({**token_dict(row), "token": token})
        return
    click.echo(f"token {row.token_id} for {login}, valid through {expires.isoformat()}:")
    click.echo(token)
    click.echo("It is shown only now; keep it like a password.", err=True)


@tokens_group.command("list")
@format_option
def list_command(output_format: str) -> None:
    """List the tokens: id, user, created (by whom), expires, revoked (by whom); never the
    token."""
    _, tokens = _tokens()
    rows = [token_dict(row) for row in tokens.list()]
    if output_format == "json":
        from cli.read_models.admin import TokenList

        emit_model(TokenList.model_validate({"tokens": rows}))
        return
    cells = [[r["id"], r["user"], _when_by(r["created_at"], r["created_by"]), r["expires_at"],
              _when_by(r["revoked_at"], r["revoked_by"]) if r["revoked"] else "no"]
             for r in rows]  # fmt: skip
    console().print(
        table(f"{len(rows)} tokens", ["id", "user", "created", "expires", "revoked"], cells)
    )


def _when_by(when: str | None, by: str | None) -> str:
    """`when by whom`, as far as the row knows (rows from before kept neither)."""
    return " by ".join(part for part in (when or "yes", by) if part)


@tokens_group.command("revoke")
@click.argument("token_id", metavar="ID")
def revoke_command(token_id: str) -> None:
    """Revoke the token with this id (from `tokens list`); it is refused from then on."""
    app, tokens = _tokens()
    if not tokens.revoke(token_id, by=app.recorded_by):
        raise CourseNotFound(f"id: no token {token_id}")
    click.echo(f"revoked token {token_id}")
