"""The course list: every course as it stands now, one row each.

Serves `forloeb courses` and the id-prefix lookup. The birth date part of the
CPR is sealed under the view key (`projections.view_secrets`): without the
master key the list names nobody. Corrections are honoured
as the corrected event would read: a new date for the referral or for the
event that set the current state moves `referred_on` / `state_since`, a new
consultant on the event that set the current consultant replaces them. A
retracted state change is undone: the row keeps the course's state changes in
force (`state_changes`), so the state before it comes back with its date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any, ClassVar
from uuid import UUID

import orjson

from domain.events import (
    STATE_CHANGING_EVENTS,
    Accepted,
    ConsultantReassigned,
    Corrected,
    CourseEvent,
    Referred,
)
from domain.values import CourseState
from projections.base import Handler, Header, Row, View, ViewProjection, ViewSpec, iso, key


@dataclass(frozen=True)
class CourseRow:
    """One course in the list."""

    course_id: UUID
    born: str | None
    """The CPR's date part, DDMMYY (what a masked CPR shows; the view never holds a
    whole CPR, and holds this part sealed under the view key); None once the citizen's
    data are erased."""
    subject: UUID
    """The citizen's pseudonymous id: find a citizen's courses by it."""
    programme: str
    state: CourseState
    consultant: str | None
    referred_on: date
    state_since: date
    version: int
    referring_caseworker: str = ""
    referral_actor: str = ""
    """On whose behalf the referral was recorded."""

    @property
    def referred_by(self) -> frozenset[str]:
        """Who referred the citizen: the referring caseworker and the referral's actor."""
        return frozenset({self.referring_caseworker, self.referral_actor} - {""})


class CourseListView(View):
    """Every course: who, which programme, where it stands, and since when."""

    name = "course_list"
    tables: ClassVar[dict[str, str]] = {
        "course_list": (
            "course_id TEXT PRIMARY KEY, born_sealed TEXT, subject TEXT NOT NULL, "
            "programme TEXT NOT NULL, "
            "state TEXT NOT NULL, consultant TEXT, referred_on TEXT NOT NULL, "
            "state_since TEXT NOT NULL, state_version INTEGER NOT NULL, "
            "consultant_version INTEGER, version INTEGER NOT NULL, "
            "referring_caseworker TEXT NOT NULL, referral_actor TEXT NOT NULL, "
            "state_changes TEXT NOT NULL"
        ),
    }
    indexes: ClassVar[dict[str, str]] = {
        "course_list_subject": "course_list (subject)",
        "course_list_consultant": "course_list (consultant)",
    }

    def find_by_prefix(self, prefix: str) -> list[UUID]:
        """The ids of the courses whose id starts with `prefix`."""
        pattern = _escape_like(prefix.strip().lower()) + "%"
        rows = self.rows(
            "SELECT course_id FROM {course_list} WHERE course_id LIKE ? ESCAPE '\\' "
            "ORDER BY course_id",
            (pattern,),
        )
        return [UUID(row["course_id"]) for row in rows]

    def list_courses(
        self,
        subject: UUID | None = None,
        consultant: str | None = None,
        state: str | None = None,
        programme: str | None = None,
    ) -> list[CourseRow]:
        """The courses matching every given filter, oldest referral first."""
        filters = {
            "subject": subject,
            "consultant": consultant,
            "state": state,
            "programme": programme,
        }
        given = {column: value for column, value in filters.items() if value is not None}
        where = " AND ".join(f"{column}=?" for column in given) or "1=1"
        rows = self.rows(
            f"SELECT * FROM {{course_list}} WHERE {where} ORDER BY referred_on, course_id",
            [str(value) for value in given.values()],
        )
        return [self._course_row(row) for row in rows]

    def consultants(self) -> list[str]:
        """Every consultant some course was ever left with, sorted."""
        return self._distinct("consultant")

    def programmes(self) -> list[str]:
        """Every programme some course was referred to, sorted."""
        return self._distinct("programme")

    def _distinct(self, column: str) -> list[str]:
        rows = self.rows(
            f"SELECT DISTINCT {column} FROM {{course_list}} WHERE {column} IS NOT NULL "
            f"ORDER BY {column}"
        )
        return [row[column] for row in rows]

    def get(self, course_id: UUID) -> CourseRow | None:
        """One course's row, if the view has it."""
        rows = self.rows("SELECT * FROM {course_list} WHERE course_id=?", (str(course_id),))
        return self._course_row(rows[0]) if rows else None

    def _course_row(self, row: Row) -> CourseRow:
        born = row["born_sealed"]
        return _course_row(row, None if born is None else self.sealed.unseal(born))


