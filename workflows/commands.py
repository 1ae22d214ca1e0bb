"""Commands: what a caseworker asks for, validated before anything is decided.

One vocabulary serves the CLI and `forloeb import`: a command's `name` is the
CLI command ("praktik start"), its fields are the CLI options and the keys of
an import line. Each command turns itself into the fields of the event it asks
the workflow to record.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from domain.course import LOCAL_TIME
from domain.programme import EntryRoute
from domain.values import (
    Ability,
    BenefitType,
    BipAnswer,
    ContactKind,
    ContactRating,
    Cpr,
    ExitOntoCode,
    ExitReasonCode,
    FollowUpOutcome,
    FreeText,
    HealthLevel,
    HoursPerWeek,
    JobKind,
    JobKindCode,
    Label,
    LimitDegree,
    MatchGroup,
    MeasurementForm,
    MeasurementPoint,
    MeetingOutcome,
    Name,
    Nationality,
    PraktikOutcome,
    Programme,
    SessionFrequency,
    SessionKind,
    Sex,
    SubstanceUse,
    UnplannedExitReason,
    YesNoUnknown,
)

COMMAND_NAMESPACE = uuid5(NAMESPACE_URL, "https://forloeb.dk/command")
"""Namespace of the course ids a referral's command id gives (the same id, the same course)."""


def today() -> date:
    """Today's Danish calendar date."""
    return datetime.now(LOCAL_TIME).date()


