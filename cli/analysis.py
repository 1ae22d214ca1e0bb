"""Evaluators' analyses: `forloeb analysis time-to-event | paths | trends`.

Each reads the outcomes view for a programme's cohort with the same two kinds of
time as `forloeb outcomes` (`--as-of`, `--known-at`) and prints tables, CSV or
JSON, with small cells suppressed on request (`--suppress-below N`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import click

from cli.context import app_context
from cli.pull_output import emit_pull, pulled_output
from cli.pulls import cohort_options, output_options, pull
from workflows.access import ANALYSIS, REPORT_CASELOAD

if TYPE_CHECKING:
    from cli.pulls import Pulled
    from projections.breakdowns import Grouping, Segment
    from projections.manifest import Command, OptionValue
    from projections.outcomes_course import CourseOutcome
    from projections.time_to_event import Origin

Options = Mapping[str, "OptionValue"]
Tables = Callable[["Pulled", Options, "int | None"], list[dict[str, Any]]]


def time_to_event_tables(
    pulled: Pulled, options: Options, below: int | None
) -> list[dict[str, Any]]:
    """The time-to-event tables (`options`: origin, interval_days), suppressed below `below`."""
    from projections.analysis_tables import time_to_event_report

    origin = cast("Origin", options["origin"])
    interval = options["interval_days"]
    assert isinstance(interval, int)
    return time_to_event_report(pulled.courses, origin, pulled.as_of, interval).shown(below)


def paths_tables(pulled: Pulled, options: Options, below: int | None) -> list[dict[str, Any]]:
    """The paths tables, suppressed below `below`."""
    from projections.analysis_tables import paths_report

    return paths_report(pulled.courses, pulled.as_of).shown(below)


def trends_tables(pulled: Pulled, options: Options, below: int | None) -> list[dict[str, Any]]:
    """The trends and breakdowns, suppressed below `below`."""
    from projections.analysis_tables import trends_report

    return trends_report(pulled.courses, groupings(pulled)).shown(below)


TABLES: dict[str, Tables] = {
    "analysis time-to-event": time_to_event_tables,
    "analysis paths": paths_tables,
    "analysis trends": trends_tables,
}
"""Each analysis command's tables from a pull and its options (`outcomes diff` repeats them)."""


def run_analysis(
    command: Command,
    cohort: tuple[str | None, datetime | None, datetime | None, str, datetime | None, str | None],
    options: dict[str, OptionValue],
    output_format: str,
    below: int | None,
) -> None:
    """Pull the cohort, build the command's tables and print them with the manifest."""
    from projections.pull import AnalysisPull

    app_context().require(ANALYSIS)
    pulled = pull(*cohort)
    tables = TABLES[command](pulled, options, below)
    emit_pull(pulled_output(AnalysisPull, pulled, command, tables, below, options), output_format)


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
    programme: str | None,
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
    cohort = (programme, cohort_from, cohort_to, cohort_by, as_of, known_at)
    options: dict[str, OptionValue] = {"origin": origin, "interval_days": interval}
    run_analysis("analysis time-to-event", cohort, options, output_format, suppress_below)


@analysis_group.command("paths")
@cohort_options
@output_options
def paths_command(
    programme: str | None,
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
    cohort = (programme, cohort_from, cohort_to, cohort_by, as_of, known_at)
    run_analysis("analysis paths", cohort, {}, output_format, suppress_below)


@analysis_group.command("trends")
@cohort_options
@output_options
def trends_command(
    programme: str | None,
    cohort_from: datetime | None,
    cohort_to: datetime | None,
    cohort_by: str,
    as_of: datetime | None,
    known_at: str | None,
    output_format: str,
    suppress_below: int | None,
) -> None:
    """Referrals, baselines, exits by kind and jobs per quarter; status and outcomes by
    consultant, team and benefit type (consultants numbered unless you may see caseloads),
    and by match group and profile as of the date when recorded."""
    cohort = (programme, cohort_from, cohort_to, cohort_by, as_of, known_at)
    run_analysis("analysis trends", cohort, {}, output_format, suppress_below)


def groupings(pulled: Pulled, named: bool | None = None) -> dict[str, Grouping]:
    """The breakdowns: by consultant (named, or numbered for those who may not see
    caseloads, or when `named` is False), by team (the consultant's team in the
    configuration, if any has one), by benefit type, and by match group and by profile
    as of the date (if any course has one)."""
    from projections.breakdowns import by_benefit_type, by_consultant, by_match_group, by_profile

    context = app_context()
    directory = context.directory
    named = context.may(REPORT_CASELOAD) and named is not False
    courses = pulled.courses
    numbers = consultant_numbers(courses)

    def consultant(course: CourseOutcome) -> str | None:
        name = by_consultant(course)
        return name if named or name is None else f"consultant {numbers[name]}"

    def team(course: CourseOutcome) -> str | None:
        return directory.team_of(course.consultant)

    segments = segmentations(pulled)
    match_group, profile = by_match_group(segments), by_profile(segments)
    found: dict[str, Grouping] = {"consultant": consultant}
    if any(team(course) is not None for course in courses):
        found["team"] = team
    found["benefit type"] = by_benefit_type
    if any(match_group(course) is not None for course in courses):
        found["match group"] = match_group
    if any(profile.groups_of(course) for course in courses):
        found["profile"] = profile
    return found


def segmentations(pulled: Pulled) -> dict[str, list[Segment]]:
    """Each course's segmentations (match group, profiles, focus) that had happened by the
    pull's date and been recorded by its moment, in date order, by course id."""
    from projections.milestones import MilestonesView

    view = app_context().caught_up_views("milestones").view("milestones")
    assert isinstance(view, MilestonesView)
    found = view.course_milestones(pulled.cohort.programme, pulled.as_of, pulled.known_at)
    return {course: milestones.segments for course, milestones in found.items()}


def consultant_numbers(courses: Sequence[CourseOutcome]) -> dict[str, int]:
    """A number for each consultant, in the order of their first course's referral."""
    first: dict[str, tuple[str, str]] = {}
    for course in courses:
        if course.consultant is not None:
            seen = (str(course.referred_on), course.consultant)
            first[course.consultant] = min(first.get(course.consultant, seen), seen)
    ordered = sorted(first, key=lambda name: first[name])
    return {name: i for i, name in enumerate(ordered, start=1)}
