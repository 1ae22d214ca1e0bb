"""`forloeb report`: the visual report, one self-contained HTML file to open, print or send.

The outcome tables come from the outcomes view exactly as `forloeb outcomes`
reads them (same cohort options, both kinds of time, same suppression); the
caseload and due items from the caseload view as of the same date. The charts
need matplotlib, imported only when the command runs.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from cli.context import app_context
from cli.pulls import check_out_folder, cohort_options, manifest_of, pull
from storage.owner_only import replace_file
from workflows.access import REPORT, REPORT_CASELOAD


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
    out: Path,
) -> None:
    """Write the visual report (charts beside their tables) as one self-contained HTML file.

    Status funnel, outcomes against the targets, health and WHO-5, forms,
    network meetings, caseload per consultant and overdue items. No CPR
    numbers or free text, so the file can be sent on. An evaluator's report
    leaves out the caseload and overdue sections. The file is readable by its
    owner only.
    """
    app = app_context()
    app.require(REPORT)
    check_out_folder(out)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise click.ClickException(
            "the report's charts need matplotlib (pip install matplotlib)"
        ) from None
    from projections.caseload import DEFAULT_SETTINGS
    from projections.outcomes_tables import build_report
    from projections.report_html import ReportPage, render_page
    from projections.report_operations import operations_report

    pulled = pull(programme, cohort_from, cohort_to, cohort_by, as_of, known_at)
    about, courses = pulled.about(), pulled.courses
    programme, day = about["programme"], about["as_of"]
    operations = None
    if app.may(REPORT_CASELOAD):  # an evaluator's report leaves the workloads out
        caseload = app.caught_up_views("caseload").caseload
        settings = app.config.programme_settings
        operations = operations_report(
            caseload.caseload(day, programme=programme, settings=settings),
            caseload.due(day, programme=programme, settings=settings),
        )
    page = ReportPage(
        programme=programme,
        as_of=day,
        outcomes=build_report(courses),
        operations=operations,
        known_at=about["known_at"],
        cohort=_cohort_text(about["cohort"]),
        suppress_below=suppress_below,
        target_caseload=app.config.programme_settings.get(
            programme, DEFAULT_SETTINGS
        ).target_caseload,
        generated=datetime.now().astimezone(),
    )
    from projections.report_manifest import with_manifest

    html = with_manifest(render_page(page), manifest_of(pulled, "report", suppress_below))
    replace_file(out, lambda f: f.write(html.encode("utf-8")))
    click.echo(f"report on {programme} as of {day} written to {out}")