class Command(BaseModel):
    """Base of all commands."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: ClassVar[str]
    """The CLI command and import line `command` value."""
    summary: ClassVar[str] = ""

    occurred_on: date = Field(
        default_factory=today, description="date it happened (YYYY-MM-DD), default today"
    )
    actor: Name | None = Field(
        default=None, description="who recorded it (default: --as / FORLOEB_USER)"
    )
    command_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=r"^[\x20-\x7e]+$",
        description="idempotency key: a command with an id already applied is skipped",
    )

    def event_fields(self) -> dict[str, Any]:
        """The payload of the event this command records."""
        return self.model_dump(exclude=_COMMON_FIELDS | {"course"})


_COMMON_FIELDS = {"occurred_on", "actor", "command_id"}


class Refer(Command):
    """Refer a citizen to a programme: opens a course in visitation."""

    name = "refer"
    cpr: Cpr = Field(description="the citizen's CPR number, DDMMYY-SSSS")
    programme: Programme = Field(
        description="the programme (indsats) referred to, a short name like paa-vej-til-arbejde"
    )
    referring_caseworker: Name = Field(description="the jobcenter caseworker who referred")
    benefit_type: BenefitType = Field(
        default=BenefitType.KONTANTHJAELP_AKTIVITETSPARAT, description="benefit and match group"
    )
    note: FreeText = Field(default="", description="free-text note")
    entry_route: EntryRoute = Field(
        default=EntryRoute.CASEWORKER_REFERRAL,
        description="how the citizen came: caseworker_referral, self_referral or outreach",
    )
    course_id: UUID | None = Field(default=None, description="id for the new course (import)")

    def event_fields(self) -> dict[str, Any]:
        return self.model_dump(exclude=_COMMON_FIELDS | {"course_id"})


class CourseCommand(Command):
    """A command on an existing course."""

    trigger: ClassVar[str]
    course: str = Field(
        min_length=1, max_length=80, description="course id, unique id prefix, or CPR"
    )

    def trigger_name(self) -> str:
        """The workflow trigger this command asks for."""
        return self.trigger


class Accept(CourseCommand):
    """Accept the citizen at visitation and assign a resource consultant."""

    name = "accept"
    trigger = "accept"
    consultant: Name = Field(description="the resource consultant")


class Reject(CourseCommand):
    """Reject the citizen at visitation; the course ends."""

    name = "reject"
    trigger = "reject"
    reason: ExitReasonCode = Field(
        default=UnplannedExitReason.NOT_TARGET_GROUP,
        description="why: one of the backbone's reasons or one the programme adds",
    )
    detail: FreeText = Field(default="", description="free-text detail")


class Measure(CourseCommand):
    """Record one form (citizen or staff) at a measurement point."""

    name = "measure"
    trigger = "measure"
    point: MeasurementPoint = Field(description="measurement point, 1 = baseline")
    form: MeasurementForm = Field(description="which form")
    mental_health: HealthLevel | None = Field(default=None, description="self-rated mental")
    physical_health: HealthLevel | None = Field(default=None, description="self-rated physical")
    who5: list[int] | None = Field(
        default=None,
        min_length=5,
        max_length=5,
        description="WHO-5 items 0-5: cheerful,calm,active,rested,interested",
    )
    bip: dict[str, BipAnswer] = Field(
        default_factory=dict,
        description="BIP answers, indicator=1..5|dont_know (citizen: job_idea, energy, "
        "health_for_work, skills_useful, can_manage_job, knows_next_steps; staff: "
        "realistic_skills, goal_directed, concentration, everyday_and_job)"
    )
    diagnosis: YesNoUnknown | None = Field(default=None, description="psychiatric diagnosis")
    medication: YesNoUnknown | None = Field(default=None, description="prescribed medication")
    alcohol: SubstanceUse | None = Field(default=None, description="alcohol use")
    cannabis: SubstanceUse | None = Field(default=None, description="cannabis use")
    hard_drugs: SubstanceUse | None = Field(default=None, description="hard drug use")
    daily_functioning: BipAnswer | None = Field(
        default=None, description="1..5|dont_know (first staff form; now --everyday-functions)"
    )
    network_meeting: YesNoUnknown | None = Field(
        default=None, description="network meeting in the last 3 months"
    )
    mental_limit: LimitDegree | None = Field(
        default=None, description="mental problems limiting daily life"
    )
    physical_limit: LimitDegree | None = Field(
        default=None, description="physical problems limiting daily life"
    )
    everyday_functions: Ability | None = Field(
        default=None, description="able to handle everyday functions"
    )
    own_economy: Ability | None = Field(default=None, description="able to manage own economy")
    support_system: Ability | None = Field(
        default=None, description="able to use the treatment and support system"
    )
    session_frequency: SessionFrequency | None = Field(
        default=None, description="how often individual sessions are held"
    )
    sex: Sex | None = Field(default=None, description="background: sex")
    nationality: Nationality | None = Field(default=None, description="background: nationality")
    follow_up: bool = Field(
        default=False,
        description="a follow-up point after the course's exit (after its last point)",
    )

    def trigger_name(self) -> str:
        return "measure_follow_up" if self.follow_up else self.trigger

    def event_fields(self) -> dict[str, Any]:
        answers: dict[str, Any] = {
            "form": self.form,
            "mental_health": self.mental_health,
            "physical_health": self.physical_health,
            "bip": self.bip,
        }
        if self.who5 is not None:
            keys = ("cheerful", "calm", "active", "rested", "interested")
            answers["who5"] = dict(zip(keys, self.who5, strict=True))
        staff_fields = {
            "psychiatric_diagnosis": self.diagnosis,
            "prescribed_medication": self.medication,
            "substance_use": {
                "alcohol": self.alcohol,
                "cannabis": self.cannabis,
                "hard_drugs": self.hard_drugs,
            },
            "daily_functioning": self.daily_functioning,
            "network_meeting_last_3_months": self.network_meeting,
            "mental_problems_limit": self.mental_limit,
            "physical_problems_limit": self.physical_limit,
            "everyday_functions": self.everyday_functions,
            "own_economy": self.own_economy,
            "support_system": self.support_system,
            "session_frequency": self.session_frequency,
        }
        if self.form is MeasurementForm.STAFF:
            answers["staff"] = staff_fields
        elif any(v is not None for k, v in staff_fields.items() if k != "substance_use") or any(
            v is not None for v in (self.alcohol, self.cannabis, self.hard_drugs)
        ):
            answers["staff"] = staff_fields  # refused by the form check, with its reason
        if self.sex is not None or self.nationality is not None:
            answers["background"] = {"sex": self.sex, "nationality": self.nationality}
        return {"point": self.point, "answers": answers}


class Session(CourseCommand):
    """Record an individual or group session."""

    name = "session"
    trigger = "session"
    kind: SessionKind = Field(default=SessionKind.INDIVIDUAL, description="session kind")
    note: FreeText = Field(default="", description="free-text note")


class Meeting(CourseCommand):
    """Record a network meeting (held, or the citizen did not show)."""

    name = "meeting"
    trigger = "meeting"
    outcome: MeetingOutcome = Field(default=MeetingOutcome.HELD, description="what happened")
    participants: list[Name] = Field(
        default_factory=list, max_length=20, description="who took part"
    )
    note: FreeText = Field(default="", description="free-text note")


class GroupJoin(CourseCommand):
    """The citizen joins a group course."""

    name = "group join"
    trigger = "join_group"
    group_course: Name = Field(description="the group course")


class GroupComplete(CourseCommand):
    """The citizen completes a group course they joined."""

    name = "group complete"
    trigger = "complete_group"
    group_course: Name = Field(description="the group course")


class TreatmentPlan(CourseCommand):
    """A psychiatric treatment plan started (the course goes on)."""

    name = "treatment-plan"
    trigger = "treatment_plan"
    note: FreeText = Field(default="", description="free-text note")


class PraktikStart(CourseCommand):
    """Start a workplace internship (virksomhedspraktik)."""

    name = "praktik start"
    trigger = "start_praktik"
    employer: Name = Field(description="the workplace")
    hours_per_week: HoursPerWeek = Field(description="agreed hours per week")
    planned_end: date = Field(description="planned last day (YYYY-MM-DD)")


class PraktikEnd(CourseCommand):
    """End the internship, completed or aborted."""

    name = "praktik end"
    trigger = "end_praktik"
    outcome: PraktikOutcome = Field(default=PraktikOutcome.COMPLETED, description="how it ended")
    note: FreeText = Field(default="", description="free-text note")


class JobStart(CourseCommand):
    """The citizen started paid work: ordinary, a flexjob or a wage-subsidy job."""

    name = "job start"
    trigger = "start_job"
    employer: Name = Field(description="the employer")
    hours_per_week: HoursPerWeek = Field(description="hours per week")
    ordinary_hours: bool = Field(default=True, description="ordinary (unsubsidised) hours")
    kind: JobKindCode = Field(
        default=JobKind.ORDINARY,
        description="ordinary, flexjob (fleksjob), wage_subsidy (løntilskud), or a kind the "
        "programme adds (see programmes show)",
    )


class JobEnd(CourseCommand):
    """The job ended and support continues."""

    name = "job end"
    trigger = "end_job"
    note: FreeText = Field(default="", description="free-text note")


class EducationStart(CourseCommand):
    """The citizen started an education."""

    name = "education start"
    trigger = "start_education"
    institution: Name = Field(description="the school or institution")
    programme_of_study: Name | None = Field(default=None, description="the education")


class EducationEnd(CourseCommand):
    """The education ended and support continues."""

    name = "education end"
    trigger = "end_education"
    note: FreeText = Field(default="", description="free-text note")


class Reassign(CourseCommand):
    """Another resource consultant takes over the course."""

    name = "reassign"
    trigger = "reassign"
    consultant: Name = Field(description="the new resource consultant")
    reason: FreeText = Field(default="", description="why")


class Exit(CourseCommand):
    """End the course: planned (from job or education) or unplanned (with a reason)."""

    name = "exit"
    planned: bool = Field(description="planned exit (else unplanned)")
    onto: ExitOntoCode | None = Field(
        default=None,
        description="planned exit onto disability_pension or a destination the programme "
        "adds (see programmes show), from any working state",
    )
    reason: ExitReasonCode | None = Field(
        default=None,
        validate_default=True,
        description="why (unplanned): one of the backbone's reasons or one the programme adds",
    )
    detail: FreeText = Field(default="", description="free-text detail")

    @field_validator("reason")
    @classmethod
    def _reason_fits_kind(
        cls, reason: str | None, info: ValidationInfo
    ) -> str | None:
        planned = info.data.get("planned")
        if planned and reason is not None:
            raise ValueError("only unplanned exits have a reason")
        if planned is False and reason is None:
            raise ValueError("required for an unplanned exit")
        if planned is False and info.data.get("onto") is not None:
            raise ValueError("an unplanned exit goes onto nothing; leave out --onto")
        return reason

    def trigger_name(self) -> str:
        if self.planned:
            return "exit_planned" if self.onto is None else "exit_pension"
        return "exit_unplanned"

    def event_fields(self) -> dict[str, Any]:
        if self.planned:
            return {"note": self.detail} | ({} if self.onto is None else {"after": self.onto})
        return {"reason": self.reason, "detail": self.detail}


class Complete(CourseCommand):
    """The citizen completed the programme (a milestone; the course goes on until its exit)."""

    name = "complete"
    trigger = "complete_programme"
    note: FreeText = Field(default="", description="free-text note")


class Contact(CourseCommand):
    """Register one contact with the citizen: its kind, the place and the citizen's rating."""

    name = "contact"
    trigger = "contact"
    contact_kind: ContactKind = Field(description="how the contact was made")
    place: Name = Field(description="where, e.g. the drop-in centre's name")
    rating: ContactRating | None = Field(
        default=None, description="the citizen's rating of the contact, 1 (low) to 5 (high)"
    )
    note: FreeText = Field(default="", description="free-text note")


