"""Time to event: lifelines' figures agree with a small example worked out by hand.

Eight courses, days from baseline (e = reached, c = censored):

    A 2 job   B 3 unplanned exit   C 3 job   D 5 c   E 5 job   F 8 education
    G 10 c    H 12 job

Day 3 has two events of different kinds (a tie lifelines' Aalen–Johansen fitter
would jitter at random); day 5 has an event and a censoring (the censored course
is at risk on its day).
"""

from __future__ import annotations

from math import exp, log, sqrt

import pytest

from projections.time_to_event import (
    COMPETING,
    Estimate,
    LifeTableRow,
    Observation,
    cumulative_incidence,
    kaplan_meier,
    life_table,
    untied,
)

Ob = Observation
COURSES = [
    Ob(2, "job"), Ob(3, "unplanned exit"), Ob(3, "job"), Ob(5, None), Ob(5, "job"),
    Ob(8, "education"), Ob(10, None), Ob(12, "job"),
]  # fmt: skip
ANY = [Ob(o.days, None if o.event is None else "any") for o in COURSES]
"""The same times with every kind counted as the event (time to the first outcome)."""
Z = 1.959963984540054
"""The standard normal's 97.5 % quantile (95 % two-sided)."""


def loglog_interval(survival: float, greenwood: float) -> tuple[float, float]:
    """The exponential Greenwood interval, worked as lifelines documents it:
    v = log S, bounds exp(-exp(log(-v) ∓ z·sqrt(Σ d/(n(n-d))) / v))."""
    v = log(survival)
    lower = exp(-exp(log(-v) - Z * sqrt(greenwood) / v))
    upper = exp(-exp(log(-v) + Z * sqrt(greenwood) / v))
    return lower, upper


def test_kaplan_meier_survival_and_greenwood_log_log_interval_by_hand() -> None:
    # day: at risk n, events d  ->  S = S(before) × (n - d) / n
    s2 = 1 * (8 - 1) / 8  # day 2: n 8, d 1            -> 0.875
    s3 = s2 * (7 - 2) / 7  # day 3: n 7, d 2            -> 0.625
    s5 = s3 * (5 - 1) / 5  # day 5: n 5, d 1 (D at risk) -> 0.5
    s8 = s5 * (3 - 1) / 3  # day 8: n 3, d 1            -> 1/3
    # Greenwood sums Σ d / (n (n - d))
    g2 = 1 / (8 * 7)
    g3 = g2 + 2 / (7 * 5)
    g5 = g3 + 1 / (5 * 4)
    g8 = g5 + 1 / (3 * 2)

    fitted = kaplan_meier(ANY, [1, 2, 3, 5, 8, 10])

    expected = [(1.0, None), (s2, g2), (s3, g3), (s5, g5), (s8, g8), (s8, g8)]
    for estimate, (survival, greenwood) in zip(fitted.estimates, expected, strict=True):
        assert estimate.value == pytest.approx(survival)
        if greenwood is not None:
            lower, upper = loglog_interval(survival, greenwood)
            assert (estimate.lower, estimate.upper) == (pytest.approx(lower), pytest.approx(upper))
    assert (s5, g5) == (pytest.approx(0.5), pytest.approx(0.125))
    assert loglog_interval(s5, g5) == (pytest.approx(0.15204, abs=1e-5),
                                       pytest.approx(0.77486, abs=1e-5))  # fmt: skip


def test_the_median_and_its_interval_by_hand() -> None:
    # The median is the first day S ≤ 1/2: day 5 (S = 5/8 × 4/5 = 1/2 exactly).
    # Its interval: the first days the interval's bounds reach 1/2.
    lower_day_2, _ = loglog_interval(7 / 8, 1 / 56)  # 0.387 ≤ 1/2: the lower bound is day 2
    _, upper_day_8 = loglog_interval(1 / 3, 1 / 56 + 2 / 35 + 1 / 20 + 1 / 6)  # 0.658 > 1/2
    assert lower_day_2 < 0.5 < upper_day_8
    # the upper bound reaches 1/2 only on day 12, when H's job takes S to 0

    median = kaplan_meier(ANY, []).median

    assert (median.days, median.lower, median.upper) == (5, 2, 12)


