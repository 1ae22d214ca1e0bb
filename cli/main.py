"""The caseworker command line, `forloeb`.

Thin by design: parse the options, call the course service, print. Write
commands are generated from the command vocabulary (`cli.write`); errors
become exit codes in one place (`cli.errors`). Nothing opens the store until a
command needs it.
"""

from __future__ import annotations

import getpass
import importlib
import sys
from collections.abc import Sequence
from functools import cache
from importlib.util import find_spec
from typing import Any

import click

from cli.context import AppContext
from cli.errors import EXIT_BAD_INPUT, handle

READ_AND_ADMIN_COMMANDS: dict[str, str] = {
    "show": "cli.show:show_command",
    "courses": "cli.read:courses_command",
    "workflow": "cli.read:workflow_command",
    "import": "cli.import_file:import_command",
    "demo": "cli.demo:demo_command",
    "init": "cli.admin:init_command",
    "outcomes": "cli.outcomes:outcomes_command",
    "export": "cli.outcomes:export_command",
    "analysis": "cli.analysis:analysis_group",
    "report": "cli.report:report_command",
    "caseload": "cli.caseload:caseload_command",
    "due": "cli.caseload:due_command",
    "audit": "cli.audit:audit_command",
    "projections": "cli.projections_cmd:projections_group",
    "users": "cli.users:users_group",
    "verify": "cli.verify:verify_command",
    "citizen": "cli.citizen:citizen_group",
    "serve": "cli.server:serve_command",
    "login": "cli.login:login_command",
    "logout": "cli.login:logout_command",
}
"""Commands imported only when they run (or --help lists them): start-up stays short."""


@cache
def _installed(target: str) -> bool:
    """Whether the command's module exists (commands land one module at a time)."""
    return find_spec(target.partition(":")[0]) is not None


@cache
def write_commands() -> dict[str, click.Command]:
    """The write commands, generated from the command vocabulary (cli.write)."""
    from cli.write import add_write_commands

    holder = click.Group()
    add_write_commands(holder)
    return dict(holder.commands)


def _load(target: str) -> click.Command:
    module, _, name = target.partition(":")
    command: click.Command = getattr(importlib.import_module(module), name)
    return command


def default_user() -> str:
    """The OS user name, the actor when neither --as nor FORLOEB_USER is given."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


class ForloebGroup(click.Group):
    """The root group: commands load when used; every failure leaves as one line and an
    exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        lazy = {name for name, target in READ_AND_ADMIN_COMMANDS.items() if _installed(target)}
        return sorted({*lazy, *write_commands(), *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name in READ_AND_ADMIN_COMMANDS and _installed(READ_AND_ADMIN_COMMANDS[cmd_name]):
            return _load(READ_AND_ADMIN_COMMANDS[cmd_name])
        return write_commands().get(cmd_name)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
        except click.exceptions.NoArgsIsHelpError as help_error:
            help_error.show()
            code = EXIT_BAD_INPUT
        except Exception as error:
            code = handle(error)
        except KeyboardInterrupt as interrupt:
            code = handle(interrupt)
        if standalone_mode:
            sys.exit(code)
        return code


@click.group("forloeb", cls=ForloebGroup, no_args_is_help=True)
@click.option(
    "--as",
    "actor",
    envvar="FORLOEB_USER",
    default=default_user,
    show_default="the OS user",
    metavar="USER",
    help="who is working (recorded on every event; a user in the configuration) "
    "[env FORLOEB_USER]",
)
@click.option(
    "--db",
    metavar="PATH",
    envvar="FORLOEB_DB",
    help="SQLite event store file [env FORLOEB_DB; default ~/.local/share/forloeb/forloeb.sqlite]",
)
@click.option(
    "--database-url",
    metavar="URL",
    envvar="FORLOEB_DATABASE_URL",
    help="PostgreSQL event store, postgresql://… [env FORLOEB_DATABASE_URL]",
)
@click.version_option(package_name="forloeb")
@click.pass_context
def forloeb(ctx: click.Context, actor: str, db: str | None, database_url: str | None) -> None:
    """Citizen courses (borgerforløb): record what happens, see where each course stands.

    Who may do what is set in the configuration file (FORLOEB_CONFIG, else
    forloeb.toml beside the store); `forloeb init` creates it with you as admin.
    """
    app = AppContext(actor=actor, db=db, database_url=database_url)
    ctx.obj = app
    ctx.call_on_close(app.close)



def main() -> None:
    """Console-script entry point."""
    forloeb.main(prog_name="forloeb")
