"""The measurement command: one form at a measurement point.

Imported when one of them is first used (see `workflows.commands`).
"""

# No `from __future__ import annotations` here: pydantic then takes each field's type as
# an object instead of evaluating its text, a sizeable share of building the models.

from typing import Any

from pydantic import Field

from domain.values import (
    Ability,
    BipAnswer,
    HealthLevel,
    LimitDegree,
    MeasurementForm,
    MeasurementPoint,
    Nationality,
    SessionFrequency,
    Sex,
    SubstanceUse,
    YesNoUnknown,
)
from workflows.command_base import CourseCommand


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
        "realistic_skills, goal_directed, concentration, everyday_and_job)",
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
