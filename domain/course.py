"""The Course aggregate: one citizen in one programme, from referral to exit.

The aggregate guards the facts (dates in order, no duplicate forms, valid
corrections); the workflow in `workflows.machine` decides which moves are
allowed from which state. State changes only happen in the events' `apply`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from eventsourcing.domain import BaseAggregate
from pydantic import ValidationError

from domain.copying import copy_containers
from domain.errors import CourseError, InvalidInput
from domain.events import (
    Corrected,
    CourseEvent,
    ExitedPlanned,
    FollowUpRecorded,
    GroupCourseCompleted,
    MeasurementRecorded,
    PraktikStarted,
    ProgrammeCompleted,
    Referred,
)
from domain.validation import first_error
from domain.values import CourseState, MeasurementForm, cpr_birth_date, normalise_cpr

LOCAL_TIME = ZoneInfo("Europe/Copenhagen")
"""Dates given by caseworkers are Danish calendar dates."""
INTO_STATES = (CourseState.JOB, CourseState.EDUCATION)
"""What a planned exit from the course's own state is after (any other `after` is a
destination the exit goes onto, checked against the programme where it is decided)."""

PROTECTED_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "actor",
        "recorded_by",
        "command_id",
        "cpr",
        "programme",
    }
)
"""Fields a correction may not change: identity and provenance."""


class Course(BaseAggregate[UUID]):
    """A citizen course (borgerforløb)."""

    def __init__(self) -> None:
        self.cpr: str | None = ""
        """The citizen's CPR number; None once the citizen's data are erased."""
        self.subject: UUID | None = None
        """The citizen's pseudonymous id (see Referred.subject)."""
        self.programme = ""
        self.state = CourseState.VISITATION
        self.consultant: str | None = None
        self.consultant_version = 0
        self.referring_caseworker = ""
        self.referral_actor = ""
        """On whose behalf the referral was recorded."""
        self.measurements: dict[int, tuple[int, MeasurementForm]] = {}
        self.group_courses: dict[str, bool] = {}
        self.history: dict[int, str] = {}
        self.state_changes: dict[int, date] = {}
        """Sequence number -> date of each state change in force, the referral first (as
        corrected; a retracted one is dropped)."""
        self.entered: dict[int, CourseState] = {}
        """Sequence number -> the state each state change in `state_changes` entered."""
        self.follow_ups: set[int] = set()
        self.completed_version = 0
        self.team: dict[str, str] = {}
        """Team member -> their role in the programme (besides the course's consultant)."""
        """The sequence number of the programme's completion (0: not completed)."""
        """Sequence numbers of the measurements taken after the exit (follow-up points)."""
        self.point_one_latest = date.min
        self.corrected_versions: set[int] = set()
        self.retracted_versions: set[int] = set()
        self.command_ids: dict[str, str] = {}
        """Each command id applied to the course, with the type of the first event it recorded."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Course:
        """An independent copy (all values held are immutable; see copy_containers)."""
        return copy_containers(self)

    @staticmethod
    def create_id(*_: Any, **__: Any) -> UUID:
        """A new random course id."""
        return uuid4()

    # Commands ---------------------------------------------------------------

    @classmethod
    def refer(cls, *, course_id: UUID | None = None, **fields: Any) -> Course:
        """Open a course in visitation for a referred citizen."""
        now = CourseEvent.create_timestamp()
        occurred_on = fields.get("occurred_on")
        if isinstance(occurred_on, date) and occurred_on > local_date(now):
            raise InvalidInput("occurred_on", f"{occurred_on} is in the future")
        check_born_by("occurred_on", occurred_on, fields.get("cpr"))
        check_personal_present(Referred, fields)
        try:
            return cls._create(Referred, id=course_id, timestamp=now, **fields)
        except ValidationError as e:
            raise InvalidInput(*first_error(e)) from None

    def record(self, event_class: type[CourseEvent], **fields: Any) -> None:
        """Record one fact on the course after checking it against the course's facts."""
        now = event_class.create_timestamp()
        check_personal_present(event_class, fields)
        try:
            candidate = event_class.model_validate(
                {
                    **fields,
                    "originator_id": self.id,
                    "originator_version": self.version + 1,
                    "timestamp": now,
                }
            )
        except ValidationError as e:
            raise InvalidInput(*first_error(e)) from None
        self.check_dates(candidate, local_date(now))
        self.check_facts(candidate)
        # What trigger_event does, without building and validating the event again.
        candidate.mutate(self)
        self.pending_events.append(candidate)

    def correct(
        self,
        target: CourseEvent,
        *,
        actor: str,
        occurred_on: date,
        reason: str,
        recorded_by: str | None = None,
        changes: dict[str, Any],
        retracted: bool = False,
        command_id: str | None = None,
    ) -> None:
        """Correct an earlier event, or mark it as entered in error. The original stays."""
        self.check_correction(target, changes, retracted)
        self.record(
            Corrected,
            actor=actor,
            recorded_by=recorded_by,
            occurred_on=occurred_on,
            command_id=command_id,
            target_version=target.originator_version,
            target_event=type(target).__name__,
            reason=reason,
            changes=changes,
            retracted=retracted,
        )

    # Queries ----------------------------------------------------------------

    @property
    def referred_by(self) -> frozenset[str]:
        """Who referred the citizen: the referring caseworker and the referral's actor."""
        return frozenset({self.referring_caseworker, self.referral_actor} - {""})

    @property
    def referred_on(self) -> date:
        """The date of the referral."""
        return self.state_changes.get(1, date.min)

    @property
    def state_version(self) -> int:
        """The sequence number of the event that moved the course to its state."""
        return max(self.state_changes, default=1)

    @property
    def state_since(self) -> date:
        """The date the course entered its current state."""
        return self.state_changes.get(self.state_version, date.min)

    def state_before(self, version: int) -> CourseState:
        """The state the course was in just before the event with this sequence number."""
        return self.entered[max((v for v in self.state_changes if v < version), default=1)]

    @property
    def is_open(self) -> bool:
        """Whether the course has not yet exited."""
        return self.state.is_open

    def has_form(self, point: int, form: MeasurementForm) -> bool:
        """Whether the form at the point is recorded (and not retracted)."""
        return (point, form) in self.measurements.values()

    @property
    def last_course_point(self) -> int:
        """The highest measurement point recorded while the course ran (0 if none)."""
        return max(
            (p for v, (p, _) in self.measurements.items() if v not in self.follow_ups), default=0
        )

    @property
    def point_one_forms_complete(self) -> bool:
        """Both start forms (citizen and staff) are recorded."""
        return all(self.has_form(1, form) for form in MeasurementForm)

    # Guards -----------------------------------------------------------------

    def check_dates(self, event: CourseEvent, today: date) -> None:
        """Dates: not in the future, not before the referral, state changes in order."""
        if event.occurred_on > today:
            raise InvalidInput("occurred_on", f"{event.occurred_on} is in the future")
        if event.occurred_on < self.referred_on:
            raise InvalidInput(
                "occurred_on",
                f"{event.occurred_on} is before the referral on {self.referred_on}",
            )
        if event.new_state is not None and event.occurred_on < self.state_since:
            raise InvalidInput(
                "occurred_on",
                f"{event.occurred_on} is before the course entered {self.state} "
                f"on {self.state_since}",
            )

    def check_facts(self, event: CourseEvent) -> None:
        """Event-specific checks against what the course already holds."""
        if isinstance(event, MeasurementRecorded):
            self.check_measurement(event)
        elif isinstance(event, PraktikStarted) and event.planned_end < event.occurred_on:
            raise InvalidInput("planned_end", "is before the praktik starts")
        elif isinstance(event, GroupCourseCompleted):
            if event.group_course not in self.group_courses:
                raise CourseError(f"group_course: {event.group_course} was never joined")
            if self.group_courses[event.group_course]:
                raise CourseError(f"group_course: {event.group_course} is already completed")
        elif isinstance(event, ProgrammeCompleted) and self.completed_version:
            raise CourseError(
                f"course: the programme was already completed (event {self.completed_version})"
            )
        elif isinstance(event, ExitedPlanned) and self.exits_from_elsewhere(event):
            raise InvalidInput("after", f"the course is in {self.state}, not {event.after}")
        elif isinstance(event, FollowUpRecorded) and event.occurred_on < self.state_since:
            raise InvalidInput("occurred_on", f"is before the exit on {self.state_since}")

    def exits_from_elsewhere(self, event: ExitedPlanned) -> bool:
        """Whether a planned exit is after a job or education the course is not in."""
        return event.after in INTO_STATES and event.after != self.state

    def check_measurement(self, event: MeasurementRecorded) -> None:
        """Each form once per point; point 1 during baseline, later points after it;
        follow-up points after the exit."""
        if event.follow_up:
            self.check_follow_up_point(event)
        if self.has_form(event.point, event.form):
            raise CourseError(
                f"point: the {event.form} form for point {event.point} is already recorded "
                "(use correct to change it)"
            )
        if event.point == 1 and self.state is not CourseState.BASELINE:
            raise CourseError(f"point: point 1 is the baseline, but the course is {self.state}")
        if event.point == 1 and event.occurred_on < self.state_since:
            raise InvalidInput(
                "occurred_on",
                f"a start form cannot be dated {event.occurred_on}, before the baseline began "
                f"on {self.state_since}",
            )
        if event.point > 1 and self.state is CourseState.BASELINE:
            raise CourseError(
                f"point: point {event.point} comes after the baseline, which is not complete"
            )

    def check_follow_up_point(self, event: MeasurementRecorded) -> None:
        """A follow-up comes after the exit, at a point after the course's last point."""
        if self.is_open:
            raise CourseError("follow_up: the course has not exited; record an ordinary point")
        first = max(self.last_course_point, 1) + 1
        if event.point < first:
            raise CourseError(
                f"point: a follow-up point comes after the course's last point "
                f"({first - 1}); give {first} or later"
            )
        if event.occurred_on < self.state_since:
            raise InvalidInput("occurred_on", f"is before the exit on {self.state_since}")

    def check_correction(
        self, target: CourseEvent, changes: dict[str, Any], retracted: bool
    ) -> None:
        """A correction names a real, correctable event and leaves it valid."""
        if isinstance(target, Corrected):
            raise CourseError("version: a correction cannot be corrected; correct the original")
        if retracted:
            if changes:
                raise InvalidInput("changes", "a retraction changes no fields")
            if not target.retractable:
                raise CourseError(
                    f"version: {type(target).__name__} cannot be retracted; "
                    f"{target.not_retractable_because or 'record the move that undoes it'}"
                )
            if target.originator_version in self.retracted_versions:
                raise CourseError(
                    f"version: event {target.originator_version} is already retracted"
                )
            return
        if not changes:
            raise InvalidInput("changes", "name at least one field to change")
        if "follow_up" in changes and isinstance(target, MeasurementRecorded):
            raise InvalidInput(
                "changes.follow_up",
                "follows from when the form was taken; retract it and record it again",
            )
        corrected = apply_changes(target, changes)
        if "occurred_on" in changes:
            self.check_corrected_date(corrected)
        if isinstance(corrected, MeasurementRecorded):
            self.check_corrected_slot(corrected)

    def check_corrected_date(self, corrected: CourseEvent) -> None:
        """A corrected date obeys the rules a recorded one does, against its neighbours."""
        version, on = corrected.originator_version, corrected.occurred_on
        if on > local_date(CourseEvent.create_timestamp()):
            raise InvalidInput("changes.occurred_on", f"{on} is in the future")
        if version != 1 and on < self.referred_on:
            raise InvalidInput(
                "changes.occurred_on", f"{on} is before the referral on {self.referred_on}"
            )
        if version == 1:
            check_born_by("changes.occurred_on", on, self.cpr)
        if version not in self.state_changes:
            return
        earlier = [d for v, d in self.state_changes.items() if v < version]
        later = [d for v, d in self.state_changes.items() if v > version]
        if earlier and on < max(earlier):
            raise InvalidInput(
                "changes.occurred_on", f"{on} is before the previous state change on {max(earlier)}"
            )
        if later and on > min(later):
            raise InvalidInput(
                "changes.occurred_on", f"{on} is after the next state change on {min(later)}"
            )

    def check_corrected_slot(self, corrected: MeasurementRecorded) -> None:
        """A corrected measurement may not move onto a form slot already recorded."""
        slot = (corrected.point, corrected.form)
        taken = set(self.measurements.values())
        if self.measurements.get(corrected.originator_version) != slot and slot in taken:
            raise CourseError(
                f"changes: the {corrected.form} form for point {corrected.point} is already "
                "recorded"
            )
        if corrected.follow_up and corrected.point <= max(self.last_course_point, 1):
            raise CourseError(
                f"changes: a follow-up point comes after the course's last point "
                f"({max(self.last_course_point, 1)})"
            )


