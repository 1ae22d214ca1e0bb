"""The answers VIVE's midterm tables are counted from, dealt out to the plans by quota.

Every published distribution (`demo.published`) is dealt out as whole counts to
the citizens it is of: the start forms of everyone with a baseline, the forms at
points 1 and 3 of those with both, the staff forms at each point. Where one
answer enters several tables (the start self-ratings are cross-tabulated with
each other, by course status, by work and for the panel), the pairs are placed
by a seeded local search that swaps pairs between citizens while no table's
counts get further from the published ones. Within a distribution, answers go
to the citizens in order of their underlying well-being (with some noise), so
the items hang together the way real answers do.

The answers land in `Plan.answers[(point, form)]` as the measure command's
fields; the forms written from the plan take them over.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import date, timedelta
from fractions import Fraction
from typing import Any, TypeVar

from demo import published
from demo.answers import wellbeing_at
from demo.people import age_on
from demo.plan import Plan
from demo.shape import PATHS
from domain.values import WHO5_ITEMS

K = TypeVar("K", bound=Hashable)
CITIZEN, STAFF = "citizen", "staff"
SEARCH_STEPS, ATTEMPTS = 40_000, 5
"""Most swaps the placement of the start self-ratings tries per attempt, and how many
attempts from a fresh shuffle (a cohort of another size may have no exact placement)."""


def apportion_any(counts: Mapping[K, int], total: int) -> dict[K, int]:
    """Split `total` in proportion to `counts` (largest remainder; exact at scale 1)."""
    whole = sum(counts.values())
    if whole == 0:
        return dict.fromkeys(counts, 0)
    shares = {key: Fraction(count * total, whole) for key, count in counts.items()}
    result = {key: int(share) for key, share in shares.items()}
    order = sorted(shares, key=lambda key: shares[key] - result[key], reverse=True)
    for key in order[: total - sum(result.values())]:
        result[key] += 1
    return result


def deal(
    rng: random.Random,
    plans: Sequence[Plan],
    counts: Mapping[K, int],
    rank: Callable[[Plan], float],
    noise: float = 0.1,
) -> dict[int, K]:
    """One answer per plan (by index in `plans`), in the published proportions: the lowest
    ranked plans get the first categories; blanks (None) and don't-knows go at random."""
    quota = apportion_any(counts, len(plans))
    aside = [k for k in quota if k is None or k == "dont_know"]
    order = list(range(len(plans)))
    rng.shuffle(order)
    result: dict[int, K] = {}
    for kept in aside:
        for _ in range(quota[kept]):
            result[order.pop()] = kept
    order.sort(key=lambda i: rank(plans[i]) + rng.gauss(0, noise))
    ordered = [k for k in quota if k not in aside for _ in range(quota[k])]
    result.update(zip(order, ordered, strict=True))
    return result


def feeling_at(point: int) -> Callable[[Plan], float]:
    """Rank plans by their well-being at a point."""
    return lambda plan: wellbeing_at(plan, point)


def status(plan: Plan) -> str:
    """Ongoing, planned or unplanned exit, by the course's path."""
    moves = PATHS[plan.kind]
    return (
        "planned"
        if "exit_planned" in moves
        else "unplanned"
        if "exit_unplanned" in moves
        else "ongoing"
    )


def in_work(plan: Plan) -> bool:
    """Whether the course has an ordinary job on its path."""
    return "job" in PATHS[plan.kind]


def fix(plan: Plan, point: int, form: str, **answers: Any) -> None:
    """Set answers on the plan's form at a point (the form writer takes them over)."""
    plan.answers.setdefault((point, form), {}).update(answers)


def fix_item(plan: Plan, point: int, form: str, field: str, key: str, value: Any) -> None:
    """Set one entry of a dict-valued answer (a BIP indicator); None marks it blank."""
    plan.answers.setdefault((point, form), {}).setdefault(field, {})[key] = value


# Background and age ---------------------------------------------------------------


