"""One citizen's import lines, collected in any order and numbered in date order."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid5

from demo.plan import Plan
from workflows.commands import COMMAND_NAMESPACE

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


def course_id_for(refer_command_id: str) -> UUID:
    """The course id the service gives a referral with this command id."""
    return uuid5(COMMAND_NAMESPACE, refer_command_id)
