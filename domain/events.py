"""The facts of a citizen course, as past-tense events.

Each event is a frozen pydantic model, so its payload is validated when it is
created and again when it is read back. Every event carries on whose behalf it
was recorded (`actor`), who entered it (`recorded_by`: the same user, or an
admin recording for them), the date it happened (`occurred_on`, given by the
caseworker, may be in the past) and when the system recorded it (`timestamp`).

Events change the course only in `apply`. State-changing events name the state
they lead to in `new_state`; the workflow's transitions table takes its
destinations from there. `class_version` and `upcast_vN_vN+1` keep old stored
payloads readable when an event's schema changes.
"""

# No `from __future__ import annotations` here: pydantic then takes each field's type as
# an object instead of evaluating its text, a sizeable share of building the models.

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import CanInitAggregate, CanMutateAggregate
from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.programme import EntryRoute
from domain.values import (
    BenefitType,
    ContactKind,
    ContactRating,
    CourseState,
    ExitOntoCode,
    ExitReasonCode,
    FollowUpOutcome,
    FreeText,
    HoursPerWeek,
    JobKind,
    JobKindCode,
    Label,
    MatchGroup,
    MeasurementAnswers,
    MeasurementForm,
    MeasurementPoint,
    MeetingOutcome,
    Name,
    PraktikOutcome,
    Programme,
    SessionKind,
)

if TYPE_CHECKING:
    from domain.course import Course


class CourseEvent(BaseModel, CanMutateAggregate[UUID]):
    """Base of every course event."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    class_version: ClassVar[int] = 1
    new_state: ClassVar[CourseState | None] = None
    """The state this event moves the course to; None for events inside a state."""
    retractable: ClassVar[bool] = False
    """Whether a correction may mark this event as entered in error. A retracted state
    change returns the course to the state before it (the workflow refuses it while
    later events depend on it)."""
    not_retractable_because: ClassVar[str] = ""
    """For an event that cannot be retracted: what to do instead."""
    personal: ClassVar[frozenset[str]] = frozenset()
    """Fields holding the citizen's personal data. They are stored sealed under the
    citizen's own key and read back as None (or their default) once it is erased."""
    required_personal: ClassVar[frozenset[str]] = frozenset()
    """Personal fields a new event must have (None only means "erased")."""

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    actor: Name
    """On whose behalf the event was recorded."""
    recorded_by: Name
    """Who entered it: the actor, or an admin recording for them. Payloads from before
    the field read as recorded by their actor."""
    occurred_on: date
    command_id: str | None = Field(default=None, max_length=200, pattern=r"^[\x20-\x7e]+$")

    @model_validator(mode="before")
    @classmethod
    def _recorded_by_the_actor(cls, data: Any) -> Any:
        """An event that does not say who entered it was entered by its actor."""
        if isinstance(data, dict) and data.get("recorded_by") is None and "actor" in data:
            return {**data, "recorded_by": data["actor"]}
        return data

    def apply(self, aggregate: Any) -> None:
        """Record the fact on the course, then move it to `new_state` if any."""
        course: Course = aggregate
        self.apply_to(course)
        if self.new_state is not None:
            course.state = self.new_state
            course.state_changes[self.originator_version] = self.occurred_on
            course.entered[self.originator_version] = self.new_state
        course.history[self.originator_version] = type(self).__name__
        if self.command_id is not None:
            course.command_ids.setdefault(self.command_id, type(self).__name__)

    def apply_to(self, course: "Course") -> None:
        """Record this event's own facts on the course (override in subclasses)."""

    @classmethod
    def split_personal(cls, state: dict[str, Any]) -> dict[str, Any]:
        """Take the personal part out of a dumped payload, returning it (to be sealed)."""
        return {name: state.pop(name) for name in cls.personal if name in state}

    @classmethod
    def join_personal(cls, state: dict[str, Any], sealed: dict[str, Any]) -> None:
        """Put an unsealed personal part back into a payload (undoes split_personal)."""
        state.update(sealed)


LEGACY_CITIZEN_NAMESPACE = uuid5(NAMESPACE_URL, "https://forloeb.dk/citizen")
"""Before keyed citizen ids, a citizen's id was uuid5 of this namespace and the CPR."""


