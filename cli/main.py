"""The caseworker command line, `forloeb`.

Thin by design: parse the options, call the course service, print. Write
commands are generated from the command vocabulary (`cli.write`); errors
become exit codes in one place (`cli.errors`). Nothing opens the store until a
command needs it.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Sequence
from typing import Any

import click

from cli.admin import init_command
from cli.audit import audit_command
from cli.caseload import caseload_command, due_command
from cli.context import AppContext
from cli.demo import demo_command
from cli.errors import EXIT_BAD_INPUT, handle
from cli.import_file import import_command
from cli.outcomes import export_command, outcomes_command
from cli.projections_cmd import projections_group
from cli.read import courses_command, workflow_command
from cli.report import report_command
from cli.show import show_command
from cli.write import add_write_commands


def default_user() -> str:
    """The OS user name, the actor when neither --as nor FORLOEB_USER is given."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


class ForloebGroup(click.Group):
    """The root group: every failure leaves as one line and an exit code."""

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
    help="who is working (recorded on every event) [env FORLOEB_USER]",
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
    """Citizen courses (borgerforløb): record what happens, see where each course stands."""
    app = AppContext(actor=actor, db=db, database_url=database_url)
    ctx.obj = app
    ctx.call_on_close(app.close)


def _register() -> None:
    add_write_commands(forloeb)
    for command in (show_command, courses_command, workflow_command, import_command, demo_command):
        forloeb.add_command(command)
    forloeb.add_command(init_command)
    forloeb.add_command(outcomes_command)
    forloeb.add_command(export_command)
    forloeb.add_command(report_command)
    for view_command in (caseload_command, due_command, audit_command, projections_group):
        forloeb.add_command(view_command)


_register()


def main() -> None:
    """Console-script entry point."""
    forloeb.main(prog_name="forloeb")
