"""`forloeb demo`: load the deterministic demo cohort through the import path and show it.

Without a configuration file it creates one for the demo store: the cohort's
consultants (one team, with its team lead), a caseworker, an auditor,
an evaluator, and the acting and OS users as admins. With one, only an admin
may load the demo.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any
from uuid import UUID

import click

from cli.config import UserEntry, create_config
from cli.context import AppContext, app_context, valid_login
from cli.import_file import summary
from cli.importer import import_lines
from cli.read import row_dict
from cli.render import console, table
from cli.show import course_report, render_course
from domain.errors import CourseError, InvalidInput
from domain.values import CourseState
from workflows.access import DEMO, Role

DEMO_CONSULTANTS = 4
"""consultant-1 … consultant-4, as the cohort names them."""
DEMO_TEAM = "team-1"
DEMO_ROLES = {
    "teamlead": (Role.TEAM_LEAD, DEMO_TEAM),
    "caseworker": (Role.CASEWORKER, None),
    "auditor": (Role.AUDITOR, None),
    "evaluator": (Role.EVALUATOR, None),
}

CohortGenerator = Callable[..., Iterator[dict[str, Any]]]


def cohort_generator() -> CohortGenerator:
    """The demo cohort's generator (cli.demo_cohort.generate)."""
    try:
        from cli.demo_cohort import generate
    except ImportError:
        raise CourseError("demo: the demo cohort (cli/demo_cohort.py) is not installed") from None
    found: CohortGenerator = generate
    return found


def demo_users(admins: list[str]) -> dict[str, UserEntry]:
    """The demo configuration's users, by login."""
    users = {
        f"consultant-{n}": UserEntry(role=Role.CONSULTANT, team=DEMO_TEAM)
        for n in range(1, DEMO_CONSULTANTS + 1)
    }
    users |= {login: UserEntry(role=role, team=team) for login, (role, team) in DEMO_ROLES.items()}
    users |= {login: UserEntry(role=Role.ADMIN) for login in admins}
    return users


def ensure_demo_config(app: AppContext) -> None:
    """Create the demo configuration if there is none; otherwise require an admin."""
    from cli.main import default_user

    path = app.config_path
    if path.exists():
        app.require(DEMO)
        return
    admins = [app.login]
    with suppress(InvalidInput):  # an OS user name forloeb cannot take is left out
        admins = list(dict.fromkeys([*admins, valid_login(default_user())]))
    create_config(path, demo_users(admins))
    click.echo(f"config: created {path} with the demo users; {', '.join(admins)} as admin")


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
    app.creates_store = True
    ensure_demo_config(app)
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
    course_id = UUID(example["course_id"])
    app.service.record_read(course_id, actor=app.actor, what="show", purpose="demo")
    app.caught_up_views()
    out.print(render_course(course_report(app.service, course_id)))