def assign_background(courses: Sequence[Plan], rng: random.Random, taken: set[str]) -> None:
    """Sex, nationality and age at the start (the CPR's birth date and serial agree)."""
    sexes = deal(rng, courses, published.SEX, lambda p: 0.0)
    nationalities = deal(rng, courses, published.NATIONALITY, lambda p: 0.0)
    ages = deal(rng, courses, published.AGE_BANDS, lambda p: 0.0)
    for i, plan in enumerate(courses):
        assert plan.baseline_on is not None
        low, high = ages[i]
        plan.cpr = cpr_for(rng, plan.baseline_on, rng.randint(low, high), sexes[i], taken)
        fix(plan, 1, STAFF, sex=sexes[i], nationality=nationalities[i])


def cpr_for(rng: random.Random, day: date, age: int, sex: str, taken: set[str]) -> str:
    """A new CPR number of someone `age` years old on `day` (odd last digit: male)."""
    while True:
        born = day - timedelta(days=rng.randint(365 * age, 365 * (age + 1)))
        serial = 2 * rng.randint(0, 1999) + (1 if sex == "male" else 0)
        cpr = f"{born:%d%m%y}{serial:04d}"
        if age_on(cpr, day) == age and cpr not in taken:
            taken.add(cpr)
            return cpr


# Start self-ratings -----------------------------------------------------------------

Pair = tuple[str | None, str]


def assign_start_health(
    courses: Sequence[Plan], rng: random.Random, search_steps: int = SEARCH_STEPS
) -> None:
    """The start self-ratings: table 4.5's pairs, placed to fit tables 5.2, 6.2 and 6.5."""
    members: list[list[str]] = [
        [
            status(p),
            *(["in_work"] if in_work(p) else []),
            *(["panel"] if {1, 3} <= p.citizen_points else []),
        ]
        for p in courses
    ]
    size: Counter[str] = Counter(g for groups in members for g in groups)
    target: dict[tuple[str, str, Any], int] = {}
    for group, by_measure in published.START_HEALTH_BY_GROUP.items():
        for measure, counts in by_measure.items():
            for cat, n in apportion_any(counts, size[group]).items():
                target[(group, measure, cat)] = n
    pairs = [
        pair
        for pair, n in apportion_any(published.START_HEALTH, len(courses)).items()
        for _ in range(n)
    ]
    best: tuple[int, list[Pair]] | None = None
    for _ in range(ATTEMPTS):  # a fresh start leaves a dead end behind
        rng.shuffle(pairs)
        missed, placed = _search(rng, members, list(pairs), target, search_steps)
        if best is None or missed < best[0]:
            best = (missed, placed)
        if missed == 0:
            break
    assert best is not None
    for plan, (mental, physical) in zip(courses, best[1], strict=True):
        fix(plan, 1, CITIZEN, mental_health=mental, physical_health=physical)


def _search(
    rng: random.Random,
    members: list[list[str]],
    pairs: list[Pair],
    target: dict[tuple[str, str, Any], int],
    steps: int,
) -> tuple[int, list[Pair]]:
    """Swap pairs (at most `steps` times) while no group's counts get further from the
    target; how far they still are (0: exactly), and the pairs in their places."""
    counts: Counter[tuple[str, str, Any]] = Counter()

    def keys(i: int) -> list[tuple[str, str, Any]]:
        mental, physical = pairs[i]
        return [k for g in members[i] for k in ((g, "mental", mental), (g, "physical", physical))]

    for i in range(len(pairs)):
        counts.update(keys(i))

    def cost(ks: set[tuple[str, str, Any]]) -> int:
        return sum(abs(counts[k] - target.get(k, 0)) for k in ks)

    total = cost(set(target) | set(counts))
    for _ in range(steps):
        if total == 0:
            break
        i, j = rng.randrange(len(pairs)), rng.randrange(len(pairs))
        if pairs[i] == pairs[j]:
            continue
        old = keys(i) + keys(j)
        pairs[i], pairs[j] = pairs[j], pairs[i]
        new = keys(i) + keys(j)
        touched = set(old) | set(new)
        before = cost(touched)
        counts.subtract(old)
        counts.update(new)
        after = cost(touched)
        if after > before:
            counts.subtract(new)
            counts.update(old)
            pairs[i], pairs[j] = pairs[j], pairs[i]
        else:
            total += after - before
    return total, pairs