def _course_row(row: Row, born: str | None) -> CourseRow:
    return CourseRow(
        course_id=UUID(row["course_id"]),
        born=born,
        subject=UUID(row["subject"]),
        programme=row["programme"],
        state=CourseState(row["state"]),
        consultant=row["consultant"],
        referred_on=date.fromisoformat(row["referred_on"]),
        state_since=date.fromisoformat(row["state_since"]),
        version=row["version"],
        referring_caseworker=row["referring_caseworker"],
        referral_actor=row["referral_actor"],
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


COLUMNS = (
    "course_id",
    "born_sealed",
    "subject",
    "programme",
    "state",
    "consultant",
    "referred_on",
    "state_since",
    "state_version",
    "consultant_version",
    "version",
    "referring_caseworker",
    "referral_actor",
    "state_changes",
)
_values = itemgetter(*COLUMNS)
"""A row's values in `COLUMNS` order."""
_UPSERT = (
    f"INSERT INTO {{course_list}} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
    "ON CONFLICT (course_id) DO UPDATE SET "
    + ", ".join(f"{column}=excluded.{column}" for column in COLUMNS[1:])
)


def _without(classes: list[type[Any]], handled: dict[type[Any], Handler]) -> list[type[Any]]:
    return [cls for cls in classes if cls not in handled]


KEPT_ROWS = 50_000
"""At most this many rows are kept from one batch to the next (then they are read again)."""


class CourseListProjection(ViewProjection[CourseListView]):
    """Keeps one row per course: each batch folds its events into the rows it touches,
    then writes each touched row once.

    The rows written are kept for the next batch while the view stays where the
    last committed batch left it, so a rebuild or a long catch-up does not read
    back every row it wrote one batch before.
    """

    name = "course_list"

    def __init__(self, view: CourseListView) -> None:
        super().__init__(view)
        self.kept: dict[str, dict[str, Any]] = {}
        self.kept_at: int | None = None
        self.keeping = False

    def start(self, position: int) -> None:
        if self.kept_at != position:
            self.kept = {}
        self.kept_at = None
        self.keeping = True

    def finish(self, position: int | None) -> None:
        if position is None or len(self.kept) + len(self.rows) > KEPT_ROWS:
            self.kept = {}
        else:
            self.kept.update(self.rows)
        self.kept_at = position
        self.keeping = False

    def begin(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    def flush(self, c: Any) -> None:
        self.execute_many(c, _UPSERT, [_values(row) for row in self.rows.values()])

    def row(self, c: Any, course_id: str) -> dict[str, Any]:
        """The course's row as this batch has it so far."""
        row = self.rows.get(course_id)
        if row is None:
            kept = self.kept.get(course_id) if self.keeping else None
            if kept is not None:
                row = dict(kept)  # the batch may yet fail: leave the kept row as committed
            else:
                c.execute(
                    self.view.sql("SELECT * FROM {course_list} WHERE course_id=?"), (course_id,)
                )
                found = c.fetchone()
                row = {column: found[column] for column in COLUMNS}
            self.rows[course_id] = row
        return row

    def referred(self, c: Any, e: Referred, _: int) -> None:
        day = iso(e.occurred_on)
        self.rows[key(e.originator_id)] = {
            "course_id": key(e.originator_id),
            "born_sealed": None if e.cpr is None else self.view.sealed.seal(e.cpr[:6]),
            "subject": str(e.subject),
            "programme": e.programme,
            "state": CourseState.VISITATION.value,
            "consultant": None,
            "referred_on": day,
            "state_since": day,
            "state_version": e.originator_version,
            "consultant_version": None,
            "version": e.originator_version,
            "referring_caseworker": e.referring_caseworker,
            "referral_actor": e.actor,
            "state_changes": _changes([[e.originator_version, CourseState.VISITATION.value, day]]),
        }

    def versioned(self, c: Any, e: Header | CourseEvent, _: int) -> None:
        course_id = key(e.originator_id)
        row = self.rows.get(course_id)  # most often already in the batch (one call less)
        (self.row(c, course_id) if row is None else row)["version"] = e.originator_version

    def recorded(self, c: Any, e: CourseEvent, _: int) -> dict[str, Any]:
        row = self.row(c, key(e.originator_id))
        row["version"] = e.originator_version
        if e.new_state is not None:
            changes = orjson.loads(row["state_changes"])
            changes.append([e.originator_version, e.new_state.value, iso(e.occurred_on)])
            _set_state(row, changes)
        return row

    def consultant_set(self, c: Any, e: Accepted | ConsultantReassigned, position: int) -> None:
        row = self.recorded(c, e, position)
        row["consultant"] = e.consultant
        row["consultant_version"] = e.originator_version

    def corrected(self, c: Any, e: Corrected, position: int) -> None:
        row = self.recorded(c, e, position)
        target = e.target_version
        if e.retracted:
            changes = orjson.loads(row["state_changes"])
            kept = [change for change in changes if change[0] != target]
            if len(kept) < len(changes) and target != 1:
                _set_state(row, kept)
            if row["consultant_version"] == target:  # an acceptance: no consultant yet
                row["consultant"] = row["consultant_version"] = None
            return
        if "occurred_on" in e.changes:
            day = iso(e.changes["occurred_on"])
            if target == 1:
                row["referred_on"] = day
            changes = orjson.loads(row["state_changes"])
            for change in changes:
                if change[0] == target:
                    change[2] = day
            _set_state(row, changes)
        if "referring_caseworker" in e.changes and target == 1:
            row["referring_caseworker"] = str(e.changes["referring_caseworker"])
        if "consultant" in e.changes and row["consultant_version"] == target:
            row["consultant"] = str(e.changes["consultant"])

    handlers: ClassVar[dict[type[Any], Handler]] = {
        **dict.fromkeys(STATE_CHANGING_EVENTS, recorded),
        Referred: referred,
        Accepted: consultant_set,
        ConsultantReassigned: consultant_set,
        Corrected: corrected,
    }
    header_handlers: ClassVar[dict[type[Any], Handler]] = dict.fromkeys(
        _without(CourseEvent.__subclasses__(), handlers), versioned
    )
    """Events that change neither state nor consultant: the row only takes their version."""


def _changes(changes: list[list[Any]]) -> str:
    """State changes as stored: compact JSON of [version, state, ISO date] rows. Their values
    are ints and ASCII text, which orjson writes exactly as `json.dumps(changes,
    separators=(",", ":"))` does, several times faster."""
    return orjson.dumps(changes).decode()


def _set_state(row: dict[str, Any], changes: list[list[Any]]) -> None:
    """Set the row's state changes in force, and its state from the latest of them."""
    row["state_changes"] = _changes(changes)
    row["state_version"], row["state"], row["state_since"] = changes[-1]


VIEW = ViewSpec(CourseListView, CourseListProjection)
