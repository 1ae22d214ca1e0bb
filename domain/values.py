"""Value objects of a citizen course: identities, instruments and closed vocabularies.

Every value validates itself with pydantic, so a bad value is refused where it
enters the system, with the field named.
"""

# No `from __future__ import annotations` here: pydantic then takes each field's type as
# an object instead of evaluating its text, a sizeable share of building the models.

import re
import unicodedata
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

FROM_LOG = "from_log"
"""Validation context key: the data are read back from the log. They were checked against
the domain's rules when written, so those checks are not run again (types still are)."""

_CPR_PATTERN = re.compile(r"^([0-9]{6})-?([0-9]{4})$")


def cpr_birth_date(digits: str) -> date:
    """The birth date coded in a 10-digit CPR number (century from the 7th digit)."""
    day, month, yy, seventh = int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6])
    if seventh <= 3:
        century = 1900
    elif seventh in (4, 9):
        century = 2000 if yy <= 36 else 1900
    else:
        century = 2000 if yy <= 57 else 1800
    return date(century + yy, month, day)


def normalise_cpr(value: str) -> str:
    match = _CPR_PATTERN.match(value.strip())
    if match is None:
        raise ValueError("must be 10 digits, DDMMYY-SSSS (the dash is optional)")
    digits = match.group(1) + match.group(2)
    try:
        cpr_birth_date(digits)
    except ValueError:
        raise ValueError(f"date part {digits[:6]} is not a valid date") from None
    return digits


Cpr = Annotated[str, AfterValidator(normalise_cpr)]
"""A CPR number, normalised to 10 digits without the dash."""


def mask_cpr(cpr: str) -> str:
    """The CPR with its serial part hidden: DDMMYY-xxxx."""
    return f"{cpr[:6]}-xxxx"


def format_cpr(cpr: str) -> str:
    """The CPR in its usual written form: DDMMYY-SSSS."""
    return f"{cpr[:6]}-{cpr[6:]}"


_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})
"""Control, format (zero-width, bidi overrides), private-use, surrogate, unassigned."""


def _no_control_characters(value: str) -> str:
    if value.isprintable():  # no character in any of those categories (C speed)
        return value
    for ch in value:
        if ch not in "\n\t" and unicodedata.category(ch) in _INVISIBLE_CATEGORIES:
            raise ValueError(
                f"must not contain control characters or invisible formatting (U+{ord(ch):04X})"
            )
    return value


def single_script(value: str) -> str:
    """The value if all its letters are of one script (Latin, Cyrillic, Greek, …); a login
    mixing them is a look-alike (`cоnsultant-1` with a Cyrillic `о`), so ValueError."""
    if value.isascii():
        return value
    scripts = sorted({unicodedata.name(ch, "?").split(" ")[0] for ch in value if ch.isalpha()})
    if len(scripts) > 1:
        named = " and ".join(s.title() for s in scripts)
        raise ValueError(f"mixes {named} letters (a look-alike of another name?)")
    return value


def _normalised_name(value: str) -> str:
    value = unicodedata.normalize("NFKC", value)
    _no_control_characters(value)
    return value


Name = Annotated[
    str,
    AfterValidator(_normalised_name),
    Field(min_length=1, max_length=80, pattern=r"^[\w .@'-]+$"),
]
"""A user or employer name: letters, digits, space and . @ ' - _ (NFKC-normalised)."""

Programme = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9-]*$")]
"""A programme's short name (slug): lower-case ASCII letters, digits and dashes."""

FreeText = Annotated[str, Field(max_length=2000), AfterValidator(_no_control_characters)]
"""A caseworker's free-text note: no control or invisible characters but newline and tab."""

HoursPerWeek = Annotated[float, Field(gt=0, le=60)]
"""Agreed working hours per week (a full Danish week is 37)."""

MeasurementPoint = Annotated[int, Field(ge=1, le=40)]
"""1 is the start measurement (baseline); then one roughly every 3 months."""


