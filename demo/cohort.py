"""The synthetic demo cohort: a deterministic stand-in for the VIVE midterm data.

`generate()` yields import lines (dicts: the CLI command name under `command`
plus the command's fields) for citizens referred to "På vej til arbejde"
between January 2018 and the data pull on 15 April 2019. With the default size
of 104 the cohort reproduces the published midterm figures exactly (domain
brief §4); other sizes keep the same shape. Only `random.Random(seed)` decides
anything, so the same seed gives the same lines.

It works in two passes: a small plan per citizen (dates, path through the
workflow, which forms are filled in, quota-bound answers), then each citizen's
lines written from their plan and merged in date order as referrals come in.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any, TypeVar
from uuid import UUID, uuid5

from domain.values import cpr_birth_date
from workflows.service import COMMAND_NAMESPACE

AS_OF = date(2019, 4, 15)
"""The VIVE data pull: nothing in the cohort happens after this date."""
FIRST_DAY = date(2018, 1, 1)
PROGRAMME = "paa-vej-til-arbejde"
REFERENCE_SIZE = 104
"""The midterm cohort the figures below are counted in."""
QUARTER = 91
"""Days between measurement points (about 3 months)."""
DAY = timedelta(days=1)
TEAM_LEAD = "teamlead-1"
"""Judges referrals at visitation and balances caseloads."""
MIN_HOURS, MAX_HOURS = 12, 37
"""Ordinary weekly hours of the jobs found (a full Danish week is 37)."""
OLDEST_BIRTH, YOUNGEST_BIRTH = date(1958, 6, 1), date(1999, 12, 31)
"""Birth dates that make every citizen 18-60 years old when referred."""

# The cohort's shape at 104 citizens ---------------------------------------

PRE_BASELINE: dict[str, int] = {"rejected": 2, "left_visitation": 2, "left_baseline": 2}
"""Referred citizens who left before a baseline was taken (6 of 104)."""

PATHS: dict[str, tuple[str, ...]] = {
    "job_after_praktik_exit": ("praktik", "praktik_end", "job", "exit_planned"),
    "job_exit": ("job", "exit_planned"),
    "job_after_praktik": ("praktik", "job"),
    "job": ("job",),
    "job_ended_exit": ("job", "job_end", "exit_unplanned"),
    "education_after_praktik_exit": ("praktik", "praktik_end", "education", "exit_planned"),
    "education_exit": ("education", "exit_planned"),
    "education": ("education",),
    "praktik_aborted_exit": ("praktik", "praktik_end", "exit_unplanned"),
    "praktik_exit": ("praktik", "exit_unplanned"),
    "exit": ("exit_unplanned",),
    "praktik": ("praktik",),
    "praktik_ended": ("praktik", "praktik_end"),
    "active": (),
}
"""The workflow moves after the baseline, per kind of course."""

PATH_COUNTS: dict[str, int] = {
    "job_after_praktik_exit": 1,
    "job_exit": 3,
    "job_after_praktik": 1,
    "job": 2,
    "job_ended_exit": 2,
    "education_after_praktik_exit": 1,
    "education_exit": 1,
    "education": 1,
    "praktik_aborted_exit": 2,
    "praktik_exit": 1,
    "exit": 10,
    "praktik": 5,
    "praktik_ended": 8,
    "active": 60,
}
"""Courses with a baseline (98): 77 open, 6 planned exits, 15 unplanned; 9 ever in
job (2 after praktik, 3 still supported), 3 in education, 19 in praktik."""

MIN_GAP: dict[str, int] = {
    "praktik": 14,
    "praktik_end": 28,
    "job": 14,
    "job_end": 35,
    "education": 14,
    "exit_planned": 28,
    "exit_unplanned": 14,
}
"""Fewest days between a move and the one before it (or the baseline)."""

POINTS_REACHED: dict[int, int] = {1: 28, 2: 26, 3: 28, 4: 16}
"""How many of the 98 courses ran long enough for 1, 2, 3 or 4 measurement points."""

STAFF_FORM_MISSING = {2: Fraction(1, 70)}
CITIZEN_FORM_MISSING = {3: Fraction(5, 44), 4: Fraction(2, 16)}
"""Share of the courses reaching a point whose form at that point is missing."""

NETWORK_UNANSWERED = {1: Fraction(1, 98), 2: Fraction(1, 69)}
NETWORK_YES = {1: Fraction(17, 97), 2: Fraction(58, 68), 3: Fraction(37, 44), 4: Fraction(14, 16)}
"""Staff forms leaving the network question blank, and answering yes of those answered."""

MENTAL_UNANSWERED_AT_START = Fraction(1, 39)
MENTAL_POOR = {1: Fraction(14, 38), 3: Fraction(9, 39)}
"""Self-rated mental health among citizens with citizen forms at points 1 and 3."""

REASSIGNED = Fraction(2, 98)
"""Courses handed to another consultant (staff turnover)."""

UNPLANNED_REASONS: dict[str, int] = {
    "complex_needs": 4,
    "substance_use": 2,
    "not_motivated": 2,
    "moved_municipality": 2,
    "pregnancy_leave": 1,
    "not_target_group": 1,
    "pension_flexjob_clarification": 2,
    "other": 1,
}

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
GROUP_TOPICS = ("mestring", "angst-og-stress", "vejen-til-job")
GROUP_FIRST_START = date(2018, 3, 5)
NETWORK_GUESTS = ("misbrugscenter", "distriktspsykiatri", "familieafdeling")
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

T = TypeVar("T")


@dataclass
class Plan:
    """What is decided about one citizen before their lines are written."""

    kind: str
    seed: int
    cpr: str = ""
    referred_on: date = FIRST_DAY
    accepted_on: date | None = None
    baseline_on: date | None = None
    ended_on: date | None = None
    exit_reason: str | None = None
    points: int = 0
    moves: list[tuple[date, str]] = field(default_factory=list)
    caseworker: str = "cw-1"
    consultant: str = "consultant-1"
    job_consultant: str = "jk-1"
    reassigned: tuple[date, str] | None = None
    citizen_points: set[int] = field(default_factory=set)
    staff_points: set[int] = field(default_factory=set)
    network: dict[int, str | None] = field(default_factory=dict)
    mental: dict[int, str | None] = field(default_factory=dict)
    wellbeing: float = 0.5
    trend: float = 0.0
    job_hours: int = 20

    @property
    def is_open(self) -> bool:
        """Whether the course is still open at the as-of date."""
        return self.ended_on is None

    @property
    def stop(self) -> date:
        """The first day on which nothing more happens inside the course."""
        return self.ended_on or AS_OF + DAY

    def consultant_on(self, day: date) -> str:
        """The citizen's resource consultant on a day."""
        if self.reassigned is not None and day >= self.reassigned[0]:
            return self.reassigned[1]
        return self.consultant

    def state_on(self, day: date) -> str:
        """The last move made on or before the day ('' before any)."""
        made = [move for when, move in self.moves if when <= day]
        return made[-1] if made else ""


