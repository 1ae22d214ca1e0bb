"""Match group and profiles as of a date, from a course's segmentations in date order.

Each is a recorded fact that holds until the next one names it: a segmentation naming
no match group (or no profile) leaves the one before in force.
"""

from __future__ import annotations

from datetime import date

from domain.values import CourseState
from projections.breakdowns import (
    NONE,
    breakdown,
    by_match_group,
    by_profile,
    match_group_as_of,
    profiles_as_of,
)
from projections.outcomes_course import CourseOutcome

D = date


def test_a_rematch_recorded_alone_keeps_the_profiles() -> None:
    segments = [
        ("M3", ("maaske_egnede", "misbrugere"), "helbred", D(2016, 1, 4)),
        ("M2", (), None, D(2016, 5, 1)),
    ]

    assert match_group_as_of(segments) == "M2"
    assert profiles_as_of(segments) == ("maaske_egnede", "misbrugere")


def test_new_profiles_replace_the_old_and_keep_the_match_group() -> None:
    segments = [
        ("M3", ("fysisk_syge",), None, D(2016, 1, 4)),
        (None, ("diagnosticerede", "diagnosticerede"), None, D(2016, 3, 1)),
    ]

    assert match_group_as_of(segments) == "M3"
    assert profiles_as_of(segments) == ("diagnosticerede",)  # named twice, counted once


def test_no_segmentation_has_neither() -> None:
    assert match_group_as_of([]) is None
    assert profiles_as_of([]) == ()


def test_a_course_counts_under_each_profile_and_once_under_its_match_group() -> None:
    courses = [
        CourseOutcome(f"c{n}", "faxe-m3", f"s{n}", referred_on=D(2016, 1, 2),
                      state=CourseState.VISITATION)
        for n in range(4)
    ]  # fmt: skip
    segments = {
        "c0": [("M3", ("a", "b"), None, D(2016, 1, 4))],
        "c1": [("M3", ("a",), None, D(2016, 1, 4)), ("M2", (), None, D(2016, 2, 4))],
        "c2": [(None, ("b",), None, D(2016, 1, 4))],
    }

    by_group = breakdown(courses, by_match_group(segments))
    by_profiles = breakdown(courses, by_profile(segments))

    assert {g: row["referred"] for g, row in by_group.items()} == {"M2": 1, "M3": 1, NONE: 2}
    assert {g: row["referred"] for g, row in by_profiles.items()} == {"a": 2, "b": 2, NONE: 1}
