"""The programme's group courses and who joins them."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from demo.dates import AS_OF
from demo.lines import Lines
from demo.plan import Plan
from domain.values import SessionKind

GROUP_TOPICS = ("mestring", "angst-og-stress", "vejen-til-job")
GROUP_FIRST_START = date(2018, 3, 5)


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
        lines.inside(
            start + timedelta(weeks=week), "session", kind=SessionKind.GROUP.value, note=name
        )
    if completes:
        lines.inside(start + timedelta(weeks=7), "group complete", group_course=name)
