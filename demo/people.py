"""The people: the programme's staff, scaled with the cohort, and the citizens' CPR numbers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from demo.draws import between, pick
from demo.plan import Plan
from demo.quotas import share
from demo.shape import REASSIGNED, REFERENCE_SIZE
from domain.values import cpr_birth_date

TEAM_LEAD = "teamlead-1"
"""Judges referrals at visitation and balances caseloads."""
OLDEST_BIRTH, YOUNGEST_BIRTH = date(1958, 6, 1), date(1999, 12, 31)
"""Birth dates that make every citizen 18-60 years old when referred."""


@dataclass(frozen=True)
class Staff:
    """The people of the programme, scaled with the cohort (4 consultants per 104)."""

    consultants: int
    caseworkers: int
    job_consultants: int

    @classmethod
    def for_size(cls, size: int) -> Staff:
        """Enough staff for a cohort of `size` at the programme's caseloads."""
        return cls(
            consultants=max(1, share(Fraction(4, REFERENCE_SIZE), size)),
            caseworkers=max(1, share(Fraction(8, REFERENCE_SIZE), size)),
            job_consultants=max(1, share(Fraction(2, REFERENCE_SIZE), size)),
        )

    def assign(self, plan: Plan, rng: random.Random) -> None:
        """Give the citizen a caseworker, a resource consultant and a job consultant."""
        plan.caseworker = f"cw-{rng.randint(1, self.caseworkers)}"
        plan.consultant = f"consultant-{rng.randint(1, self.consultants)}"
        plan.job_consultant = f"jk-{rng.randint(1, self.job_consultants)}"

    def another_consultant(self, current: str, rng: random.Random) -> str:
        """A consultant other than `current` (the same one if there is only one)."""
        others = [f"consultant-{n}" for n in range(1, self.consultants + 1)]
        return rng.choice([name for name in others if name != current] or others)


def unique_cpr(rng: random.Random, taken: set[str]) -> str:
    """A synthetic CPR number, valid date part, age 18-60 in 2018, not in `taken`."""
    while True:
        born = between(rng, OLDEST_BIRTH, YOUNGEST_BIRTH)
        cpr = f"{born:%d%m%y}{rng.randint(0, 3)}{rng.randint(0, 999):03d}"
        if cpr not in taken:
            taken.add(cpr)
            return cpr


def age_on(cpr: str, day: date) -> int:
    """Age in whole years on `day` of the citizen with this CPR number."""
    born = cpr_birth_date(cpr)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def assign_reassignments(courses: list[Plan], rng: random.Random, staff: Staff) -> None:
    """A few long courses change consultant midway (staff turnover)."""
    long = [plan for plan in courses if _course_days(plan) >= 120]
    for plan in pick(rng, long, min(len(long), share(REASSIGNED, len(courses)))):
        assert plan.baseline_on is not None
        day = between(rng, plan.baseline_on + timedelta(days=45), plan.stop - timedelta(days=30))
        plan.reassigned = (day, staff.another_consultant(plan.consultant, rng))


def _course_days(plan: Plan) -> int:
    assert plan.baseline_on is not None
    return (plan.stop - plan.baseline_on).days