# The panel: citizen forms at points 1 and 3 ------------------------------------------

_LEVEL_RANK: dict[str | None, int] = {
    level: i for i, level in enumerate(reversed(published.LEVELS))
}
"""poor 0 ... excellent 4."""


def assign_panel(courses: Sequence[Plan], rng: random.Random) -> None:
    """Point-3 self-ratings, WHO-5 and the citizen's BIP at points 1 and 3 of the panel."""
    panel = [p for p in courses if {1, 3} <= p.citizen_points]
    for measure, counts in published.PANEL_HEALTH_AT_3.items():
        field = f"{measure}_health"

        def start(plan: Plan, field: str = field) -> float:
            level = plan.answers[(1, CITIZEN)].get(field)
            return _LEVEL_RANK.get(level, 2) + 0.5 * plan.trend / 0.06

        for i, level in deal(rng, panel, counts, start, noise=0.6).items():
            fix(panel[i], 3, CITIZEN, **{field: level})
    for point, items in published.WHO5_ITEM_COUNTS.items():
        who5 = {id(p): [0] * len(WHO5_ITEMS) for p in panel}
        for n, item in enumerate(WHO5_ITEMS):
            counts = dict(zip(range(5, -1, -1), items[item], strict=True))
            order = dict(reversed(list(counts.items())))  # lowest first
            dealt = deal(rng, panel, order, feeling_at(point), noise=0.08)
            for i, score in dealt.items():
                who5[id(panel[i])][n] = score
        for plan in panel:
            fix(plan, point, CITIZEN, who5=who5[id(plan)])
    _deal_bip(rng, panel, CITIZEN, published.CITIZEN_BIP)


def _deal_bip(
    rng: random.Random,
    plans: Sequence[Plan],
    form: str,
    table: Mapping[int, Mapping[str, Mapping[Any, int]]],
) -> None:
    """Each question's answers at each point; a form left blank leaves all its blanks."""
    for point, questions in table.items():
        blank = rng.randrange(len(plans)) if plans else 0
        for key, counts in questions.items():
            quota = apportion_any(counts, len(plans))
            answering = list(plans)
            if quota.get(None):
                answering.pop(blank)
                fix_item(plans[blank], point, form, "bip", key, None)
                counts = {k: v for k, v in quota.items() if k is not None}
            dealt = deal(rng, answering, counts, feeling_at(point))
            for i, answer in dealt.items():
                fix_item(answering[i], point, form, "bip", key, answer)


# Staff forms -----------------------------------------------------------------------


def assign_staff(courses: Sequence[Plan], rng: random.Random) -> None:
    """The consultants' start assessments, session frequency at points 1-3, staff BIP."""
    start = [p for p in courses if 1 in p.staff_points]
    for key, counts in published.START_STAFF.items():
        rank = _staff_rank(key)
        for i, answer in deal(rng, start, counts, rank, noise=0.15).items():
            fix(start[i], 1, STAFF, **{_FIELD.get(key, key): answer})
    for point, counts in published.SESSION_FREQUENCY.items():
        forms = [p for p in courses if point in p.staff_points]
        for i, answer in deal(rng, forms, counts, lambda p: rng.random()).items():
            fix(forms[i], point, STAFF, session_frequency=answer)
    panel = [p for p in courses if {1, 3} <= p.staff_points]
    _deal_bip(rng, panel, STAFF, published.STAFF_BIP)


_FIELD = {
    "mental_problems_limit": "mental_limit",
    "physical_problems_limit": "physical_limit",
    "psychiatric_diagnosis": "diagnosis",
    "prescribed_medication": "medication",
}
"""The measure command's option for a staff-assessment item, where the names differ."""


def _staff_rank(key: str) -> Callable[[Plan], float]:
    """Who gets the first (most burdened) answers: the citizens feeling worst at the start."""
    if key in ("mental_problems_limit", "physical_problems_limit"):
        field = "mental_health" if key.startswith("mental") else "physical_health"
        return lambda p: _LEVEL_RANK.get(p.answers.get((1, CITIZEN), {}).get(field), 2) / 4
    return lambda p: wellbeing_at(p, 1)
