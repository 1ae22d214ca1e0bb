"""One course as the outcome tables see it, folded from its effective facts in date order.

The facts given are already the ones in force: recorded by the `known_at`
moment, corrected as known then, retractions dropped, and happened by the
`as_of` date. Folding them in (occurred_on, version) order gives the course's
state, its forms and the moves that count as outcomes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import orjson

from domain.values import CourseState, MeetingOutcome
from projections.base import Row
from projections.outcomes_facts import VERSIONS, WHO5_COLUMNS

NETWORK_WINDOW = timedelta(days=91)
"""'In the last 3 months', as the staff form asks it."""


_NONE: Mapping[str, Any] = {}


@dataclass(frozen=True)
class Form:
    """One form at one measurement point, with the answers the tables use."""

    point: int
    form: str
    on: date
    mental: str | None = None
    physical: str | None = None
    who5: tuple[int, ...] | None = None
    network: str | None = None
    items: Mapping[str, Any] = field(default_factory=dict)
    """Every answer on the form, `instrument.item` -> value, and the versions asked."""

    def answer(self, instrument: str, item: str, versions: Collection[int]) -> str | None:
        """The answer to an item (as text), if the form asked one of these versions of it."""
        return self.named_answer(instrument, f"{instrument}.{item}", versions)

    def named_answer(self, instrument: str, name: str, versions: Collection[int]) -> str | None:
        """`answer`, given the item's flat name (`instrument.item`)."""
        items = self.items
        if items.get(VERSIONS, _NONE).get(instrument) not in versions:
            return None
        value = items.get(name)
        return None if value is None else str(value)

    @property
    def who5_index(self) -> int | None:
        """The WHO-5 well-being index, 0-100 (raw score × 4), if every item was answered."""
        return None if self.who5 is None else 4 * sum(self.who5)


@dataclass(frozen=True)
class Job:
    """An ordinary job started during the course."""

    on: date
    hours: float
    after_praktik: bool


@dataclass
class CourseOutcome:
    """A course's outcome-relevant facts as of a date."""

    course_id: str
    programme: str
    subject: str
    """The citizen's pseudonymous id (never the CPR)."""
    referred_on: date | None = None
    baseline_on: date | None = None
    state: CourseState | None = None
    state_since: date | None = None
    exit_after: str | None = None
    exit_reason: str | None = None
    forms: dict[tuple[int, str], Form] = field(default_factory=dict)
    """The forms taken while the course ran, by point and form."""
    follow_up_forms: dict[tuple[int, str], Form] = field(default_factory=dict)
    """The forms taken after the exit (follow-up points), by point and form."""
    praktik_starts: list[date] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    education_starts: list[date] = field(default_factory=list)
    meetings_held: list[date] = field(default_factory=list)
    meetings_missed: list[date] = field(default_factory=list)
    """Network meetings the citizen did not show up to."""
    follow_up: str | None = None
    follow_up_on: date | None = None
    moves: list[tuple[date, CourseState]] = field(default_factory=list)
    """Every state the course entered, with the date it did (from the referral on)."""
    consultant: str | None = None
    """The resource consultant assigned (at acceptance, or by the latest reassignment)."""
    benefit_type: str | None = None
    """The citizen's benefit and match group at referral."""
    born: date | None = None
    """The citizen's birth date, from the CPR (None once erased)."""

    # Folding -----------------------------------------------------------------

    def fold(self, fact: Row) -> None:
        """Take in one effective fact (facts come in date order)."""
        day = date.fromisoformat(fact["occurred_on"])
        kind = fact["kind"]
        if kind == "Referred":
            self.referred_on = day
            self.benefit_type = fact["benefit_type"]
            self.born = date.fromisoformat(fact["born"]) if fact["born"] else None
        if fact["consultant"] is not None:
            self.consultant = fact["consultant"]
        if fact["state"] is not None:
            self._moved(kind, CourseState(fact["state"]), day, fact)
        elif kind == "MeasurementRecorded":
            self._measured(fact, day)
        elif kind == "NetworkMeetingHeld" and fact["outcome"] == MeetingOutcome.HELD.value:
            self.meetings_held.append(day)
        elif kind == "NetworkMeetingHeld":
            self.meetings_missed.append(day)
        elif kind == "FollowUpRecorded":
            self.follow_up, self.follow_up_on = fact["outcome"], day

    def _moved(self, kind: str, state: CourseState, day: date, fact: Row) -> None:
        self.state, self.state_since = state, day
        self.moves.append((day, state))
        if kind == "BaselineCompleted":
            self.baseline_on = day
        elif kind == "PraktikStarted":
            self.praktik_starts.append(day)
        elif kind == "JobStarted" and fact["ordinary"]:
            self.jobs.append(Job(day, float(fact["hours"]), bool(self.praktik_starts)))
        elif kind == "EducationStarted":
            self.education_starts.append(day)
        self.exit_after = fact["after"] if kind == "ExitedPlanned" else None
        self.exit_reason = fact["reason"] if state is CourseState.EXITED_UNPLANNED else None

    def _measured(self, fact: Row, day: date) -> None:
        items = tuple(fact[column] for column in WHO5_COLUMNS)
        who5 = None if None in items else tuple(map(int, items))
        form = Form(
            int(fact["point"]),
            fact["form"],
            day,
            fact["mental"],
            fact["physical"],
            who5,
            fact["network"],
            orjson.loads(fact["items"]) if fact["items"] else {},
        )
        kept = self.follow_up_forms if fact["follow_up"] else self.forms
        kept[(form.point, form.form)] = form

    # What the tables ask ------------------------------------------------------------

    @property
    def has_baseline(self) -> bool:
        """Whether the start measurement was taken."""
        return self.baseline_on is not None

    @property
    def is_open(self) -> bool:
        """Whether the course is still running."""
        return self.state is not None and self.state.is_open

    @property
    def exited_before_baseline(self) -> bool:
        """Whether the course ended before any baseline was taken."""
        return not self.is_open and not self.has_baseline

    @property
    def age_at_baseline(self) -> int | None:
        """Age in whole years on the day the start measurement was taken."""
        if self.born is None or self.baseline_on is None:
            return None
        day, born = self.baseline_on, self.born
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def first_job(self) -> Job | None:
        """The first ordinary job, if any."""
        return self.jobs[0] if self.jobs else None

    def form(self, point: int, form: str) -> Form | None:
        """The form at a point, if recorded."""
        return self.forms.get((point, form))

    def meeting_held_before(self, day: date) -> bool:
        """Whether a network meeting was held in the 91 days up to `day`."""
        return any(day - NETWORK_WINDOW <= held <= day for held in self.meetings_held)
