"""The first pass: a small plan per citizen, with the cohort's quotas dealt out."""

from __future__ import annotations

import random

from demo.answers import assign_forms, assign_job_hours, assign_network_answers
from demo.people import Staff, assign_reassignments, unique_cpr
from demo.plan import Plan
from demo.quotas import apportion, pool
from demo.schedule import assign_points, exits_unplanned, schedule_course, schedule_early_exit
from demo.shape import PATH_COUNTS, PATHS, PRE_BASELINE, UNPLANNED_REASONS
from demo.vive_answers import (
    SEARCH_STEPS,
    assign_background,
    assign_panel,
    assign_staff,
    assign_start_health,
)


def plan_cohort(size: int, rng: random.Random, search_steps: int = SEARCH_STEPS) -> list[Plan]:
    """The plans of every citizen in the cohort, in no particular order (`search_steps`:
    how long the start ratings are fitted to the published tables)."""
    counts = apportion({**PRE_BASELINE, **PATH_COUNTS}, size)
    kinds = [kind for kind, count in counts.items() for _ in range(count)]
    rng.shuffle(kinds)
    plans = [Plan(kind=kind, seed=rng.getrandbits(64)) for kind in kinds]
    courses = [plan for plan in plans if plan.kind in PATHS]
    assign_points(courses, rng)
    reasons = pool(UNPLANNED_REASONS, sum(exits_unplanned(plan) for plan in courses))
    rng.shuffle(reasons)
    cprs: set[str] = set()
    people = Staff.for_size(size)
    for plan in plans:
        plan.cpr = unique_cpr(rng, cprs)
        people.assign(plan, rng)
        if plan.kind in PATHS:
            schedule_course(plan, rng, reasons.pop() if exits_unplanned(plan) else None)
        else:
            schedule_early_exit(plan, rng)
    assign_forms(courses, rng)
    assign_network_answers(courses, rng)
    assign_reassignments(courses, rng, people)
    assign_job_hours(courses, rng)
    assign_background(courses, rng, cprs)
    assign_start_health(courses, rng, search_steps)
    assign_panel(courses, rng)
    assign_staff(courses, rng)
    return plans
