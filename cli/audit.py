"""`forloeb audit CPR|COURSE`: a citizen's complete history, for auditors.

Everything recorded about the citizen, across all their courses, in the
order it was recorded: when it happened, when it was recorded, who recorded
it, what it was and all its details. A correction is shown beside what it
corrects: the corrected entry carries the correction's changes and reason,
and the correction names the entry it corrects. The original entries are
never altered; the history shows them as they were recorded.

This is the audit view, so the CPR number is shown in full here (and only
here). Given a course, the history is that course's citizen's. It also lists
who looked at the record (every show, audit and citizen export, with its
stated purpose) and, once the citizen is erased, who erased them, when and
why. Every audit is itself recorded as a read, with its purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

import click
from pydantic import TypeAdapter, ValidationError
from rich.console import Group
from rich.text import Text

from cli.context import app_context
from cli.history import history_entry
from cli.read_models.audit import AuditCourse, AuditReport
from cli.read_models.common import Erasure, HistoryEntry, ReadRecord, utc
from cli.render import LOCAL_ZONE, console, emit_model, format_option, local_minute, short_id, table
from cli.show import attribution, compact_items
from domain.citizen import Citizen, CitizenErased, RecordRead
from domain.errors import CourseNotFound, InvalidInput
from domain.validation import first_error
from domain.values import Cpr, FreeText, format_cpr

if TYPE_CHECKING:
    from projections.audit import AuditEntry

_CORRECTION_FIELDS = {"target_version", "target_event", "changes", "reason", "retracted"}


def looks_like_cpr(ref: str) -> bool:
    """Ten digits, with or without the dash: a CPR number, not a course id."""
    digits = ref.strip().replace("-", "")
    return len(digits) == 10 and digits.isdigit()


@dataclass(frozen=True)
class CitizenRecord:
    """Whose record an audit or export is about: the subject, and the CPR while known."""

    subject: UUID
    cpr: str | None
    index: Citizen


def citizen_record(ref: str) -> CitizenRecord:
    """The citizen for a CPR number or a course reference (an erased citizen: by course)."""
    service = app_context().service
    if looks_like_cpr(ref):
        try:
            cpr: str = TypeAdapter(Cpr).validate_python(ref)
        except ValidationError as e:
            raise InvalidInput("citizen", first_error(e)[1]) from None
        citizen = service.citizen_by_cpr(cpr)
        if citizen is None:
            raise CourseNotFound(
                "citizen: no citizen with this CPR number (an erased citizen is found by a "
                "course id)"
            )
        return CitizenRecord(citizen.id, cpr, citizen)
    course = service.get_course(service.resolve(ref))
    index = service.citizen(course.subject) if course.subject is not None else None
    if index is None:
        raise CourseNotFound(f"course: no citizen recorded for course {course.id}")
    return CitizenRecord(index.id, course.cpr, index)


@dataclass(frozen=True)
class CitizenEvents:
    """Who looked at the record, and the erasure, from the citizen index's events."""

    reads: list[ReadRecord]
    erasure: Erasure | None


def citizen_events(events: list[Any]) -> CitizenEvents:
    """The reads and the erasure among the citizen index's events."""
    reads = []
    erasure = None
    for event in events:
        if isinstance(event, RecordRead):
            reads.append(
                ReadRecord(
                    recorded_at=utc(event.timestamp),
                    actor=event.actor,
                    what=event.what,
                    course_id=event.course_id,
                    purpose=_purpose(event),
                )
            )
        elif isinstance(event, CitizenErased):
            erasure = Erasure(
                erased_on=event.erased_on,
                actor=event.actor,
                reason=ERASED if event.reason is None else event.reason,
                recorded_at=utc(event.timestamp),
            )
    return CitizenEvents(reads, erasure)


ERASED = "(erased)"
"""What a sealed free text reads as once the citizen's key is destroyed."""


def _purpose(read: RecordRead) -> str | None:
    """A read's purpose; `ERASED` where one was stated and sealed under a destroyed key."""
    if read.purpose is None and read.stated_purpose:
        return ERASED
    return read.purpose


def checked_purpose(purpose: str) -> str:
    """A stated purpose: free text, not blank."""
    try:
        checked: str = TypeAdapter(FreeText).validate_python(purpose.strip())
    except ValidationError as e:
        raise InvalidInput("purpose", first_error(e)[1]) from None
    if not checked:
        raise InvalidInput("purpose", "say why you are looking")
    return checked


def audit_report(
    cpr: str | None, entries: list[AuditEntry], citizen: CitizenEvents | None = None
) -> AuditReport:
    """The citizen, their courses, every entry in recorded order, the reads and erasure."""
    courses: dict[UUID, str] = {}
    for entry in entries:
        if entry.event == "Referred":
            courses[entry.course_id] = str(entry.details.get("programme", ""))
    citizen = citizen or CitizenEvents([], None)
    return AuditReport(
        cpr=None if cpr is None else format_cpr(cpr),
        courses=[AuditCourse(course_id=c, programme=p) for c, p in courses.items()],
        history=[history_entry(entry, masked=False) for entry in entries],
        reads=citizen.reads,
        erasure=citizen.erasure,
    )


