"""What `outcomes`, `analysis`, `report` and `export` share: the cohort options, reading the
cohort's courses with both kinds of time, and the pull's manifest (printing: `cli.pull_output`).

Two kinds of time: `--as-of DATE` is the world on that date as we know it now
(what had happened by then); `--known-at TIMESTAMP` is what the system had
recorded by then. Without `--known-at` a pull is of what is recorded at the
moment it starts, and its manifest says which moment: pulling again with that
`--known-at` (and the same `--as-of`) gives the same cells.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from cli.context import app_context
from cli.filters import chosen_programme
from cli.options import DateParam, parse_date
from domain.course import LOCAL_TIME
from domain.errors import InvalidInput
from workflows.commands import today

if TYPE_CHECKING:
    from projections.manifest import Command, Manifest, OptionValue
    from projections.outcomes import Cohort, CohortBy, OutcomesView
    from projections.outcomes_course import CourseOutcome

F = TypeVar("F", bound=Callable[..., Any])
DATE = DateParam(as_datetime=True)
OUTPUT_FORMATS = ("table", "csv", "json")


def parse_known_at(text: str | None) -> datetime | None:
    """A recorded-time limit: an ISO timestamp (Danish time unless a zone is given), or a
    date meaning the end of that day."""
    if text is None:
        return None
    try:
        day = parse_date(text)
    except ValueError:
        day = None
    try:
        moment = datetime.combine(day, time()) if day else datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("known_at", f"{text!r} is not an ISO date or timestamp") from None
    if day is not None:  # a bare date: everything recorded that day
        moment = datetime.combine(day + timedelta(days=1), time()) - timedelta(microseconds=1)
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TIME)


def _apply(function: F, decorators: list[Callable[[F], F]]) -> F:
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def cohort_options(function: F) -> F:
    """The options choosing a programme's cohort and the two kinds of time."""
    return _apply(
        function,
        [
            click.option(
                "--programme", metavar="NAME", help="the programme [the store's one, if only one]"
            ),
            click.option(
                "--cohort-from",
                type=DATE,
                metavar="YYYY-MM-DD",
                help="first day of the cohort period",
            ),
            click.option(
                "--cohort-to", type=DATE, metavar="YYYY-MM-DD", help="last day of the cohort period"
            ),
            click.option(
                "--cohort-by",
                type=click.Choice(["referral", "baseline"]),
                default="referral",
                show_default=True,
                help="the period is of the referral or of the baseline",
            ),
            click.option(
                "--as-of",
                type=DATE,
                metavar="YYYY-MM-DD",
                help="the world on this date (by when things happened) [today]",
            ),
            click.option(
                "--known-at",
                metavar="TIMESTAMP",
                help="only what was recorded by then, ISO (Danish time unless a zone is given; "
                "a date = end of day) [the moment the pull starts, given in its manifest]",
            ),
        ],
    )


def suppress_option(function: F) -> F:
    """--suppress-below N."""
    return click.option(
        "--suppress-below",
        type=click.IntRange(min=3),
        metavar="N",
        help='hide counts under N ("<N"; JSON: null, suppressed "small") and any cell that '
        'would give one away ("x"; JSON: null, suppressed "complementary")',
    )(function)


def output_options(function: F) -> F:
    """--format table|csv|json and --suppress-below, as every table command has them."""
    function = suppress_option(function)
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(OUTPUT_FORMATS),
        default="table",
        show_default=True,
        help="tables for people; CSV, one line per cell (table,row,column,value,suppressed; "
        "the manifest first, as table 'manifest'); or JSON for programs",
    )(function)


def check_out_folder(out: Path) -> None:
    """Refuse, as bad input, an output file whose folder does not exist, or a path that
    holds something other than a file (a folder, /dev/null)."""
    from storage.owner_only import not_a_file

    folder = out.parent
    if not folder.is_dir():
        reason = "is not a folder" if folder.exists() else "does not exist"
        raise InvalidInput("out", f"{out}: the folder {folder} {reason}")
    other = not_a_file(out)
    if other is not None:
        raise InvalidInput("out", other)


# Reading the cohort ----------------------------------------------------------------