class Referred(CourseEvent, CanInitAggregate[UUID]):
    """A citizen was referred to a programme; the course starts in visitation.

    `subject` is the citizen's pseudonymous id: random, linked to the CPR only
    through the key store, so erasing the citizen's key unlinks it for good.

    Version 2 added the benefit type; version-1 payloads are read as cash
    benefit, activity-ready (the only group the first programme took).
    Version 3 added the subject; older payloads get the id the citizen index had.
    Version 4 added the entry route; every older referral came by a caseworker.
    """

    class_version = 4
    not_retractable_because = "it opens the course; exit the course instead"
    personal = frozenset({"cpr", "note"})
    required_personal = frozenset({"cpr"})
    originator_topic: str
    subject: UUID
    cpr: str | None = Field(default=None, pattern=r"^[0-9]{10}$")
    programme: Programme
    referring_caseworker: Name
    benefit_type: BenefitType
    note: FreeText = ""
    entry_route: EntryRoute = EntryRoute.CASEWORKER_REFERRAL

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 had no benefit type."""
        state["benefit_type"] = BenefitType.KONTANTHJAELP_AKTIVITETSPARAT.value

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Version 2 had no subject: the citizen index was keyed by the CPR itself."""
        state["subject"] = str(uuid5(LEGACY_CITIZEN_NAMESPACE, state["cpr"]))

    @staticmethod
    def upcast_v3_v4(state: dict[str, Any]) -> None:
        """Version 3 had no entry route: every referral came by a caseworker."""
        state["entry_route"] = EntryRoute.CASEWORKER_REFERRAL.value

    def apply(self, aggregate: Any) -> None:
        course: Course = aggregate
        course.cpr = self.cpr
        course.subject = self.subject
        course.programme = self.programme
        course.referring_caseworker = self.referring_caseworker
        course.referral_actor = self.actor
        course.state = CourseState.VISITATION
        course.state_changes[self.originator_version] = self.occurred_on
        course.entered[self.originator_version] = CourseState.VISITATION
        super().apply(aggregate)


class Accepted(CourseEvent):
    """Visitation accepted the citizen and assigned a resource consultant."""

    new_state = CourseState.BASELINE
    retractable = True
    consultant: Name

    def apply_to(self, course: "Course") -> None:
        course.consultant = self.consultant
        course.consultant_version = self.originator_version


class RejectedAtVisitation(CourseEvent):
    """Visitation found the citizen outside the programme; the course ends."""

    new_state = CourseState.EXITED_UNPLANNED
    retractable = True
    personal = frozenset({"detail"})
    reason: ExitReasonCode
    detail: FreeText = ""


class MeasurementRecorded(CourseEvent):
    """One form (citizen or staff) at one measurement point.

    A follow-up measurement is taken after the course's exit; its point comes
    after the course's last in-course point, and the course stays exited.

    Version 2 names the instrument versions the answers used
    (`answers.instruments`). Version-1 payloads used version 1 of every
    instrument answered; the staff assessment is read as version 2 where its
    answers mean the same there (no daily functioning on the old 1-5 scale, no
    "don't know" to the network question), else it stays version 1.
    """

    class_version = 2
    retractable = True
    personal = frozenset({"answers"})
    point: MeasurementPoint
    answers: MeasurementAnswers
    follow_up: bool = False

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 did not say which instrument versions were asked."""
        answers = state.get("answers")
        if not isinstance(answers, dict):
            return
        versions: dict[str, int] = {}
        if answers.get("mental_health") is not None or answers.get("physical_health") is not None:
            versions["self_rated_health"] = 1
        if answers.get("who5"):
            versions["who5"] = 1
        if answers.get("bip"):
            versions[f"bip_{answers.get('form')}"] = 1
        staff = answers.get("staff")
        substances = (staff or {}).get("substance_use") or {}
        if isinstance(staff, dict) and (
            any(v is not None for k, v in staff.items() if k != "substance_use")
            or any(v is not None for v in substances.values())
        ):
            same_meaning = (
                staff.get("daily_functioning") is None
                and staff.get("network_meeting_last_3_months") != "dont_know"
            )
            versions["staff_assessment"] = 2 if same_meaning else 1
        answers["instruments"] = versions

    @property
    def form(self) -> MeasurementForm:
        """Which form was filled in."""
        return self.answers.form

    @classmethod
    def split_personal(cls, state: dict[str, Any]) -> dict[str, Any]:
        """The answers are sealed; which form was filled in stays a plain fact."""
        sealed = super().split_personal(state)
        if "answers" in sealed:
            state["answers"] = {"form": sealed["answers"]["form"]}
        return sealed

    def apply_to(self, course: "Course") -> None:
        course.measurements[self.originator_version] = (self.point, self.form)
        if self.follow_up:
            course.follow_ups.add(self.originator_version)
        if self.point == 1:
            course.point_one_latest = max(course.point_one_latest, self.occurred_on)


class BaselineCompleted(CourseEvent):
    """Both point-1 forms are in: the start measurement is taken."""

    new_state = CourseState.ACTIVE
    not_retractable_because = "it follows from the two start forms; retract one of them instead"


class SessionHeld(CourseEvent):
    """An individual or group session took place."""

    retractable = True
    personal = frozenset({"note"})
    kind: SessionKind
    note: FreeText = ""


class NetworkMeetingHeld(CourseEvent):
    """A network meeting was held, or the citizen did not show."""

    retractable = True
    personal = frozenset({"participants", "note"})
    outcome: MeetingOutcome
    participants: list[Name] = Field(default_factory=list, max_length=20)
    note: FreeText = ""


class GroupCourseJoined(CourseEvent):
    """The citizen joined a group course (about 10 people, 8 weekly sessions)."""

    retractable = True
    group_course: Name

    def apply_to(self, course: "Course") -> None:
        course.group_courses[self.group_course] = False


class GroupCourseCompleted(CourseEvent):
    """The citizen completed a group course they had joined."""

    retractable = True
    group_course: Name

    def apply_to(self, course: "Course") -> None:
        course.group_courses[self.group_course] = True


class TreatmentPlanStarted(CourseEvent):
    """A psychiatric treatment plan started during the course (it does not end it)."""

    retractable = True
    personal = frozenset({"note"})
    note: FreeText = ""


class PraktikStarted(CourseEvent):
    """A workplace internship (virksomhedspraktik) started."""

    new_state = CourseState.PRAKTIK
    retractable = True
    personal = frozenset({"employer"})
    required_personal = frozenset({"employer"})
    employer: Name | None = None
    hours_per_week: HoursPerWeek
    planned_end: date


class PraktikEnded(CourseEvent):
    """The internship ended, completed or aborted; the course is active again."""

    new_state = CourseState.ACTIVE
    retractable = True
    personal = frozenset({"note"})
    outcome: PraktikOutcome
    note: FreeText = ""


class JobStarted(CourseEvent):
    """The citizen started paid work (from active, or straight from praktik).

    Version 2 added the job's kind (ordinary, flexjob, wage subsidy). Every version-1
    job was recorded as ordinary work, so it reads as ordinary; `ordinary_hours`
    keeps saying whether its hours were ordinary, as before.
    """

    class_version = 2
    new_state = CourseState.JOB
    retractable = True
    personal = frozenset({"employer"})
    required_personal = frozenset({"employer"})
    employer: Name | None = None
    hours_per_week: HoursPerWeek
    ordinary_hours: bool = True
    kind: JobKindCode = JobKind.ORDINARY

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 knew only ordinary work."""
        state["kind"] = JobKind.ORDINARY.value


