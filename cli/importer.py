"""`forloeb import`: apply a JSONL file of commands, one command per line.

Each line is validated and decided on its own; lines are saved in batches
(`CourseService.execute_many`) for speed, and a refused line leaves the others
untouched. Lines with a `command_id` already applied are skipped, so importing
the same file twice applies nothing the second time. The demo and the
benchmarks use `import_lines`, the same path as the command.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from cli.errors import mask_cprs
from cli.vocabulary import command_from_line, reason, refusal_fields
from domain.errors import CourseError
from workflows.commands import Command, CourseCommand, Refer
from workflows.service import CourseService, Outcome

if TYPE_CHECKING:
    from cli.read_models.write_reply import ImportReply

BATCH_SIZE = 500

Line = str | Mapping[str, Any]
"""An import line: JSON text, or an already parsed line (the demo's generator)."""


@dataclass(frozen=True)
class Refusal:
    """A line that was not applied, and why."""

    line: int
    reason: str
    move: dict[str, object] = field(default_factory=dict)
    """A refused move's fields (see MoveRefused.as_dict); empty for any other refusal."""


@dataclass
class ImportReport:
    """What an import did, line by line summed up."""

    applied: int = 0
    skipped: int = 0
    refused: list[Refusal] = field(default_factory=list)
    json_lines: int = 0
    """Lines that were JSON objects (whatever became of them)."""

    @property
    def lines(self) -> int:
        """Non-blank lines read."""
        return self.applied + self.skipped + len(self.refused)

    def reply(self) -> ImportReply:
        """The report as `import --format json` prints it."""
        from cli.read_models.write_reply import ImportRefusal, ImportReply, RefusedMove

        return ImportReply(
            lines=self.lines,
            applied=self.applied,
            skipped=self.skipped,
            refused=[
                ImportRefusal(
                    line=r.line,
                    reason=r.reason,
                    refused_move=RefusedMove.model_validate(r.move) if r.move else None,
                )
                for r in self.refused
            ],
        )


def parse_line(line: Line) -> Mapping[str, Any]:
    """The JSON object of a line; CourseError (refused) when it is not one."""
    if isinstance(line, Mapping):
        return line
    try:
        data = json.loads(line, object_pairs_hook=_refuse_duplicate_keys)
    except _DuplicateKey as e:
        raise MalformedObject(f"{e}: duplicate key") from None
    except RecursionError:
        raise MalformedObject("line: nested too deeply") from None
    except ValueError as e:
        raise CourseError(f"line: not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise CourseError(f"line: must be a JSON object, not {type(data).__name__}")
    return data


class MalformedObject(CourseError):
    """A line that is a JSON object, but one no command can be read from."""


class _DuplicateKey(ValueError):
    """A JSON object named the same key twice."""


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):  # rare: find the key named twice
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return data


Parsed = tuple[int, Command | CourseError]
"""A line's number and its command, or why it is refused before any decision."""


def _parsed(lines: Iterable[Line], report: ImportReport) -> Iterator[Parsed]:
    for number, line in enumerate(lines, start=1):
        if isinstance(line, str) and not line.strip():
            continue
        try:
            data = parse_line(line)
        except MalformedObject as error:
            report.json_lines += 1
            yield number, error
            continue
        except CourseError as error:
            yield number, error
            continue
        report.json_lines += 1
        try:
            yield number, command_from_line(data)
        except CourseError as error:
            yield number, error


def names_course_by_prefix(item: Command | CourseError) -> bool:
    """Whether a command names its course by an id prefix, which is looked up in the saved
    views (a full id or a CPR is resolved by the service, unsaved courses included)."""
    if not isinstance(item, CourseCommand):
        return False
    ref = item.course.strip()
    if ref.replace("-", "").isdigit():
        return False
    try:
        UUID(ref)
    except ValueError:
        return True
    return False


def _batches(parsed: Iterable[Parsed], size: int) -> Iterator[list[Parsed]]:
    """Batches of at most `size` lines; a line naming its course by an id prefix starts a
    new batch after an unsaved referral, so it can find the course that referral opened."""
    batch: list[Parsed] = []
    holds_referral = False
    for number, item in parsed:
        if batch and (len(batch) >= size or (holds_referral and names_course_by_prefix(item))):
            yield batch
            batch, holds_referral = [], False
        batch.append((number, item))
        holds_referral = holds_referral or isinstance(item, Refer)
    if batch:
        yield batch


def _record(report: ImportReport, number: int, result: Outcome | CourseError) -> None:
    if isinstance(result, CourseError):
        report.refused.append(Refusal(number, mask_cprs(reason(result)), refusal_fields(result)))
    elif result.skipped:
        report.skipped += 1
    else:
        report.applied += 1


def _import_batch(
    service: CourseService, batch: list[Parsed], actor: str, report: ImportReport
) -> None:
    commands = [(number, item) for number, item in batch if isinstance(item, Command)]
    for number, item in batch:
        if isinstance(item, CourseError):
            _record(report, number, item)
    results = service.execute_many([command for _, command in commands], actor)
    for (number, _), result in zip(commands, results, strict=True):
        _record(report, number, result)


def import_lines(
    service: CourseService,
    lines: Iterable[Line],
    actor: str,
    *,
    batch_size: int = BATCH_SIZE,
    after_batch: Callable[[int], None] | None = None,
) -> ImportReport:
    """Apply import lines in batches; `after_batch(n)` is told how many lines each batch held."""
    report = ImportReport()
    for batch in _batches(_parsed(lines, report), batch_size):
        _import_batch(service, batch, actor, report)
        if after_batch is not None:
            after_batch(len(batch))
    report.refused.sort(key=lambda refusal: refusal.line)
    return report
