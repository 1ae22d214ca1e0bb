"""The course's way through the workflow: praktik, job, education and exit."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from demo.dates import AS_OF
from demo.draws import weighted
from demo.lines import EXIT, MOVE, Lines
from demo.plan import Plan
from domain.values import PraktikOutcome

EMPLOYERS = (
    "Netto Naestved",
    "Naestved Kommune Park og Vej",
    "Bilka Naestved",
    "Holmegaard Vaerk",
    "Plejecenter Engboparken",
    "Maler Hansen ApS",
    "Genbrugspladsen Naestved",
    "Cafe Kilden",
    "Tekniq El-service",
    "Danish Crown Ringsted",
)
INSTITUTIONS = (("ZBC Naestved", "grundforloeb"), ("VUC Storstroem", "hf-enkeltfag"))


def write_moves(plan: Plan, lines: Lines, rng: random.Random) -> None:
    """The course's way through the workflow after its baseline."""
    for day, move in plan.moves:
        MOVE_WRITERS[move](plan, lines, rng, day)


def next_move(plan: Plan, day: date) -> tuple[date, str] | None:
    """The course's first move after `day`, if any."""
    return next(((when, move) for when, move in plan.moves if when > day), None)


def write_praktik_start(plan: Plan, lines: Lines, rng: random.Random, day: date) -> None:
    """A workplace internship, planned for 8-13 weeks, found by the job consultant."""
    planned = day + timedelta(weeks=rng.randint(8, 13))
    following = next_move(plan, day)
    if following is not None:
        planned = min(max(planned, following[0]), AS_OF)
    lines.add(
        day,
        MOVE,
        "praktik start",
        plan.job_consultant,
        employer=rng.choice(EMPLOYERS),
        hours_per_week=rng.randint(10, 30),
        planned_end=planned.isoformat(),
    )


def write_praktik_end(plan: Plan, lines: Lines, rng: random.Random, day: date) -> None:
    """The internship ends: aborted before an unplanned exit, completed before work."""
    _, after = next_move(plan, day) or (day, "")
    if after == "exit_unplanned":
        outcome = PraktikOutcome.ABORTED
    elif after in ("job", "education"):
        outcome = PraktikOutcome.COMPLETED
    else:
        outcome = weighted(rng, {PraktikOutcome.COMPLETED: 70, PraktikOutcome.ABORTED: 30})
    lines.add(day, MOVE, "praktik end", plan.job_consultant, outcome=outcome.value)


def write_job_start(plan: Plan, lines: Lines, rng: random.Random, day: date) -> None:
    """Ordinary paid work, 12-37 hours a week (about 20 on average)."""
    lines.add(
        day,
        MOVE,
        "job start",
        plan.consultant_on(day),
        employer=rng.choice(EMPLOYERS),
        hours_per_week=plan.job_hours,
        ordinary_hours=True,
    )


def write_job_end(plan: Plan, lines: Lines, rng: random.Random, day: date) -> None:
    """The job ends and the consultant's support goes on."""
    lines.add(day, MOVE, "job end", plan.consultant_on(day), note="the job ended")


def write_education_start(plan: Plan, lines: Lines, rng: random.Random, day: date) -> None:
    """The citizen starts an education."""
    institution, study = rng.choice(INSTITUTIONS)
    lines.add(
        day,
        MOVE,
        "education start",
        plan.consultant_on(day),
        institution=institution,
        programme_of_study=study,
    )


def write_planned_exit(plan: Plan, lines: Lines, rng: random.Random, day: date) -> None:
    """The course ends as planned: the citizen manages without support."""
    lines.add(
        day, EXIT, "exit", plan.consultant_on(day), planned=True, detail="no longer needs support"
    )


def write_unplanned_exit(plan: Plan, lines: Lines, rng: random.Random, day: date) -> None:
    """The course ends early, with a reason from the closed list."""
    lines.add(day, EXIT, "exit", plan.consultant_on(day), planned=False, reason=plan.exit_reason)


MOVE_WRITERS: dict[str, Callable[[Plan, Lines, random.Random, date], None]] = {
    "praktik": write_praktik_start,
    "praktik_end": write_praktik_end,
    "job": write_job_start,
    "job_end": write_job_end,
    "education": write_education_start,
    "exit_planned": write_planned_exit,
    "exit_unplanned": write_unplanned_exit,
}
