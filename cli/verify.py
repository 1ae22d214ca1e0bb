"""`forloeb verify [--all | COURSE]`: check the event log's hash chains and signed heads.

Recomputes every stored event's hash from the bytes as stored, follows each
aggregate's chain and checks its signed head (see `storage.chain`). Each
finding is one line naming the aggregate, the sequence number and what is
wrong (changed, removed, inserted, reordered, head signature invalid, head
missing, not chained); any finding exits 1. The store is read in one snapshot,
in batches, so memory stays bounded however large the log.

`forloeb verify --seal` (an admin's upgrade step, like `init`) brings the
events of a store written before tamper evidence existed under the chain,
once, then verifies everything.

`--all` also walks the log-wide chain over the notification order (see
`storage.log_chain`), which catches a course deleted whole or the log's tail
cut off, and prints the log's head, `log head: POSITION:DIGEST`, for the
operator to keep outside the database; `--against POSITION:DIGEST` then fails
if the stored log does not extend a head kept so (a rollback of the head
together with the events). It also names what would leave an erased citizen
recoverable from the WAL or a backup (`storage.kek_status`): no key-encryption
key folder, citizen keys under the master key alone, a current KEK older than
FORLOEB_KEK_MAX_AGE (default 30d).
"""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import click

from cli.context import AppContext, app_context
from cli.errors import EXIT_REFUSED
from domain.errors import CourseError, CourseNotFound, InvalidInput
from storage.chain import Finding, Verifier
from storage.kek_status import kek_findings
from storage.keks import max_age
from storage.keys import key_findings
from storage.log_chain import Anchor, LogWalk

FORMATS = ("text", "json")


class NotChained(CourseError):
    """The store's recorder keeps no hash chain, so there is nothing to verify."""


@click.command("verify")
@click.argument("course", required=False, metavar="[COURSE]")
@click.option("--all", "every", is_flag=True, help="verify every course and citizen index")
@click.option(
    "--seal",
    is_flag=True,
    help="admin: chain the events of a store written before tamper evidence (once), "
    "then verify everything",
)
@click.option(
    "--against",
    metavar="POSITION:DIGEST",
    help="a log head kept outside the database (as `verify --all` prints it): "
    "fail unless the stored log extends it",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="one line per finding for people, or JSON for programs",
)
def verify_command(
    course: str | None, every: bool, seal: bool, against: str | None, output_format: str
) -> int:
    """Check that no stored event was changed, removed, inserted or reordered (exit 1 if so)."""
    app = app_context()
    app.require("verify")
    if seal and course is not None:
        raise click.UsageError("--seal verifies every aggregate; give no COURSE")
    if not seal and every == (course is not None):
        raise click.UsageError("give a COURSE or --all (not both)")
    anchor = checked_anchor(against)
    if anchor is not None and course is not None:
        raise click.UsageError("--against checks the whole log; give --all, not a COURSE")
    recorder = chained_recorder(app)
    sealed: dict[str, Any] | None = None
    if seal:
        app.require("init")
        sealed = seal_store(recorder, output_format)
    originator = None if course is None else app.service.resolve(course)
    verifier = Verifier(recorder.require_chain_key())
    findings = recorder.chain_findings(verifier, originator)
    walk: LogWalk | None = None
    if originator is None:
        walk, log_found = recorder.log_findings(verifier.key, anchor)
        keyring = app.service.keyring
        keys_found = key_findings(keyring, recorder.events_table_name)
        keks_found = kek_findings(keyring, max_age(os.environ), datetime.now(UTC))
        findings = itertools.chain(findings, log_found, keys_found, keks_found)
    if output_format == "json":
        found = list(findings)
        check_found(verifier, originator)
        emit(verifier, found, sealed, walk, originator)
        count = len(found)
    else:
        count = 0
        for finding in findings:  # printed as found: the log is streamed
            click.echo(finding.line())
            count += 1
        check_found(verifier, originator)
        if walk is not None:
            click.echo(head_line(walk))
        click.echo(summary(verifier, count))
    return EXIT_REFUSED if count else 0


def checked_anchor(text: str | None) -> Anchor | None:
    """The head given with --against, or a one-line error naming the option."""
    if text is None:
        return None
    try:
        return Anchor.parse(text)
    except ValueError as e:
        raise InvalidInput("against", str(e)) from None


def head_line(walk: LogWalk) -> str:
    """The log's signed head, to keep outside the database."""
    head = walk.head
    if head is None:
        if walk.headless:
            return "log head: none (removed; its log links remain: restore it from a backup)"
        if walk.unlinked:
            return "log head: none (the log is not under the chain: `forloeb verify --seal`)"
        return "log head: none yet (the log chain starts with the next event)"
    return (
        f"log head: {Anchor(head.position, head.digest).text()} "
        f"(notifications #{head.start}..#{head.position}; keep it outside the database, "
        "check later with --against)"
    )


def chained_recorder(app: AppContext) -> Any:
    """The service's recorder, which must keep the hash chain."""
    recorder = app.service.recorder
    if not hasattr(recorder, "chain_findings"):
        raise NotChained(
            f"verify: the recorder {type(recorder).__name__} keeps no hash chain; nothing to verify"
        )
    return recorder


def seal_store(recorder: Any, output_format: str) -> dict[str, Any]:
    """Seal the unchained aggregates; say what was done (text) and return it (JSON)."""
    report = recorder.seal()
    if output_format == "text":
        click.echo(f"sealed {report.events} events in {report.aggregates} aggregates")
        for line in report.skipped:
            click.echo(f"  {line}")
        if report.log_sealed is not None:
            first, last = report.log_sealed
            click.echo(f"sealed the event log: notifications #{first}..#{last}")
    return {"events": report.events, "aggregates": report.aggregates, "skipped": report.skipped}


def check_found(verifier: Verifier, originator: UUID | None) -> None:
    """A course that has neither events nor a head in the store was not found."""
    if originator is not None and verifier.aggregates == 0:
        raise CourseNotFound(f"course: no course {originator} in the event store")


def summary(verifier: Verifier, findings: int) -> str:
    """The last line: what was checked, and how many findings."""
    checked = f"verified {verifier.events} events in {verifier.aggregates} aggregates"
    if findings == 0:
        return f"{checked}: no findings"
    return f"{checked}: {findings} finding{'s' if findings != 1 else ''}"


def finding_dict(finding: Finding) -> dict[str, Any]:
    """A finding as plain values."""
    return {
        "aggregate": finding.aggregate,
        "id": finding.originator_id,
        "version": finding.version,
        "kind": str(finding.kind),
        "detail": finding.detail,
    }


def emit(
    verifier: Verifier,
    findings: list[Finding],
    sealed: dict[str, Any] | None,
    walk: LogWalk | None = None,
    course_id: UUID | None = None,
) -> None:
    """The result as JSON (`cli.read_models.checks.VerifyReport`)."""
    from cli.read_models.checks import VerifyReport
    from cli.render import emit_model

    head = None if walk is None else walk.head
    log_head = (
        None
        if head is None
        else {"start": head.start, "position": head.position, "digest": head.digest.hex()}
    )
    report = {
        "course_id": course_id,
        "events": verifier.events,
        "aggregates": verifier.aggregates,
        "findings": [finding_dict(f) for f in findings],
        "summary": summary(verifier, len(findings)),
        "sealed": sealed,
        "log_head": log_head,
    }
    emit_model(VerifyReport.model_validate(report))
