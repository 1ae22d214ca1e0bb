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
from typing import Any

import click
from click.shell_completion import CompletionItem

from cli.completion import complete_values
from cli.context import AppContext
from cli.errors import EXIT_BAD_INPUT, handle
from cli.global_options import accept_global_options, group_options
from cli.startup import (
    command_chosen,
    defer_garbage_collection,
    exit_at_once,
    skip_pydantic_plugin_scan,
    will_exit_at_once,
)

WRITE = "cli.write"
"""The target of the write commands, generated from the command vocabulary (`cli.write`)."""

COMMANDS: dict[str, tuple[str, str]] = {
    "accept": (WRITE, "Accept the citizen at visitation and assign a resource consultant."),
    "analysis": (
        "cli.analysis:analysis_group",
        "Analyse a programme's cohort for evaluators: time to event, paths and trends.",
    ),
    "audit": (
        "cli.audit:audit_command",
        "A citizen's complete history across all their courses, corrections beside what "
        "they correct, who looked at the record and any erasure.",
    ),
    "caseload": (
        "cli.caseload:caseload_command",
        "Each resource consultant's open courses against the programme's target (25 unless "
        "the configuration's [programmes.NAME] says otherwise), and what is overdue.",
    ),
    "citizen": (
        "cli.citizen:citizen_group",
        "One citizen's data: hand it over (export) or destroy it (erase).",
    ),
    "complete": (
        WRITE,
        "The citizen completed the programme (a milestone; the course goes on until its exit).",
    ),
    "contact": (
        WRITE,
        "Register one contact with the citizen: its kind, the place and the citizen's rating.",
    ),
    "correct": (
        WRITE,
        "Correct an earlier event (by sequence number) or retract it; the original stays.",
    ),
    "courses": (
        "cli.read:courses_command",
        "List courses, newest referral last, with optional filters.",
    ),
    "demo": (
        "cli.demo:demo_command",
        "Load the demo cohort (deterministic for a size and seed) and show the result.",
    ),
    "due": (
        "cli.caseload:due_command",
        "What needs doing: measurements, network meetings and praktik ends, most overdue first.",
    ),
    "education": (WRITE, "Education: start and end."),
    "exit": (
        WRITE,
        "End the course: planned (from job or education) or unplanned (with a reason).",
    ),
    "export": (
        "cli.export:export_command",
        "Export pseudonymised courses and state spells (no CPR numbers), with a codebook, for "
        "evaluators' statistics.",
    ),
    "follow-up": (WRITE, "Record a follow-up observation after exit."),
    "group": (WRITE, "Group courses: join and complete."),
    "import": (
        "cli.import_file:import_command",
        'Apply a JSONL file of commands, one per line: {"command": "accept", "course": ..., ...}.',
    ),
    "init": (
        "cli.admin:init_command",
        "Create or upgrade the store's tables; safe to run again (run as the owner role).",
    ),
    "job": (WRITE, "Ordinary paid work: start and end."),
    "login": ("cli.login:login_command", "Log in to a shared forloeb server."),
    "logout": ("cli.login:logout_command", "Forget the token kept for a shared forloeb server."),
    "measure": (WRITE, "Record one form (citizen or staff) at a measurement point."),
    "meeting": (WRITE, "Record a network meeting (held, or the citizen did not show)."),
    "outcomes": (
        "cli.outcomes:outcomes_command",
        "The evaluators' outcome tables for a programme's cohort (every VIVE midterm table: "
        "2.1, 4.1-4.7, 5.1-5.4, 6.1-6.6; goals; follow-up).",
    ),
    "praktik": (WRITE, "Workplace internship (virksomhedspraktik): start and end."),
    "programmes": (
        "cli.programmes_cmd:programmes_group",
        "The programmes run side by side: entry routes, roles, moves, cohorts and outcomes.",
    ),
    "projections": (
        "cli.projections_cmd:projections_group",
        "The read views: their status, verifying and rebuilding them, keeping them caught up.",
    ),
    "reassign": (WRITE, "Another resource consultant takes over the course."),
    "refer": (WRITE, "Refer a citizen to a programme: opens a course in visitation."),
    "reject": (WRITE, "Reject the citizen at visitation; the course ends."),
    "report": (
        "cli.report:report_command",
        "Write the visual report (charts beside their tables) as one self-contained HTML file.",
    ),
    "server": (
        "server.command:server_command",
        "Serve every command to remote CLIs over HTTPS (or loopback HTTP, or a Unix socket).",
    ),
    "segment": (
        WRITE,
        "Record the citizen's match group, profiles and case-handling focus as of a date.",
    ),
    "session": (WRITE, "Record an individual or group session."),
    "show": (
        "cli.show:show_command",
        "Show a course: its facts, the allowed next moves and its full event history.",
    ),
    "team": (WRITE, "The course's team: a professional joins or leaves it."),
    "treatment-plan": (WRITE, "A psychiatric treatment plan started (the course goes on)."),
    "users": (
        "cli.users:users_group",
        "Users and their roles, kept in the configuration file (admins only).",
    ),
    "tokens": (
        "server.tokens_cmd:tokens_group",
        "Personal access tokens for the shared server, kept only as hashes (admins only).",
    ),
    "verify": (
        "cli.verify:verify_command",
        "Check that no stored event was changed, removed, inserted or reordered (exit 1 if so).",
    ),
    "workflow": (
        "cli.read:workflow_command",
        "Show the course states and the moves between them (the one transitions table).",
    ),
}
"""Every command: where it is defined (imported only when it runs) and its summary for
`--help`, so listing the commands imports none of them. A test holds each summary equal
to the command's own short help."""


