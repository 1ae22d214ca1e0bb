"""Caseloads: each resource consultant's open courses, and what is due, as of a date.

The view keeps every dated fact that decides a course's state, consultant and
deadlines (one row per event, at its `occurred_on`), so any date can be asked
about: the world as of a date is the facts that had happened by then.
Corrections change a fact's columns as the corrected event would read;
a retracted fact is deleted.

Due (about every 3 months, `INTERVAL`, unless the programme's settings say
otherwise): the next measurement point after the last recorded measurement (or
the baseline); a network meeting after the last one held (or the acceptance);
a praktik past its planned end. The intervals and the caseload target are
asked for, not stored, so changing a programme's settings needs no rebuild.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any, ClassVar, Literal
from uuid import UUID

from domain.events import STATE_CHANGING_EVENTS as _STATE_EVENTS
from domain.events import (
    Accepted,
    ConsultantReassigned,
    Corrected,
    MeasurementRecorded,
    NetworkMeetingHeld,
    PraktikStarted,
    Referred,
)
from domain.values import CourseState, MeetingOutcome
from projections.base import Handler, Row, View, ViewProjection, ViewSpec, iso, key

TARGET_CASELOAD = 25
"""Citizens per resource consultant the programme aims at (against 45-50 in a jobcenter)."""
INTERVAL = timedelta(days=91)
"""About three months: between measurement points, and between network meetings."""


@dataclass(frozen=True)
class ProgrammeSettings:
    """A programme's rhythm and caseload target (the configuration's `[programmes.P]`)."""

    measurement_interval: timedelta = INTERVAL
    meeting_interval: timedelta = INTERVAL
    target_caseload: int = TARGET_CASELOAD


DEFAULT_SETTINGS = ProgrammeSettings()
Settings = Mapping[str, ProgrammeSettings]
"""Settings by programme; a programme not named has the defaults (91 days, 25)."""

S = CourseState
_MEASURED_STATES = (S.ACTIVE, S.PRAKTIK, S.JOB, S.EDUCATION)
_MEETING_STATES = (S.BASELINE, *_MEASURED_STATES)
_CORRECTABLE = {
    "occurred_on": "occurred_on",
    "consultant": "consultant",
    "planned_end": "planned_end",
    "point": "point",
    "outcome": "outcome",
}
"""A correction's changed field -> the fact column it rewrites."""

DueKind = Literal["measurement", "network_meeting", "praktik_end"]


@dataclass(frozen=True)
class CourseLoad:
    """One open course in a consultant's caseload."""

    course_id: UUID
    programme: str
    state: CourseState
    since: date
    days_in_state: int


@dataclass(frozen=True)
class ConsultantLoad:
    """A consultant's open courses as of a date, against the target."""

    consultant: str
    courses: tuple[CourseLoad, ...]
    target: int = TARGET_CASELOAD

    @property
    def open_courses(self) -> int:
        """How many open courses the consultant holds."""
        return len(self.courses)

    @property
    def over_capacity(self) -> bool:
        """More open courses than the target."""
        return self.open_courses > self.target

    @property
    def by_state(self) -> dict[CourseState, int]:
        """Open courses per state, in lifecycle order."""
        counts = {s: sum(1 for c in self.courses if c.state is s) for s in CourseState}
        return {s: n for s, n in counts.items() if n}


@dataclass(frozen=True)
class DueItem:
    """Something a course needs by a date; `days_overdue` < 0 means still to come."""

    course_id: UUID
    consultant: str | None
    programme: str
    kind: DueKind
    due_on: date
    days_overdue: int
    detail: str


