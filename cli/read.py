"""Read commands: `courses` (the course list) and `workflow` (states and moves)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

import click
from pydantic import TypeAdapter, ValidationError

from cli.context import AppContext, app_context
from cli.filters import known_consultant, known_programme
from cli.read_models import courses as read_models
from cli.read_models.common import mask_cpr
from cli.render import console, emit_model, format_option, short_id, table
from domain.errors import InvalidInput
from domain.validation import first_error
from domain.values import CourseState, Cpr
from workflows import diagram
from workflows.access import COURSES, CourseFacts

if TYPE_CHECKING:
    from cli.read_models.programmes import Workflow
    from projections.course_list import CourseRow
    from workflows.diagram import WorkflowRow


def facts_of(row: CourseRow) -> CourseFacts:
    """What decides who may read the course of a course-list row."""
    return CourseFacts(row.consultant, CourseState(row.state), row.referred_by)


def course_row(row: CourseRow) -> read_models.CourseRow:
    """A course-list row as `courses` shows it, CPR masked."""
    return read_models.CourseRow(
        course_id=row.course_id,
        cpr_masked=mask_cpr(row.born),
        programme=row.programme,
        state=CourseState(row.state),
        state_since=row.state_since,
        consultant=row.consultant,
        referred_on=row.referred_on,
        version=row.version,
    )


def _subject_of(app: AppContext, cpr: str | None) -> UUID | None:
    """The citizen's subject id for `--citizen` (a citizen never seen: an id matching none)."""
    if cpr is None:
        return None
    try:
        normalised: str = TypeAdapter(Cpr).validate_python(cpr)
    except ValidationError as e:
        raise InvalidInput("citizen", first_error(e)[1]) from None
    citizen = app.service.citizen_by_cpr(normalised)
    return UUID(int=0) if citizen is None else citizen.id


@click.command("courses")
@click.option("--citizen", "cpr", metavar="CPR", help="only this citizen's courses")
@click.option("--consultant", metavar="USER", help="only this consultant's caseload")
@click.option("--state", type=click.Choice([s.value for s in CourseState]), help="only this state")
@click.option("--programme", metavar="NAME", help="only this programme")
@format_option
def courses_command(
    cpr: str | None,
    consultant: str | None,
    state: str | None,
    programme: str | None,
    output_format: str,
) -> None:
    """List courses, newest referral last, with optional filters.

    A consultant sees their own courses, a team lead their team's, a caseworker
    those they referred and those in visitation; CPR numbers are masked.
    """
    app = app_context()
    app.require(COURSES)
    known_consultant(app, consultant)
    known_programme(app, programme)
    views = app.caught_up_views("course_list")
    found = views.course_list.list_courses(
        subject=_subject_of(app, cpr), consultant=consultant, state=state, programme=programme
    )
    visible = [course_row(row) for row in found if app.reads(COURSES, facts_of(row))]
    rows = sorted(visible, key=lambda r: (r.referred_on, str(r.course_id)))
    if output_format == "json":
        emit_model(read_models.CourseList(courses=rows))
        return
    columns = ["course", "citizen", "programme", "state", "since", "consultant", "referred"]
    cells = [
        [
            short_id(r.course_id),
            r.cpr_masked or "erased",
            r.programme,
            r.state.value,
            r.state_since,
            r.consultant,
            r.referred_on,
        ]
        for r in rows
    ]
    console().print(table(f"{len(rows)} courses", columns, cells))


@click.command("workflow")
@click.option(
    "--diagram",
    "diagram_format",
    type=click.Choice(["mermaid", "dot"]),
    help="print the workflow as a Mermaid or Graphviz dot diagram instead",
)
@click.option(
    "--state-changes-only",
    is_flag=True,
    help="draw only the moves that change state (leave out records inside a state)",
)
@click.option(
    "--programme",
    metavar="NAME",
    help="the workflow as this programme runs it (see `forloeb programmes list`)",
)
@format_option
def workflow_command(
    diagram_format: str | None, state_changes_only: bool, programme: str | None, output_format: str
) -> None:
    """Show the course states and the moves between them (the one transitions table)."""
    from workflows.machine import MOVES, programme_moves

    moves, title = MOVES, None
    if programme is not None:
        from programmes.catalogue import load

        entry = load(app_context().programmes_folder).require(programme)
        moves = programme_moves(entry.definition)
        title = f"{entry.definition.title} course workflow"
    if diagram_format == "mermaid":
        click.echo(diagram.mermaid(state_changes_only, moves, title))
        return
    if diagram_format == "dot":
        click.echo(diagram.dot(state_changes_only, moves, title))
        return
    rows = diagram.rows(moves)
    if output_format == "json":
        emit_model(workflow_model(programme, diagram.states(moves), rows))
        return
    cells = [
        [row.command, ", ".join(row.sources), row.dest or "(stays)", row.event, row.guard]
        for row in rows
    ]
    columns = ["command", "from", "to", "event", "guard"]
    console().print(table("states: " + " → ".join(diagram.states(moves)), columns, cells))


def workflow_model(programme: str | None, states: list[str], rows: list[WorkflowRow]) -> Workflow:
    """`workflow --format json`: the states its courses can reach, in lifecycle order, and
    every move."""
    from cli.read_models.programmes import Move, Workflow

    moves = [
        Move(
            command=row.command,
            trigger=row.trigger,
            from_states=[CourseState(source) for source in row.sources],
            to_state=None if row.dest is None else CourseState(row.dest),
            event=row.event,
            guard=row.guard,
            automatic=row.automatic,
        )
        for row in rows
    ]
    return Workflow(
        programme=programme, states=[CourseState(state) for state in states], moves=moves
    )