@cache
def write_commands() -> dict[str, click.Command]:
    """The write commands, generated from the command vocabulary (cli.write)."""
    from cli.write import add_write_commands

    holder = click.Group()
    add_write_commands(holder)
    return dict(holder.commands)


def write_command(name: str) -> click.Command:
    """One write command (or group, e.g. `praktik`), generated from its own models alone."""
    from cli.write import add_write_commands

    holder = click.Group()
    add_write_commands(holder, first_word=name)
    return holder.commands[name]


def load_command(name: str) -> click.Command:
    """The command `name` from its module, accepting the global options after its name and
    completing course ids, programmes and consultants."""
    target = COMMANDS[name][0]
    if target == WRITE:
        command = write_command(name)
    else:
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
    return whole_summaries(complete_values(accept_global_options(command)))


def whole_summaries(command: click.Command) -> click.Command:
    """Let a group list its commands with their whole first sentence, as `forloeb --help`
    does, not cut to the terminal's width."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            if sub.short_help is None:
                sub.short_help = sub.get_short_help_str(limit=sys.maxsize)
            whole_summaries(sub)
    return command


def default_user() -> str:
    """The OS user name, the actor when neither --as nor FORLOEB_USER is given."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


class ForloebGroup(click.Group):
    """The root group: commands load when used, `--help` lists them from the table; every
    failure leaves as one line and an exit code."""

    last_error: BaseException | None = None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name in COMMANDS:
            command_chosen(cmd_name)  # before its modules load
            return load_command(cmd_name)
        return None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their summaries, from the table (no command module imported)."""
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """Command names (with their summaries) from the table; options as click does."""
        if incomplete.startswith("-"):
            return super().shell_complete(ctx, incomplete)
        return [
            CompletionItem(name, help=summary)
            for name, (_, summary) in sorted(COMMANDS.items())
            if name.startswith(incomplete)
        ]

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
            self.last_error = error  # the shared server maps it to an HTTP status
            code = handle(error)
        except KeyboardInterrupt as interrupt:
            code = handle(interrupt)
        if standalone_mode:
            sys.exit(code)
        return code


@click.group(
    "forloeb",
    cls=ForloebGroup,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@group_options(default_user)
@click.version_option(package_name="forloeb")
@click.pass_context
def forloeb(ctx: click.Context, actor: str, db: str | None, database_url: str | None) -> None:
    """Citizen courses (borgerforløb): record what happens, see where each course stands.

    Who may do what is set in the configuration file (FORLOEB_CONFIG, else
    forloeb.toml beside the store); `forloeb init` creates it with you as admin.
    --as, --db and --database-url may also follow the command's name. Dates are
    written YYYY-MM-DD, DD-MM-YYYY or DD.MM.YYYY.
    """
    if isinstance(ctx.obj, AppContext):  # the shared server's: its store stays open
        from cli.global_options import refuse_local_only, refuse_store_option

        refuse_local_only(ctx.invoked_subcommand)
        commandline = click.core.ParameterSource.COMMANDLINE
        for name, value in (("db", db), ("database_url", database_url)):
            if ctx.get_parameter_source(name) == commandline:
                refuse_store_option(name, value)
        given = ctx.get_parameter_source("actor") == commandline
        ctx.obj.actor = actor if given else ctx.obj.actor
        return
    app = AppContext(actor=actor, db=db, database_url=database_url)
    ctx.obj = app
    ctx.call_on_close(app.close)


def main() -> None:
    """Console-script entry point."""
    defer_garbage_collection()
    skip_pydantic_plugin_scan()
    will_exit_at_once()
    exit_at_once(forloeb.main(prog_name="forloeb", standalone_mode=False))