class Segment(CourseCommand):
    """Record the citizen's match group, profiles and case-handling focus as of a date."""

    name = "segment"
    trigger = "segment"
    match_group: MatchGroup | None = Field(
        default=None, description="match group M1, M2 or M3 (a new one is a rematch)"
    )
    profiles: list[Label] = Field(
        default_factory=list, max_length=20, description="profiles, several at once"
    )
    focus: Label | None = Field(default=None, description="the case-handling focus")


class TeamAdd(CourseCommand):
    """A professional joins the course's team in one of the programme's roles."""

    name = "team add"
    trigger = "add_member"
    member: Name = Field(description="the user joining the team")
    role: Label = Field(description="their role in the programme (see programmes show)")


class TeamRemove(CourseCommand):
    """A professional leaves the course's team."""

    name = "team remove"
    trigger = "remove_member"
    member: Name = Field(description="the user leaving the team")


class FollowUp(CourseCommand):
    """Record a follow-up observation after exit."""

    name = "follow-up"
    trigger = "follow_up"
    outcome: FollowUpOutcome = Field(description="what the follow-up found")
    note: FreeText = Field(default="", description="free-text note")


class Correct(CourseCommand):
    """Correct an earlier event (by sequence number) or retract it; the original stays."""

    name = "correct"
    trigger = "correct"
    version: int = Field(ge=1, description="sequence number of the event to correct")
    reason: FreeText = Field(min_length=1, description="why the correction is made")
    changes: dict[str, Any] = Field(
        default_factory=dict, description="field=value pairs (dotted paths) to change"
    )
    retract: bool = Field(default=False, description="the event was entered in error")


