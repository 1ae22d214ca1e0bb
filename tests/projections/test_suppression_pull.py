"""One suppression pass across every table of a pull.

Hand-made tables: a trend row that needs no hiding keeps all its cells, and a
cell hidden in one table cannot be worked out from another table of the same
pull. The reader here is independent of `projections.suppression`'s own: a
linear programme (scipy, through lifelines' dependencies) that finds each
hidden small cell's least and greatest possible value from every published
cell and every sum written out by hand below, in whole numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date

from domain.values import CourseState
from projections.analysis_tables import breakdown_table, group_keys, nest, trends_table
from projections.outcomes_course import CourseOutcome
from projections.outcomes_report import Report, Tally
from projections.suppression import Group, Hidden, suppress

BELOW = 5
P, S = Hidden.PRIMARY, Hidden.SECONDARY


def pinned(
    counts: Mapping[str, int],
    sums: Iterable[tuple[str, tuple[str, ...]]],
    hidden: Mapping[str, Hidden],
    below: int = BELOW,
) -> set[str]:
    """The hidden cells under `below` whose whole-number value the sums fix."""
    from scipy.optimize import linprog

    keys = sorted(counts)
    at = {key: i for i, key in enumerate(keys)}
    rows, rhs = [], []
    for total, parts in sums:
        row = [0.0] * len(keys)
        row[at[total]] -= 1
        for part in parts:
            row[at[part]] += 1
        rows.append(row)
        rhs.append(0.0)
    bounds = [
        (counts[k], counts[k]) if k not in hidden
        else (0, below - 1) if hidden[k] is P
        else (below, None) if hidden[k] is S
        else (0, None)
        for k in keys
    ]  # fmt: skip
    found = set()
    for key in (k for k in hidden if counts[k] < below):
        objective = [0.0] * len(keys)
        objective[at[key]] = 1.0
        low = linprog(objective, A_eq=rows, b_eq=rhs, bounds=bounds).fun
        high = -linprog([-c for c in objective], A_eq=rows, b_eq=rhs, bounds=bounds).fun
        if math.ceil(low - 1e-9) == math.floor(high + 1e-9):
            found.add(key)
    return found


def courses_of(consultants: Mapping[str, int]) -> list[CourseOutcome]:
    """Courses referred, no baseline yet: so many per consultant."""
    return [
        CourseOutcome(
            f"{name}-{i}",
            "pva",
            f"s-{name}-{i}",
            referred_on=date(2019, 1, 2),
            consultant=name,
            state=CourseState.VISITATION,
        )
        for name, n in consultants.items()
        for i in range(n)
    ]


def test_a_trend_row_that_needs_no_hiding_keeps_every_cell() -> None:
    """Referrals are all large; baselines have one small quarter. Only the baselines row
    loses a second cell, and only one."""
    tally = Tally()
    quarters = ("q1", "q2", "q3", "q4")
    rows = {"referrals": (20, 25, 30, 27), "baselines": (3, 18, 22, 24), "jobs": (1, 2, 1, 0)}
    for measure, values in rows.items():
        keys = tuple(f"{measure} {q}" for q in quarters)
        for key, value in zip(keys, values, strict=True):
            tally.count(key, value)
        tally.count(f"{measure} total", sum(values))
        tally.partition(f"{measure} total", keys)

    hidden = suppress(tally.counts, tally.groups, BELOW)

    assert not any(key.startswith("referrals") for key in hidden)
    baselines = {key: why for key, why in hidden.items() if key.startswith("baselines")}
    assert baselines == {"baselines q1": P, "baselines q2": S}
    assert {k for k in hidden if k.startswith("jobs")} >= {f"jobs {q}" for q in quarters}
    assert pinned(tally.counts, ((g.total, g.parts) for g in tally.groups), hidden) == set()


def test_only_the_cells_a_small_one_needs_are_hidden_not_the_whole_row() -> None:
    """A cell hidden early for one small cell but not needed once others are hidden is
    shown again: no more than two cells of a row with one small cell."""
    counts = {"total": 100, "a": 2, "b": 9, "c": 10, "d": 40, "e": 39}
    groups = [Group("total", ("a", "b", "c", "d", "e")), Group("b+c", ("b", "c"))]
    counts["b+c"] = 19

    hidden = suppress(counts, groups, BELOW)

    assert hidden["a"] is P
    assert len(hidden) == 2


def test_a_consultant_hidden_in_one_table_is_not_given_away_by_the_team_table() -> None:
    """Consultants a (3) and b (20) are team nord; c (25) and d (4) are team syd. Alone,
    the consultant table hides a and d, and the team table hides nothing: nord (23) less
    b (20) gives a away. Suppressed as one pull, a's team sum is protected too."""
    consultants = {"a": 3, "b": 20, "c": 25, "d": 4}
    team_of = {"a": "nord", "b": "nord", "c": "syd", "d": "syd"}
    courses = courses_of(consultants)
    breakdowns = {
        "consultant": lambda course: course.consultant,
        "team": lambda course: team_of[course.consultant],
    }
    by_hand = [  # team = its consultants, written out here, not taken from the code
        (group_keys("team", team)["referred"],
         tuple(group_keys("consultant", c)["referred"] for c in team_of if team_of[c] == team))
        for team in ("nord", "syd")
    ]  # fmt: skip

    alone = [Tally(), Tally()]
    tables = [breakdown_table(t, courses, name, of)
              for t, (name, of) in zip(alone, breakdowns.items(), strict=True)]  # fmt: skip
    apart = [
        Report((table,), dict(t.counts), tuple(t.groups))
        for table, t in zip(tables, alone, strict=True)
    ]
    merged_counts = {**apart[0].counts, **apart[1].counts}
    hidden_apart = {
        **suppress(apart[0].counts, apart[0].groups, BELOW),
        **suppress(apart[1].counts, apart[1].groups, BELOW),
    }
    sums_apart = [(g.total, g.parts) for r in apart for g in r.groups]
    leaked = pinned(merged_counts, [*sums_apart, *by_hand], hidden_apart)
    assert group_keys("consultant", "a")["referred"] in leaked  # the leak this guards against

    tally = Tally()
    for name, of in breakdowns.items():
        breakdown_table(tally, courses, name, of)
    nest(tally, courses, breakdowns)
    hidden = suppress(tally.counts, tally.groups, BELOW)

    assert hidden[group_keys("consultant", "a")["referred"]] is P
    sums = [(g.total, g.parts) for g in tally.groups]
    assert pinned(tally.counts, [*sums, *by_hand], hidden) == set()


