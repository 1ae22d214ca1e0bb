"""`forloeb citizen export|erase`: the citizen's right of access, and erasure.

`export` writes everything recorded about one citizen, across all their
courses, to a readable JSON file (and records that read). `erase` destroys the
citizen's key (crypto-shredding): the log keeps every event, in order, but
their personal part can no longer be decrypted, the CPR no longer leads to the
citizen, the read views are rebuilt without it, and a SQLite file is
compacted so no old page still holds it.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import click
from pydantic import TypeAdapter, ValidationError

from cli.audit import (
    audit_report,
    checked_purpose,
    citizen_events,
    citizen_record,
    looks_like_cpr,
)
from cli.context import AppContext, app_context
from cli.read_models.audit import CitizenExport, ExportedCitizen, ExportedCourse
from cli.render import console
from domain.course import LOCAL_TIME, local_date
from domain.errors import CourseError, InvalidInput
from domain.validation import first_error
from domain.values import Cpr
from storage.kek_status import rotation_due
from storage.keks import parse_period

if TYPE_CHECKING:
    from domain.citizen import Citizen
    from projections.catalog import Views
    from storage.store import StoreConfig
    from workflows.service import CourseService


@click.group("citizen")
def citizen_group() -> None:
    """One citizen's data: hand it over (export) or destroy it (erase)."""


@citizen_group.command("export")
@click.argument("cpr", metavar="CPR")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="the JSON file to write (must not exist yet)",
)
@click.option("--purpose", metavar="TEXT", help="why (recorded with the read)")
def export_command(cpr: str, out: Path, purpose: str | None) -> None:
    """Everything recorded about a citizen, across all their courses, as readable JSON
    (the right of access). The export is recorded as a read of the record."""
    app = app_context()
    purpose = checked_purpose(purpose) if purpose is not None else None
    app.require("citizen.export", purpose=purpose)
    if not looks_like_cpr(cpr):
        raise InvalidInput("cpr", "give the citizen's CPR number, DDMMYY-SSSS")
    check_new_file(out)
    record = citizen_record(cpr)
    app.service.record_read(
        subject=record.subject, actor=app.actor, what="citizen-export", purpose=purpose
    )
    document = citizen_document(app, record.subject, record.cpr)
    write_private_json(out, document.model_dump(mode="json"))
    console().print(
        f"wrote {out}: {len(document.courses)} course(s), "
        f"{sum(len(c.history) for c in document.courses)} event(s)"
    )


def citizen_document(app: AppContext, subject: UUID, cpr: str | None) -> CitizenExport:
    """The export: the citizen, each course with its state and every event, and the reads."""
    service = app.service
    entries = app.caught_up_views("audit").audit.history(subject=subject)
    report = audit_report(cpr, entries, citizen_events(service.citizen_events(subject)))
    courses = []
    for summary in report.courses:
        course = service.get_course(summary.course_id)
        courses.append(
            ExportedCourse(
                course_id=summary.course_id,
                programme=summary.programme,
                state=course.state,
                consultant=course.consultant,
                referred_on=course.referred_on,
                history=[e for e in report.history if e.course_id == summary.course_id],
            )
        )
    return CitizenExport(
        exported_at=datetime.now(UTC),
        exported_by=app.actor,
        citizen=ExportedCitizen(cpr=report.cpr, subject=subject),
        courses=courses,
        reads=report.reads,
        erasure=report.erasure,
    )


def check_new_file(out: Path) -> None:
    """The export goes to a new file in an existing folder (a symbolic link, even one
    pointing nowhere, is not a new file)."""
    if out.exists() or out.is_symlink():
        raise InvalidInput("out", f"{out} exists; choose a new file")
    if not out.parent.is_dir():
        raise InvalidInput("out", f"{out.parent} is not a folder")


