"""The referral and the visitation that follows it."""

from __future__ import annotations

import random

from demo.lines import EXIT, REFERRAL, VISITATION, Lines
from demo.people import TEAM_LEAD, age_on
from demo.plan import Plan
from demo.shape import PRE_BASELINE, PROGRAMME
from domain.values import BenefitType, format_cpr


def write_referral(plan: Plan, lines: Lines, rng: random.Random) -> None:
    """The referral by the citizen's jobcenter caseworker."""
    young = age_on(plan.cpr, plan.referred_on) < 30
    benefit = None
    if young and rng.random() < 0.5:
        benefit = BenefitType.UDDANNELSESHJAELP_AKTIVITETSPARAT.value
    lines.add(
        plan.referred_on,
        REFERRAL,
        "refer",
        plan.caseworker,
        cpr=format_cpr(plan.cpr),
        programme=PROGRAMME,
        referring_caseworker=plan.caseworker,
        benefit_type=benefit,
    )


def write_visitation(plan: Plan, lines: Lines) -> None:
    """Acceptance with a consultant, or the end of a course that never reached baseline."""
    if plan.accepted_on is not None:
        lines.add(plan.accepted_on, VISITATION, "accept", TEAM_LEAD, consultant=plan.consultant)
    if plan.kind == "rejected":
        assert plan.ended_on is not None
        lines.add(plan.ended_on, VISITATION, "reject", TEAM_LEAD, reason=plan.exit_reason)
    elif plan.kind in PRE_BASELINE:
        assert plan.ended_on is not None
        lines.add(
            plan.ended_on,
            EXIT,
            "exit",
            plan.consultant if plan.accepted_on else TEAM_LEAD,
            planned=False,
            reason=plan.exit_reason,
        )
