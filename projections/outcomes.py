"""The evaluators' outcomes view: dated, recorded facts per course, for both kinds of time.

The view keeps one row per outcome-relevant event (a *fact*), with when it
happened (`occurred_on`) and when the system recorded it (`recorded_at`, the
event's timestamp). A correction does not overwrite: it adds a *revision* of
the corrected fact (numbered by the correction's own version) with its own
`recorded_at`; a retraction adds a revision marked retracted.

So a table can be asked for twice over in time:

- `as_of` — the world on that date as we know it now: facts that happened by then;
- `known_at` — what the system had recorded by then: only revisions recorded by
  that moment count, and of each fact the latest such revision is in force.

The tables themselves are built in `projections.outcomes_tables` from the
courses folded here (`projections.outcomes_course`); for now (the usual
question) they are laid out from sums the view keeps per programme and month
(`projections.outcomes_aggregate`), without folding any course.

The facts hold health data (forms, WHO-5, exit reasons), so nothing in the
view's tables identifies the course they belong to: facts and courses are keyed
by a pseudonym (`pid`, a keyed hash of the course id under the view key), and a
course's id and citizen are kept sealed (`identity`). Without the master key no
row here joins a row of the course list, the caseload or the audit view.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from domain.events import Corrected, CourseEvent, Referred
from projections import outcomes_aggregate as aggregate
from projections.base import Handler, View, ViewProjection, ViewSpec, iso, key
from projections.outcomes_course import CourseOutcome
from projections.outcomes_facts import (
    FACT_COLUMNS,
    FACT_EVENTS,
    corrected_payload,
    event_values,
    fact_values,
    payload_from,
    recorded_at,
)

if TYPE_CHECKING:
    from projections.outcomes_report import Report

CohortBy = Literal["referral", "baseline"]

_BORN = FACT_COLUMNS.index("born")
"""Where the birth date stands in a fact's values: sealed in the table, like identity."""
_OCCURRED = 6 + FACT_COLUMNS.index("occurred_on")
"""Where the date stands in a fact row as written (after pid, version, revision, recorded_at,
kind, retracted)."""

_FACT_TABLE = (
    "pid TEXT NOT NULL, version INTEGER NOT NULL, revision INTEGER NOT NULL, "
    "recorded_at TEXT NOT NULL, kind TEXT NOT NULL, retracted INTEGER NOT NULL, "
    "occurred_on TEXT NOT NULL, state TEXT, point INTEGER, form TEXT, mental TEXT, "
    "physical TEXT, who5_cheerful INTEGER, who5_calm INTEGER, who5_active INTEGER, "
    "who5_rested INTEGER, who5_interested INTEGER, network TEXT, outcome TEXT, "
    "hours DOUBLE PRECISION, ordinary INTEGER, after TEXT, reason TEXT, consultant TEXT, "
    "benefit_type TEXT, follow_up INTEGER, born TEXT, items TEXT, "
    "PRIMARY KEY (pid, version, revision)"
)

_EFFECTIVE_FACTS = (
    "SELECT f.*, c.programme, c.identity FROM {outcomes_facts} f "
    "JOIN {outcomes_courses} c ON c.pid = f.pid "
    "WHERE c.programme = ? AND f.recorded_at <= ? AND f.retracted = 0 AND f.occurred_on <= ? "
    "AND f.revision = (SELECT MAX(g.revision) FROM {outcomes_facts} g "
    "WHERE g.pid = f.pid AND g.version = f.version AND g.recorded_at <= ?) "
    "ORDER BY f.pid, f.occurred_on, f.version"
)
"""Each fact's latest revision recorded by `known_at`, if not retracted and happened by `as_of`."""

SECRET_TABLE = "outcomes_secret"
"""Holds the store's pseudonym key; not one of the view's tables, so a rebuild keeps it."""

LATEST = "9999-12-31T23:59:59.999999"
"""`known_at` meaning everything recorded so far."""


@dataclass(frozen=True)
class Cohort:
    """Which courses a table counts: a programme, and a period of referral or baseline."""

    programme: str
    first: date | None = None
    last: date | None = None
    by: CohortBy = "referral"

    def includes(self, course: CourseOutcome) -> bool:
        """Whether the course belongs to the cohort (its referral or baseline in the period)."""
        day = course.referred_on if self.by == "referral" else course.baseline_on
        if day is None:
            return False
        return (self.first is None or day >= self.first) and (self.last is None or day <= self.last)


