"""A programme's definition: what one programme (indsats) runs, as validated data.

A municipality runs several programmes side by side. Each states its entry
routes, its instruments, which roles (partners outside the jobcenter too) may
record which moves, which moves of the backbone workflow it leaves out or
makes automatic, its rhythm and caseload, its cohorts and the outcome tables
that apply. The files are read by `programmes.catalogue`; this module only
says what a valid definition is.
"""

# No `from __future__ import annotations` here: pydantic then takes each field's type as
# an object instead of evaluating its text, a sizeable share of building the models.

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from domain.values import ExitOnto, Frozen, JobKind, Label, Programme, UnplannedExitReason

Slug = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
"""A short machine name: lower-case ASCII letters, digits, dots, dashes and underscores."""

Title = Annotated[str, Field(min_length=1, max_length=200)]

BACKBONE_JOB_KINDS: tuple[str, ...] = tuple(kind.value for kind in JobKind)
"""The backbone's job kinds, in order (read once: every command's check asks for them)."""
BACKBONE_EXIT_REASONS: tuple[str, ...] = tuple(reason.value for reason in UnplannedExitReason)
"""The backbone's unplanned-exit reasons, in order."""
BACKBONE_EXIT_DESTINATIONS: tuple[str, ...] = tuple(onto.value for onto in ExitOnto)
"""The backbone's planned-exit destinations (disability pension)."""


class EntryRoute(StrEnum):
    """How a citizen comes into a programme."""

    CASEWORKER_REFERRAL = "caseworker_referral"
    SELF_REFERRAL = "self_referral"
    OUTREACH = "outreach"


class Instrument(Frozen):
    """A questionnaire or scale the programme measures with, at a stated version."""

    name: Slug
    version: Annotated[str, Field(min_length=1, max_length=20)]
    title: Title | None = None


class RoleGrant(Frozen):
    """One role on the programme's courses and the moves it may record."""

    title: Title
    partner: bool = False
    """Works outside the jobcenter (a drop-in centre, an addiction service)."""
    may: tuple[Slug, ...] = Field(min_length=1)
    """Moves (workflow triggers, or `refer`) this role may record."""


class Moves(Frozen):
    """How the programme's workflow differs from the backbone."""

    leave_out: tuple[Slug, ...] = ()
    """Moves of the backbone this programme does not use."""
    baseline_forms: bool = True
    """False: no start measurement; the baseline completes the day the citizen is accepted."""


class Code(Frozen):
    """A code a programme adds to a backbone list, with what it means."""

    code: Label
    title: Title


class Outcomes(Frozen):
    """Outcomes, exit reasons and planned-exit destinations the programme counts beyond
    the backbone's."""

    job_kinds: tuple[Code, ...] = ()
    """Kinds of job beyond ordinary work, flexjob and wage subsidy (e.g. apprenticeship)."""
    exit_reasons: tuple[Code, ...] = ()
    """Reasons for an unplanned exit beyond the backbone's."""
    exit_destinations: tuple[Code, ...] = ()
    """Where a planned exit may go beyond the course's job or education and disability
    pension (e.g. revalidation), from any working state past the baseline."""

    def job_kind_codes(self) -> tuple[str, ...]:
        """The backbone's job kinds, then the programme's."""
        return (*BACKBONE_JOB_KINDS, *(c.code for c in self.job_kinds))

    def exit_reason_codes(self) -> tuple[str, ...]:
        """The backbone's unplanned-exit reasons, then the programme's."""
        return (*BACKBONE_EXIT_REASONS, *(c.code for c in self.exit_reasons))

    def exit_destination_codes(self) -> tuple[str, ...]:
        """The backbone's planned-exit destinations (disability pension), then the
        programme's."""
        return (*BACKBONE_EXIT_DESTINATIONS, *(c.code for c in self.exit_destinations))


class Cadence(Frozen):
    """The programme's rhythm and caseload target."""

    measurement_interval_days: int = Field(default=91, ge=7, le=730)
    network_meeting_interval_days: int = Field(default=91, ge=7, le=730)
    target_caseload: int = Field(default=25, ge=1, le=500)


class Cohort(Frozen):
    """A group of citizens taken in over a period (hold)."""

    name: Slug
    start: date
    end: date
    participants: int | None = Field(default=None, ge=0)
    """The number the report gives, where it gives one."""

    @model_validator(mode="after")
    def _ordered(self) -> "Cohort":
        if self.end < self.start:
            raise ValueError(f"cohort {self.name}: end {self.end} is before start {self.start}")
        return self


class ProgrammeDefinition(Frozen):
    """Everything one programme states about itself."""

    name: Programme
    title: Title
    source: Title
    """The report or description the definition is drawn from."""
    entry_routes: tuple[EntryRoute, ...] = Field(min_length=1)
    instruments: tuple[Instrument, ...] = ()
    roles: dict[Slug, RoleGrant] = Field(min_length=1)
    moves: Moves = Field(default_factory=Moves)
    outcomes: Outcomes = Field(default_factory=Outcomes)
    cadence: Cadence = Field(default_factory=Cadence)
    cohorts: tuple[Cohort, ...] = ()
    outcome_tables: tuple[Slug, ...] = ()

    @model_validator(mode="after")
    def _distinct(self) -> "ProgrammeDefinition":
        for what, names in (
            ("entry_routes", [str(route) for route in self.entry_routes]),
            ("instruments", [instrument.name for instrument in self.instruments]),
            ("cohorts", [cohort.name for cohort in self.cohorts]),
            ("moves.leave_out", list(self.moves.leave_out)),
            ("outcomes.job_kinds", [c.code for c in self.outcomes.job_kinds]),
            ("outcomes.exit_reasons", [c.code for c in self.outcomes.exit_reasons]),
            ("outcomes.exit_destinations", [c.code for c in self.outcomes.exit_destinations]),
        ):
            twice = sorted({name for name in names if names.count(name) > 1})
            if twice:
                raise ValueError(f"{what}: {', '.join(twice)} named twice")
        return self

    def cohort_of(self, referred_on: date) -> str | None:
        """The cohort whose period holds a referral date, if any."""
        for cohort in self.cohorts:
            if cohort.start <= referred_on <= cohort.end:
                return cohort.name
        return None
