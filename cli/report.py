"""`forloeb report`: the visual report, one self-contained HTML file to open, print or send.

The outcome tables are those the programme's definition names, exactly as `forloeb
outcomes` reads them (same cohort options, both kinds of time): VIVE's for På vej
til arbejde (and a programme without a definition), the programme's own for the
others (completion, outcome kinds, follow-up, contacts, no-shows, profiles); the
trends, breakdowns,
paths and time to event as `forloeb analysis` builds them; the caseload and
due items from the caseload view as of the same date. All the tables of one
report are suppressed together (one pull). Two variants: a team lead's
(operations, caseload, trends, breakdowns by named consultant, no health
detail: it needs the caseload's read right) and an evaluator's (every VIVE
table, time to event, paths, breakdowns, methods; no workloads). The charts
need matplotlib, imported only when the command runs.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.analysis import groupings
from cli.context import app_context
from cli.pulls import check_out_folder, cohort_options, manifest_of, pull
from storage.owner_only import replace_file
from workflows.access import REPORT, REPORT_CASELOAD

if TYPE_CHECKING:
    from cli.pulls import Pulled
    from projections.outcomes_report import Report


def _cohort_text(cohort: dict[str, object]) -> str:
    if cohort["from"] is None and cohort["to"] is None:
        return f"all, by {cohort['by']}"
    return f"by {cohort['by']}, {cohort['from'] or '…'} to {cohort['to'] or '…'}"


@click.command("report")
@cohort_options
@click.option(
    "--suppress-below",
    type=click.IntRange(min=3),
    metavar="N",
    help='show counts under N as "<N" (and "x" for cells giving one away), in charts too',
)
@click.option(
    "--for",
    "variant",
    type=click.Choice(["team-lead", "evaluator"]),
    help="whose report [team-lead for those who may read caseloads, else evaluator]",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="the HTML file to write",
)
def report_command(
    programme: str | None,
    cohort_from: datetime | None,
    cohort_to: datetime | None,
    cohort_by: str,
    as_of: datetime | None,
    known_at: str | None,
    suppress_below: int | None,
    variant: str | None,
    out: Path,
) -> None:
    """Write the visual report (charts beside their tables) as one self-contained HTML file.

    A team lead's: status, outcomes against the targets, caseload per
    consultant, overdue items, trends, breakdowns by consultant and team (and
    match group and profile, when recorded), forms and network meetings. An
    evaluator's: the same without workloads, with consultants numbered, plus
    health, WHO-5, every VIVE table, time to event, time in state, paths and
    the methods. Another programme than På vej til arbejde shows the tables
    its definition names in place of VIVE's. No CPR numbers or free text, so
    the file can be sent on; it is readable by its owner only.
    """
    app = app_context()
    app.require(REPORT)
    variant = variant or ("team-lead" if app.may(REPORT_CASELOAD) else "evaluator")
    if variant == "team-lead":
        app.require(REPORT_CASELOAD)  # consultants' names and workloads
    check_out_folder(out)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise click.ClickException(
            "the report's charts need matplotlib (pip install matplotlib)"
        ) from None
    from cli.programme_outcomes import outcome_report
    from projections.caseload import DEFAULT_SETTINGS
    from projections.report_html import ReportPage, render_page
    from projections.report_operations import operations_report

    pulled = pull(programme, cohort_from, cohort_to, cohort_by, as_of, known_at)
    about, courses = pulled.about(), pulled.courses
    programme, day = about["programme"], about["as_of"]
    operations = None
    if variant == "team-lead":  # an evaluator's report leaves the workloads out
        caseload = app.caught_up_views("caseload").caseload
        settings = app.config.programme_settings
        operations = operations_report(
            caseload.caseload(day, programme=programme, settings=settings),
            caseload.due(day, programme=programme, settings=settings),
        )
    page = ReportPage(
        programme=programme,
        as_of=day,
        outcomes=outcome_report(
            programme, courses, day, pulled.known_at, follow_up_forms=False, chosen=()
        ),
        operations=operations,
        known_at=about["known_at"],
        cohort=_cohort_text(about["cohort"]),
        suppress_below=suppress_below,
        target_caseload=app.config.programme_settings.get(
            programme, DEFAULT_SETTINGS
        ).target_caseload,
        generated=datetime.now().astimezone(),
        analyses=analyses(pulled, variant),
        variant=variant,
        title=programme_title(programme),
    )
    from projections.report_manifest import with_manifest

    html = with_manifest(render_page(page), manifest_of(pulled, "report", suppress_below))
    replace_file(out, lambda f: f.write(html.encode("utf-8")))
    click.echo(f"{variant} report on {programme} as of {day} written to {out}")


def analyses(pulled: Pulled, variant: str) -> tuple[Report, ...]:
    """Trends and breakdowns (consultants named for a team lead, numbered for an
    evaluator); for an evaluator also paths and time to event from the referral."""
    from projections.analysis_tables import paths_report, time_to_event_report, trends_report

    courses, day = pulled.courses, pulled.as_of
    trends = trends_report(courses, groupings(pulled, named=variant == "team-lead"))
    if variant == "team-lead":
        return (trends,)
    return trends, paths_report(courses, day), time_to_event_report(courses, "referral", day)


def programme_title(programme: str) -> str:
    """The programme's name as its definition gives it, or its slug without one."""
    from programmes.catalogue import load

    definition = load(app_context().programmes_folder).get(programme)
    return definition.title if definition is not None and definition.title else programme
