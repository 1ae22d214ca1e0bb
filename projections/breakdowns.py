"""Breakdowns of a cohort's status and outcomes by consultant, team, benefit type, match
group or profile.

Each course goes to one group: its resource consultant as of the date (the one
assigned at acceptance or by the latest reassignment), that consultant's team,
the benefit type it was referred with, or its match group as of the date. By
profile a course goes to each of its profiles as of the date (`Overlapping`), so
those groups do not sum to the total. What is counted per group follows the
status and outcome tables (VIVE 5.1 and 6.1).

Match group and profiles are recorded facts with dates (`SegmentRecorded`, read
from the milestones view as of the date and known-at moment): each holds until the
next one recorded. A segmentation naming no match group (or no profile) leaves the
one before in force, so a rematch recorded with its match group alone keeps the
profiles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

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
Segment = tuple[str | None, tuple[str, ...], str | None, date]
"""(match group, profiles, focus, date) of one segmentation (`CourseMilestones.segments`)."""


@dataclass(frozen=True)
class Overlapping:
    """A breakdown whose groups overlap: a course counts under each of its groups (none:
    under `NONE`), so the groups do not sum to the total."""

    groups_of: Callable[[CourseOutcome], tuple[str, ...]]


Grouping = GroupOf | Overlapping


def by_consultant(course: CourseOutcome) -> str | None:
    """The course's resource consultant."""
    return course.consultant


def by_benefit_type(course: CourseOutcome) -> str | None:
    """The benefit type the citizen was referred with."""
    return course.benefit_type


def match_group_as_of(segments: Sequence[Segment]) -> str | None:
    """The match group of the latest segmentation that names one (segments in date order)."""
    groups = [group for group, _, _, _ in segments if group is not None]
    return groups[-1] if groups else None


def profiles_as_of(segments: Sequence[Segment]) -> tuple[str, ...]:
    """The profiles of the latest segmentation that names any (segments in date order)."""
    named = [profiles for _, profiles, _, _ in segments if profiles]
    return tuple(dict.fromkeys(named[-1])) if named else ()


def by_match_group(segments: Mapping[str, Sequence[Segment]]) -> GroupOf:
    """The course's match group as of the date, from its segmentations by course id."""
    return lambda course: match_group_as_of(segments.get(course.course_id, ()))


def by_profile(segments: Mapping[str, Sequence[Segment]]) -> Overlapping:
    """Each of the course's profiles as of the date, from its segmentations by course id."""
    return Overlapping(lambda course: profiles_as_of(segments.get(course.course_id, ())))


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


def groups_of(course: CourseOutcome, grouping: Grouping) -> tuple[str, ...]:
    """The groups the course counts under (`NONE` when it has none)."""
    if isinstance(grouping, Overlapping):
        return grouping.groups_of(course) or (NONE,)
    return (grouping(course) or NONE,)


def breakdown(courses: Sequence[CourseOutcome], grouping: Grouping) -> dict[str, dict[str, int]]:
    """Per group (in name order, courses without one last): each measure's count. An
    overlapping breakdown always has the `NONE` group (zero when every course has one)."""
    found: dict[str, dict[str, int]] = {}
    if isinstance(grouping, Overlapping):
        found[NONE] = dict.fromkeys(BREAKDOWN_MEASURES, 0)
    for course in courses:
        counted = measures(course)
        for group in groups_of(course, grouping):
            row = found.setdefault(group, dict.fromkeys(BREAKDOWN_MEASURES, 0))
            for measure, n in counted.items():
                row[measure] += n
    return {group: found[group] for group in sorted(found, key=lambda g: (g == NONE, g))}


def totals(courses: Sequence[CourseOutcome]) -> dict[str, int]:
    """Each measure's count over all the courses."""
    found = dict.fromkeys(BREAKDOWN_MEASURES, 0)
    for course in courses:
        for measure, n in measures(course).items():
            found[measure] += n
    return found
