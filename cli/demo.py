"""`forloeb demo`: load the deterministic demo cohort through the import path and show it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import click

from cli.context import app_context
from cli.import_file import summary
from cli.importer import import_lines
from cli.read import row_dict
from cli.render import console, table
from cli.show import course_report, render_course
from domain.errors import CourseError
from domain.values import CourseState

CohortGenerator = Callable[..., Iterator[dict[str, Any]]]


def cohort_generator() -> CohortGenerator:
    """The demo cohort's generator (cli.demo_cohort.generate)."""
    try:
        from cli.demo_cohort import generate
    except ImportError:
        raise CourseError("demo: the demo cohort (cli/demo_cohort.py) is not installed") from None
    found: CohortGenerator = generate
    return found


def _example(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The course with the longest history, preferring one that ended as planned."""
    planned = [r for r in rows if r["state"] == CourseState.EXITED_PLANNED.value]
    return max(planned or rows, key=lambda r: (r["version"], r["course_id"]))


@click.command("demo")
@click.option("--size", default=104, show_default=True, type=click.IntRange(1, 100_000),
              help="citizens referred")
@click.option("--seed", default=2019, show_default=True, type=int, help="random seed")
def demo_command(size: int, seed: int) -> None:
    """Load the demo cohort (deterministic for a size and seed) and show the result."""
    app = app_context()
    generate = cohort_generator()
    report = import_lines(app.service, generate(size=size, seed=seed), app.actor)
    views = app.caught_up_views()
    click.echo("\n".join(summary(f"demo cohort (size {size}, seed {seed})", report)))
    rows = [row_dict(row) for row in views.course_list.list_courses()]
    if not rows:
        return
    by_state = Counter(r["state"] for r in rows)
    cells = [[state.value, by_state[state.value]] for state in CourseState if by_state[state.value]]
    out = console()
    out.print(table(f"{len(rows)} courses by state", ["state", "courses"], cells))
    example = _example(rows)
    out.print(render_course(course_report(app.service, UUID(example["course_id"]))))

