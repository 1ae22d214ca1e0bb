"""Suppression of a breakdown whose groups overlap (by profile: several at once).

The groups of such a breakdown do not sum to the total, so complementary suppression
by subtraction from the total does not apply; but a reader still knows that each group
and the courses without one together are at most the total, and that the groups and
the courses without one together are at least the total. With a total of 30, 10
courses without a profile and 16 with profile a, a hidden count of 4 with profile b is
pinned by that alone (at least 30 - 10 - 16 = 4, under 5).

The reader here is independent of `projections.suppression`'s: a linear programme
(scipy) over every published cell, with the sums within each row and those
inequalities written out by hand, finding each hidden small cell's least and greatest
value in whole numbers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from datetime import date

import pytest

from domain.values import CourseState
from projections.analysis_tables import breakdown_table, group_keys, nest
from projections.breakdowns import BREAKDOWN_MEASURES, NONE, Overlapping, breakdown
from projections.outcomes_course import CourseOutcome, Job
from projections.outcomes_report import Report, Tally
from projections.suppression import Group, Hidden, suppress

BELOW = 5
P, S = Hidden.PRIMARY, Hidden.SECONDARY
NAME = "profile"
NESTED = (  # (part, whole) within a row: a course in the part is in the whole
    ("with baseline", "referred"),
    ("job with ordinary hours", "with baseline"),
    ("started education", "with baseline"),
    ("ongoing", "with baseline"),
    ("planned exit", "with baseline"),
    ("unplanned exit", "with baseline"),
)
Row = dict[str, float]  # key -> coefficient


def course(
    n: int, state: CourseState, *, jobs: bool = False, consultant: str = "a"
) -> CourseOutcome:
    """A course in `state` (all but visitation with a baseline), with a job if asked."""
    base = state is not CourseState.VISITATION
    return CourseOutcome(
        f"c{n}",
        "faxe-m3",
        f"s{n}",
        referred_on=date(2019, 1, 2),
        baseline_on=date(2019, 1, 9) if base else None,
        consultant=consultant,
        state=state,
        exit_after="job" if state is CourseState.EXITED_PLANNED else None,
        exit_reason="not_motivated" if state is CourseState.EXITED_UNPLANNED else None,
        jobs=[Job(date(2019, 2, 1), 37.0, False)] if jobs and base else [],
    )


def reader_rows(groups: Sequence[str]) -> tuple[list[Row], list[Row]]:
    """What a reader of the table knows, by hand: equalities (== 0) and inequalities
    (<= 0) over the shown cells: each row's own sums, and the groups against the total."""

    def key(group: str | None, measure: str) -> str:
        return measure if group is None else group_keys(NAME, group)[measure]

    equal: list[Row] = []
    at_most: list[Row] = []
    rows: list[str | None] = [None, NONE, *groups]
    for group in rows:
        parts = ("ongoing", "planned exit", "unplanned exit")
        equal.append({key(group, "with baseline"): -1, **{key(group, p): 1 for p in parts}})
        for part, whole in NESTED:
            at_most.append({key(group, part): 1, key(group, whole): -1})
    for measure in BREAKDOWN_MEASURES:
        total, none = key(None, measure), key(NONE, measure)
        for group in groups:  # a group and those without one: at most the total
            at_most.append({key(group, measure): 1, none: 1, total: -1})
        at_least: Row = {total: 1, none: -1}  # the groups and those without: at least it
        for group in groups:
            at_least[key(group, measure)] = at_least.get(key(group, measure), 0) - 1
        at_most.append(at_least)
    for group in groups:  # those with a profile but not this one, measure within measure
        for part, whole in NESTED:
            rest: Row = {}
            for measure, sign in ((part, 1), (whole, -1)):
                for cell, coefficient in ((key(None, measure), 1), (key(NONE, measure), -1),
                                          (key(group, measure), -1)):  # fmt: skip
                    rest[cell] = rest.get(cell, 0) + sign * coefficient
            at_most.append(rest)
    return equal, at_most


def pinned(
    counts: Mapping[str, int],
    equal: list[Row],
    at_most: list[Row],
    hidden: Mapping[str, Hidden],
    shown: set[str],
) -> set[str]:
    """The hidden shown cells under BELOW whose whole-number value the reader can fix."""
    from scipy.optimize import linprog

    keys = sorted(shown)
    at = {k: i for i, k in enumerate(keys)}

    def matrix(rows: list[Row]) -> list[list[float]]:
        found = []
        for row in rows:
            line = [0.0] * len(keys)
            for cell, coefficient in row.items():
                line[at[cell]] += coefficient
            found.append(line)
        return found

    bounds = [
        (counts[k], counts[k]) if k not in hidden
        else (0, BELOW - 1) if hidden[k] is P
        else (BELOW, None) if hidden[k] is S
        else (0, None)
        for k in keys
    ]  # fmt: skip
    a_eq, a_ub = matrix(equal), matrix(at_most)
    sums = {
        "A_eq": a_eq or None, "b_eq": [0.0] * len(a_eq) or None,
        "A_ub": a_ub or None, "b_ub": [0.0] * len(a_ub) or None,
    }  # fmt: skip
    found = set()
    for cell in (k for k in keys if k in hidden and counts[k] < BELOW):
        objective = [0.0] * len(keys)
        objective[at[cell]] = 1.0
        low = linprog(objective, bounds=bounds, **sums)
        high = linprog([-c for c in objective], bounds=bounds, **sums)
        assert low.status == 0 and high.status in (0, 3), cell  # consistent (3: unbounded)
        if high.status == 0 and math.ceil(low.fun - 1e-9) == math.floor(-high.fun + 1e-9):
            found.add(cell)
    return found