def check_born_by(field: str, day: object, cpr: object) -> None:
    """Refuse a date before the citizen's birth, as the CPR's date part gives it."""
    if not isinstance(day, date) or not isinstance(cpr, str) or not cpr:
        return
    try:
        born = cpr_birth_date(normalise_cpr(cpr))
    except ValueError:
        return  # the CPR itself is refused where it is validated
    if day < born:
        raise InvalidInput(field, f"{day} is before the citizen was born ({born})")


def check_personal_present(event_class: type[CourseEvent], fields: dict[str, Any]) -> None:
    """A new event has every required personal field (None is kept for erased ones)."""
    for name in sorted(event_class.required_personal):
        if fields.get(name) is None:
            raise InvalidInput(name, "is required")


def local_date(moment: datetime) -> date:
    """The Danish calendar date of a moment."""
    return moment.astimezone(LOCAL_TIME).date()


def apply_changes(event: CourseEvent, changes: dict[str, Any]) -> CourseEvent:
    """The event as it reads with a correction's dotted-path changes applied."""
    state = event.model_dump()
    for path, value in changes.items():
        if path.split(".")[0] in PROTECTED_FIELDS:
            raise InvalidInput(f"changes.{path}", "identity and provenance cannot be corrected")
        _set_path(state, path, value)
    try:
        return type(event).model_validate(state)
    except ValidationError as e:
        field, reason = first_error(e)
        raise InvalidInput(f"changes.{field}", reason) from None


def _set_path(state: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = state
    for name in parents:
        child = node.get(name)
        if child is None:
            child = {}
            node[name] = child
        if not isinstance(child, dict):
            raise InvalidInput(f"changes.{path}", f"{name} has no fields")
        node = child
    if leaf not in node and not parents:
        raise InvalidInput(f"changes.{path}", "no such field on the corrected event")
    node[leaf] = value
