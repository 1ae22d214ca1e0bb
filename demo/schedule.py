"""When things happen in a course: measurement points reached, the workflow moves, the exit."""

from __future__ import annotations

import random
from datetime import date, timedelta

from demo.dates import AS_OF, DAY, FIRST_DAY, QUARTER
from demo.draws import between
from demo.plan import Plan
from demo.quotas import pool
from demo.shape import EARLY_EXIT_REASONS, MIN_GAP, PATHS, POINTS_REACHED


def exits_unplanned(plan: Plan) -> bool:
    return "exit_unplanned" in PATHS[plan.kind]


def need(kind: str) -> int:
    """Fewest days from baseline to the last move of a course kind."""
    return sum(MIN_GAP[move] for move in PATHS[kind])


def longest_span(points: int, is_open: bool) -> int:
    """Most days from baseline to exit (or the as-of date) for a course with `points`."""
    return QUARTER * points - (1 if is_open else 8)


def _is_open_kind(kind: str) -> bool:
    return not any(move.startswith("exit") for move in PATHS[kind])


def assign_points(courses: list[Plan], rng: random.Random) -> None:
    """How many measurement points each course reaches, in the published proportions.

    Courses that need the most time are served first, each taking a random
    count from the pool that leaves room for its moves.
    """
    reached = [int(p) for p in pool({str(k): n for k, n in POINTS_REACHED.items()}, len(courses))]
    rng.shuffle(reached)
    for plan in sorted(courses, key=lambda p: -need(p.kind)):
        is_open = _is_open_kind(plan.kind)
        fits = [i for i, n in enumerate(reached) if longest_span(n, is_open) >= need(plan.kind)]
        if fits:
            plan.points = reached.pop(fits[0])
        else:
            plan.points = next(
                n for n in range(1, 5) if longest_span(n, is_open) >= need(plan.kind)
            )


def schedule_course(plan: Plan, rng: random.Random, reason: str | None) -> None:
    """Referral, acceptance, baseline, moves and exit dates of a course with a baseline."""
    visitation, relation = rng.randint(7, 21), rng.randint(21, 56)
    earliest = FIRST_DAY + timedelta(days=1 + visitation + relation)
    n, needed = plan.points, need(plan.kind)
    if _is_open_kind(plan.kind):
        low = max(AS_OF - timedelta(days=QUARTER * n - 1), earliest)
        high = min(AS_OF - timedelta(days=QUARTER * (n - 1) + 10), AS_OF - timedelta(days=needed))
        plan.baseline_on = between(rng, low, high)
        limit = AS_OF
    else:
        span = rng.randint(max(QUARTER * (n - 1) + 15, needed), QUARTER * n - 8)
        plan.baseline_on = between(rng, earliest, AS_OF - timedelta(days=span))
        plan.ended_on = plan.baseline_on + timedelta(days=span)
        plan.exit_reason = reason
        limit = plan.ended_on - timedelta(days=MIN_GAP[PATHS[plan.kind][-1]])
    plan.accepted_on = plan.baseline_on - timedelta(days=relation)
    plan.referred_on = plan.accepted_on - timedelta(days=visitation)
    plan.moves = place_moves(plan, limit, rng)


def place_moves(plan: Plan, limit: date, rng: random.Random) -> list[tuple[date, str]]:
    """Dates for the course's moves: in order, at least their gaps apart, by `limit`.

    The exit, if any, falls on the course's end date. An internship still
    running at the as-of date started within the last 12 weeks.
    """
    assert plan.baseline_on is not None
    moves = PATHS[plan.kind]
    steps = [move for move in moves if not move.startswith("exit")]
    offsets = [sum(MIN_GAP[m] for m in steps[: i + 1]) for i in range(len(steps))]
    slack = (limit - plan.baseline_on).days - (offsets[-1] if offsets else 0)
    cuts = sorted(rng.randint(0, slack) for _ in steps)
    days = [plan.baseline_on + timedelta(days=o + c) for o, c in zip(offsets, cuts, strict=True)]
    if plan.is_open and steps and steps[-1] == "praktik":
        days[-1] = max(days[-1], AS_OF - timedelta(days=rng.randint(14, 84)))
    placed = list(zip(days, steps, strict=True))
    if plan.ended_on is not None:
        placed.append((plan.ended_on, moves[-1]))
    return placed


def schedule_early_exit(plan: Plan, rng: random.Random) -> None:
    """Dates of a citizen who left before the baseline: rejected, or left early."""
    plan.referred_on = between(rng, FIRST_DAY + DAY, AS_OF - timedelta(days=90))
    if plan.kind == "rejected":
        plan.ended_on = plan.referred_on + timedelta(days=rng.randint(7, 21))
    elif plan.kind == "left_visitation":
        plan.ended_on = plan.referred_on + timedelta(days=rng.randint(14, 30))
    else:
        plan.accepted_on = plan.referred_on + timedelta(days=rng.randint(7, 21))
        plan.ended_on = plan.accepted_on + timedelta(days=rng.randint(14, 49))
    plan.exit_reason = rng.choice(EARLY_EXIT_REASONS[plan.kind])
