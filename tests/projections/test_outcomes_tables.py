"""The table builders and the report's rules, on courses made by hand (no I/O)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.values import CourseState, FollowUpOutcome, UnplannedExitReason
from projections.outcomes_course import CourseOutcome, Job
from projections.outcomes_report import SECONDARY_MARK, half_up, percent
from projections.outcomes_tables import build_report
from projections.suppression import Hidden, disclosed, suppress
from tests.projections.test_suppression import solved_by_subtraction

D = date(2020, 1, 1)


def course(n: int, state: CourseState, **facts: object) -> CourseOutcome:
    """A course with a baseline, in `state`, with the facts given."""
    made = CourseOutcome(f"c{n}", "mb", f"{n:010d}", referred_on=D, baseline_on=D, state=state)
    for name, value in facts.items():
        setattr(made, name, value)
    return made


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [(17, 97, 18), (1, 8, 13), (3, 8, 38), (77, 98, 79), (9, 39, 23), (0, 5, 0), (1, 0, None)],
)
def test_percentages_are_whole_numbers_rounded_half_up(
    part: int, whole: int, shown: int | None
) -> None:
    assert percent(part, whole) == shown


def test_means_are_rounded_half_up() -> None:
    assert (half_up(20.25), half_up(20.35), half_up(49.94)) == (20.3, 20.4, 49.9)


def test_follow_up_in_the_mb_style_respondents_and_worst_case() -> None:
    """MB: 82 completed; 45 answered, 35 of them in work (78 %), 43 % of completers at worst."""
    planned = CourseState.EXITED_PLANNED
    answers = ["employed"] * 35 + ["not_employed"] * 10 + ["no_response"] * 20 + [None] * 17
    completers = [
        course(n, planned, exit_after="job", follow_up=answer) for n, answer in enumerate(answers)
    ]
    dropped = [
        course(100 + n, CourseState.EXITED_UNPLANNED, exit_reason="other") for n in range(27)
    ]
    follow_up = build_report(completers + dropped).table("follow_up")

    assert follow_up.value("completed (planned exit)", "n") == 82
    assert (
        follow_up.value("answered the follow-up", "n"),
        follow_up.value("did not answer", "n"),
    ) == (45, 37)
    assert follow_up.value("  employed, of those answering", "%") == 78
    assert follow_up.value("employed, worst case (of all completers)", "%") == 43


def test_goal_met_when_the_share_reaches_the_target() -> None:
    in_job = [course(n, CourseState.JOB, jobs=[Job(D, 20, False)]) for n in range(2)]
    others = [course(10 + n, CourseState.ACTIVE) for n in range(8)]
    goals = build_report(in_job + others).table("goals")

    assert (
        goals.value("ordinary work", "% of with baseline"),
        goals.value("ordinary work", "met"),
    ) == (20, "yes")


def test_a_suppressed_report_hides_small_counts_their_shares_and_a_partner() -> None:
    courses = [course(n, CourseState.ACTIVE) for n in range(20)]
    courses += [course(50 + n, CourseState.EXITED_UNPLANNED, exit_reason="other") for n in range(6)]
    courses += [course(90, CourseState.EXITED_PLANNED, exit_after="job")]
    [status, *_] = build_report(courses).shown(below=5)
    rows = {row["label"].strip(): row["cells"] for row in status["rows"]}

    assert rows["planned exit"] == ["<5", SECONDARY_MARK]
    assert rows["after job"] == ["<5", SECONDARY_MARK]
    assert rows["unplanned exit"][0] == SECONDARY_MARK  # else 27 - 20 - 6 gives the planned exit
    assert rows["with baseline"][0] == 27 and rows["ongoing"][0] == 20


def test_without_suppression_every_figure_is_shown() -> None:
    courses = [course(n, CourseState.ACTIVE) for n in range(3)]
    shown = build_report(courses).shown()

    assert all(
        not isinstance(cell, str) or cell in ("yes", "no")
        for table in shown
        for row in table["rows"]
        for cell in row["cells"]
    )


@st.composite
def cohorts(draw: st.DrawFn) -> list[CourseOutcome]:
    """Courses in any state, with or without work, praktik, education and a follow-up."""
    made = []
    for n in range(draw(st.integers(0, 40))):
        state = draw(st.sampled_from(list(CourseState)))
        made.append(
            course(
                n,
                state,
                baseline_on=draw(st.sampled_from([D, None])),
                exit_after=draw(st.sampled_from(["job", "education"]))
                if state is CourseState.EXITED_PLANNED
                else None,
                exit_reason=draw(st.sampled_from(list(UnplannedExitReason))).value
                if state is CourseState.EXITED_UNPLANNED
                else None,
                jobs=[Job(D, 20, draw(st.booleans()))] if draw(st.booleans()) else [],
                praktik_starts=[D] if draw(st.booleans()) else [],
                follow_up=draw(st.sampled_from([None, *(o.value for o in FollowUpOutcome)])),
            )
        )
    return made


@settings(max_examples=40, deadline=None)
@given(cohorts(), st.integers(3, 6))
def test_a_suppressed_report_never_shows_or_gives_away_a_small_count(
    courses: list[CourseOutcome], below: int
) -> None:
    report = build_report(courses)
    unpublished = report.counts.keys() - report.published()  # remainders no table shows
    hidden = suppress(report.counts, report.groups, below, unpublished)
    groups = list(report.groups)
    small = {key for key, value in report.counts.items() if value < below}
    unknown = {**dict.fromkeys(unpublished, Hidden.WITHHELD), **hidden}

    assert small <= set(hidden)
    assert not disclosed(report.counts, groups, unknown, below)
    assert not solved_by_subtraction(report.counts, groups, unknown) & small
    for table, published in zip(report.tables, report.shown(below), strict=True):
        for (_, cells), row in zip(table.rows, published["rows"], strict=True):
            for cell, value in zip(cells, row["cells"], strict=True):
                if cell.count in small:
                    assert value == f"<{below}"
                elif set(cell.depends) & set(hidden):
                    assert value == SECONDARY_MARK
                else:
                    assert value == cell.value
