"""The second pass: every line of one citizen's course, written from their plan."""

from __future__ import annotations

import random
from typing import Any

from demo.contacts import write_meetings, write_reassignment, write_sessions, write_treatment_plan
from demo.groups import write_group_course
from demo.intake import write_referral, write_visitation
from demo.lines import Lines
from demo.measurements import write_measurements
from demo.moves import write_moves
from demo.plan import Plan


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
