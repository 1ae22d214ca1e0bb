"""The citizen and staff forms at each measurement point."""

from __future__ import annotations

import random
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, get_args

from demo.answers import wellbeing_at
from demo.dates import QUARTER
from demo.draws import weighted
from demo.lines import FORM, Lines
from demo.plan import Plan
from domain.values import (
    CITIZEN_BIP_INDICATORS,
    STAFF_BIP_INDICATORS,
    WHO5_ITEMS,
    BipAnswer,
    HealthLevel,
    MeasurementForm,
    SubstanceUse,
    YesNoUnknown,
)

HEALTH_LEVELS: tuple[str, ...] = tuple(level.value for level in reversed(HealthLevel))
"""The self-rated health scale from poor up to excellent."""
BIP_LEVELS: tuple[int, ...] = tuple(a for a in get_args(BipAnswer) if isinstance(a, int))
BIP_DONT_KNOW: str = next(a for a in get_args(BipAnswer) if isinstance(a, str))
"""A BIP answer: one of the ordered levels (lowest first), or don't know."""
WHO5_HIGHEST = 5
"""The highest answer to a WHO-5 item (0-5)."""

YES, NO, DONT_KNOW = YesNoUnknown.YES, YesNoUnknown.NO, YesNoUnknown.DONT_KNOW
ASSESSMENT: dict[str, dict[StrEnum, int]] = {
    "diagnosis": {YES: 80, NO: 12, DONT_KNOW: 8},
    "medication": {YES: 65, NO: 30, DONT_KNOW: 5},
    "alcohol": {
        SubstanceUse.NONE: 60,
        SubstanceUse.LIMITED: 20,
        SubstanceUse.SOME: 12,
        SubstanceUse.LARGE: 5,
        SubstanceUse.DONT_KNOW: 3,
    },
    "cannabis": {
        SubstanceUse.NONE: 70,
        SubstanceUse.LIMITED: 12,
        SubstanceUse.SOME: 10,
        SubstanceUse.LARGE: 5,
        SubstanceUse.DONT_KNOW: 3,
    },
    "hard_drugs": {
        SubstanceUse.NONE: 90,
        SubstanceUse.LIMITED: 5,
        SubstanceUse.SOME: 2,
        SubstanceUse.DONT_KNOW: 3,
    },
}
"""The staff form's assessment questions and how often each answer is given."""


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
    return {question: weighted(rng, answers).value for question, answers in ASSESSMENT.items()}


def health_level(wellbeing: float) -> str:
    """Self-rated health from underlying well-being (0-1)."""
    return HEALTH_LEVELS[min(len(HEALTH_LEVELS) - 1, max(0, int((wellbeing - 0.1) / 0.18)))]


def bip_answer(rng: random.Random, wellbeing: float) -> int | str:
    """A BIP indicator answer around the well-being, now and then 'don't know'."""
    if rng.random() < 0.04:
        return BIP_DONT_KNOW
    lowest, highest = BIP_LEVELS[0], BIP_LEVELS[-1]
    return min(highest, max(lowest, round(1 + 4 * wellbeing + rng.gauss(0, 0.7))))


def who5_answer(rng: random.Random, wellbeing: float) -> int:
    """A WHO-5 item answer (0-5) around the well-being."""
    return min(WHO5_HIGHEST, max(0, round(WHO5_HIGHEST * wellbeing + rng.gauss(0, 0.9))))


def write_citizen_form(plan: Plan, lines: Lines, rng: random.Random, point: int, day: date) -> None:
    """One citizen form: health, WHO-5 and the citizen's BIP indicators."""
    now = min(1.0, max(0.0, wellbeing_at(plan, point) + rng.gauss(0, 0.04)))
    fields: dict[str, Any] = {
        "mental_health": health_level(now),
        "physical_health": health_level(min(1.0, now + rng.gauss(0.1, 0.15))),
        "who5": [who5_answer(rng, now) for _ in WHO5_ITEMS],
        "bip": {name: bip_answer(rng, now) for name in CITIZEN_BIP_INDICATORS},
    }
    lines.add(
        day,
        FORM,
        "measure",
        plan.consultant_on(day),
        point=point,
        form=MeasurementForm.CITIZEN.value,
        **fixed(fields, plan.answers.get((point, MeasurementForm.CITIZEN.value), {})),
    )


def fixed(drawn: dict[str, Any], quota: dict[str, Any]) -> dict[str, Any]:
    """The drawn answers with the quota-bound ones put over them (a None BIP answer: blank)."""
    fields = {**drawn, **{k: v for k, v in quota.items() if k != "bip"}}
    if "bip" in quota:
        bip = {**drawn.get("bip", {}), **quota["bip"]}
        fields["bip"] = {key: answer for key, answer in bip.items() if answer is not None}
    return fields


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
    drawn: dict[str, Any] = {
        "bip": {name: bip_answer(rng, now) for name in STAFF_BIP_INDICATORS},
        **assessment,
        "network_meeting": plan.network.get(point),
    }
    quota = plan.answers.get((point, MeasurementForm.STAFF.value), {})
    if point > 1:
        start = plan.answers.get((1, MeasurementForm.STAFF.value), {})
        quota = {**{k: v for k, v in start.items() if k in STABLE}, **quota}
    lines.add(
        day,
        FORM,
        "measure",
        plan.consultant_on(day),
        point=point,
        form=MeasurementForm.STAFF.value,
        **fixed(drawn, quota),
    )


STABLE = ("diagnosis", "medication", "alcohol", "cannabis", "hard_drugs")
"""Start assessments the consultant keeps on later forms unless they change."""