class CourseState(StrEnum):
    """Where a course is in its lifecycle."""

    VISITATION = "visitation"
    BASELINE = "baseline"
    ACTIVE = "active"
    PRAKTIK = "praktik"
    JOB = "job"
    EDUCATION = "education"
    EXITED_PLANNED = "exited_planned"
    EXITED_UNPLANNED = "exited_unplanned"

    @property
    def is_open(self) -> bool:
        """Whether the course is still running."""
        return self not in (CourseState.EXITED_PLANNED, CourseState.EXITED_UNPLANNED)


OPEN_STATES: tuple[CourseState, ...] = tuple(s for s in CourseState if s.is_open)
EXITED_STATES: tuple[CourseState, ...] = tuple(s for s in CourseState if not s.is_open)


class HealthLevel(StrEnum):
    """Self-rated health, five steps (fremragende … dårligt)."""

    EXCELLENT = "excellent"
    VERY_GOOD = "very_good"
    GOOD = "good"
    LESS_GOOD = "less_good"
    POOR = "poor"


class MeasurementForm(StrEnum):
    """Which questionnaire: the citizen's (borgerskema) or the staff's (medarbejderskema)."""

    CITIZEN = "citizen"
    STAFF = "staff"


class BenefitType(StrEnum):
    """The citizen's benefit and match group at referral."""

    KONTANTHJAELP_AKTIVITETSPARAT = "kontanthjaelp_aktivitetsparat"
    UDDANNELSESHJAELP_AKTIVITETSPARAT = "uddannelseshjaelp_aktivitetsparat"
    SYGEDAGPENGE = "sygedagpenge"
    RESSOURCEFORLOEB = "ressourceforloeb"
    OTHER = "other"


class SessionKind(StrEnum):
    """An individual conversation or a group session."""

    INDIVIDUAL = "individual"
    GROUP = "group"


class MeetingOutcome(StrEnum):
    """Whether a planned network meeting was held."""

    HELD = "held"
    CITIZEN_NO_SHOW = "citizen_no_show"


class PraktikOutcome(StrEnum):
    """How a workplace internship ended."""

    COMPLETED = "completed"
    ABORTED = "aborted"


class UnplannedExitReason(StrEnum):
    """Why a course ended early (closed list from the programme's evaluation)."""

    COMPLEX_NEEDS = "complex_needs"
    SUBSTANCE_USE = "substance_use"
    NOT_MOTIVATED = "not_motivated"
    MOVED_MUNICIPALITY = "moved_municipality"
    PREGNANCY_LEAVE = "pregnancy_leave"
    NOT_TARGET_GROUP = "not_target_group"
    PENSION_FLEXJOB_CLARIFICATION = "pension_flexjob_clarification"
    OTHER = "other"


class JobKind(StrEnum):
    """What kind of job a citizen started: ordinary work, or a job on special terms."""

    ORDINARY = "ordinary"
    FLEXJOB = "flexjob"
    """Fleksjob: reduced working capacity, wage subsidised for life."""
    WAGE_SUBSIDY = "wage_subsidy"
    """Løntilskud: a time-limited job with a wage subsidy."""


class ExitOnto(StrEnum):
    """Where a planned exit goes other than the job or education the course is in (the
    backbone's; a programme's definition may add its own, see `ExitOntoCode`)."""

    DISABILITY_PENSION = "disability_pension"
    """Førtidspension: the programme ends with the citizen's pension granted."""


class ContactKind(StrEnum):
    """How a professional met the citizen (the drop-in-centre model registers every contact)."""

    CONVERSATION = "conversation"
    OUTREACH = "outreach"
    PHONE = "phone"
    ACCOMPANIED = "accompanied"
    """Went with the citizen to an authority, a treatment place or a meeting."""
    GROUP_ACTIVITY = "group_activity"