def test_a_total_shown_in_two_tables_is_hidden_in_both_or_neither() -> None:
    """The trends' baselines total and the breakdown's "with baseline" total count the
    same courses: one name, so one cell, shown alike in both tables."""
    courses = [
        CourseOutcome(
            f"c{i}",
            "pva",
            f"s{i}",
            referred_on=date(2019, 1 + i % 3, 2),
            baseline_on=date(2019, 1 + i % 3, 9) if i % 7 else None,
            consultant="a" if i < 3 else "b",
            state=CourseState.ACTIVE if i % 7 else CourseState.VISITATION,
        )
        for i in range(30)
    ]
    tally = Tally()
    trends = trends_table(tally, courses)
    by_consultant = breakdown_table(tally, courses, "consultant", lambda c: c.consultant)
    report = Report((trends, by_consultant), dict(tally.counts), tuple(tally.groups))

    shown = {t["name"]: {r["label"]: r["cells"] for r in t["rows"]} for t in report.shown(BELOW)}

    in_trends = shown["trends"]["baselines"][-1]
    in_breakdown = shown["by_consultant"]["total"][1]
    assert in_trends == in_breakdown == tally.counts["with baseline"]
    assert shown["trends"]["referrals"][-1] == shown["by_consultant"]["total"][0] == 30


def test_merged_reports_refuse_one_name_with_two_values() -> None:
    first, second = Tally(), Tally()
    first.count("referred", 10)
    second.count("referred", 11)
    reports = [Report((), dict(t.counts), tuple(t.groups)) for t in (first, second)]

    try:
        reports[0].merged(reports[1])
    except ValueError as error:
        assert "referred" in str(error)
    else:
        raise AssertionError("two values under one name were merged")
