"""Breakdowns of a cohort's status and outcomes by consultant, team or benefit type.

Each course goes to one group: its resource consultant as of the date (the one
assigned at acceptance or by the latest reassignment), that consultant's team,
or the benefit type it was referred with. What is counted per group follows
the status and outcome tables (VIVE 5.1 and 6.1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from projections.outcomes_course import CourseOutcome

NONE = "(none)"
"""The group of courses without the attribute (e.g. no consultant before acceptance)."""

BREAKDOWN_MEASURES: tuple[str, ...] = (
    "referred",
    "with baseline",
    "ongoing",
    "planned exit",
    "unplanned exit",
    "job with ordinary hours",
    "started education",
)
"""The counts per group; all but `referred` are of the courses with a baseline."""

GroupOf = Callable[[CourseOutcome], str | None]


def by_consultant(course: CourseOutcome) -> str | None:
    """The course's resource consultant."""
    return course.consultant


def by_benefit_type(course: CourseOutcome) -> str | None:
    """The benefit type the citizen was referred with."""
    return course.benefit_type


def measures(course: CourseOutcome) -> dict[str, bool]:
    """Which of the breakdown's counts the course is in."""
    base = course.has_baseline
    return {
        "referred": True,
        "with baseline": base,
        "ongoing": base and course.is_open,
        "planned exit": base and course.exit_after is not None,
        "unplanned exit": base and course.exit_reason is not None,
        "job with ordinary hours": base and bool(course.jobs),
        "started education": base and bool(course.education_starts),
    }


def breakdown(courses: Sequence[CourseOutcome], group_of: GroupOf) -> dict[str, dict[str, int]]:
    """Per group (in name order, courses without one last): each measure's count."""
    found: dict[str, dict[str, int]] = {}
    for course in courses:
        group = group_of(course) or NONE
        row = found.setdefault(group, dict.fromkeys(BREAKDOWN_MEASURES, 0))
        for measure, counted in measures(course).items():
            row[measure] += counted
    return {group: found[group] for group in sorted(found, key=lambda g: (g == NONE, g))}
