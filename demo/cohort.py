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
import random
from collections.abc import Iterator
from typing import Any

from demo.citizen import citizen_lines
from demo.dates import AS_OF, FIRST_DAY
from demo.lines import course_id_for
from demo.planning import plan_cohort
from demo.shape import PROGRAMME, REFERENCE_SIZE
from demo.vive_answers import SEARCH_STEPS

__all__ = ["AS_OF", "FIRST_DAY", "PROGRAMME", "course_id_for", "generate"]


def generate(
    size: int = REFERENCE_SIZE, seed: int = 2019, search_steps: int = SEARCH_STEPS
) -> Iterator[dict[str, Any]]:
    """Import lines for a synthetic cohort of `size` referred citizens, in date order.

    Citizens are planned up front (a few small values each); their lines are
    written one citizen at a time as referrals come up and merged by date, so
    only the courses running at the same time are held in memory.
    """
    if size < 1:
        raise ValueError("size: must be at least 1")
    rng = random.Random(seed)
    plans = sorted(plan_cohort(size, rng, search_steps), key=lambda plan: plan.referred_on)
    width = max(4, len(str(size)))
    pending: list[tuple[str, int, int, dict[str, Any]]] = []
    for number, plan in enumerate(plans, start=1):
        while pending and pending[0][0] <= plan.referred_on.isoformat():
            yield heapq.heappop(pending)[3]
        for seq, line in enumerate(citizen_lines(plan, f"demo-{seed}-{number:0{width}d}")):
            heapq.heappush(pending, (line["occurred_on"], number, seq, line))
    while pending:
        yield heapq.heappop(pending)[3]