class MatchGroup(StrEnum):
    """The jobcentre's match group (matchgruppe): 1 job-ready, 2 effort-ready, 3 passive."""

    M1 = "M1"
    M2 = "M2"
    M3 = "M3"


ContactRating = Annotated[int, Field(ge=1, le=5)]
"""The citizen's rating of one contact: 1 (very low degree) to 5 (very high degree)."""

Label = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
"""A short code from a programme's own list: a profile, a focus, a team role."""


def _member_if_known(vocabulary: type[StrEnum]) -> AfterValidator:
    """A code as the vocabulary's member when it is one (else as the code itself)."""

    def known(value: str) -> str:
        return vocabulary(value) if value in vocabulary._value2member_map_ else value

    return AfterValidator(known)


JobKindCode = Annotated[Label, _member_if_known(JobKind)]
"""A job's kind: the backbone's (read as `JobKind`), or one a programme's definition adds
(e.g. apprenticeship); the definition's are checked where a command is decided."""

ExitReasonCode = Annotated[Label, _member_if_known(UnplannedExitReason)]
"""Why a course ended early: the backbone's reasons (read as `UnplannedExitReason`), or one a
programme's definition adds."""

ExitOntoCode = Annotated[Label, _member_if_known(ExitOnto)]
"""Where a planned exit goes other than the course's job or education: the backbone's (read
as `ExitOnto`), or a destination a programme's definition adds (e.g. revalidation)."""


class FollowUpOutcome(StrEnum):
    """A register or survey follow-up after exit."""

    EMPLOYED = "employed"
    EDUCATION = "education"
    NOT_EMPLOYED = "not_employed"
    NO_RESPONSE = "no_response"


class YesNoUnknown(StrEnum):
    """A staff-form answer that may be unknown."""

    YES = "yes"
    NO = "no"
    DONT_KNOW = "dont_know"


class SubstanceUse(StrEnum):
    """Extent of use of one substance, as the staff form asks it."""

    LARGE = "large"
    SOME = "some"
    LIMITED = "limited"
    NONE = "no"
    DONT_KNOW = "dont_know"


BipAnswer = Literal[1, 2, 3, 4, 5, "dont_know"]
"""A BIP indicator answer: five ordered levels (1 lowest) or don't know."""

CITIZEN_BIP_INDICATORS: tuple[str, ...] = (
    "job_idea",
    "energy",
    "health_for_work",
    "skills_useful",
    "can_manage_job",
    "knows_next_steps",
)
"""The six citizen-form BIP questions as VIVE asks them (instrument bip_citizen v2)."""

STAFF_BIP_INDICATORS: tuple[str, ...] = (
    "realistic_skills",
    "goal_directed",
    "concentration",
    "everyday_and_job",
)
"""The four staff-form BIP questions as VIVE asks them (instrument bip_staff v2)."""


class LimitDegree(StrEnum):
    """How far problems limit daily life, as the staff form asks it."""

    HIGH = "high"
    SOME = "some"
    LESSER = "lesser"
    NOT_AT_ALL = "not_at_all"
    DONT_KNOW = "dont_know"


class Ability(StrEnum):
    """Whether the citizen is able to do something, as the staff form asks it."""

    HIGH = "high"
    SOME = "some"
    LIMITED = "limited"
    GREAT_DIFFICULTY = "great_difficulty"
    DONT_KNOW = "dont_know"


class SessionFrequency(StrEnum):
    """How often the individual sessions are held."""

    DAILY = "daily"
    COUPLE_WEEKLY = "couple_weekly"
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"
    RARER = "rarer"


class Sex(StrEnum):
    """The citizen's sex, as the background asks it."""

    FEMALE = "female"
    MALE = "male"


class Nationality(StrEnum):
    """The citizen's nationality, as the background asks it."""

    DANISH = "danish"
    DANISH_GREENLANDIC = "danish_greenlandic"
    OTHER = "other"