@dataclass(frozen=True)
class Pulled:
    """A cohort's courses as read, with when and how far the log was read."""

    cohort: Cohort
    as_of: date
    known_at: datetime
    """A real moment (UTC): the one asked for, or when the pull started."""
    log_position: int
    view: OutcomesView
    given: list[CourseOutcome] | None = None
    """Courses put in place of the cohort's (to see what each changes), else None."""

    @cached_property
    def courses(self) -> list[CourseOutcome]:
        """The courses given, else the cohort's as of the date, as recorded by the moment
        (read when first asked: tables the view's kept sums answer need none of them)."""
        if self.given is not None:
            return self.given
        return self.view.courses(self.cohort, self.as_of, self.known_at)

    def about(self) -> dict[str, Any]:
        """What the pull is of: programme, cohort, and both kinds of time."""
        from projections.manifest import utc_text

        return {
            "programme": self.cohort.programme,
            "cohort": {"by": self.cohort.by, "from": self.cohort.first, "to": self.cohort.last},
            "as_of": self.as_of,
            "known_at": utc_text(self.known_at),
        }


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


def pull(
    programme: str | None,
    cohort_from: datetime | None,
    cohort_to: datetime | None,
    cohort_by: str,
    as_of: datetime | None,
    known_at: str | None,
) -> Pulled:
    """The cohort's courses from the caught-up outcomes view (its programme the one named,
    or the store's only one)."""
    from projections.outcomes import Cohort

    by = cast("CohortBy", cohort_by)  # click has checked it is one of the two
    known = parse_known_at(known_at)
    return read_cohort(
        lambda programmes: Cohort(
            chosen_programme(programme, programmes), _day(cohort_from), _day(cohort_to), by
        ),
        _day(as_of) or today(),
        known,
    )


def pull_again(manifest: Manifest, known_at: datetime | None) -> Pulled:
    """The cohort a manifest names, as of its date, as recorded at `known_at` (None: now)."""
    from projections.outcomes import Cohort

    cohort = Cohort(
        manifest.programme, manifest.cohort.first, manifest.cohort.last, manifest.cohort.by
    )
    return read_cohort(lambda _: cohort, manifest.as_of, known_at)


def read_cohort(
    choose: Callable[[list[str]], Cohort], as_of: date, known_at: datetime | None
) -> Pulled:
    """Catch the outcomes view up and read the chosen cohort. Without a `known_at` the
    moment is taken before catching up, so everything recorded by then is in the view."""
    moment = known_at or datetime.now(UTC)
    view = cast("OutcomesView", app_context().caught_up_views("outcomes").view("outcomes"))
    position = view.position()
    cohort = choose(view.programmes())
    return Pulled(cohort, as_of, moment.astimezone(UTC), position, view)


def read_courses(
    programme: str | None,
    cohort_from: datetime | None,
    cohort_to: datetime | None,
    cohort_by: str,
    as_of: datetime | None,
    known_at: str | None,
) -> tuple[dict[str, Any], list[CourseOutcome], OutcomesView]:
    """The cohort's courses, a description of what was asked, and the view read."""
    pulled = pull(programme, cohort_from, cohort_to, cohort_by, as_of, known_at)
    return pulled.about(), pulled.courses, pulled.view


def manifest_of(
    pulled: Pulled,
    command: Command,
    suppress_below: int | None,
    options: Mapping[str, OptionValue] | None = None,
) -> Manifest:
    """The pull's manifest, with the definition, configuration and code it ran under."""
    from cli.manifests import code_version, configuration_sha256, definition_version
    from projections.manifest import CohortChoice, Manifest, Suppression

    app = app_context()
    cohort = pulled.cohort
    return Manifest(
        command=command,
        programme=cohort.programme,
        cohort=CohortChoice(by=cohort.by, first=cohort.first, last=cohort.last),
        as_of=pulled.as_of,
        known_at=pulled.known_at,
        log_position=pulled.log_position,
        definition=definition_version(cohort.programme, app.programmes_folder),
        configuration_sha256=configuration_sha256(app.config_path),
        code=code_version(),
        suppression=Suppression(below=suppress_below),
        options=dict(options or {}),
    )
