"""The course's contacts: individual sessions, network meetings, treatment plans, handovers."""

from __future__ import annotations

import random
from datetime import date, timedelta

from demo.dates import DAY, QUARTER
from demo.draws import between
from demo.lines import INSIDE, Lines
from demo.people import TEAM_LEAD
from demo.plan import Plan
from domain.values import CourseState, MeetingOutcome, SessionKind, YesNoUnknown

NETWORK_GUESTS = ("misbrugscenter", "distriktspsykiatri", "familieafdeling")
PLACED: tuple[str, ...] = (CourseState.PRAKTIK, CourseState.JOB, CourseState.EDUCATION)
"""The states in which individual sessions are monthly."""
MEETING_CHANCE: dict[str | None, float] = {YesNoUnknown.YES: 0.92, YesNoUnknown.NO: 0.1, None: 0.5}
"""How likely a meeting is recorded before a staff form with this network answer."""


def write_sessions(plan: Plan, lines: Lines, rng: random.Random) -> None:
    """Individual sessions: weekly at first, then every 14 days, monthly once placed."""
    if plan.kind == "rejected":
        return
    if plan.accepted_on is None:
        for _ in range(rng.randint(1, 2)):
            lines.add(
                between(rng, plan.referred_on, plan.stop - DAY),
                INSIDE,
                "session",
                plan.caseworker,
                kind=SessionKind.INDIVIDUAL.value,
                note="first contact",
            )
        return
    weekly_until = (plan.baseline_on or plan.stop) + timedelta(days=QUARTER)
    day = plan.accepted_on + timedelta(days=rng.randint(2, 6))
    while day < plan.stop:
        if rng.random() > 0.1:
            lines.inside(day, "session", kind=SessionKind.INDIVIDUAL.value)
        day += timedelta(days=session_interval(plan, day, weekly_until))


def session_interval(plan: Plan, day: date, weekly_until: date) -> int:
    """Days to the next individual session."""
    if day < weekly_until:
        return 7
    return 28 if plan.state_on(day) in PLACED else 14


def write_meetings(plan: Plan, lines: Lines, rng: random.Random) -> None:
    """Network meetings about every 3 months, mostly as the staff forms report them."""
    if plan.accepted_on is None:
        return
    if plan.baseline_on is None:
        if rng.random() < 0.3:
            write_meeting(plan, lines, rng, between(rng, plan.accepted_on, plan.stop - DAY))
        return
    if plan.network.get(1) == YesNoUnknown.YES and (plan.baseline_on - plan.accepted_on).days > 7:
        write_meeting(
            plan,
            lines,
            rng,
            between(rng, plan.accepted_on + timedelta(days=3), plan.baseline_on - DAY),
        )
    quarter = 1
    while True:
        start = plan.baseline_on + timedelta(days=QUARTER * (quarter - 1) + 14)
        end = min(start + timedelta(days=QUARTER - 28), plan.stop - DAY)
        if start > end:
            return
        if rng.random() < meeting_chance(plan.network.get(quarter + 1, "")):
            write_meeting(plan, lines, rng, between(rng, start, end))
        quarter += 1


def meeting_chance(next_answer: str | None) -> float:
    """How likely a meeting is recorded before a staff form with this answer ('' none)."""
    return MEETING_CHANCE.get(next_answer, 0.85)


def write_meeting(plan: Plan, lines: Lines, rng: random.Random, day: date) -> None:
    """One network meeting: consultant, caseworker, often the job consultant, a guest."""
    consultant = plan.consultant_on(day)
    participants = [consultant, plan.caseworker]
    if rng.random() < 0.6:
        participants.append(plan.job_consultant)
    if rng.random() < 0.15:
        participants.append(rng.choice(NETWORK_GUESTS))
    outcome = MeetingOutcome.CITIZEN_NO_SHOW if rng.random() < 0.08 else MeetingOutcome.HELD
    lines.add(day, INSIDE, "meeting", consultant, outcome=outcome.value, participants=participants)


def write_treatment_plan(plan: Plan, lines: Lines, rng: random.Random) -> None:
    """For a few, a psychiatric treatment plan starts during the course."""
    assert plan.baseline_on is not None
    first, last = plan.baseline_on + timedelta(days=14), plan.stop - DAY
    if rng.random() < 0.08 and first <= last:
        lines.inside(between(rng, first, last), "treatment-plan", note="distriktspsykiatri")


def write_reassignment(plan: Plan, lines: Lines) -> None:
    """Another consultant takes over the course (staff turnover)."""
    if plan.reassigned is not None:
        day, consultant = plan.reassigned
        lines.add(
            day, INSIDE, "reassign", TEAM_LEAD, consultant=consultant, reason="staff turnover"
        )
