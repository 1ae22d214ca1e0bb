"""`forloeb show COURSE`: one course's facts, next moves and event history."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import click
from rich.console import Group
from rich.text import Text

from cli.context import app_context
from cli.render import console, emit_json, format_option, masked_cpr, table
from domain.course import LOCAL_TIME, Course
from domain.events import Corrected, CourseEvent, MeasurementRecorded
from workflows.access import SHOW
from workflows.commands import command_for
from workflows.service import CourseService

_PROVENANCE = {"originator_id", "originator_version", "originator_topic", "timestamp"}
_COMMON = {"actor", "occurred_on", "command_id", "cpr"}


def _compact(value: Any, prefix: str = "") -> list[str]:
    """Dotted `key=value` items for the non-empty leaves of a payload."""
    if isinstance(value, dict):
        items: list[str] = []
        for key, child in value.items():
            items += _compact(child, f"{prefix}{key}.")
        return items
    if value in (None, "", [], {}):
        return []
    if prefix.rstrip(".").rsplit(".", 1)[-1] == "cpr" and isinstance(value, str):
        value = masked_cpr(value)  # a correction of the CPR shows it masked, like the course
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
    changes = ", ".join(_compact(event.changes))
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
    return ", ".join(_compact(payload))


def _corrections(events: list[CourseEvent]) -> dict[int, list[str]]:
    marks: dict[int, list[str]] = {}
    for event in events:
        if isinstance(event, Corrected):
            word = "retracted" if event.retracted else "corrected"
            marks.setdefault(event.target_version, []).append(
                f"{word} by #{event.originator_version}"
            )
    return marks


def history(events: list[CourseEvent]) -> list[dict[str, Any]]:
    """The event history as plain rows, corrections marked beside what they correct."""
    marks = _corrections(events)
    return [
        {
            "seq": event.originator_version,
            "occurred_on": event.occurred_on.isoformat(),
            "recorded": event.timestamp.astimezone(LOCAL_TIME).isoformat(timespec="seconds"),
            "actor": event.actor,
            "event": type(event).__name__,
            "details": event_details(event),
            "marks": marks.get(event.originator_version, []),
        }
        for event in events
    ]


def course_facts(course: Course) -> dict[str, Any]:
    """The course's current facts, CPR masked."""
    return {
        "course_id": str(course.id),
        "cpr": masked_cpr(course.cpr),
        "programme": course.programme,
        "state": course.state.value,
        "state_since": course.state_since.isoformat(),
        "referred_on": course.referred_on.isoformat(),
        "consultant": course.consultant,
        "measurements": [
            {"point": point, "form": form.value}
            for point, form in sorted(
                slot for v, slot in course.measurements.items() if v not in course.follow_ups
            )
        ],
        "follow_up_measurements": [
            {"point": point, "form": form.value}
            for point, form in sorted(
                slot for v, slot in course.measurements.items() if v in course.follow_ups
            )
        ],
        "version": course.version,
    }


def course_report(service: CourseService, course_id: UUID) -> dict[str, Any]:
    """Everything `show` prints about a course."""
    course = service.get_course(course_id)
    return {
        **course_facts(course),
        "allowed_next": [
            command_for(trigger) for trigger in service.allowed_moves(course)
        ],
        "history": history(service.course_events(course_id)),
    }


def render_course(report: dict[str, Any]) -> Group:
    """The course report for people: facts, next moves, history table."""
    measured = ", ".join(f"{m['point']} {m['form']}" for m in report["measurements"]) or "none"
    followed = ", ".join(f"{m['point']} {m['form']}" for m in report["follow_up_measurements"])
    if followed:
        measured += f"; after exit {followed}"
    facts = Text(
        f"course      {report['course_id']}\n"
        f"citizen     {report['cpr']}\n"
        f"programme   {report['programme']}\n"
        f"state       {report['state']} since {report['state_since']}"
        f" (referred {report['referred_on']})\n"
        f"consultant  {report['consultant'] or '–'}\n"
        f"measured    {measured}\n"
        f"next        {', '.join(report['allowed_next']) or 'nothing (course closed)'}"
    )
    rows = [
        [
            row["seq"],
            row["occurred_on"],
            row["recorded"].replace("T", " ")[:16],
            row["actor"],
            row["event"],
            " ".join([*(f"[{m}]" for m in row["marks"]), row["details"]]).strip(),
        ]
        for row in report["history"]
    ]
    columns = ["#", "occurred", "recorded", "actor", "event", "details"]
    return Group(facts, table("history", columns, rows))


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
    app.caught_up_views()  # the read is a write too: leave the views caught up
    report = course_report(app.service, course_id)
    if output_format == "json":
        emit_json(report)
    else:
        console().print(render_course(report))
