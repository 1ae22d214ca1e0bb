"""`forloeb programmes list|show` and `forloeb workflow`: what programmes there are and
how their courses move."""

from __future__ import annotations

from pydantic import Field

from cli.read_models.common import ReadModel
from domain.programme import ProgrammeDefinition
from domain.values import CourseState


class ProgrammeSummary(ReadModel):
    """One programme of the list."""

    name: str
    title: str
    entry_routes: list[str]
    cohorts: list[str]
    origin: str = Field(description="where the definition was read from")


class ProgrammeList(ReadModel):
    """`forloeb programmes list --format json`."""

    programmes: list[ProgrammeSummary]


class ProgrammeReport(ReadModel):
    """`forloeb programmes show NAME --format json`: the definition as read, and whence."""

    definition: ProgrammeDefinition
    origin: str = Field(description="where the definition was read from")


class Move(ReadModel):
    """One move of the workflow."""

    command: str
    trigger: str
    from_states: list[CourseState] = Field(description="the states it may be made from")
    to_state: CourseState | None = Field(description="where it leads; null: the state stays")
    event: str
    guard: str
    automatic: bool = Field(description="made by the workflow itself when its guard holds")


class Workflow(ReadModel):
    """`forloeb workflow [--programme NAME] --format json`: states and moves."""

    programme: str | None = Field(description="null: the backbone every programme builds on")
    states: list[CourseState] = Field(description="in lifecycle order")
    moves: list[Move]
