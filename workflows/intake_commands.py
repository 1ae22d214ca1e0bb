"""Referral and visitation: a citizen referred, accepted or rejected.

Imported when one of them is first used (see `workflows.commands`).
"""

# No `from __future__ import annotations` here: pydantic then takes each field's type as
# an object instead of evaluating its text, a sizeable share of building the models.

from typing import Any
from uuid import UUID

from pydantic import Field

from domain.programme import EntryRoute
from domain.values import (
    BenefitType,
    Cpr,
    ExitReasonCode,
    FreeText,
    Name,
    Programme,
    UnplannedExitReason,
)
from workflows.command_base import COMMON_FIELDS, Command, CourseCommand


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
        return self.model_dump(exclude=COMMON_FIELDS | {"course_id"})


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