@dataclass
class _Timeline:
    """A course as of a date, folded from its facts in date order."""

    course_id: UUID
    programme: str
    state: CourseState | None = None
    since: date = date.min
    consultant: str | None = None
    planned_end: date | None = None
    accepted_on: date | None = None
    baseline_on: date | None = None
    last_measured: date | None = None
    last_point: int = 0
    last_meeting: date | None = None

    def fold(self, fact: Row) -> None:
        day = date.fromisoformat(fact["occurred_on"])
        kind = fact["kind"]
        if fact["state"] is not None:
            self.state, self.since = CourseState(fact["state"]), day
            self.planned_end = _day(fact["planned_end"])
        if fact["consultant"] is not None:
            self.consultant = fact["consultant"]
        if kind == "Accepted":
            self.accepted_on = day
        elif kind == "BaselineCompleted":
            self.baseline_on = day
        elif kind == "MeasurementRecorded":
            self.last_measured = max(day, self.last_measured or day)
            self.last_point = max(self.last_point, fact["point"])
        elif kind == "NetworkMeetingHeld" and fact["outcome"] == MeetingOutcome.HELD.value:
            self.last_meeting = max(day, self.last_meeting or day)

    def due(self, as_of: date, settings: ProgrammeSettings = DEFAULT_SETTINGS) -> list[DueItem]:
        items: list[DueItem] = []

        def item(kind: DueKind, due_on: date, detail: str) -> None:
            overdue = (as_of - due_on).days
            items.append(
                DueItem(
                    self.course_id, self.consultant, self.programme, kind, due_on, overdue, detail
                )
            )

        if self.state in _MEASURED_STATES:
            anchors = [d for d in (self.last_measured, self.baseline_on) if d is not None]
            if anchors:
                due_on = max(anchors) + settings.measurement_interval
                item("measurement", due_on, f"point {self.last_point + 1}")
        if self.state in _MEETING_STATES:
            anchors = [d for d in (self.last_meeting, self.accepted_on) if d is not None]
            if anchors:
                last = "last held " + str(self.last_meeting) if self.last_meeting else "none held"
                item("network_meeting", max(anchors) + settings.meeting_interval, last)
        if self.state is S.PRAKTIK and self.planned_end is not None:
            item("praktik_end", self.planned_end, f"planned end {self.planned_end}")
        return items


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class CaseloadView(View):
    """Dated facts per course: state changes, consultants, measurements, meetings."""

    name = "caseload"
    tables: ClassVar[dict[str, str]] = {
        "caseload_courses": "course_id TEXT PRIMARY KEY, programme TEXT NOT NULL",
        "caseload_facts": (
            "course_id TEXT NOT NULL, version INTEGER NOT NULL, kind TEXT NOT NULL, "
            "occurred_on TEXT NOT NULL, state TEXT, consultant TEXT, planned_end TEXT, "
            "point INTEGER, outcome TEXT, PRIMARY KEY (course_id, version)"
        ),
    }

    def caseload(
        self,
        as_of: date,
        consultant: str | None = None,
        programme: str | None = None,
        settings: Settings | None = None,
    ) -> list[ConsultantLoad]:
        """Each consultant's open courses as of the date, by consultant name, against the
        target of their courses' programme (the lowest, if they work in several)."""
        loads: dict[str, list[CourseLoad]] = {}
        for course in self._timelines(as_of, programme):
            if course.state is None or not course.state.is_open or course.consultant is None:
                continue
            if consultant is not None and course.consultant != consultant:
                continue
            loads.setdefault(course.consultant, []).append(
                CourseLoad(
                    course.course_id,
                    course.programme,
                    course.state,
                    course.since,
                    (as_of - course.since).days,
                )
            )
        chosen = settings or {}

        def target(courses: list[CourseLoad]) -> int:
            programmes = {c.programme for c in courses}
            return min(chosen.get(p, DEFAULT_SETTINGS).target_caseload for p in programmes)

        return [
            ConsultantLoad(name, tuple(loads[name]), target(loads[name])) for name in sorted(loads)
        ]

    def due(
        self,
        as_of: date,
        consultant: str | None = None,
        programme: str | None = None,
        within_days: int = 0,
        settings: Settings | None = None,
    ) -> list[DueItem]:
        """What is due by `as_of` (plus `within_days` ahead), most overdue first, at each
        programme's intervals."""
        horizon = as_of + timedelta(days=within_days)
        chosen = settings or {}
        items = [
            item
            for course in self._timelines(as_of, programme)
            if consultant is None or course.consultant == consultant
            for item in course.due(as_of, chosen.get(course.programme, DEFAULT_SETTINGS))
            if item.due_on <= horizon
        ]
        return sorted(items, key=lambda i: (-i.days_overdue, i.kind, str(i.course_id)))

    def _timelines(self, as_of: date, programme: str | None) -> list[_Timeline]:
        query = (
            "SELECT f.*, c.programme FROM {caseload_facts} f "
            "JOIN {caseload_courses} c ON c.course_id = f.course_id WHERE f.occurred_on <= ?"
        )
        params = [iso(as_of)]
        if programme is not None:
            query += " AND c.programme = ?"
            params.append(programme)
        query += " ORDER BY f.course_id, f.occurred_on, f.version"
        timelines = []
        for course_id, facts in groupby(self.rows(query, params), key=lambda r: r["course_id"]):
            timeline: _Timeline | None = None
            for fact in facts:
                if timeline is None:
                    timeline = _Timeline(UUID(course_id), fact["programme"])
                timeline.fold(fact)
            if timeline is not None:
                timelines.append(timeline)
        return timelines


