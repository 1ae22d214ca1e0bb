"""Trends per calendar quarter: referrals, baselines, exits by kind and jobs started.

Counts are of the courses of a cohort folded as of a date (as known at a moment),
each fact in the quarter it happened (its `occurred_on`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from domain.values import CourseState
from projections.outcomes_course import CourseOutcome
from projections.paths import Quarter, quarter, quarters_between

TREND_MEASURES: tuple[str, ...] = (
    "referrals",
    "baselines",
    "planned exits",
    "unplanned exits",
    "jobs started",
)
"""What is counted per quarter (jobs: every ordinary job started, not only the first)."""


def trend_days(course: CourseOutcome) -> dict[str, list[date]]:
    """The days a course counts in each trend measure."""
    exited = [] if course.is_open or course.state_since is None else [course.state_since]
    planned = course.state is CourseState.EXITED_PLANNED
    return {
        "referrals": [] if course.referred_on is None else [course.referred_on],
        "baselines": [] if course.baseline_on is None else [course.baseline_on],
        "planned exits": exited if planned else [],
        "unplanned exits": [] if planned else exited,
        "jobs started": [job.on for job in course.jobs],
    }


def trends(courses: Sequence[CourseOutcome]) -> tuple[list[Quarter], dict[str, list[int]]]:
    """The quarters from the first to the last with anything counted, and per measure its
    count in each of them."""
    counts: dict[str, Counter[Quarter]] = {measure: Counter() for measure in TREND_MEASURES}
    for course in courses:
        for measure, days in trend_days(course).items():
            counts[measure].update(quarter(day) for day in days)
    seen = [q for counter in counts.values() for q in counter]
    if not seen:
        return [], {measure: [] for measure in TREND_MEASURES}
    span = quarters_between(min(seen), max(seen))
    return span, {measure: [counts[measure][q] for q in span] for measure in TREND_MEASURES}
