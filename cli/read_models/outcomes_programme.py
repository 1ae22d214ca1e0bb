"""`forloeb programmes outcomes NAME`: what a programme's courses reached, per cohort, and
its contacts and segmentation."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from cli.read_models.common import ReadModel
from domain.values import ContactKind, MatchGroup


class AddedMilestone(ReadModel):
    """How many courses of a group reached a milestone the programme's definition adds."""

    milestone: Literal["job", "planned_exit"] = Field(
        description="a job of the programme's own kind, or a planned exit onto its own destination"
    )
    code: str = Field(description="the kind or destination's code in the definition")
    label: str = Field(description="the row's label: its title in the definition, after "
                       "'job, ' or 'planned exit '")
    courses: int = Field(ge=0)


class Milestones(ReadModel):
    """How many courses of a group reached each milestone (each course counted once)."""

    referred: int = Field(ge=0, description="the courses of the group")
    completed_programme: int = Field(ge=0, description="completed the programme")
    job_ordinary_hours: int = Field(ge=0, description="an ordinary job at ordinary hours")
    job_ordinary_reduced_hours: int = Field(ge=0, description="an ordinary job, reduced hours")
    flexjob: int = Field(ge=0, description="a flexjob (fleksjob)")
    wage_subsidy_job: int = Field(ge=0, description="a wage-subsidy job (løntilskud)")
    education_started: int = Field(ge=0)
    planned_exit_after_job: int = Field(ge=0)
    planned_exit_after_education: int = Field(ge=0)
    planned_exit_onto_disability_pension: int = Field(ge=0)
    added: list[AddedMilestone] = Field(
        default_factory=list,
        description="the job kinds and planned-exit destinations the programme's definition "
        "adds, in its order",
    )


class CohortMilestones(Milestones):
    """One cohort's milestones: the courses referred within its dates."""

    cohort: str = Field(description="the cohort's name in the programme definition")


class ContactsByKind(ReadModel):
    """How many contacts were of one kind (only the kinds that occurred)."""

    kind: ContactKind
    contacts: int = Field(ge=1)


class Contacts(ReadModel):
    """The programme's contacts: how many, by kind, how many rated, the mean rating."""

    contacts: int = Field(ge=0)
    kinds: list[ContactsByKind] = Field(description="in the order of ContactKind")
    rated: int = Field(ge=0, description="the contacts the citizen gave a rating")
    mean_rating: float | None = Field(description="to two decimals; null: none rated")


class MatchGroupCount(ReadModel):
    """How many courses are in one match group now."""

    match_group: MatchGroup
    courses: int = Field(ge=1)


class ProfileCount(ReadModel):
    """How many courses ever had one profile."""

    profile: str
    courses: int = Field(ge=1)


class FocusCount(ReadModel):
    """How many courses ever had one focus."""

    focus: str
    courses: int = Field(ge=1)


class Segments(ReadModel):
    """The programme's segmentation, counted in courses."""

    match_group_now: list[MatchGroupCount] = Field(description="each course's latest group")
    rematched: int = Field(ge=0, description="courses that were in more than one match group")
    median_days_in_match_group_now: float | None = Field(
        description="days since each course entered the group it is in, to as_of; null: none"
    )
    profiles_ever: list[ProfileCount] = Field(description="by profile name")
    focus_ever: list[FocusCount] = Field(description="by focus name")


class ProgrammeOutcomes(ReadModel):
    """`forloeb programmes outcomes NAME --format json`."""

    programme: str
    as_of: date = Field(description="the day time in match group is counted to")
    cohorts: list[CohortMilestones] = Field(
        description="the programme's cohorts in definition order; empty when it defines none"
    )
    outside_cohorts: Milestones | None = Field(
        description="the courses referred outside every cohort; null: none, or no cohorts"
    )
    all_courses: Milestones = Field(description="every course of the programme")
    contacts: Contacts
    segments: Segments
