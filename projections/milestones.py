"""Milestones: what each course reached, by kind, for counting per programme and cohort.

One row per milestone event: a job start (with its kind: ordinary, flexjob,
wage subsidy; an ordinary job below ordinary hours is told apart), an education
start, a planned exit (after job, after education, onto disability pension) and
the programme's completion; and one row per course with its programme and
referral date. Corrections are honoured: a retracted milestone is gone, a new
date or kind replaces the old. Additive beside the outcomes view: it reads the
same events and counts what that view does not tell apart. Each row keeps when it
was recorded, so a table asked `known_at` a moment leaves out what came later
(corrections are applied as known now: a row holds its latest reading).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from domain.events import (
    ContactRegistered,
    Corrected,
    EducationStarted,
    ExitedPlanned,
    JobStarted,
    ProgrammeCompleted,
    Referred,
    SegmentRecorded,
)
from domain.programme import Outcomes
from domain.values import JobKind
from projections.base import Handler, View, ViewProjection, ViewSpec, iso, key
from projections.outcomes_facts import recorded_at

JOB = "job"
EDUCATION = "education"
EXIT = "exit"
COMPLETED = "completed"
REDUCED_HOURS = "ordinary_reduced_hours"
"""An ordinary job below ordinary hours (the old `--not-ordinary-hours`)."""

COUNTED: tuple[tuple[str, str, str, str | None], ...] = (
    ("completed the programme", "completed_programme", COMPLETED, None),
    ("job, ordinary hours", "job_ordinary_hours", JOB, JobKind.ORDINARY.value),
    ("job, ordinary, reduced hours", "job_ordinary_reduced_hours", JOB, REDUCED_HOURS),
    ("flexjob (fleksjob)", "flexjob", JOB, JobKind.FLEXJOB.value),
    ("wage-subsidy job (løntilskud)", "wage_subsidy_job", JOB, JobKind.WAGE_SUBSIDY.value),
    ("education started", "education_started", EDUCATION, None),
    ("planned exit after job", "planned_exit_after_job", EXIT, "job"),
    ("planned exit after education", "planned_exit_after_education", EXIT, "education"),
    (
        "planned exit onto disability pension",
        "planned_exit_onto_disability_pension",
        EXIT,
        "disability_pension",
    ),
)
"""The rows of the milestone table: label, key (in JSON), milestone, kind (None: any kind)."""


@dataclass
class CourseMilestones:
    """What one course reached, and its contacts and segmentation, in date order."""

    entry_route: str
    reached: list[tuple[str, str | None, date]] = field(default_factory=list)
    """(milestone, kind, date) of each milestone."""
    contacts: list[tuple[str, int | None, date]] = field(default_factory=list)
    """(kind of contact, the citizen's rating, date) of each contact."""
    segments: list[tuple[str | None, tuple[str, ...], str | None, date]] = field(
        default_factory=list
    )
    """(match group, profiles, focus, date) of each segmentation."""

    def last(self, milestone: str) -> tuple[str | None, date] | None:
        """The kind and date of the course's latest milestone of this sort, if any."""
        found = [(kind, day) for m, kind, day in self.reached if m == milestone]
        return found[-1] if found else None

    def has(self, milestone: str) -> bool:
        """Whether the course reached the milestone."""
        return any(m == milestone for m, _, _ in self.reached)


LATEST = "9999-12-31T23:59:59.999999"
"""`known_at` meaning everything recorded so far."""


@dataclass(frozen=True)
class MilestoneCounts:
    """How many courses of a group reached each milestone (each course counted once)."""

    referred: int
    counts: dict[str, int]
    """By the row's label in COUNTED."""


def job_kind(kind: str, ordinary_hours: bool) -> str:
    """A job's kind as counted: ordinary work below ordinary hours apart."""
    if kind == JobKind.ORDINARY.value and not ordinary_hours:
        return REDUCED_HOURS
    return kind


class MilestonesView(View):
    """The milestones each course reached, and each course's programme and referral date."""

    name = "milestones"
    tables: ClassVar[dict[str, str]] = {
        "milestone_courses": (
            "course_id TEXT PRIMARY KEY, programme TEXT NOT NULL, referred_on TEXT NOT NULL, "
            "entry_route TEXT NOT NULL"
        ),
        "milestones": (
            "course_id TEXT NOT NULL, version INTEGER NOT NULL, milestone TEXT NOT NULL, "
            "kind TEXT, ordinary_hours INTEGER, occurred_on TEXT NOT NULL, "
            "recorded_at TEXT NOT NULL, PRIMARY KEY (course_id, version)"
        ),
        "contacts": (
            "course_id TEXT NOT NULL, version INTEGER NOT NULL, contact_kind TEXT NOT NULL, "
            "place TEXT NOT NULL, rating INTEGER, actor TEXT NOT NULL, occurred_on TEXT NOT NULL, "
            "recorded_at TEXT NOT NULL, PRIMARY KEY (course_id, version)"
        ),
        "segments": (
            "course_id TEXT NOT NULL, version INTEGER NOT NULL, match_group TEXT, "
            "profiles TEXT NOT NULL, focus TEXT, occurred_on TEXT NOT NULL, "
            "recorded_at TEXT NOT NULL, PRIMARY KEY (course_id, version)"
        ),
    }
    indexes: ClassVar[dict[str, str]] = {
        "milestone_courses_programme": "milestone_courses (programme)",
    }

    def courses(self, programme: str) -> list[tuple[str, str]]:
        """(course id, referral date) of each course in the programme."""
        rows = self.rows(
            "SELECT course_id, referred_on FROM {milestone_courses} WHERE programme=? "
            "ORDER BY referred_on, course_id",
            (programme,),
        )
        return [(row["course_id"], row["referred_on"]) for row in rows]

    def course_milestones(
        self, programme: str, as_of: date, known_at: datetime | None = None
    ) -> dict[str, CourseMilestones]:
        """Course id -> what the course reached, its contacts and its segmentation, that had
        happened by `as_of` and been recorded by `known_at` (default: now), in date order."""
        known = LATEST if known_at is None else recorded_at(known_at)
        found = {
            row["course_id"]: CourseMilestones(row["entry_route"])
            for row in self.rows(
                "SELECT course_id, entry_route FROM {milestone_courses} WHERE programme=?",
                (programme,),
            )
        }
        for table, columns in (
            ("milestones", "milestone, kind"),
            ("contacts", "contact_kind, rating"),
            ("segments", "match_group, profiles, focus"),
        ):
            rows = self.rows(
                f"SELECT t.course_id, {columns}, t.occurred_on FROM {{{table}}} t "
                "JOIN {milestone_courses} c ON c.course_id = t.course_id "
                "WHERE c.programme=? AND t.occurred_on <= ? AND t.recorded_at <= ? "
                "ORDER BY t.course_id, t.occurred_on, t.version",
                (programme, iso(as_of), known),
            )
            for row in rows:
                course, day = found[row["course_id"]], date.fromisoformat(row["occurred_on"])
                if table == "milestones":
                    course.reached.append((row["milestone"], row["kind"], day))
                elif table == "contacts":
                    course.contacts.append((row["contact_kind"], row["rating"], day))
                else:
                    profiles = tuple(json.loads(row["profiles"]))
                    course.segments.append((row["match_group"], profiles, row["focus"], day))
        return found

    def reached(self, programme: str) -> dict[str, set[tuple[str, str | None]]]:
        """Course id -> the (milestone, kind) pairs it reached, for the programme's courses."""
        rows = self.rows(
            "SELECT m.course_id, m.milestone, m.kind FROM {milestones} m "
            "JOIN {milestone_courses} c ON c.course_id = m.course_id WHERE c.programme=?",
            (programme,),
        )
        found: dict[str, set[tuple[str, str | None]]] = {}
        for row in rows:
            found.setdefault(row["course_id"], set()).add((row["milestone"], row["kind"]))
        return found

    def contacts(self, programme: str) -> dict[str, Any]:
        """The programme's contacts: how many, by kind, how many rated, the mean rating."""
        rows = self.rows(
            "SELECT t.contact_kind, t.rating FROM {contacts} t "
            "JOIN {milestone_courses} c ON c.course_id = t.course_id WHERE c.programme=?",
            (programme,),
        )
        counted: dict[str, Any] = {"contacts": len(rows)}
        for row in rows:
            counted[row["contact_kind"]] = counted.get(row["contact_kind"], 0) + 1
        ratings = [row["rating"] for row in rows if row["rating"] is not None]
        counted["rated"] = len(ratings)
        counted["mean rating"] = round(sum(ratings) / len(ratings), 2) if ratings else None
        return counted

    def segments(self, programme: str, as_of: date) -> dict[str, Any]:
        """The programme's segmentation: each course's match group now, how many courses were
        rematched, the median days in the match group they are in as of `as_of`, and how
        many courses ever had each profile and each focus."""
        rows = self.rows(
            "SELECT s.course_id, s.match_group, s.profiles, s.focus, s.occurred_on "
            "FROM {segments} s "
            "JOIN {milestone_courses} c ON c.course_id = s.course_id WHERE c.programme=? "
            "ORDER BY s.course_id, s.occurred_on, s.version",
            (programme,),
        )
        groups: dict[str, list[str]] = {}
        since: dict[str, str] = {}
        profiles: dict[str, set[str]] = {}
        focus: dict[str, set[str]] = {}
        for row in rows:
            course = row["course_id"]
            if row["match_group"] is not None:
                history = groups.setdefault(course, [])
                if not history or history[-1] != row["match_group"]:
                    since[course] = row["occurred_on"]
                history.append(row["match_group"])
            for profile in json.loads(row["profiles"]):
                profiles.setdefault(profile, set()).add(course)
            if row["focus"] is not None:
                focus.setdefault(row["focus"], set()).add(course)
        now: dict[str, int] = {}
        for history in groups.values():
            now[history[-1]] = now.get(history[-1], 0) + 1
        return {
            "match group now": dict(sorted(now.items())),
            "rematched": sum(len(set(history)) > 1 for history in groups.values()),
            "median days in match group now": _median(
                [(as_of - date.fromisoformat(day)).days for day in since.values()]
            ),
            "profiles ever": {name: len(ids) for name, ids in sorted(profiles.items())},
            "focus ever": {name: len(ids) for name, ids in sorted(focus.items())},
        }


Counted = tuple[tuple[str, str, str, str | None], ...]
"""Rows of the milestone table, as in COUNTED."""


def added_rows(outcomes: Outcomes) -> Counted:
    """The rows a programme's definition adds to COUNTED: each job kind and each
    planned-exit destination of its own, labelled with its title."""
    return (
        *((f"job, {c.title}", c.code, JOB, c.code) for c in outcomes.job_kinds),
        *((f"planned exit {c.title}", c.code, EXIT, c.code) for c in outcomes.exit_destinations),
    )


def count(
    course_ids: Sequence[str],
    reached: dict[str, set[tuple[str, str | None]]],
    rows: Counted = COUNTED,
) -> MilestoneCounts:
    """The milestone counts of a group of courses (by the label of each row)."""
    counts = {}
    for label, _, milestone, kind in rows:
        counts[label] = sum(
            any(m == milestone and (kind is None or k == kind) for m, k in reached.get(c, ()))
            for c in course_ids
        )
    return MilestoneCounts(len(course_ids), counts)


class MilestonesProjection(ViewProjection[MilestonesView]):
    """Fills the milestones view."""

    def add(self, c: Any, e: Any, milestone: str, kind: str | None, hours: bool | None) -> None:
        self.execute(
            c,
            "INSERT INTO {milestones} (course_id, version, milestone, kind, ordinary_hours, "
            "occurred_on, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            key(e.originator_id),
            e.originator_version,
            milestone,
            kind,
            None if hours is None else int(hours),
            iso(e.occurred_on),
            recorded_at(e.timestamp),
        )

    def referred(self, c: Any, e: Referred, _: int) -> None:
        self.execute(
            c,
            "INSERT INTO {milestone_courses} (course_id, programme, referred_on, entry_route) "
            "VALUES (?, ?, ?, ?)",
            key(e.originator_id),
            e.programme,
            iso(e.occurred_on),
            e.entry_route.value,
        )

    def job(self, c: Any, e: JobStarted, _: int) -> None:
        self.add(c, e, JOB, job_kind(str(e.kind), e.ordinary_hours), e.ordinary_hours)

    def education(self, c: Any, e: EducationStarted, _: int) -> None:
        self.add(c, e, EDUCATION, None, None)

    def exited(self, c: Any, e: ExitedPlanned, _: int) -> None:
        self.add(c, e, EXIT, e.after, None)

    def completed(self, c: Any, e: ProgrammeCompleted, _: int) -> None:
        self.add(c, e, COMPLETED, None, None)

    def contact(self, c: Any, e: ContactRegistered, _: int) -> None:
        self.execute(
            c,
            "INSERT INTO {contacts} (course_id, version, contact_kind, place, rating, actor, "
            "occurred_on, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            key(e.originator_id),
            e.originator_version,
            e.contact_kind.value,
            e.place,
            e.rating,
            e.actor,
            iso(e.occurred_on),
            recorded_at(e.timestamp),
        )

    def segment(self, c: Any, e: SegmentRecorded, _: int) -> None:
        self.execute(
            c,
            "INSERT INTO {segments} (course_id, version, match_group, profiles, focus, "
            "occurred_on, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            key(e.originator_id),
            e.originator_version,
            None if e.match_group is None else e.match_group.value,
            json.dumps(e.profiles),
            e.focus,
            iso(e.occurred_on),
            recorded_at(e.timestamp),
        )

    def corrected(self, c: Any, e: Corrected, _: int) -> None:
        course, target = key(e.originator_id), e.target_version
        if e.retracted:
            for table in ("milestones", "contacts", "segments"):
                self.execute(
                    c,
                    f"DELETE FROM {{{table}}} WHERE course_id=? AND version=?",
                    course,
                    target,
                )
            return
        if "occurred_on" in e.changes:
            day = iso(e.changes["occurred_on"])
            if target == 1:
                self.execute(
                    c, "UPDATE {milestone_courses} SET referred_on=? WHERE course_id=?", day, course
                )
            for table in ("milestones", "contacts", "segments"):
                self.execute(
                    c,
                    f"UPDATE {{{table}}} SET occurred_on=? WHERE course_id=? AND version=?",
                    day,
                    course,
                    target,
                )
        if e.target_event == JobStarted.__name__ and {"kind", "ordinary_hours"} & set(e.changes):
            c.execute(
                self.view.sql(
                    "SELECT kind, ordinary_hours FROM {milestones} WHERE course_id=? AND version=?"
                ),
                (course, target),
            )
            found = c.fetchone()
            if found is None:
                return
            hours = bool(e.changes.get("ordinary_hours", found["ordinary_hours"]))
            kind = str(e.changes.get("kind", _recorded_kind(found["kind"])))
            self.execute(
                c,
                "UPDATE {milestones} SET kind=?, ordinary_hours=? WHERE course_id=? AND version=?",
                job_kind(kind, hours),
                int(hours),
                course,
                target,
            )

    handlers: ClassVar[dict[type[Any], Handler]] = {
        Referred: referred,
        JobStarted: job,
        EducationStarted: education,
        ExitedPlanned: exited,
        ProgrammeCompleted: completed,
        ContactRegistered: contact,
        SegmentRecorded: segment,
        Corrected: corrected,
    }


def _median(values: list[int]) -> float | None:
    """The median, None for no values."""
    return statistics.median(values) if values else None


def _recorded_kind(counted: str) -> str:
    """The job kind as recorded, from the kind as counted."""
    return JobKind.ORDINARY.value if counted == REDUCED_HOURS else counted


VIEW = ViewSpec(MilestonesView, MilestonesProjection)
