"""`forloeb show COURSE`: one course's facts, next moves and event history."""

from __future__ import annotations

import textwrap
from typing import Any
from uuid import UUID

import click
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.text import Text

from cli.context import app_context
from cli.history import history_entry
from cli.read_models.common import HistoryEntry, mask_cpr
from cli.read_models.courses import CourseReport, Measured
from cli.render import (
    LOCAL_ZONE,
    console,
    emit_model,
    format_option,
    local_minute,
    table,
)
from domain.events import Corrected, CourseEvent, MeasurementRecorded
from workflows.access import SHOW
from workflows.commands import command_for
from workflows.service import CourseService

_PROVENANCE = {"originator_id", "originator_version", "originator_topic", "timestamp"}
_COMMON = {"actor", "recorded_by", "occurred_on", "command_id", "cpr"}


def compact_items(value: Any, prefix: str = "") -> list[str]:
    """Dotted `key=value` items for the non-empty leaves of a payload."""
    if isinstance(value, dict):
        items: list[str] = []
        for key, child in value.items():
            items += compact_items(child, f"{prefix}{key}.")
        return items
    if value in (None, "", [], {}):
        return []
    if prefix.rstrip(".").rsplit(".", 1)[-1] == "cpr" and isinstance(value, str):
        value = mask_cpr(value) or "erased"  # a correction of the CPR shows it masked
    shown = ",".join(str(v) for v in value) if isinstance(value, list) else value
    return [f"{prefix.rstrip('.')}={shown}"]


def _measurement_details(event: MeasurementRecorded) -> str:
    answers = event.answers
    parts = [f"point {event.point} {answers.form.value} form"]
    if event.follow_up:
        parts[0] += " (follow-up after exit)"
    if answers.who5 is not None:
        parts.append(f"WHO-5 {answers.who5.raw} (index {answers.who5.index})")
    if answers.mental_health is not None:
        parts.append(f"mental {answers.mental_health.value}")
    if answers.physical_health is not None:
        parts.append(f"physical {answers.physical_health.value}")
    if answers.bip:
        parts.append(f"BIP {len(answers.bip)} answers")
    return "; ".join(parts)


def _correction_details(event: Corrected) -> str:
    what = "retracts" if event.retracted else "corrects"
    changes = ", ".join(compact_items(event.changes))
    head = f"{what} #{event.target_version} {event.target_event}"
    if changes:
        head = f"{head}: {changes}"
    return f"{head}; reason: {event.reason}"


def event_details(event: CourseEvent) -> str:
    """The key facts of an event, in one short line."""
    if isinstance(event, MeasurementRecorded):
        return _measurement_details(event)
    if isinstance(event, Corrected):
        return _correction_details(event)
    payload = event.model_dump(mode="json", exclude=_PROVENANCE | _COMMON)
    return ", ".join(compact_items(payload))


def course_report(service: CourseService, course_id: UUID) -> CourseReport:
    """Everything `show` prints about a course (the CPR masked)."""
    from projections.audit import entries_of

    course = service.get_course(course_id)
    slots = sorted(course.measurements.items(), key=lambda item: item[1])
    return CourseReport(
        course_id=course.id,
        cpr_masked=mask_cpr(course.cpr),
        programme=course.programme,
        state=course.state,
        state_since=course.state_since,
        referred_on=course.referred_on,
        consultant=course.consultant,
        measurements=[
            Measured(point=point, form=form.value)
            for v, (point, form) in slots
            if v not in course.follow_ups
        ],
        follow_up_measurements=[
            Measured(point=point, form=form.value)
            for v, (point, form) in slots
            if v in course.follow_ups
        ],
        version=course.version,
        allowed_next=[command_for(trigger) for trigger in service.allowed_moves(course)],
        history=[
            history_entry(entry, masked=True)
            for entry in entries_of(service.course_events(course_id))
        ],
    )


def details_texts(service: CourseService, course_id: UUID) -> dict[int, str]:
    """Each event's key facts in one short line, by version (for people)."""
    return {e.originator_version: event_details(e) for e in service.course_events(course_id)}


def attribution(actor: str, recorded_by: str) -> str:
    """Who recorded an event: `kim`, or `root for kim` when root recorded it for kim."""
    if recorded_by == actor:
        return actor
    return f"{recorded_by} for {actor}"