_FACT_COLUMNS = (
    "course_id",
    "version",
    "kind",
    "occurred_on",
    "state",
    "consultant",
    "planned_end",
    "point",
    "outcome",
)


_FACT_KEY = itemgetter(0, 1)
"""A fact row's primary key: course id, version."""


class CaseloadProjection(ViewProjection[CaseloadView]):
    """Records the dated facts the caseload and due lists are folded from."""

    name = "caseload"

    def begin(self) -> None:
        self.courses: list[tuple[str, str]] = []
        self.facts: dict[tuple[str, int], list[Any]] = {}

    def flush(self, c: Any) -> None:
        self.execute_many(c, "INSERT INTO {caseload_courses} VALUES (?, ?)", self.courses)
        rows = sorted(self.facts.values(), key=_FACT_KEY)  # the table is stored by its key
        self.execute_many(
            c, "INSERT INTO {caseload_facts} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )

    def referred(self, c: Any, e: Referred, position: int) -> None:
        self.courses.append((key(e.originator_id), e.programme))
        self.fact(e, state=CourseState.VISITATION.value)

    def state_changed(self, c: Any, e: Any, _: int) -> None:
        self.fact(
            e,
            state=e.new_state.value,
            consultant=e.consultant if isinstance(e, Accepted) else None,
            planned_end=iso(e.planned_end) if isinstance(e, PraktikStarted) else None,
        )

    def reassigned(self, c: Any, e: ConsultantReassigned, _: int) -> None:
        self.fact(e, consultant=e.consultant)

    def measured(self, c: Any, e: MeasurementRecorded, _: int) -> None:
        self.fact(e, point=e.point)

    def met(self, c: Any, e: NetworkMeetingHeld, _: int) -> None:
        self.fact(e, outcome=e.outcome.value)

    def corrected(self, c: Any, e: Corrected, _: int) -> None:
        target = (key(e.originator_id), e.target_version)
        pending = self.facts.get(target)
        if e.retracted:
            if pending is not None:
                del self.facts[target]
            else:
                self.execute(
                    c, "DELETE FROM {caseload_facts} WHERE course_id=? AND version=?", *target
                )
            return
        for changed, column in _CORRECTABLE.items():
            if changed not in e.changes:
                continue
            value = e.changes[changed]
            if column in ("occurred_on", "planned_end"):
                value = iso(value)
            if pending is not None:
                pending[_FACT_COLUMNS.index(column)] = value
            else:
                self.execute(
                    c,
                    f"UPDATE {{caseload_facts}} SET {column}=? WHERE course_id=? AND version=?",
                    value,
                    *target,
                )

    def fact(
        self,
        e: Any,
        state: str | None = None,
        consultant: str | None = None,
        planned_end: str | None = None,
        point: int | None = None,
        outcome: str | None = None,
    ) -> None:
        """Collect the event's fact row (in `_FACT_COLUMNS` order) for the batch."""
        course_id, version = key(e.originator_id), e.originator_version
        self.facts[(course_id, version)] = [
            course_id,
            version,
            type(e).__name__,
            iso(e.occurred_on),
            state,
            consultant,
            planned_end,
            point,
            outcome,
        ]

    handlers: ClassVar[dict[type[Any], Handler]] = {
        **dict.fromkeys(_STATE_EVENTS, state_changed),
        Referred: referred,
        ConsultantReassigned: reassigned,
        MeasurementRecorded: measured,
        NetworkMeetingHeld: met,
        Corrected: corrected,
    }


VIEW = ViewSpec(CaseloadView, CaseloadProjection)