# Public entry point -------------------------------------------------------


def generate(size: int = REFERENCE_SIZE, seed: int = 2019) -> Iterator[dict[str, Any]]:
    """Import lines for a synthetic cohort of `size` referred citizens, in date order.

    Citizens are planned up front (a few small values each); their lines are
    written one citizen at a time as referrals come up and merged by date, so
    only the courses running at the same time are held in memory.
    """
    if size < 1:
        raise ValueError("size: must be at least 1")
    rng = random.Random(seed)
    plans = sorted(plan_cohort(size, rng), key=lambda plan: plan.referred_on)
    width = max(4, len(str(size)))
    pending: list[tuple[str, int, int, dict[str, Any]]] = []
    for number, plan in enumerate(plans, start=1):
        while pending and pending[0][0] <= plan.referred_on.isoformat():
            yield heapq.heappop(pending)[3]
        for seq, line in enumerate(citizen_lines(plan, f"demo-{seed}-{number:0{width}d}")):
            heapq.heappush(pending, (line["occurred_on"], number, seq, line))
    while pending:
        yield heapq.heappop(pending)[3]


def course_id_for(refer_command_id: str) -> UUID:
    """The course id the service gives a referral with this command id."""
    return uuid5(COMMAND_NAMESPACE, refer_command_id)


# Planning -----------------------------------------------------------------