def write_private_json(out: Path, document: dict[str, Any]) -> None:
    """Write the JSON readable by its owner only, all at once (no half-written file)."""
    fd, temporary = tempfile.mkstemp(dir=out.parent, prefix=".forloeb-export-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f, ensure_ascii=False, indent=2)
        os.chmod(temporary, 0o600)
        os.link(temporary, out)  # fails, writing nothing, if `out` appeared meanwhile
    except FileExistsError:
        raise InvalidInput("out", f"{out} exists; choose a new file") from None
    finally:
        os.unlink(temporary)


@citizen_group.command("erase")
@click.argument("cpr", metavar="CPR")
@click.option(
    "--reason",
    required=True,
    metavar="TEXT",
    help="why (kept in the log, sealed under the citizen's key: erased with it)",
)
@click.option("--yes", is_flag=True, help="do not ask to confirm by typing the CPR again")
def erase_command(cpr: str, reason: str, yes: bool) -> None:
    """Erase a citizen by destroying their key (admin only; all courses must be closed).

    The log keeps its length and order, and outcome counts stay the same:
    states, dates, programmes and which forms were filled in are kept as
    non-identifying facts. The CPR, notes, names, employers and every health
    and WHO-5 answer become unreadable for good.
    """
    app = app_context()
    app.require("citizen.erase")
    if not looks_like_cpr(cpr):
        raise InvalidInput("cpr", "give the citizen's CPR number, DDMMYY-SSSS")
    reason = checked_purpose(reason) if reason.strip() else ""
    if not reason:
        raise InvalidInput("reason", "say why the citizen is erased")
    cpr = checked_cpr(cpr)
    if not yes:
        typed = click.prompt(
            "This cannot be undone. Type the CPR number again to erase the citizen",
            default="",
            show_default=False,
        )
        if typed.strip().replace("-", "") != cpr.strip().replace("-", ""):
            raise CourseError("confirm: the CPR typed did not match; nothing was erased")
    today = local_date(datetime.now(LOCAL_TIME))
    citizen = erase_everywhere(
        app.service, app.views, app.store, cpr, actor=app.actor, reason=reason, on=today
    )
    console().print(
        f"erased citizen {citizen.id} ({len(citizen.courses)} course(s)): key destroyed, "
        "views rebuilt"
    )


def erase_everywhere(
    service: CourseService,
    views: Views,
    store: StoreConfig,
    cpr: str,
    *,
    actor: str,
    reason: str,
    on: date,
) -> Citizen:
    """Erase the citizen: record it, destroy the key, rebuild the views, compact the file."""
    citizen = service.erase_citizen(cpr, actor=actor, reason=reason, on=on)
    views.rebuild()
    compact_store(store)
    return citizen


def checked_cpr(cpr: str) -> str:
    """A valid CPR number, ten digits."""
    try:
        checked: str = TypeAdapter(Cpr).validate_python(cpr)
    except ValidationError as e:
        raise InvalidInput("cpr", first_error(e)[1]) from None
    return checked


def compact_store(store: StoreConfig) -> None:
    """Leave no erased bytes where the store keeps free pages or logs (its backend knows:
    a SQLite file is rewritten; PostgreSQL's autovacuum reclaims them, docs/operations.md)."""
    store.backend.compact()


@citizen_group.command("rotate-keys")
@click.option(
    "--if-older-than",
    "period",
    metavar="PERIOD",
    help="rotate only if the current KEK is at least this old (12h, 30d, 4w), or keys are "
    "under none: safe to run from a timer",
)
def rotate_keys_command(period: str | None) -> None:
    """Re-wrap every citizen's key under a new key-encryption key and destroy the older ones
    (admin, as the owner role): erased citizens' keys left in WAL or backups become useless.

    The KEK folder is FORLOEB_KEK_DIR (outside the database; a SQLite store's default is
    in the user's configuration folder); docs/operations.md says when to run it (after
    erasures, and on a schedule, e.g. daily with --if-older-than 30d).
    """
    due_after = None if period is None else parse_period(period, "if-older-than")
    app = app_context()
    app.require("init")
    service = app.service
    if due_after is not None:
        why = rotation_due(service.keyring, due_after, datetime.now(UTC))
        if why is None:
            console().print(f"the current KEK is younger than {period}: nothing rotated")
            return
        console().print(f"rotating: {why}")
    report = service.keyring.rotate(lambda subject: citizen_cpr(service, subject))
    destroyed = ", ".join(str(n) for n in report.destroyed) or "none"
    console().print(
        f"re-wrapped {report.rewrapped} citizen key(s) under KEK {report.kek}; "
        f"destroyed KEK(s): {destroyed}"
    )
    for subject in report.kept:
        console().print(f"  kept under its old KEK: citizen {subject} (no CPR on record)")


def citizen_cpr(service: CourseService, subject: UUID) -> str | None:
    """The citizen's CPR as their courses record it (decrypted), or None if they have none."""
    citizen = service.citizen(subject)
    if citizen is None:
        return None
    for course_id in citizen.courses:
        cpr = service.get_course(course_id).cpr
        if cpr:
            return cpr.replace("-", "")
    return None