def marks(entry: HistoryEntry, history: list[HistoryEntry]) -> list[str]:
    """`corrected by #N` or `retracted by #N` for each correction of the entry."""
    retracts = {e.version: bool(e.details.get("retracted")) for e in history if e.corrects}
    return [
        f"{'retracted' if retracts.get(v) else 'corrected'} by #{v}" for v in entry.corrected_by
    ]


HISTORY_COLUMNS = ["#", "occurred", "recorded", "actor", "event", "details"]
HISTORY_TITLE = f"history (recorded: {LOCAL_ZONE})"


def render_course(report: CourseReport, details: dict[int, str]) -> Group:
    """The course report for people: facts, next moves, history (each event's `details`
    line by version)."""
    measured = ", ".join(f"{m.point} {m.form}" for m in report.measurements) or "none"
    followed = ", ".join(f"{m.point} {m.form}" for m in report.follow_up_measurements)
    if followed:
        measured += f"; after exit {followed}"
    facts = {
        "course": str(report.course_id),
        "citizen": report.cpr_masked or "erased",
        "programme": report.programme,
        "state": f"{report.state.value} since {report.state_since} (referred {report.referred_on})",
        "consultant": report.consultant or "–",
        "measured": measured,
        "next": ", ".join(report.allowed_next) or "nothing (course closed)",
    }
    rows = [
        [
            str(entry.version),
            entry.occurred_on.isoformat(),
            local_minute(entry.recorded_at),
            attribution(entry.actor, entry.recorded_by),
            entry.type,
            " ".join(
                [*(f"[{m}]" for m in marks(entry, report.history)), details[entry.version]]
            ).strip(),
        ]
        for entry in report.history
    ]
    return Group(Facts(facts), History(rows))


LABEL_WIDTH = 12


class Facts:
    """Label and value side by side; a long value wraps at word boundaries under itself."""

    def __init__(self, facts: dict[str, str]) -> None:
        self.facts = facts

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(options.max_width - LABEL_WIDTH, 20)
        for label, value in self.facts.items():
            lines = textwrap.wrap(value, width, break_long_words=False, break_on_hyphens=False)
            for n, line in enumerate(lines or [""]):
                yield Text(f"{label if n == 0 else '':<{LABEL_WIDTH}}{line}")


class History:
    """The event history: a table where it fits without splitting a word, else (a narrow
    terminal) one block per event, its details wrapped at word boundaries beneath."""

    def __init__(self, rows: list[list[str]]) -> None:
        self.rows = rows

    def narrowest_table(self) -> int:
        """The table's width with the details column as wide as its longest word and the
        others whole (rich narrows the widest column first): one space either side of each
        cell and a rule between and around the columns."""
        *whole, details = list(zip(HISTORY_COLUMNS, *self.rows, strict=True))
        widths = [max(len(cell) for cell in column) for column in whole]
        widths.append(max(len(word) for cell in details for word in [*cell.split(), ""]))
        return sum(widths) + 3 * len(widths) + 1

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.narrowest_table() <= options.max_width:
            yield table(HISTORY_TITLE, HISTORY_COLUMNS, self.rows)
            return
        yield Text(HISTORY_TITLE)
        width = max(options.max_width - 4, 20)
        for seq, occurred, recorded, actor, event, details in self.rows:
            yield Text(f"#{seq}  {occurred}  {event}  by {actor}, recorded {recorded}")
            for line in textwrap.wrap(
                details, width, break_long_words=False, break_on_hyphens=False
            ):
                yield Text(f"    {line}")


@click.command("show")
@click.argument("course")
@click.option(
    "--purpose",
    metavar="TEXT",
    help="why you read this citizen's record (recorded; auditors must give one)",
)
@format_option
def show_command(course: str, purpose: str | None, output_format: str) -> None:
    """Show a course: its facts, the allowed next moves and its full event history.

    Every show is recorded as a read of the citizen's record: who, when, and the
    purpose given. The CPR number is shown masked (DDMMYY-xxxx).
    """
    app = app_context()
    app.require(SHOW, purpose=purpose)
    course_id = app.service.resolve(course)
    app.require(SHOW, course_id, purpose=purpose)
    app.service.record_read(course_id, actor=app.actor, what="show", purpose=purpose or None)
    app.caught_up_views("course_list")  # the read is a write too: as a write, the list
    report = course_report(app.service, course_id)
    if output_format == "json":
        emit_model(report)
    else:
        console().print(render_course(report, details_texts(app.service, course_id)))
