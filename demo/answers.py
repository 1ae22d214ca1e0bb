"""The answers bound by the published tables, dealt out by quota before any line is written."""

from __future__ import annotations

import math
import random
from fractions import Fraction

from demo.draws import pick
from demo.plan import Plan
from demo.quotas import share
from demo.shape import (
    CITIZEN_FORM_MISSING,
    MAX_HOURS,
    MIN_HOURS,
    NETWORK_UNANSWERED,
    NETWORK_YES,
    PATHS,
    STAFF_FORM_MISSING,
)
from domain.values import YesNoUnknown

YES, NO = YesNoUnknown.YES.value, YesNoUnknown.NO.value


def assign_forms(courses: list[Plan], rng: random.Random) -> None:
    """Both forms at each point reached, less the published share of missing forms."""
    for plan in courses:
        plan.citizen_points = set(range(1, plan.points + 1))
        plan.staff_points = set(range(1, plan.points + 1))
        plan.wellbeing = min(0.95, max(0.05, rng.betavariate(2.2, 2.6)))
        plan.trend = rng.gauss(0.05, 0.06)
    for point, fraction in STAFF_FORM_MISSING.items():
        reaching = [plan for plan in courses if plan.points >= point]
        for plan in pick(rng, reaching, share(fraction, len(reaching))):
            plan.staff_points.discard(point)
    for point, fraction in CITIZEN_FORM_MISSING.items():
        reaching = [plan for plan in courses if plan.points >= point]
        for plan in pick(rng, reaching, share(fraction, len(reaching))):
            plan.citizen_points.discard(point)


def assign_network_answers(courses: list[Plan], rng: random.Random) -> None:
    """The staff form's 'network meeting in the last 3 months', per point, by quota."""
    for point, yes_share in NETWORK_YES.items():
        forms = [plan for plan in courses if point in plan.staff_points]
        rng.shuffle(forms)
        blank = share(NETWORK_UNANSWERED.get(point, Fraction(0)), len(forms))
        yes = share(yes_share, len(forms) - blank)
        for i, plan in enumerate(forms):
            plan.network[point] = None if i < blank else YES if i < blank + yes else NO


def wellbeing_at(plan: Plan, point: int) -> float:
    """The citizen's underlying well-being (0-1) at a measurement point."""
    return min(1.0, max(0.0, plan.wellbeing + plan.trend * (point - 1)))


def assign_job_hours(courses: list[Plan], rng: random.Random) -> None:
    """Weekly hours of the jobs: spread over 12-37, most near the low end (mean about 20).

    The hours are the evenly spaced quantiles of a triangular distribution
    with its mode at 12, dealt out at random, so even a handful of jobs
    averages about 20.
    """
    working = [plan for plan in courses if "job" in PATHS[plan.kind]]
    rng.shuffle(working)
    for i, plan in enumerate(working):
        below = (i + 0.5) / len(working)
        plan.job_hours = round(MAX_HOURS - (MAX_HOURS - MIN_HOURS) * math.sqrt(1 - below))