class OutcomesView(View):
    """Dated, recorded facts per course, each correction a revision of its own."""

    name = "outcomes"
    tables: ClassVar[dict[str, str]] = {
        "outcomes_courses": (
            "pid TEXT PRIMARY KEY, programme TEXT NOT NULL, identity TEXT NOT NULL"
        ),
        "outcomes_facts": _FACT_TABLE,
        **aggregate.TABLES,
    }
    indexes: ClassVar[dict[str, str]] = {
        "outcomes_courses_programme": "outcomes_courses (programme)",
    }

    def courses(
        self, cohort: Cohort, as_of: date, known_at: datetime | None = None
    ) -> list[CourseOutcome]:
        """The cohort's courses as of the date, as recorded by `known_at` (default: now)."""
        known = LATEST if known_at is None else recorded_at(known_at)
        rows = self.rows(_EFFECTIVE_FACTS, (cohort.programme, known, iso(as_of), known))
        courses = []
        for _, facts in groupby(rows, key=lambda row: row["pid"]):
            course: CourseOutcome | None = None
            for fact in facts:
                if course is None:
                    course_id, subject = self.sealed.unseal(fact["identity"]).split(" ")
                    course = CourseOutcome(course_id, fact["programme"], subject)
                if fact["born"] is not None:
                    fact = {**fact, "born": self.sealed.unseal(fact["born"])}
                course.fold(fact)
            if course is not None and cohort.includes(course):
                courses.append(course)
        return sorted(courses, key=lambda course: course.course_id)

    def report(
        self,
        cohort: Cohort,
        as_of: date,
        known_at: datetime | None = None,
        *,
        follow_up_forms: bool = False,
    ) -> Report:
        """The cohort's outcome tables as of the date, as recorded by `known_at` (default:
        now): from the kept sums where they can say, else from the courses."""
        from projections.outcomes_tables import build_report, report_from_counts

        known = LATEST if known_at is None else recorded_at(known_at)
        period = (cohort.first, cohort.last)
        counts = aggregate.kept_counts(self, cohort.programme, cohort.by, period, as_of, known)
        if counts is None:
            courses = self.courses(cohort, as_of, known_at)
            return build_report(courses, follow_up_forms=follow_up_forms)
        return report_from_counts(counts, follow_up_forms=follow_up_forms)

    def outdated(self, c: Any) -> bool:
        """Outdated as any view, or holding facts of which no course was ever counted nor
        marked to be (a view from before the kept sums: only a rebuild fills them)."""
        return super().outdated(c) or aggregate.never_counted(self, c)

    def ddl(self, *, indexes: bool = True) -> list[str]:
        """The view's tables, and the pseudonym secret's table, which a rebuild keeps."""
        return [
            *super().ddl(indexes=indexes),
            f"CREATE TABLE IF NOT EXISTS {self.table(SECRET_TABLE)} "
            "(id INTEGER PRIMARY KEY, secret TEXT NOT NULL)",
        ]

    def pseudonym_secret(self) -> bytes:
        """This store's key for pseudonyms, made (once, at random) on first use."""
        table = self.table(SECRET_TABLE)
        with self.transaction(commit=True) as c:
            c.execute(
                self.placeholders(
                    f"INSERT INTO {table} (id, secret) VALUES (1, ?) ON CONFLICT (id) DO NOTHING"
                ),
                (secrets.token_hex(32),),
            )
            c.execute(f"SELECT secret FROM {table} WHERE id = 1")
            row = c.fetchone()
        return bytes.fromhex(row["secret"])

    def programmes(self) -> list[str]:
        """The programmes the view has courses in."""
        rows = self.rows("SELECT DISTINCT programme FROM {outcomes_courses} ORDER BY programme")
        return [row["programme"] for row in rows]


_INSERT_FACT = (
    "INSERT INTO {outcomes_facts} (pid, version, revision, recorded_at, kind, retracted, "
    + ", ".join(FACT_COLUMNS)
    + ") VALUES ("
    + ", ".join("?" * (6 + len(FACT_COLUMNS)))
    + ")"
)

