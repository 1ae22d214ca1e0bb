"""The global options, `--as`, `--db` and `--database-url`: on the `forloeb` group, and
accepted again after any command's name (`forloeb courses --db X` is
`forloeb --db X courses`; given in both places, the later one counts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

GIVEN_AFTER = "forloeb.global_options"
"""ctx.meta key: the global options given after a command's name, by AppContext field."""

ACTOR_HELP = (
    "who is working (recorded on every event; a user in the configuration) [env FORLOEB_USER]"
)
DB_HELP = "SQLite event store file [env FORLOEB_DB; default ~/.local/share/forloeb/forloeb.sqlite]"
DATABASE_URL_HELP = "PostgreSQL event store, postgresql://… [env FORLOEB_DATABASE_URL]"

_AFTER: tuple[tuple[str, str, str, str], ...] = (
    ("--as", "actor", "USER", ACTOR_HELP),
    ("--db", "db", "PATH", DB_HELP),
    ("--database-url", "database_url", "URL", DATABASE_URL_HELP),
)
"""(option, AppContext field, metavar, help) of each global option."""


def group_options(default_user: Callable[[], str]) -> Callable[[F], F]:
    """The global options as the `forloeb` group declares them (with env vars, defaults)."""

    def decorate(f: F) -> F:
        f = click.option(
            "--database-url", metavar="URL", envvar="FORLOEB_DATABASE_URL", help=DATABASE_URL_HELP
        )(f)
        f = click.option("--db", metavar="PATH", envvar="FORLOEB_DB", help=DB_HELP)(f)
        return click.option(
            "--as",
            "actor",
            envvar="FORLOEB_USER",
            default=default_user,
            show_default="the OS user",
            metavar="USER",
            help=ACTOR_HELP,
        )(f)

    return decorate


def accept_global_options(command: click.Command) -> click.Command:
    """Let `command` (and, for a group, each of its commands) take the global options after
    its name; options it declares itself (init's --db) stay its own. Idempotent."""
    if getattr(command, "_takes_global_options", False):
        return command
    declared = {opt for param in command.params for opt in param.opts}
    for option, field, metavar, help_text in _AFTER:
        if option not in declared:
            command.params.append(_after_option(option, field, metavar, help_text))
    command._takes_global_options = True  # type: ignore[attr-defined]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            accept_global_options(sub)
    return command


def _after_option(option: str, field: str, metavar: str, help_text: str) -> click.Option:
    return click.Option(
        [option, f"global_{field}"],
        metavar=metavar,
        help=help_text,
        expose_value=False,
        hidden=True,
        callback=_remember(field),
    )


def _remember(field: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def remember(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value is None:
            return
        ctx.meta.setdefault(GIVEN_AFTER, {})[field] = value
        from cli.context import AppContext

        app = ctx.find_object(AppContext)
        if app is not None:
            if app.principal is not None and field != "actor":
                refuse_store_option(field, value)
            setattr(app, field, value)

    return remember


def chosen(ctx: click.Context) -> dict[str, Any]:
    """The global options in force in `ctx`: the group's, then any given after a command's
    name (for shell completion, where the group's callback has not run)."""
    root = ctx.find_root()
    values = {field: root.params.get(field) for _, field, _, _ in _AFTER}
    values.update(ctx.meta.get(GIVEN_AFTER, {}))
    return values


def refuse_store_option(field: str, value: object) -> None:
    """On the shared server the server chooses the store: `--db`/`--database-url` are refused."""
    if value is None:
        return
    from domain.errors import InvalidInput

    raise InvalidInput(field, "the server chooses the store; drop the option in remote mode")


LOCAL_ONLY = frozenset({"init", "server", "login", "logout"})
"""Commands that run on a machine of their own, never through the shared server: sent to
it (by a hand-made request), `init --db PATH` made a store anywhere on the server's
disk and `server` started a second server inside the first, holding its lock."""


def refuse_local_only(command: str | None) -> None:
    """On the shared server, a command of `LOCAL_ONLY` is refused as bad input."""
    if command not in LOCAL_ONLY:
        return
    from domain.errors import InvalidInput

    raise InvalidInput("command", f"{command} runs on its own machine, not through the server")