COURSE_COMMANDS: tuple[type[CourseCommand], ...] = (
    Accept,
    Reject,
    Measure,
    Session,
    Meeting,
    GroupJoin,
    GroupComplete,
    TreatmentPlan,
    PraktikStart,
    PraktikEnd,
    JobStart,
    JobEnd,
    EducationStart,
    EducationEnd,
    Reassign,
    Contact,
    Segment,
    TeamAdd,
    TeamRemove,
    Complete,
    Exit,
    FollowUp,
    Correct,
)

ALL_COMMANDS: tuple[type[Command], ...] = (Refer, *COURSE_COMMANDS)
COMMANDS_BY_NAME: dict[str, type[Command]] = {cls.name: cls for cls in ALL_COMMANDS}


AUTOMATIC = "(automatic)"
"""Shown for moves no command asks for: the service makes them itself."""


def _trigger_commands() -> dict[str, str]:
    commands = {cls.trigger: cls.name for cls in COURSE_COMMANDS if "trigger" in vars(cls)}
    commands["exit_planned"] = f"{Exit.name} --planned"
    commands["exit_unplanned"] = f"{Exit.name} --unplanned"
    commands["exit_pension"] = f"{Exit.name} --planned --onto disability_pension"
    commands["measure_follow_up"] = f"{Measure.name} --follow-up"
    return commands


TRIGGER_COMMANDS: dict[str, str] = _trigger_commands()
"""The CLI command (and import `command`) that asks for each workflow trigger."""


def command_for(trigger: str) -> str:
    """The command a caseworker types for a trigger, or AUTOMATIC."""
    return TRIGGER_COMMANDS.get(trigger, AUTOMATIC)
