"""The citizen and staff forms at each measurement point."""

from __future__ import annotations

import random
from datetime import date, timedelta

from demo.answers import wellbeing_at
from demo.dates import QUARTER
from demo.draws import weighted
from demo.lines import FORM, Lines
from demo.plan import Plan

HEALTH_LEVELS = ("poor", "less_good", "good", "very_good", "excellent")
CITIZEN_BIP = (
    "job_belief",
    "job_search",
    "health_limits",
    "social_skills",
    "daily_structure",
    "network_support",
)
STAFF_BIP = ("work_readiness", "professional_skills", "social_skills", "health_limits")


def write_measurements(plan: Plan, lines: Lines, rng: random.Random) -> None:
    """The citizen and staff forms at each point reached, about 3 months apart."""
    assert plan.baseline_on is not None
    assessment = staff_assessment(rng)
    for point in range(1, plan.points + 1):
        jitter = 0 if point == 1 else rng.randint(-7, 7)
        day = plan.baseline_on + timedelta(days=QUARTER * (point - 1) + jitter)
        if point in plan.citizen_points:
            write_citizen_form(plan, lines, rng, point, day)
        if point in plan.staff_points:
            staff_day = day + timedelta(days=rng.randint(0, 3))
            write_staff_form(plan, lines, rng, point, staff_day, assessment)


def staff_assessment(rng: random.Random) -> dict[str, str]:
    """The staff's view of diagnosis, medication and substance use (stable over a course)."""
    return {
        "diagnosis": weighted(rng, {"yes": 80, "no": 12, "dont_know": 8}),
        "medication": weighted(rng, {"yes": 65, "no": 30, "dont_know": 5}),
        "alcohol": weighted(rng, {"no": 60, "limited": 20, "some": 12, "large": 5, "dont_know": 3}),
        "cannabis": weighted(
            rng, {"no": 70, "limited": 12, "some": 10, "large": 5, "dont_know": 3}
        ),
        "hard_drugs": weighted(rng, {"no": 90, "limited": 5, "some": 2, "dont_know": 3}),
    }


def health_level(wellbeing: float) -> str:
    """Self-rated health from underlying well-being (0-1)."""
    return HEALTH_LEVELS[min(4, max(0, int((wellbeing - 0.1) / 0.18)))]


def bip_answer(rng: random.Random, wellbeing: float) -> int | str:
    """A BIP indicator answer around the well-being, now and then 'don't know'."""
    if rng.random() < 0.04:
        return "dont_know"
    return min(5, max(1, round(1 + 4 * wellbeing + rng.gauss(0, 0.7))))


def mental_health(plan: Plan, point: int, wellbeing: float) -> str | None:
    """The citizen's mental health answer, honouring the quota-bound answers."""
    if point not in plan.mental:
        return health_level(wellbeing)
    fixed = plan.mental[point]
    if fixed is None or fixed == "poor":
        return fixed
    return health_level(wellbeing) if health_level(wellbeing) != "poor" else "less_good"


def write_citizen_form(plan: Plan, lines: Lines, rng: random.Random, point: int, day: date) -> None:
    """One citizen form: health, WHO-5 and the citizen's BIP indicators."""
    now = min(1.0, max(0.0, wellbeing_at(plan, point) + rng.gauss(0, 0.04)))
    lines.add(
        day,
        FORM,
        "measure",
        plan.consultant_on(day),
        point=point,
        form="citizen",
        mental_health=mental_health(plan, point, now),
        physical_health=health_level(min(1.0, now + rng.gauss(0.1, 0.15))),
        who5=[min(5, max(0, round(5 * now + rng.gauss(0, 0.9)))) for _ in range(5)],
        bip={name: bip_answer(rng, now) for name in CITIZEN_BIP},
    )


def write_staff_form(
    plan: Plan,
    lines: Lines,
    rng: random.Random,
    point: int,
    day: date,
    assessment: dict[str, str],
) -> None:
    """One staff form: BIP indicators, daily functioning, the assessment, network."""
    now = wellbeing_at(plan, point)
    lines.add(
        day,
        FORM,
        "measure",
        plan.consultant_on(day),
        point=point,
        form="staff",
        bip={name: bip_answer(rng, now) for name in STAFF_BIP},
        **assessment,
        daily_functioning=bip_answer(rng, now),
        network_meeting=plan.network.get(point),
    )