def test_a_median_not_reached_is_none() -> None:
    median = kaplan_meier([Ob(3, "job"), Ob(4, None), Ob(9, None)], []).median

    assert median.days is None and median.upper is None


def test_aalen_johansen_cumulative_incidence_by_hand() -> None:
    # CIF_k(t) = Σ over days u ≤ t of d_k(u) / n(u) × S(u-), S the overall survival above
    s_before = {2: 1.0, 3: 7 / 8, 5: 5 / 8, 8: 1 / 2, 12: 1 / 3}
    job = [
        1 / 8 * s_before[2],  # day 2: A, n 8
        1 / 7 * s_before[3],  # day 3: C, n 7
        1 / 5 * s_before[5],  # day 5: E, n 5
        1 / 1 * s_before[12],  # day 12: H, n 1
    ]
    unplanned = 1 / 7 * s_before[3]  # day 3: B
    education = 1 / 3 * s_before[8]  # day 8: F

    found = cumulative_incidence(COURSES, COMPETING, [1, 2, 3, 5, 8, 12])

    values = {kind: [e.value for e in estimates] for kind, estimates in found.items()}
    assert values["job"] == pytest.approx(
        [0, job[0], sum(job[:2]), sum(job[:3]), sum(job[:3]), sum(job)]
    )
    assert values["unplanned exit"] == pytest.approx([0, 0, *[unplanned] * 4])
    assert values["education"] == pytest.approx([0, 0, 0, 0, education, education])
    assert (sum(job), unplanned, education) == (pytest.approx(17 / 24), 0.125, pytest.approx(1 / 6))
    assert sum(job) + unplanned + education == pytest.approx(1)  # nobody left without an outcome


def test_the_incidence_intervals_hold_the_estimate_once_a_kind_has_occurred() -> None:
    found = cumulative_incidence(COURSES, COMPETING, [2, 3, 5, 8])

    assert found["education"][0] == Estimate(2, 0.0, None, None)  # none yet: no interval
    for estimates in found.values():
        for e in (e for e in estimates if e.value > 0):
            assert e.lower is not None and e.upper is not None
            assert 0 <= e.lower <= e.value <= e.upper <= 1


def test_ties_are_broken_in_a_fixed_order_within_the_day() -> None:
    durations, codes = untied(COURSES, COMPETING)

    assert codes == [1, 3, 1, 0, 1, 2, 0, 1]
    # one day on; day 3's two events spread over the day, censorings after the day's events
    assert durations == pytest.approx([3, 4, 4.2, 6.5, 6, 9, 11.5, 13])
    assert len(set(durations)) == len(durations)


def test_an_outcome_on_the_day_of_the_origin_counts() -> None:
    found = cumulative_incidence([Ob(0, "job"), Ob(4, None)], COMPETING, [0])

    assert found["job"][0].value == pytest.approx(0.5)


def test_a_kind_nobody_reached_has_no_incidence_and_no_interval() -> None:
    found = cumulative_incidence([Ob(1, "job"), Ob(4, None)], COMPETING, [5])

    assert found["education"] == (Estimate(5, 0.0, None, None),)


def test_numbers_at_risk_per_interval() -> None:
    rows = life_table(COURSES, 4)

    assert rows == [
        LifeTableRow(0, 3, at_risk=8, events=3, censored=0),  # A, B, C
        LifeTableRow(4, 7, at_risk=5, events=1, censored=1),  # E; D
        LifeTableRow(8, 11, at_risk=3, events=1, censored=1),  # F; G
        LifeTableRow(12, 15, at_risk=1, events=1, censored=0),  # H
    ]
    for row, following in zip(rows, [*rows[1:], None], strict=True):
        assert row.at_risk == row.events + row.censored + (following.at_risk if following else 0)


def test_no_courses_give_no_estimates() -> None:
    assert kaplan_meier([], [0]).estimates == ()
    assert cumulative_incidence([], COMPETING, [0]) == {kind: () for kind in COMPETING}
    assert life_table([], 91) == []
