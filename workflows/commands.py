"""Commands: what a caseworker asks for, validated before anything is decided.

One vocabulary serves the CLI and `forloeb import`: a command's `name` is the
CLI command ("praktik start"), its fields are the CLI options and the keys of
an import line. Each command turns itself into the fields of the event it asks
the workflow to record.

The command classes live in small modules by theme and are imported when first
used (`COMMANDS_BY_NAME[name]`, or `from workflows.commands import Session`),
so a write builds the one model it validates and none of the others.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, TypeGuard

from workflows.command_base import COMMAND_NAMESPACE as COMMAND_NAMESPACE
from workflows.command_base import Command as Command
from workflows.command_base import CourseCommand as CourseCommand
from workflows.command_base import today as today

if TYPE_CHECKING:  # at run time `__getattr__` imports these on first use
    from workflows.activity_commands import (
        Contact as Contact,
    )
    from workflows.activity_commands import (
        GroupComplete as GroupComplete,
    )
    from workflows.activity_commands import (
        GroupJoin as GroupJoin,
    )
    from workflows.activity_commands import (
        Meeting as Meeting,
    )
    from workflows.activity_commands import (
        Segment as Segment,
    )
    from workflows.activity_commands import (
        Session as Session,
    )
    from workflows.activity_commands import (
        TreatmentPlan as TreatmentPlan,
    )
    from workflows.correct_command import (
        Correct as Correct,
    )
    from workflows.ending_commands import (
        Complete as Complete,
    )
    from workflows.ending_commands import (
        Exit as Exit,
    )
    from workflows.ending_commands import (
        FollowUp as FollowUp,
    )
    from workflows.intake_commands import (
        Accept as Accept,
    )
    from workflows.intake_commands import (
        Refer as Refer,
    )
    from workflows.intake_commands import (
        Reject as Reject,
    )
    from workflows.measure_command import (
        Measure as Measure,
    )
    from workflows.placement_commands import (
        EducationEnd as EducationEnd,
    )
    from workflows.placement_commands import (
        EducationStart as EducationStart,
    )
    from workflows.placement_commands import (
        JobEnd as JobEnd,
    )
    from workflows.placement_commands import (
        JobStart as JobStart,
    )
    from workflows.placement_commands import (
        PraktikEnd as PraktikEnd,
    )
    from workflows.placement_commands import (
        PraktikStart as PraktikStart,
    )
    from workflows.team_commands import (
        Reassign as Reassign,
    )
    from workflows.team_commands import (
        TeamAdd as TeamAdd,
    )
    from workflows.team_commands import (
        TeamRemove as TeamRemove,
    )

    ALL_COMMANDS: tuple[type[Command], ...]
    COURSE_COMMANDS: tuple[type[CourseCommand], ...]
    TRIGGER_COMMANDS: dict[str, str]

HOMES: dict[str, tuple[str, str]] = {
    "refer": ("workflows.intake_commands", "Refer"),
    "accept": ("workflows.intake_commands", "Accept"),
    "reject": ("workflows.intake_commands", "Reject"),
    "measure": ("workflows.measure_command", "Measure"),
    "session": ("workflows.activity_commands", "Session"),
    "meeting": ("workflows.activity_commands", "Meeting"),
    "group join": ("workflows.activity_commands", "GroupJoin"),
    "group complete": ("workflows.activity_commands", "GroupComplete"),
    "treatment-plan": ("workflows.activity_commands", "TreatmentPlan"),
    "praktik start": ("workflows.placement_commands", "PraktikStart"),
    "praktik end": ("workflows.placement_commands", "PraktikEnd"),
    "job start": ("workflows.placement_commands", "JobStart"),
    "job end": ("workflows.placement_commands", "JobEnd"),
    "education start": ("workflows.placement_commands", "EducationStart"),
    "education end": ("workflows.placement_commands", "EducationEnd"),
    "reassign": ("workflows.team_commands", "Reassign"),
    "contact": ("workflows.activity_commands", "Contact"),
    "segment": ("workflows.activity_commands", "Segment"),
    "team add": ("workflows.team_commands", "TeamAdd"),
    "team remove": ("workflows.team_commands", "TeamRemove"),
    "complete": ("workflows.ending_commands", "Complete"),
    "exit": ("workflows.ending_commands", "Exit"),
    "follow-up": ("workflows.ending_commands", "FollowUp"),
    "correct": ("workflows.correct_command", "Correct"),
}
"""Each command's name and where its class is: module and class name, in the order the
vocabulary lists them."""

REFER = "refer"
COURSE_COMMAND_NAMES: tuple[str, ...] = tuple(name for name in HOMES if name != REFER)
"""The commands on an existing course: every command but the referral, which opens one."""

_CLASS_HOMES: dict[str, str] = {cls: module for module, cls in HOMES.values()}


class CommandTable(Mapping[str, type[Command]]):
    """The command classes by name, each imported when it is first looked up."""

    def __getitem__(self, name: str) -> type[Command]:
        module, cls = HOMES[name]
        found: type[Command] = getattr(importlib.import_module(module), cls)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(HOMES)

    def __len__(self) -> int:
        return len(HOMES)


COMMANDS_BY_NAME: Mapping[str, type[Command]] = CommandTable()
"""Every command class by its name (importing a class when it is looked up)."""


def __getattr__(name: str) -> Any:
    """A command class, or a table of all of them, imported on first use."""
    if name in _CLASS_HOMES:
        return getattr(importlib.import_module(_CLASS_HOMES[name]), name)
    if name == "ALL_COMMANDS":
        return tuple(COMMANDS_BY_NAME.values())
    if name == "COURSE_COMMANDS":
        return tuple(COMMANDS_BY_NAME[name] for name in COURSE_COMMAND_NAMES)
    if name == "TRIGGER_COMMANDS":
        return trigger_commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _is(command: object, cls: str) -> bool:
    """isinstance(command, the class named `cls`) without importing it: no instance of a
    class exists before its module is imported."""
    module = sys.modules.get(_CLASS_HOMES[cls])
    return module is not None and isinstance(command, getattr(module, cls))


def is_refer(command: object) -> TypeGuard[Refer]:
    """Whether the command is a referral."""
    return _is(command, "Refer")


def is_reject(command: object) -> TypeGuard[Reject]:
    """Whether the command rejects at visitation."""
    return _is(command, "Reject")


def is_job_start(command: object) -> TypeGuard[JobStart]:
    """Whether the command starts a job."""
    return _is(command, "JobStart")


def is_reassign(command: object) -> TypeGuard[Reassign]:
    """Whether the command reassigns the course."""
    return _is(command, "Reassign")


def is_team_add(command: object) -> TypeGuard[TeamAdd]:
    """Whether the command adds a team member."""
    return _is(command, "TeamAdd")


def is_exit(command: object) -> TypeGuard[Exit]:
    """Whether the command ends the course."""
    return _is(command, "Exit")


def is_correct(command: object) -> TypeGuard[Correct]:
    """Whether the command corrects or retracts an event."""
    return _is(command, "Correct")


AUTOMATIC = "(automatic)"
"""Shown for moves no command asks for: the service makes them itself."""


@cache
def trigger_commands() -> dict[str, str]:
    """The CLI command (and import `command`) that asks for each workflow trigger."""
    commands = {
        cls.trigger: cls.name
        for name in COURSE_COMMAND_NAMES
        if "trigger" in vars(cls := COMMANDS_BY_NAME[name]) and issubclass(cls, CourseCommand)
    }
    exit_name, measure = "exit", "measure"
    commands["exit_planned"] = f"{exit_name} --planned"
    commands["exit_unplanned"] = f"{exit_name} --unplanned"
    commands["exit_pension"] = f"{exit_name} --planned --onto DESTINATION"
    commands["measure_follow_up"] = f"{measure} --follow-up"
    return commands


def command_for(trigger: str) -> str:
    """The command a caseworker types for a trigger, or AUTOMATIC."""
    return trigger_commands().get(trigger, AUTOMATIC)
