"""`forloeb outcomes`: the published tables of a programme's cohort, and `outcomes diff`.

The cohort options, both kinds of time, the manifest and the output formats
are those every evaluators' command shares (`cli.pulls`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from cli.context import app_context
from cli.outcomes_diff import diff_command
from cli.pull_output import emit_pull, pulled_output
from cli.pulls import (
    DATE,
    check_out_folder,
    cohort_options,
    output_options,
    parse_known_at,
    pull,
    read_courses,
)
from workflows.access import OUTCOMES

if TYPE_CHECKING:
    from cli.pulls import Pulled
    from projections.manifest import OptionValue

__all__ = [  # the shared ones re-exported for modules that still import them from here
    "DATE",
    "check_out_folder",
    "cohort_options",
    "outcome_tables",
    "outcomes_command",
    "parse_known_at",
    "read_courses",
]


def outcome_tables(
    pulled: Pulled, options: Mapping[str, OptionValue], below: int | None
) -> list[dict[str, Any]]:
    """The outcome tables of a pull (only those `options["tables"]` names, if any),
    suppressed below `below`."""
    from cli.programme_outcomes import outcome_report
    from cli.programmes_cmd import catalogue
    from programmes.outcome_tables import all_table_names, is_the_vive_report

    known = all_table_names()
    follow_up = bool(options.get("follow_up_forms"))
    chosen = options.get("tables") or []
    assert isinstance(chosen, list)
    if pulled.given is None and is_the_vive_report(
        catalogue().get(pulled.cohort.programme), [str(c) for c in chosen],
        follow_up_forms=follow_up,
    ):  # fmt: skip
        report = pulled.view.report(
            pulled.cohort, pulled.as_of, pulled.known_at, follow_up_forms=follow_up
        )
    else:
        report = outcome_report(
            pulled.cohort.programme, pulled.courses, pulled.as_of, pulled.known_at,
            follow_up_forms=follow_up, chosen=[str(name) for name in chosen],
        )  # fmt: skip
    tables = report.shown(below)
    if chosen:
        wanted = {name for choice in chosen for name in known[choice]}
        tables = [shown for shown in tables if shown["name"] in wanted]
    return tables


def _refuse_options_before_a_subcommand(context: click.Context) -> None:
    given = [
        name
        for name in context.params
        if context.get_parameter_source(name) is ParameterSource.COMMANDLINE
    ]
    if given:
        raise click.UsageError(
            f"outcomes {context.invoked_subcommand} takes its own options, not "
            + ", ".join("--" + name.replace("_", "-") for name in given)
        )


@click.group("outcomes", invoke_without_command=True)
@cohort_options
@output_options
@click.option(
    "--follow-up-forms",
    is_flag=True,
    help="add a table of the forms taken after exit (follow-up points; never in table 2.1)",
)
@click.option(
    "--table",
    "chosen",
    multiple=True,
    metavar="NAME",
    help="only this table: a VIVE number (4.1, 6.5, …) or a name (status, goals, completion, "
    "contacts, …); repeat for more (default: the programme's outcome_tables)",
)
@click.pass_context
def outcomes_command(
    context: click.Context,
    programme: str | None,
    cohort_from: datetime | None,
    cohort_to: datetime | None,
    cohort_by: str,
    as_of: datetime | None,
    known_at: str | None,
    output_format: str,
    suppress_below: int | None,
    follow_up_forms: bool,
    chosen: tuple[str, ...],
) -> None:
    """The evaluators' outcome tables for a programme's cohort (every VIVE midterm table:
    2.1, 4.1-4.7, 5.1-5.4, 6.1-6.6; goals; follow-up).

    The output starts with the pull's manifest: log position, as-of date, the
    moment it was known at, the programme definition, configuration and code
    versions, and the suppression. `forloeb outcomes diff SAVED.json` compares
    a saved JSON pull with the same pull now.
    """
    if context.invoked_subcommand is not None:
        _refuse_options_before_a_subcommand(context)
        return
    from programmes.outcome_tables import all_table_names
    from projections.pull import OutcomesPull

    known = all_table_names()
    for name in chosen:
        if name not in known:
            raise click.BadParameter(
                f"unknown table {name!r} (known: {', '.join(known)})", param_hint="--table"
            )
    app_context().require(OUTCOMES)
    pulled = pull(programme, cohort_from, cohort_to, cohort_by, as_of, known_at)
    options: dict[str, OptionValue] = {"tables": list(chosen), "follow_up_forms": follow_up_forms}
    tables = outcome_tables(pulled, options, suppress_below)
    output = pulled_output(OutcomesPull, pulled, "outcomes", tables, suppress_below, options)
    emit_pull(output, output_format)


outcomes_command.add_command(diff_command)
