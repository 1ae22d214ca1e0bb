"""Time to event: from referral or baseline to first praktik, job, education or unplanned exit.

Each course of a cohort (folded as of a date, as known at a moment) gives one
observation: the days from its origin to the event, or, if the event has not
happened, to the end of what is seen of it — the course's exit, or the as-of
date while it is open (censored). The figures are lifelines' estimators:

- Kaplan–Meier survival (the share not yet reached) with the exponential
  Greenwood ("log-log") confidence interval, and the median with its interval
  (where the interval's bounds cross one half);
- Aalen–Johansen cumulative incidence of the competing first outcomes: job,
  education, unplanned exit (whichever comes first ends the observation).

lifelines' Aalen–Johansen fitter breaks tied event times by random jitter.
Here ties are broken deterministically before fitting: the events of one day
are spread over that day in a fixed order, and censorings are put after them.
The estimate at the end of each day is then exactly the estimator for tied
data (each day's cause-k increment is d_k / n × S(day before)); see
`untied`. lifelines is imported only inside the functions that fit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from domain.values import CourseState
from projections.outcomes_course import CourseOutcome

if TYPE_CHECKING:
    import pandas as pd

Origin = Literal["referral", "baseline"]

ENDPOINTS: tuple[str, ...] = ("praktik", "job", "education", "unplanned exit")
"""What a time can be measured to: the first of each (job: ordinary hours)."""
COMPETING: tuple[str, ...] = ("job", "education", "unplanned exit")
"""The competing first outcomes; on one day, the first named wins."""
ALPHA = 0.05
"""95 % intervals."""
DIGITS = 12
"""Curves are rounded to this many decimals before medians are read off them, so that a
product such as 5/8 × 4/5 counts as the one half it is (lifelines' float gives 0.5000…01)."""


@dataclass(frozen=True)
class Observation:
    """One course's time: days from its origin to the event, or to where it is censored."""

    days: int
    event: str | None
    """The endpoint reached; None when censored."""


def origin_day(course: CourseOutcome, origin: Origin) -> date | None:
    """The day a course's clock starts: its referral or its baseline."""
    return course.referred_on if origin == "referral" else course.baseline_on


def event_day(course: CourseOutcome, endpoint: str) -> date | None:
    """The day the course first reached the endpoint, if it did."""
    firsts: dict[str, list[date]] = {
        "praktik": course.praktik_starts,
        "job": [job.on for job in course.jobs],
        "education": course.education_starts,
    }
    if endpoint == "unplanned exit":
        unplanned = course.state is CourseState.EXITED_UNPLANNED
        return course.state_since if unplanned else None
    if endpoint not in firsts:
        raise ValueError(f"endpoint: must be one of {', '.join(ENDPOINTS)}, not {endpoint!r}")
    days = firsts[endpoint]
    return min(days) if days else None


def observe(
    course: CourseOutcome, endpoints: Sequence[str], origin: Origin, as_of: date
) -> Observation | None:
    """The course's time to the first of the endpoints (None if it has no origin yet)."""
    start = origin_day(course, origin)
    if start is None:
        return None
    reached = [
        (day, i) for i, name in enumerate(endpoints) if (day := event_day(course, name)) is not None
    ]
    if reached:
        day, i = min(reached)
        return Observation(max((day - start).days, 0), endpoints[i])
    end = as_of if course.is_open or course.state_since is None else course.state_since
    return Observation(max((end - start).days, 0), None)


def observations(
    courses: Sequence[CourseOutcome], endpoints: Sequence[str], origin: Origin, as_of: date
) -> list[Observation]:
    """Every course's time to the first of the endpoints (courses without an origin left out)."""
    found = (observe(course, endpoints, origin, as_of) for course in courses)
    return [observation for observation in found if observation is not None]


# Estimates --------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """An estimate at the end of a day, with its confidence interval."""

    day: int
    value: float
    lower: float | None
    upper: float | None
    """None where lifelines gives no interval (no variance: nobody left at risk after)."""


@dataclass(frozen=True)
class Median:
    """A median time in days with its interval; None where the curve does not reach one half."""

    days: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class Survival:
    """Kaplan–Meier: the share not yet reached at each day asked, and the median time."""

    estimates: tuple[Estimate, ...]
    median: Median


def kaplan_meier(observations: Sequence[Observation], days: Sequence[int]) -> Survival:
    """The Kaplan–Meier estimate (lifelines), with 95 % log-log intervals, at the days given."""
    if not observations:
        return Survival((), Median(None, None, None))
    import pandas as pd
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    fitter = KaplanMeierFitter(alpha=ALPHA).fit(
        [o.days for o in observations], [o.event is not None for o in observations]
    )
    curve = fitter.survival_function_.iloc[:, 0]
    bounds = fitter.confidence_interval_survival_function_
    estimates = tuple(_estimate(curve, bounds, day, day) for day in days)
    medians = median_survival_times(pd.concat([curve, bounds.iloc[:, :2]], axis=1).round(DIGITS))
    return Survival(estimates, Median(*map(_finite, medians.iloc[0])))


def cumulative_incidence(
    observations: Sequence[Observation], kinds: Sequence[str], days: Sequence[int]
) -> dict[str, tuple[Estimate, ...]]:
    """Aalen–Johansen cumulative incidence (lifelines) of each competing kind at the days
    given, with lifelines' 95 % intervals."""
    if not observations:
        return {kind: () for kind in kinds}
    from lifelines import AalenJohansenFitter

    durations, codes = untied(observations, kinds)
    result = {}
    for code, kind in enumerate(kinds, start=1):
        if code not in codes:
            result[kind] = tuple(Estimate(day, 0.0, None, None) for day in days)
            continue
        fitter = AalenJohansenFitter(alpha=ALPHA).fit(durations, codes, event_of_interest=code)
        curve = fitter.cumulative_density_.iloc[:, 0]
        bounds = fitter.confidence_interval_
        result[kind] = tuple(_estimate(curve, bounds, day, day + 1.5) for day in days)
    return result


def untied(
    observations: Sequence[Observation], kinds: Sequence[str]
) -> tuple[list[float], list[int]]:
    """Durations without tied events, and each one's code (0 censored, i+1 for kinds[i]).

    Every time is moved one day on (lifelines counts the first row of its table as
    time zero and sets the incidence there to zero, which would drop events on day
    0). The k events of day t go to t + 1 + j·ε (j = 0..k-1, ε < 0.5/k) and the
    day's censorings to t + 1.5: still at risk for that day's events, as for tied data.
    """
    per_day = Counter(o.days for o in observations if o.event is not None)
    step = 0.4 / max(per_day.values(), default=1)
    seen: Counter[int] = Counter()
    durations, codes = [], []
    for o in observations:
        if o.event is None:
            durations.append(o.days + 1.5)
            codes.append(0)
        else:
            durations.append(o.days + 1 + step * seen[o.days])
            seen[o.days] += 1
            codes.append(kinds.index(o.event) + 1)
    return durations, codes


def _estimate(curve: pd.Series[Any], bounds: pd.DataFrame, day: int, at: float) -> Estimate:
    """The step functions' values at time `at` (the last row at or before it)."""
    row = max(int((curve.index <= at).sum()) - 1, 0)
    value = float(curve.iloc[row])
    lower, upper = (float(bound) for bound in bounds.iloc[row, :2])
    return Estimate(day, value, _bound(lower), _bound(upper))


def _bound(bound: float) -> float | None:
    """An interval's bound, None where lifelines gives none (NaN)."""
    return None if bound != bound else bound  # NaN is not equal to itself


def _finite(days: float) -> float | None:
    """A median time, None when not reached (lifelines gives infinity)."""
    return None if days == float("inf") else float(days)


# Numbers at risk ------------------------------------------------------------------


@dataclass(frozen=True)
class LifeTableRow:
    """Days `first`..`last`: at risk on the first day, events and censorings within."""

    first: int
    last: int
    at_risk: int
    events: int
    censored: int


def life_table(observations: Sequence[Observation], width: int) -> list[LifeTableRow]:
    """Numbers at risk, events and censorings per interval of `width` days, from day 0 until
    no one is at risk."""
    if width < 1:
        raise ValueError(f"interval: must be at least 1 day, not {width}")
    rows = []
    longest = max((o.days for o in observations), default=-1)
    for first in range(0, longest + 1, width):
        last = first + width - 1
        inside = [o for o in observations if first <= o.days <= last]
        rows.append(
            LifeTableRow(
                first,
                last,
                sum(o.days >= first for o in observations),
                sum(o.event is not None for o in inside),
                sum(o.event is None for o in inside),
            )
        )
    return rows