def apportion(weights: dict[str, int], total: int) -> dict[str, int]:
    """Split `total` in proportion to `weights` (largest remainder; exact at scale 1)."""
    whole = sum(weights.values())
    shares = {key: Fraction(weight * total, whole) for key, weight in weights.items()}
    counts = {key: int(share) for key, share in shares.items()}
    by_remainder = sorted(shares, key=lambda key: shares[key] - counts[key], reverse=True)
    for key in by_remainder[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


def share(fraction: Fraction, n: int) -> int:
    """`fraction` of `n`, rounded to a whole count."""
    return round(fraction * n)


def plan_cohort(size: int, rng: random.Random) -> list[Plan]:
    """The plans of every citizen in the cohort, in no particular order."""
    counts = apportion({**PRE_BASELINE, **PATH_COUNTS}, size)
    kinds = [kind for kind, count in counts.items() for _ in range(count)]
    rng.shuffle(kinds)
    plans = [Plan(kind=kind, seed=rng.getrandbits(64)) for kind in kinds]
    courses = [plan for plan in plans if plan.kind in PATHS]
    assign_points(courses, rng)
    reasons = pool(UNPLANNED_REASONS, sum(_exits_unplanned(plan) for plan in courses))
    rng.shuffle(reasons)
    cprs: set[str] = set()
    people = Staff.for_size(size)
    for plan in plans:
        plan.cpr = unique_cpr(rng, cprs)
        people.assign(plan, rng)
        if plan.kind in PATHS:
            schedule_course(plan, rng, reasons.pop() if _exits_unplanned(plan) else None)
        else:
            schedule_early_exit(plan, rng)
    assign_forms(courses, rng)
    assign_network_answers(courses, rng)
    assign_mental_health(courses, rng)
    assign_reassignments(courses, rng, people)
    assign_job_hours(courses, rng)
    return plans


def pool(weights: dict[str, int], total: int) -> list[str]:
    """A list of `total` values in proportion to `weights`."""
    return [value for value, count in apportion(weights, total).items() for _ in range(count)]


def _exits_unplanned(plan: Plan) -> bool:
    return "exit_unplanned" in PATHS[plan.kind]


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


def between(rng: random.Random, low: date, high: date) -> date:
    """A random day from `low` to `high`, both included."""
    return low + timedelta(days=rng.randint(0, (high - low).days))


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
        plan.exit_reason = rng.choice(("not_target_group", "pension_flexjob_clarification"))
    elif plan.kind == "left_visitation":
        plan.ended_on = plan.referred_on + timedelta(days=rng.randint(14, 30))
        plan.exit_reason = rng.choice(("not_motivated", "moved_municipality"))
    else:
        plan.accepted_on = plan.referred_on + timedelta(days=rng.randint(7, 21))
        plan.ended_on = plan.accepted_on + timedelta(days=rng.randint(14, 49))
        plan.exit_reason = rng.choice(("complex_needs", "substance_use"))


def pick(rng: random.Random, plans: Sequence[T], count: int) -> list[T]:
    """`count` of `plans` at random."""
    return rng.sample(list(plans), count)


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
            plan.network[point] = None if i < blank else "yes" if i < blank + yes else "no"


def assign_mental_health(courses: list[Plan], rng: random.Random) -> None:
    """'Poor' mental health at points 1 and 3 for those with both citizen forms.

    The citizens worst off at a point (by their well-being) answer poor, so the
    answers follow the well-being the other items show.
    """
    both = [plan for plan in courses if {1, 3} <= plan.citizen_points]
    for plan in pick(rng, both, share(MENTAL_UNANSWERED_AT_START, len(both))):
        plan.mental[1] = None
    for point, fraction in MENTAL_POOR.items():
        answering = [plan for plan in both if plan.mental.get(point, "") is not None]
        answering.sort(key=lambda plan: wellbeing_at(plan, point))
        poor = share(fraction, len(answering))
        for i, plan in enumerate(answering):
            plan.mental[point] = "poor" if i < poor else "not_poor"


def wellbeing_at(plan: Plan, point: int) -> float:
    """The citizen's underlying well-being (0-1) at a measurement point."""
    return min(1.0, max(0.0, plan.wellbeing + plan.trend * (point - 1)))


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


# Writing one citizen's lines ----------------------------------------------

REFERRAL, VISITATION, FORM, INSIDE, MOVE, EXIT = range(6)
"""Order of lines falling on the same day."""


class Lines:
    """One citizen's lines, collected in any order and returned sorted by day."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.items: list[tuple[date, int, int, dict[str, Any]]] = []

    def add(self, day: date, rank: int, command: str, actor: str, **fields: Any) -> None:
        """Collect a line: a command on `day` by `actor` with its fields (None left out)."""
        line = {"command": command, "occurred_on": day.isoformat(), "actor": actor}
        line.update({key: value for key, value in fields.items() if value is not None})
        self.items.append((day, rank, len(self.items), line))

    def inside(self, day: date, command: str, **fields: Any) -> None:
        """Collect a line inside the course, recorded by the consultant of the day."""
        self.add(day, INSIDE, command, self.plan.consultant_on(day), **fields)

    def in_order(self, prefix: str) -> list[dict[str, Any]]:
        """The lines in order, numbered `prefix-0001`…; the referral's id names the course."""
        course = str(course_id_for(f"{prefix}-0001"))
        ordered = [line for *_, line in sorted(self.items, key=lambda item: item[:3])]
        for number, line in enumerate(ordered, start=1):
            if line["command"] != "refer":
                line["course"] = course
            line["command_id"] = f"{prefix}-{number:04d}"
        return ordered


def citizen_lines(plan: Plan, prefix: str) -> list[dict[str, Any]]:
    """Every line of one citizen's course, in order, with command ids from `prefix`."""
    rng = random.Random(plan.seed)
    lines = Lines(plan)
    write_referral(plan, lines, rng)
    write_visitation(plan, lines)
    write_sessions(plan, lines, rng)
    write_meetings(plan, lines, rng)
    if plan.baseline_on is not None:
        write_measurements(plan, lines, rng)
        write_moves(plan, lines, rng)
        write_group_course(plan, lines, rng)
        write_treatment_plan(plan, lines, rng)
        write_reassignment(plan, lines)
    return lines.in_order(prefix)


def write_referral(plan: Plan, lines: Lines, rng: random.Random) -> None:
    """The referral by the citizen's jobcenter caseworker."""
    young = age_on(plan.cpr, plan.referred_on) < 30
    benefit = "uddannelseshjaelp_aktivitetsparat" if young and rng.random() < 0.5 else None
    lines.add(
        plan.referred_on,
        REFERRAL,
        "refer",
        plan.caseworker,
        cpr=f"{plan.cpr[:6]}-{plan.cpr[6:]}",
        programme=PROGRAMME,
        referring_caseworker=plan.caseworker,
        benefit_type=benefit,
    )


def age_on(cpr: str, day: date) -> int:
    """Age in whole years on `day` of the citizen with this CPR number."""
    born = cpr_birth_date(cpr)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


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
                kind="individual",
                note="first contact",
            )
        return
    weekly_until = (plan.baseline_on or plan.stop) + timedelta(days=QUARTER)
    day = plan.accepted_on + timedelta(days=rng.randint(2, 6))
    while day < plan.stop:
        if rng.random() > 0.1:
            lines.inside(day, "session", kind="individual")
        day += timedelta(days=session_interval(plan, day, weekly_until))


