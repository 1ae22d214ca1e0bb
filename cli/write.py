"""Write commands, generated from the command models (`workflows.commands`).

Every name in COMMANDS_BY_NAME becomes a command; a name with a space becomes
a nested group (`praktik start`). Each command assembles the options the user
gave into the model, lets the service decide, prints one line and leaves the
course list caught up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cli.context import AppContext, app_context
from cli.filters import known_assignee
from cli.options import FieldOption, command_options
from cli.render import emit_model, format_param, short_id
from cli.vocabulary import build_command
from workflows.commands import COMMANDS_BY_NAME, Command, CourseCommand
from workflows.service import Outcome

if TYPE_CHECKING:
    from cli.read_models.write_reply import WriteReply

COURSE_HELP = (
    "COURSE is a course id, a unique id prefix (4+ characters), "
    "or a CPR number with one open course."
)

GROUP_HELP = {
    "praktik": "Workplace internship (virksomhedspraktik): start and end.",
    "job": "Ordinary paid work: start and end.",
    "education": "Education: start and end.",
    "group": "Group courses: join and complete.",
    "team": "The course's team: a professional joins or leaves it.",
}


def outcome_line(outcome: Outcome, state: str, command: Command) -> str:
    """One line saying what a write did."""
    head = f"course {short_id(outcome.course_id)}"
    if outcome.skipped:
        return f"{head}: already applied (command id {command.command_id}); nothing recorded"
    recorded = ", ".join(
        f"#{version} {event}"
        for version, event in zip(outcome.versions, outcome.events, strict=True)
    )
    return f"{head}: recorded {recorded}; state {state}"


def write_reply(outcome: Outcome, state: str) -> WriteReply:
    """What a write did, as its JSON reply's model (imported here: text needs none)."""
    from cli.read_models.write_reply import RecordedEvent, WriteReply

    return WriteReply(
        course_id=outcome.course_id,
        skipped=outcome.skipped,
        events=[
            RecordedEvent(version=version, type=event)
            for version, event in zip(outcome.versions, outcome.events, strict=True)
        ],
        state=state,
    )


WRITE_VIEWS = ("course_list",)
"""The views a write catches up before it replies: the course list, which finds a course by
an id prefix. The others catch up when a command reads them (each read command catches up
the views it reads first), so every read still shows every write."""


def run_write(app: AppContext, command: Command, output_format: str) -> None:
    """Execute a command, catch the course list up, print the confirmation.

    The acting user's role is checked first, then that a named consultant is a
    user; the service checks the course (its consultant, its state) before
    deciding anything.
    """
    app.require(command.name)
    known_assignee(app, command)
    if app.recorded_by != app.actor and command.actor is None:
        command = command.model_copy(update={"actor": app.actor})  # an admin on their behalf
    if command.command_id is None and app.request_id is not None:
        command = command.model_copy(update={"command_id": app.request_id})
    outcome = app.service.execute(command, app.recorded_by)
    app.caught_up_after_write(*WRITE_VIEWS)
    state = outcome.state.value
    if output_format == "json":
        emit_model(write_reply(outcome, state))
    else:
        click.echo(outcome_line(outcome, state, command))


def _callback(cls: type[Command], options: list[FieldOption]) -> Any:
    def callback(output_format: str, course: str | None = None, **values: Any) -> None:
        fields = {
            option.field: option.convert(values[option.field])
            for option in options
            if option.given(values[option.field])
        }
        if course is not None:
            fields["course"] = course
        run_write(app_context(), build_command(cls, fields), output_format)

    return callback


def write_command(cls: type[Command], leaf: str) -> click.Command:
    """The click command for one command model."""
    is_course_command = issubclass(cls, CourseCommand)
    options = command_options(cls.model_fields, skip={"course"})
    params: list[click.Parameter] = []
    if is_course_command:
        params.append(click.Argument(["course"], metavar="COURSE"))
    params += [option.option for option in options]
    params.append(format_param())
    doc = (cls.__doc__ or "").strip()
    if is_course_command:
        doc += f"\n\n{COURSE_HELP}"
    return click.Command(
        leaf,
        callback=_callback(cls, options),
        params=params,
        help=doc,
        short_help=doc.splitlines()[0] if doc else None,
    )


def _group_for(parent: click.Group, word: str) -> click.Group:
    existing = parent.commands.get(word)
    if isinstance(existing, click.Group):
        return existing
    group = click.Group(word, help=GROUP_HELP.get(word, f"{word} commands."))
    parent.add_command(group)
    return group


def add_write_commands(root: click.Group, first_word: str | None = None) -> None:
    """Attach the commands of the vocabulary to the root group: every one, or those whose
    name starts with `first_word` (a write builds only its own command model)."""
    for name in COMMANDS_BY_NAME:
        *groups, leaf = name.split()
        if first_word is not None and name.split()[0] != first_word:
            continue
        parent = root
        for word in groups:
            parent = _group_for(parent, word)
        parent.add_command(write_command(COMMANDS_BY_NAME[name], leaf))