class JobEnded(CourseEvent):
    """The job ended and support continues; the course is active again."""

    new_state = CourseState.ACTIVE
    retractable = True
    personal = frozenset({"note"})
    note: FreeText = ""


class EducationStarted(CourseEvent):
    """The citizen started an education."""

    new_state = CourseState.EDUCATION
    retractable = True
    personal = frozenset({"institution", "programme_of_study"})
    required_personal = frozenset({"institution"})
    institution: Name | None = None
    programme_of_study: Name | None = None


class EducationEnded(CourseEvent):
    """The education ended and support continues; the course is active again."""

    new_state = CourseState.ACTIVE
    retractable = True
    personal = frozenset({"note"})
    note: FreeText = ""


class ConsultantReassigned(CourseEvent):
    """Another resource consultant took over the course."""

    personal = frozenset({"reason"})
    consultant: Name
    reason: FreeText = ""

    def apply_to(self, course: "Course") -> None:
        course.consultant = self.consultant
        course.consultant_version = self.originator_version


class ExitedPlanned(CourseEvent):
    """The course ended as planned: the citizen is in work or education, or onto
    disability pension (førtidspension) or a destination the programme adds, from any
    working state."""

    new_state = CourseState.EXITED_PLANNED
    retractable = True
    personal = frozenset({"note"})
    after: Literal["job", "education"] | ExitOntoCode
    note: FreeText = ""


class ProgrammeCompleted(CourseEvent):
    """The citizen completed the programme: a milestone of its own, apart from the exit
    (a citizen may complete it and stay, or leave without completing it)."""

    retractable = True
    personal = frozenset({"note"})
    note: FreeText = ""

    def apply_to(self, course: "Course") -> None:
        course.completed_version = self.originator_version


class ExitedUnplanned(CourseEvent):
    """The course ended early."""

    new_state = CourseState.EXITED_UNPLANNED
    retractable = True
    personal = frozenset({"detail"})
    reason: ExitReasonCode
    detail: FreeText = ""


class FollowUpRecorded(CourseEvent):
    """An observation after exit, e.g. a register follow-up years later."""

    retractable = True
    personal = frozenset({"note"})
    outcome: FollowUpOutcome
    note: FreeText = ""