def session_interval(plan: Plan, day: date, weekly_until: date) -> int:
    """Days to the next individual session."""
    if day < weekly_until:
        return 7
    return 28 if plan.state_on(day) in ("praktik", "job", "education") else 14


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


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    """One of the keys, drawn in proportion to its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


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
        outcome = "aborted"
    elif after in ("job", "education"):
        outcome = "completed"
    else:
        outcome = weighted(rng, {"completed": 70, "aborted": 30})
    lines.add(day, MOVE, "praktik end", plan.job_consultant, outcome=outcome)


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


def write_meetings(plan: Plan, lines: Lines, rng: random.Random) -> None:
    """Network meetings about every 3 months, mostly as the staff forms report them."""
    if plan.accepted_on is None:
        return
    if plan.baseline_on is None:
        if rng.random() < 0.3:
            write_meeting(plan, lines, rng, between(rng, plan.accepted_on, plan.stop - DAY))
        return
    if plan.network.get(1) == "yes" and (plan.baseline_on - plan.accepted_on).days > 7:
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
    return {"yes": 0.92, "no": 0.1, None: 0.5}.get(next_answer, 0.85)


def write_meeting(plan: Plan, lines: Lines, rng: random.Random, day: date) -> None:
    """One network meeting: consultant, caseworker, often the job consultant, a guest."""
    consultant = plan.consultant_on(day)
    participants = [consultant, plan.caseworker]
    if rng.random() < 0.6:
        participants.append(plan.job_consultant)
    if rng.random() < 0.15:
        participants.append(rng.choice(NETWORK_GUESTS))
    outcome = "citizen_no_show" if rng.random() < 0.08 else "held"
    lines.add(day, INSIDE, "meeting", consultant, outcome=outcome, participants=participants)


def group_starts() -> Iterator[date]:
    """Start days of the programme's group courses: every 6 weeks from March 2018."""
    day = GROUP_FIRST_START
    while day <= AS_OF:
        yield day
        day += timedelta(weeks=6)


def group_name(start: date) -> str:
    """The name of the group course starting on `start`."""
    topic = GROUP_TOPICS[((start - GROUP_FIRST_START).days // 42) % len(GROUP_TOPICS)]
    return f"{topic}-{start.isoformat()}"


def write_group_course(plan: Plan, lines: Lines, rng: random.Random) -> None:
    """About a third join the next group course (8 weekly sessions); most complete it."""
    assert plan.baseline_on is not None
    if rng.random() >= 0.3:
        return
    first = plan.baseline_on + timedelta(days=14)
    last = plan.stop - timedelta(days=50)
    start = next((day for day in group_starts() if first <= day <= last), None)
    if start is None:
        return
    name = group_name(start)
    lines.inside(start, "group join", group_course=name)
    completes = rng.random() < 0.75
    for week in range(8 if completes else rng.randint(2, 5)):
        lines.inside(start + timedelta(weeks=week), "session", kind="group", note=name)
    if completes:
        lines.inside(start + timedelta(weeks=7), "group complete", group_course=name)


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