class Frozen(BaseModel):
    """Base of immutable, strict-schema value objects."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


WHO5_ITEMS: tuple[str, ...] = ("cheerful", "calm", "active", "rested", "interested")

Who5Item = Annotated[int, Field(ge=0, le=5)]


class Who5(Frozen):
    """WHO-5 well-being index: five items 0–5 over the last two weeks."""

    cheerful: Who5Item
    calm: Who5Item
    active: Who5Item
    rested: Who5Item
    interested: Who5Item

    @property
    def raw(self) -> int:
        """Raw score, 0–25."""
        return self.cheerful + self.calm + self.active + self.rested + self.interested

    @property
    def index(self) -> int:
        """Well-being index, 0–100 (raw × 4)."""
        return self.raw * 4


class SubstanceUseAnswers(Frozen):
    """The staff form's substance-use questions."""

    alcohol: SubstanceUse | None = None
    cannabis: SubstanceUse | None = None
    hard_drugs: SubstanceUse | None = None


class StaffAssessment(Frozen):
    """Staff-form fields beyond the BIP indicators; None means unanswered."""

    psychiatric_diagnosis: YesNoUnknown | None = None
    prescribed_medication: YesNoUnknown | None = None
    substance_use: SubstanceUseAnswers = Field(default_factory=SubstanceUseAnswers)
    daily_functioning: BipAnswer | None = None
    network_meeting_last_3_months: YesNoUnknown | None = None
    mental_problems_limit: LimitDegree | None = None
    physical_problems_limit: LimitDegree | None = None
    everyday_functions: Ability | None = None
    own_economy: Ability | None = None
    support_system: Ability | None = None
    session_frequency: SessionFrequency | None = None


class Background(Frozen):
    """The citizen's background: sex and nationality (sealed with the other answers)."""

    sex: Sex | None = None
    nationality: Nationality | None = None


class MeasurementAnswers(Frozen):
    """The answers on one form at one measurement point. Unanswered items are None.

    `instruments` says which version of each instrument was asked (see
    `domain.instruments`); answers that do not say get, per instrument, the
    newest version holding every item answered.
    """

    form: MeasurementForm
    instruments: dict[str, int] = Field(default_factory=dict)
    mental_health: HealthLevel | None = None
    physical_health: HealthLevel | None = None
    who5: Who5 | None = None
    bip: dict[str, BipAnswer] = Field(default_factory=dict)
    staff: StaffAssessment | None = None
    background: Background | None = None

    @model_validator(mode="after")
    def _fields_belong_to_form(self, info: ValidationInfo) -> "MeasurementAnswers":
        from domain import instruments

        if self.instruments and info.context and info.context.get(FROM_LOG):
            return self  # checked when written, under the instrument versions it names
        if self.form is MeasurementForm.CITIZEN:
            for field, what in (("staff", "staff assessment"), ("background", "background")):
                if getattr(self, field) is not None:
                    raise ValueError(f"{what} belongs on the staff form")
        else:
            for field in ("mental_health", "physical_health", "who5"):
                if getattr(self, field) is not None:
                    raise ValueError(f"{field} belongs on the citizen form")
        bip_id = f"bip_{self.form.value}"
        allowed = sorted({k for i in instruments.INSTRUMENTS if i.id == bip_id for k in i.keys})
        unknown = sorted(set(self.bip) - set(allowed))
        if unknown:
            raise ValueError(
                f"unknown BIP indicator {', '.join(unknown)} for the {self.form} form "
                f"(known: {', '.join(instruments.latest(bip_id).keys)})"
            )
        payload = self.model_dump(mode="json", exclude={"instruments"})
        if self.instruments:
            instruments.check(self.form.value, self.instruments, payload)
        else:  # the versions inferred hold the answers (or the newest refused them)
            inferred = instruments.infer_versions(self.form.value, payload)
            object.__setattr__(self, "instruments", inferred)
        return self
