"""What is decided about one citizen before their lines are written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from demo.dates import AS_OF, DAY, FIRST_DAY


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
    wellbeing: float = 0.5
    trend: float = 0.0
    job_hours: int = 20
    answers: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    """Answers fixed by quota per (point, form), as the measure command's fields."""

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
