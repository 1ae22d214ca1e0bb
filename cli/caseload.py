"""Consultants' commands: `caseload` (who holds which open courses) and `due` (what needs doing).

Both read the caseload view as of a date (`--as-of`, default today): the
world as the recorded facts describe it on that day, back-dated entries
included. Citizens are shown by masked CPR (DDMMYY-xxxx).

"Due" follows the programme's rhythm of about three months: the next
measurement point after the last measurement (or the baseline), a network
meeting after the last one held (or the acceptance), and a praktik past its
planned end. What is due on or before the date is overdue by 0 days or more.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from statistics import median
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cli.context import AppContext, app_context
from cli.filters import known_consultant, known_programme
from cli.outcomes import DATE
from cli.read_models import caseload as models
from cli.read_models.common import mask_cpr
from cli.render import console, emit_model, format_option, short_id, table
from workflows.access import CASELOAD, DUE, NotAllowed
from workflows.commands import today

if TYPE_CHECKING:
    from projections.caseload import ConsultantLoad, DueItem
    from projections.catalog import Views

F = TypeVar("F", bound=Callable[..., Any])
LOOK_AHEAD_DAYS = 3653
"""How far ahead `next due` looks: far enough to find every course's next deadline."""
DUE_KINDS = ("measurement", "network_meeting", "praktik_end")
KIND_LABELS = {
    "measurement": "measurement",
    "network_meeting": "network meeting",
    "praktik_end": "praktik end",
}


def as_of_option(function: F) -> F:
    """Add `--as-of YYYY-MM-DD` (the `as_of` argument, a datetime or None)."""
    option = click.option(
        "--as-of",
        type=DATE,
        metavar="YYYY-MM-DD",
        help="the world on this date (by when things happened) [today]",
    )
    return option(function)


def _day(as_of: datetime | None) -> date:
    return as_of.date() if as_of is not None else today()


def due_item(item: DueItem, cprs: dict[str, str | None]) -> models.DueItem:
    """A due item as `due` shows it, CPR masked."""
    return models.DueItem(
        course_id=item.course_id,
        cpr_masked=cprs.get(str(item.course_id)),
        consultant=item.consultant,
        programme=item.programme,
        kind=item.kind,
        due_on=item.due_on,
        days_overdue=item.days_overdue,
        detail=item.detail,
    )


def masked_cprs(views: Views) -> dict[str, str | None]:
    """Every course's citizen, masked (None once erased), by course id."""
    return {str(row.course_id): mask_cpr(row.born) for row in views.course_list.list_courses()}


def in_scope(app: AppContext, action: str, consultant: str | None, programme: str | None) -> None:
    """Refuse unless the user may see caseloads at all, and this consultant's if named;
    a consultant or programme nobody knows is bad input."""
    app.require(action)
    if consultant is not None and not app.sees(consultant, action):
        raise NotAllowed(
            f"as {app.user.describe()}: may not see the courses of {consultant}; "
            "you see your own (a team lead: the team's)"
        )
    known_consultant(app, consultant)
    known_programme(app, programme)


def next_due(items: list[DueItem]) -> dict[str, DueItem]:
    """Each course's earliest deadline (overdue or still to come), by course id."""
    first: dict[str, DueItem] = {}
    for item in items:
        key = str(item.course_id)
        if key not in first or item.due_on < first[key].due_on:
            first[key] = item
    return first


def consultant_load(
    load: ConsultantLoad, due: list[DueItem], cprs: dict[str, str | None]
) -> models.ConsultantLoad:
    """One consultant's caseload: counts, time in state, overdue, courses (most urgent
    deadline first)."""
    mine = [i for i in due if i.consultant == load.consultant]
    overdue = [i for i in mine if i.days_overdue >= 0]
    nexts = next_due(mine)
    days = [c.days_in_state for c in load.courses]
    courses = [
        models.CaseloadCourse(
            course_id=c.course_id,
            cpr_masked=cprs.get(str(c.course_id)),
            programme=c.programme,
            state=c.state,
            state_since=c.since,
            days_in_state=c.days_in_state,
            next_due=_next(nexts.get(str(c.course_id))),
        )
        for c in load.courses
    ]
    courses.sort(key=lambda c: (c.next_due.due_on if c.next_due else date.max, c.state_since))
    by_kind = {kind: sum(1 for i in overdue if i.kind == kind) for kind in DUE_KINDS}
    return models.ConsultantLoad(
        consultant=load.consultant,
        open_courses=load.open_courses,
        target=load.target,
        over_capacity=load.over_capacity,
        by_state=[models.StateCount(state=state, courses=n) for state, n in load.by_state.items()],
        days_in_state=models.DaysInState(
            median=median(days) if days else None, longest=max(days, default=None)
        ),
        overdue=models.Overdue(**by_kind, total=len(overdue)),
        courses=courses,
    )


def _next(item: DueItem | None) -> models.NextDue | None:
    if item is None:
        return None
    return models.NextDue(
        kind=item.kind, due_on=item.due_on, days_overdue=item.days_overdue, detail=item.detail
    )


def when(days_overdue: int) -> str:
    """How late (or how soon) a deadline is, in words."""
    if days_overdue > 0:
        return f"{days_overdue} d overdue"
    if days_overdue == 0:
        return "due today"
    return f"in {-days_overdue} d"


def _load_text(load: models.ConsultantLoad) -> str:
    mark = " OVER" if load.over_capacity else ""
    return f"{load.open_courses}/{load.target}{mark}"