_LATEST_REVISION = (
    f"SELECT kind, {', '.join(FACT_COLUMNS)} FROM {{outcomes_facts}} "
    "WHERE pid = ? AND version = ? ORDER BY revision DESC LIMIT 1"
)

_FACT_KEY = itemgetter(0, 1, 2)
"""A fact row's primary key: pid, version, revision."""

Fact = tuple[str, tuple[Any, ...]]
"""A fact's kind and its values in `FACT_COLUMNS` order."""


class OutcomesProjection(ViewProjection[OutcomesView]):
    """Writes one fact per outcome-relevant event, and one revision per correction of it.

    Rows are collected per batch and written together in `flush`; a correction
    finds the revision it corrects among the batch's rows first, then in the view,
    and applies its changes to the payload that revision's values give back.
    """

    name = "outcomes"

    def begin(self) -> None:
        self._courses: list[tuple[str, str, str]] = []
        self._facts: list[tuple[Any, ...]] = []
        self._latest: dict[tuple[str, int], Fact] = {}

    def flush(self, c: Any) -> None:
        self.execute_many(c, "INSERT INTO {outcomes_courses} VALUES (?, ?, ?)", self._courses)
        self._facts.sort(key=_FACT_KEY)  # in key order: the table is stored by its key
        self.execute_many(c, _INSERT_FACT, self._facts)
        if self._facts:  # the courses to settle in the kept sums, and the latest times
            touched = sorted({(fact[0],) for fact in self._facts})
            self.execute_many(c, aggregate.MARK, touched)
            occurred = max(fact[_OCCURRED] for fact in self._facts)
            recorded = max(fact[3] for fact in self._facts)
            self.execute(c, aggregate.EXTEND, occurred, recorded)

    def settle(self, c: Any) -> None:
        aggregate.settle(self.view, c)

    def referred(self, c: Any, e: Referred, position: int) -> None:
        course_id = key(e.originator_id)
        identity = self.view.sealed.seal(f"{course_id} {e.subject}")
        self._courses.append((self.view.sealed.pseudonym(course_id), e.programme, identity))
        self.recorded(c, e, position)

    def recorded(self, c: Any, e: CourseEvent, _: int) -> None:
        self.add(e, type(e).__name__, event_values(e), revision=0, retracted=False)

    def corrected(self, c: Any, e: Corrected, _: int) -> None:
        target = self.latest(c, self.view.sealed.pseudonym(key(e.originator_id)), e.target_version)
        if target is None:  # the target is not an outcome fact
            return
        kind, values = target
        if not e.retracted:
            values = fact_values(kind, corrected_payload(payload_from(values), e.changes))
        self.add(
            e,
            kind,
            values,
            revision=e.originator_version,
            retracted=e.retracted,
            version=e.target_version,
        )

    def latest(self, c: Any, pid: str, version: int) -> Fact | None:
        """The kind and values of a fact's latest revision, if the view holds the fact."""
        pending = self._latest.get((pid, version))
        if pending is not None:
            return pending
        c.execute(self.view.sql(_LATEST_REVISION), (pid, version))
        row = c.fetchone()
        if row is None:
            return None
        values = [row[column] for column in FACT_COLUMNS]
        if values[_BORN] is not None:
            values[_BORN] = self.view.sealed.unseal(values[_BORN])
        return row["kind"], tuple(values)

    def add(
        self,
        e: CourseEvent,
        kind: str,
        values: tuple[Any, ...],
        *,
        revision: int,
        retracted: bool,
        version: int | None = None,
    ) -> None:
        """Collect one revision of a fact, recorded when the event `e` was."""
        sealed = self.view.sealed
        pid = sealed.pseudonym(key(e.originator_id))
        version = e.originator_version if version is None else version
        born = values[_BORN]
        stored = (  # a birth date beside health data is sealed
            values if born is None else (*values[:_BORN], sealed.seal(born), *values[_BORN + 1 :])
        )
        self._facts.append(
            (pid, version, revision, recorded_at(e.timestamp), kind, int(retracted), *stored)
        )
        self._latest[(pid, version)] = (kind, values)

    handlers: ClassVar[dict[type[Any], Handler]] = {
        **dict.fromkeys(FACT_EVENTS, recorded),
        Referred: referred,
        Corrected: corrected,
    }


VIEW = ViewSpec(OutcomesView, OutcomesProjection)