def correction_text(details: dict[str, Any]) -> str:
    """What a correction changed (or that it retracts), and why."""
    changes = ", ".join(compact_items(details.get("changes") or {}))
    what = "retracted" if details.get("retracted") else changes or "no changes"
    return f"{what}; reason: {details.get('reason', '')}"


def details_text(entry: HistoryEntry, by_version: dict[tuple[UUID, int], HistoryEntry]) -> Text:
    """An entry's details in one cell; a corrected entry shows its corrections under it."""
    details = entry.details
    if entry.corrects is not None:
        line = f"corrects #{entry.corrects} {details.get('target_event', '')}: "
        line += correction_text(details)
        other = {k: v for k, v in details.items() if k not in _CORRECTION_FIELDS}
        extra = ", ".join(compact_items(other))
        text = Text(line + (f" ({extra})" if extra else ""))
    else:
        text = Text(", ".join(compact_items(_answers_inline(details))))
    for version in entry.corrected_by:
        correction = by_version[(entry.course_id, version)]
        word = "retracted" if correction.details.get("retracted") else "corrected"
        text.append(
            f"\n↳ {word} by #{version} "
            f"({correction.actor}, {local_minute(correction.recorded_at)}): "
            f"{correction_text(correction.details)}",
            style="bold",
        )
    return text


def _answers_inline(details: dict[str, Any]) -> dict[str, Any]:
    """A measurement's answers beside its point, without the `answers.` prefix on every item."""
    answers = details.get("answers")
    if not isinstance(answers, dict):
        return details
    kept = {k: v for k, v in details.items() if k != "answers"}
    if not kept.get("follow_up"):  # an ordinary point says nothing of follow-up
        kept.pop("follow_up", None)
    return {**kept, **answers}


def render_audit(report: AuditReport) -> Group:
    """The history for people: who the citizen is, their courses, then every entry; times
    in Danish time, as the column headers say."""
    entries = report.history
    by_version = {(e.course_id, e.version): e for e in entries}
    courses = ", ".join(f"{short_id(c.course_id)} ({c.programme})" for c in report.courses)
    corrections = sum(1 for e in entries if e.corrects is not None)
    erasure = report.erasure
    who = (
        f"{report.cpr}  (shown in full: audit view)"
        if report.cpr is not None
        else "(erased: personal data can no longer be read)"
    )
    head = Text(
        f"citizen     {who}\n"
        + (
            f"erased      on {erasure.erased_on} by {erasure.actor}, reason: {erasure.reason}\n"
            if erasure
            else ""
        )
        + f"courses     {courses or '–'}\n"
        f"entries     {len(entries)}, of which {corrections} corrections"
    )
    several = len(report.courses) > 1
    columns = [*(["course"] if several else []), "#", "occurred", "recorded", "actor", "event"]
    grid = table(f"audit trail, in recorded order (recorded: {LOCAL_ZONE})", columns, [])
    for column in grid.columns:
        column.no_wrap = column.header in ("course", "#", "occurred")
    grid.add_column("details", ratio=1, overflow="fold")
    for entry in entries:
        grid.add_row(
            *([Text(short_id(entry.course_id))] if several else []),
            Text(str(entry.version)),
            Text(entry.occurred_on.isoformat()),
            Text(local_minute(entry.recorded_at)),
            Text(attribution(entry.actor, entry.recorded_by)),
            Text(entry.type, style="strike" if entry.retracted else ""),
            details_text(entry, by_version),
        )
    return Group(head, grid, reads_table(report.reads))


def reads_table(reads: list[ReadRecord]) -> Any:
    """Who looked at the record: when (Danish time, as the audit trail), who, what, why."""
    rows = [[local_minute(r.recorded_at), r.actor, r.what, r.purpose or "–"] for r in reads]
    columns = [f"when ({LOCAL_ZONE})", "who", "what", "purpose"]
    return table("who looked at this record", columns, rows)


@click.command("audit")
@click.argument("ref", metavar="CPR|COURSE")
@click.option(
    "--purpose",
    required=True,
    metavar="TEXT",
    help="why you are looking (recorded with the read, shown to later auditors)",
)
@format_option
def audit_command(ref: str, purpose: str, output_format: str) -> None:
    """A citizen's complete history across all their courses, corrections beside what they
    correct, who looked at the record and any erasure. Shows the CPR number in full.
    The audit itself is recorded, with its purpose."""
    app = app_context()
    purpose = checked_purpose(purpose)
    app.require("audit", purpose=purpose)
    record = citizen_record(ref)
    app.service.record_read(subject=record.subject, actor=app.actor, what="audit", purpose=purpose)
    entries = app.caught_up_views("audit").audit.history(subject=record.subject)
    if not entries:
        raise CourseNotFound("citizen: no course was ever recorded for this citizen")
    citizen = citizen_events(app.service.citizen_events(record.subject))
    report = audit_report(record.cpr, entries, citizen)
    if output_format == "json":
        emit_model(report)
    else:
        console().print(render_audit(report))