def _states_text(by_state: list[models.StateCount]) -> str:
    return ", ".join(f"{count.state.value} {count.courses}" for count in by_state)


def _overdue_text(overdue: models.Overdue) -> str:
    words = {"measurement": "measurement", "network_meeting": "meeting", "praktik_end": "praktik"}
    counts = overdue.model_dump()
    parts = [f"{counts[kind]} {words[kind]}" for kind in DUE_KINDS if counts[kind]]
    return ", ".join(parts) or "none"


def print_overview(report: models.CaseloadReport) -> None:
    """Every consultant's caseload, one row each."""
    loads = report.consultants
    cells = [
        [
            load.consultant,
            _load_text(load),
            _states_text(load.by_state),
            f"{load.days_in_state.median:g} / {load.days_in_state.longest}",
            _overdue_text(load.overdue),
        ]
        for load in loads
    ]
    total = sum(load.open_courses for load in loads)
    over = sum(1 for load in loads if load.over_capacity)
    title = (
        f"caseload as of {report.as_of}: {total} open courses, {len(loads)} consultants, "
        f"{over} over the target of {report.target}"
    )
    columns = ["consultant", "load", "open courses by state", "days in state med/max", "overdue"]
    grid = table(title, columns, cells)
    for column in grid.columns[:2]:
        column.no_wrap = True
    console().print(grid)


def print_courses(report: models.CaseloadReport, consultant: str) -> None:
    """One consultant's open courses, most urgent deadline first."""
    out = console()
    if not report.consultants:
        out.print(f"{consultant} holds no open courses as of {report.as_of}")
        return
    [load] = report.consultants
    state = "OVER the target" if load.over_capacity else "within the target"
    title = (
        f"{consultant}: {load.open_courses} open courses as of {report.as_of} "
        f"(target {load.target}, {state}); overdue: {load.overdue.total}"
    )
    columns = ["course", "citizen", "state", "since", "days in state", "next due", "when"]
    cells = []
    for course in load.courses:
        upcoming = course.next_due
        cells.append(
            [
                short_id(course.course_id),
                course.cpr_masked or "erased",
                course.state.value,
                course.state_since,
                course.days_in_state,
                f"{KIND_LABELS[upcoming.kind]} {upcoming.due_on}" if upcoming else None,
                when(upcoming.days_overdue) if upcoming else None,
            ]
        )
    out.print(table(title, columns, cells))


@click.command("caseload")
@click.option("--consultant", metavar="USER", help="list this consultant's courses")
@click.option("--programme", metavar="NAME", help="only this programme's courses")
@as_of_option
@format_option
def caseload_command(
    consultant: str | None, programme: str | None, as_of: datetime | None, output_format: str
) -> None:
    """Each resource consultant's open courses against the programme's target (25 unless
    the configuration's [programmes.NAME] says otherwise), and what is overdue."""
    from projections.caseload import DEFAULT_SETTINGS

    app = app_context()
    in_scope(app, CASELOAD, consultant, programme)
    day = _day(as_of)
    views = app.caught_up_views("caseload", "course_list")
    settings = app.config.programme_settings
    loads = [
        load
        for load in views.caseload.caseload(day, consultant, programme, settings=settings)
        if app.sees(load.consultant)
    ]
    due = views.caseload.due(
        day, consultant, programme, within_days=LOOK_AHEAD_DAYS, settings=settings
    )
    cprs = masked_cprs(views)
    report = models.CaseloadReport(
        as_of=day,
        programme=programme,
        target=settings.get(programme or "", DEFAULT_SETTINGS).target_caseload,
        consultants=[consultant_load(load, due, cprs) for load in loads],
    )
    if output_format == "json":
        emit_model(report)
    elif consultant is not None:
        print_courses(report, consultant)
    else:
        print_overview(report)


@click.command("due")
@click.option("--consultant", metavar="USER", help="only this consultant's courses")
@click.option("--programme", metavar="NAME", help="only this programme's courses")
@as_of_option
@click.option(
    "--within",
    "within_days",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="DAYS",
    help="also what falls due this many days after the date",
)
@format_option
def due_command(
    consultant: str | None,
    programme: str | None,
    as_of: datetime | None,
    within_days: int,
    output_format: str,
) -> None:
    """What needs doing: measurements, network meetings and praktik ends, most overdue first."""
    app = app_context()
    in_scope(app, DUE, consultant, programme)
    day = _day(as_of)
    views = app.caught_up_views("caseload", "course_list")
    settings = app.config.programme_settings
    items = [
        item
        for item in views.caseload.due(
            day, consultant, programme, within_days=within_days, settings=settings
        )
        if app.sees(item.consultant, DUE)
    ]
    cprs = masked_cprs(views)
    rows = [due_item(item, cprs) for item in items]
    if output_format == "json":
        emit_model(models.DueReport(as_of=day, within_days=within_days, items=rows))
        return
    columns = ["due on", "when", "what", "detail", "course", "citizen", "consultant"]
    cells = [
        [
            r.due_on,
            when(r.days_overdue),
            KIND_LABELS[r.kind],
            r.detail,
            short_id(r.course_id),
            r.cpr_masked or "erased",
            r.consultant,
        ]
        for r in rows
    ]
    whose = f" for {consultant}" if consultant else ""
    ahead = f" (and the {within_days} days after)" if within_days else ""
    console().print(table(f"{len(rows)} due by {day}{ahead}{whose}", columns, cells))
