"""Evaluators' analyses: `forloeb analysis time-to-event | paths | trends`.

Each reads the outcomes view for a programme's cohort with the same two kinds of
time as `forloeb outcomes` (`--as-of`, `--known-at`) and prints tables, CSV or
JSON, with small cells suppressed on request (`--suppress-below N`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from cli.context import app_context
from cli.outcomes import cohort_options, print_tables, read_courses, write_long_csv
from cli.render import emit_json
from workflows.access import ANALYSIS, REPORT_CASELOAD

if TYPE_CHECKING:
    from projections.breakdowns import GroupOf
    from projections.outcomes_course import CourseOutcome
    from projections.outcomes_report import Report
    from projections.time_to_event import Origin

F = TypeVar("F", bound=Callable[..., Any])
Cohort = tuple[datetime | None, datetime | None, str, datetime | None, str | None]


def output_options(function: F) -> F:
    """--format and --suppress-below, as `forloeb outcomes` has them."""
    function = click.option(
        "--suppress-below",
        type=click.IntRange(min=3),
        metavar="N",
        help='show counts under N as "<N", and as "x" any cell that would give one away',
    )(function)
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "csv", "json"]),
        default="table",
        show_default=True,
        help="tables for people, CSV (table,row,column,value) or JSON for programs",
    )(function)


def _courses(programme: str, cohort: Cohort) -> tuple[dict[str, Any], list[CourseOutcome]]:
    app_context().require(ANALYSIS)
    about, courses, _ = read_courses(programme, *cohort)
    return about, courses


def show(about: dict[str, Any], report: Report, output_format: str, below: int | None) -> None:
    """Print a report's tables in the format asked for, suppressed below `below`."""
    tables = report.shown(below)
    about["suppress_below"] = below
    if output_format == "json":
        emit_json({**about, "tables": tables})
    elif output_format == "csv":
        write_long_csv(tables)
    else:
        print_tables(about, tables)


@click.group("analysis")
def analysis_group() -> None:
    """Analyse a programme's cohort for evaluators: time to event, paths and trends."""


@analysis_group.command("time-to-event")
@cohort_options
@click.option(
    "--origin",
    type=click.Choice(["referral", "baseline"]),
    default="referral",
    show_default=True,
    help="count the days from the referral or from the baseline",
)
@click.option(
    "--interval",
    type=click.IntRange(min=1),
    default=91,
    show_default=True,
    metavar="DAYS",
    help="the width of the intervals of the numbers at risk",
)
@output_options
def time_to_event_command(
    programme: str,
    cohort_from: datetime | None,
    cohort_to: datetime | None,
    cohort_by: str,
    as_of: datetime | None,
    known_at: str | None,
    origin: str,
    interval: int,
    output_format: str,
    suppress_below: int | None,
) -> None:
    """Days to first praktik, job, education and unplanned exit: Kaplan–Meier with 95 %
    intervals, medians, and the competing first outcomes (Aalen–Johansen)."""
    from projections.analysis_tables import time_to_event_report

    cohort = (cohort_from, cohort_to, cohort_by, as_of, known_at)
    about, courses = _courses(programme, cohort)
    report = time_to_event_report(courses, cast("Origin", origin), about["as_of"], interval)
    about["origin"], about["interval_days"] = origin, interval
    show(about, report, output_format, suppress_below)


@analysis_group.command("paths")
@cohort_options
@output_options
def paths_command(
    programme: str,
    cohort_from: datetime | None,
    cohort_to: datetime | None,
    cohort_by: str,
    as_of: datetime | None,
    known_at: str | None,
    output_format: str,
    suppress_below: int | None,
) -> None:
    """Time in each state, the most common paths through the states, and the way into work
    (via praktik or direct) per quarter."""
    from projections.analysis_tables import paths_report

    about, courses = _courses(programme, (cohort_from, cohort_to, cohort_by, as_of, known_at))
    show(about, paths_report(courses, about["as_of"]), output_format, suppress_below)


@analysis_group.command("trends")
@cohort_options
@output_options
def trends_command(
    programme: str,
    cohort_from: datetime | None,
    cohort_to: datetime | None,
    cohort_by: str,
    as_of: datetime | None,
    known_at: str | None,
    output_format: str,
    suppress_below: int | None,
) -> None:
    """Referrals, baselines, exits by kind and jobs per quarter; status and outcomes by
    consultant, team and benefit type (consultants numbered unless you may see caseloads)."""
    from projections.analysis_tables import trends_report

    about, courses = _courses(programme, (cohort_from, cohort_to, cohort_by, as_of, known_at))
    show(about, trends_report(courses, groupings(courses)), output_format, suppress_below)


def groupings(courses: Sequence[CourseOutcome], named: bool | None = None) -> dict[str, GroupOf]:
    """The breakdowns: by consultant (named, or numbered for those who may not see
    caseloads, or when `named` is False), by team (the consultant's team in the
    configuration, if any has one), by benefit type."""
    from projections.breakdowns import by_benefit_type, by_consultant

    context = app_context()
    directory = context.directory
    named = context.may(REPORT_CASELOAD) and named is not False
    numbers = consultant_numbers(courses)

    def consultant(course: CourseOutcome) -> str | None:
        name = by_consultant(course)
        return name if named or name is None else f"consultant {numbers[name]}"

    def team(course: CourseOutcome) -> str | None:
        return directory.team_of(course.consultant)

    teams = any(team(course) is not None for course in courses)
    return {
        "consultant": consultant,
        **({"team": team} if teams else {}),
        "benefit type": by_benefit_type,
    }


def consultant_numbers(courses: Sequence[CourseOutcome]) -> dict[str, int]:
    """A number for each consultant, in the order of their first course's referral."""
    first: dict[str, tuple[str, str]] = {}
    for course in courses:
        if course.consultant is not None:
            seen = (str(course.referred_on), course.consultant)
            first[course.consultant] = min(first.get(course.consultant, seen), seen)
    ordered = sorted(first, key=lambda name: first[name])
    return {name: i for i, name in enumerate(ordered, start=1)}