class TeamMemberAdded(CourseEvent):
    """A professional joined the course's team in one of the programme's roles (a job
    consultant, a drop-in centre's support-and-contact person, an outreach addiction
    worker); they may record what that role covers on this course."""

    not_retractable_because = "record the member leaving the team instead"
    member: Name
    role: Label

    def apply_to(self, course: "Course") -> None:
        course.team[self.member] = self.role


class TeamMemberLeft(CourseEvent):
    """A professional left the course's team."""

    not_retractable_because = "add the member to the team again instead"
    member: Name

    def apply_to(self, course: "Course") -> None:
        course.team.pop(self.member, None)


class ContactRegistered(CourseEvent):
    """One contact with the citizen, as the drop-in-centre model registers each: who (the
    actor), what kind, where, and the citizen's rating of it (1–5) when given."""

    retractable = True
    personal = frozenset({"note"})
    contact_kind: ContactKind
    place: Name
    rating: ContactRating | None = None
    note: FreeText = ""


class SegmentRecorded(CourseEvent):
    """The citizen's segmentation as of a date: match group (a later one is a rematch),
    profiles (several at once) and the case-handling focus; each recorded fact holds
    until the next."""

    retractable = True
    match_group: MatchGroup | None = None
    profiles: list[Label] = Field(default_factory=list, max_length=20)
    focus: Label | None = None


class Corrected(CourseEvent):
    """An earlier event was corrected or marked as entered in error.

    The original stays in the log; readers apply `changes` (dotted field paths
    to new values) over it, or drop it when `retracted`.
    """

    personal = frozenset({"reason"})
    required_personal = frozenset({"reason"})
    target_version: int = Field(ge=1)
    target_event: str
    reason: FreeText | None = Field(default=None, min_length=1)
    changes: dict[str, Any] = Field(default_factory=dict)
    retracted: bool = False

    @classmethod
    def split_personal(cls, state: dict[str, Any]) -> dict[str, Any]:
        """The reason is sealed, and so is every change to a personal field of the target."""
        sealed = super().split_personal(state)
        target = EVENTS_BY_NAME.get(str(state.get("target_event")))
        personal = target.personal if target is not None else frozenset()
        changes: dict[str, Any] = state.get("changes") or {}
        sealed_changes = {
            path: changes.pop(path)
            for path in list(changes)
            if path.split(".")[0] in personal and path != "answers.form"
        }
        if sealed_changes:
            sealed["changes"] = sealed_changes
        return sealed

    @classmethod
    def join_personal(cls, state: dict[str, Any], sealed: dict[str, Any]) -> None:
        sealed = dict(sealed)
        state.setdefault("changes", {}).update(sealed.pop("changes", {}))
        state.update(sealed)

    def apply_to(self, course: "Course") -> None:
        course.corrected_versions.add(self.target_version)
        if self.retracted:
            self.withdraw(course)
            return
        if "occurred_on" in self.changes and self.target_version in course.state_changes:
            corrected_on = date.fromisoformat(str(self.changes["occurred_on"]))
            course.state_changes[self.target_version] = corrected_on
        if self.target_version == 1 and "referring_caseworker" in self.changes:
            course.referring_caseworker = str(self.changes["referring_caseworker"])
        if self.target_version == course.consultant_version and "consultant" in self.changes:
            course.consultant = str(self.changes["consultant"])
        key = course.measurements.get(self.target_version)
        if key is not None:
            point = int(self.changes.get("point", key[0]))
            form = MeasurementForm(self.changes.get("answers.form", key[1]))
            course.measurements[self.target_version] = (point, form)

    def withdraw(self, course: "Course") -> None:
        """Take the retracted event's facts off the course; a state change is undone."""
        target = self.target_version
        course.retracted_versions.add(target)
        course.measurements.pop(target, None)
        course.follow_ups.discard(target)
        if target == course.completed_version:
            course.completed_version = 0
        if target in course.state_changes and target != 1:
            del course.state_changes[target]
            del course.entered[target]
            course.state = course.entered[max(course.state_changes)]
        if target == course.consultant_version:  # an acceptance: no consultant yet
            course.consultant, course.consultant_version = None, 0


STATE_CHANGING_EVENTS: tuple[type[CourseEvent], ...] = tuple(
    cls for cls in CourseEvent.__subclasses__() if cls.new_state is not None
)


def _all_event_classes() -> dict[str, type[CourseEvent]]:
    found: dict[str, type[CourseEvent]] = {}
    pending: list[type[CourseEvent]] = [CourseEvent]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


EVENTS_BY_NAME: dict[str, type[CourseEvent]] = _all_event_classes()
"""Every course event class by its name (a correction names its target this way)."""