def profile_report(
    courses: Sequence[CourseOutcome], profiles: Mapping[str, tuple[str, ...]]
) -> Report:
    tally = Tally()
    grouping = Overlapping(lambda c: profiles.get(c.course_id, ()))
    table = breakdown_table(tally, courses, NAME, grouping)
    return Report((table,), dict(tally.counts), tuple(tally.groups))


def shown_cells(report: Report) -> set[str]:
    return report.published()


SYNTHETIC = ("(some group)", "(sum of the groups)", "(counted more than once)", " not)")


def test_a_hidden_profile_count_pinned_by_the_overlap_inequalities_is_protected() -> None:
    """30 courses, none with a baseline: 10 without a profile, 16 with a, 4 with b."""
    courses = [course(n, CourseState.VISITATION) for n in range(30)]
    profiles = {f"c{n}": ("a",) if n < 16 else ("b",) for n in range(20)}
    report = profile_report(courses, profiles)
    groups = ["a", "b"]
    equal, at_most = reader_rows(groups)
    shown = shown_cells(report)
    b = group_keys(NAME, "b")["referred"]

    naive = [g for g in report.groups if not any(m in c for c in g.cells for m in SYNTHETIC)]
    without = suppress(report.counts, naive, BELOW, report.counts.keys() - shown)
    assert without[b] is P
    assert b in pinned(report.counts, equal, at_most, without, shown)  # the leak guarded

    hidden = suppress(report.counts, report.groups, BELOW, report.counts.keys() - shown)

    assert hidden[b] is P
    assert pinned(report.counts, equal, at_most, hidden, shown) == set()
    table = {r["label"]: r["cells"] for r in report.shown(BELOW)[0]["rows"]}
    assert table["b"][0] == "<5" and "x" in (table["a"][0], table["(none)"][0], table["total"][0])


@pytest.mark.parametrize("seed", range(12))
def test_no_hidden_cell_of_a_profile_breakdown_can_be_worked_out(seed: int) -> None:
    """Random cohorts: 30 courses in every state, mostly one of two profiles each (few
    overlaps: the inequalities then tell most; without the overlap's sums, 3 of these 12
    cohorts leak a hidden cell), with a consultant breakdown suppressed in the same pass."""
    rng = random.Random(seed)
    states = [CourseState.VISITATION, CourseState.ACTIVE, CourseState.EXITED_PLANNED,
              CourseState.EXITED_UNPLANNED, CourseState.JOB]  # fmt: skip
    courses = [
        course(n, rng.choice(states), jobs=rng.random() < 0.2, consultant=rng.choice("ab"))
        for n in range(30)
    ]
    names = ("p", "q")
    profiles = {c.course_id: tuple(rng.sample(names, rng.choice((0, 0, 1, 1, 1, 1, 1, 1, 2))))
                for c in courses}  # fmt: skip
    tally = Tally()
    breakdowns = {
        "consultant": lambda c: c.consultant,
        NAME: Overlapping(lambda c: profiles[c.course_id]),
    }
    tables = [breakdown_table(tally, courses, n, of) for n, of in breakdowns.items()]
    nest(tally, courses, breakdowns)
    report = Report(tuple(tables), dict(tally.counts), tuple(tally.groups))
    shown = report.published()
    groups = [g for g in breakdown(courses, breakdowns[NAME]) if g != NONE]
    equal, at_most = reader_rows(groups)
    for g in tally.groups:  # the consultant breakdown's own sums, as the code names them
        if all(cell in shown for cell in g.cells) and not g.total.startswith(NAME):
            equal.append({g.total: -1, **{p: 1 for p in g.parts}})
    profile_cells = {k for k in shown if k.startswith(NAME) or k in BREAKDOWN_MEASURES}

    hidden = suppress(report.counts, report.groups, BELOW, report.counts.keys() - shown)

    assert any(hidden.get(k) is P for k in profile_cells)
    assert pinned(report.counts, equal, at_most, hidden, shown) == set()


def test_the_groups_of_a_profile_breakdown_are_not_parts_of_its_total() -> None:
    courses = [course(n, CourseState.ACTIVE) for n in range(12)]
    profiles = {f"c{n}": ("a", "b") if n < 6 else ("a",) for n in range(10)}

    report = profile_report(courses, profiles)

    rows = {label: cells for label, cells in report.tables[0].rows}
    assert [rows[g][0].value for g in ("a", "b", "(none)", "total")] == [10, 6, 2, 12]
    partitions = [g for g in report.groups if g.total == "referred"]
    assert Group("referred", tuple(group_keys(NAME, g)["referred"]
                                   for g in ("a", "b", "(none)"))) not in partitions  # fmt: skip
