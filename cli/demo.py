"""`forloeb demo`: load the deterministic demo cohort through the import path and show it.

Without a configuration file it creates one for the demo store: the cohort's
staff, whom its lines name as actors (consultants and job consultants in one
team with its team lead, caseworkers), a caseworker, an auditor, an evaluator,
and the acting and OS users as admins: an import records lines only for
configured users. With one, only an admin may load the demo. On a
terminal a progress bar counts the citizens referred, then a spinner shows while
the views catch up.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from uuid import UUID

import click

from cli.config import UserEntry, create_config
from cli.context import AppContext, app_context, valid_login
from cli.import_file import summary
from cli.importer import import_lines
from cli.read import course_row
from cli.render import console, table
from cli.show import course_report, details_texts, render_course
from domain.errors import CourseError, InvalidInput
from domain.values import CourseState
from workflows.access import DEMO, Role

REFERENCE_SIZE = 104
PROGRAMME_DEMOS = ("oph", "mb", "vaerestedsmodel", "faxe-m3")
"""The programmes with a demo cohort shaped on their reports (demo.programmes)."""
"""The default cohort size (demo.REFERENCE_SIZE)."""
DEMO_TEAM = "team-1"
DEMO_ROLES = {
    "teamlead": (Role.TEAM_LEAD, DEMO_TEAM),
    "caseworker": (Role.CASEWORKER, None),
    "auditor": (Role.AUDITOR, None),
    "evaluator": (Role.EVALUATOR, None),
}

CohortGenerator = Callable[..., Iterator[dict[str, Any]]]


def cohort_generator() -> CohortGenerator:
    """The demo cohort's generator (demo.generate)."""
    try:
        from demo import generate
    except ImportError:
        raise CourseError("demo: the demo cohort (the demo package) is not installed") from None
    found: CohortGenerator = generate
    return found


def cohort_staff(size: int) -> dict[str, UserEntry]:
    """The users a cohort of `size` names as actors, by login."""
    from demo.people import TEAM_LEAD, Staff

    staff = Staff.for_size(size)
    consultant = UserEntry(role=Role.CONSULTANT, team=DEMO_TEAM)
    users = {f"consultant-{n}": consultant for n in range(1, staff.consultants + 1)}
    users |= {f"jk-{n}": consultant for n in range(1, staff.job_consultants + 1)}
    users |= {f"cw-{n}": UserEntry(role=Role.CASEWORKER) for n in range(1, staff.caseworkers + 1)}
    users[TEAM_LEAD] = UserEntry(role=Role.TEAM_LEAD, team=DEMO_TEAM)
    return users


def demo_users(admins: list[str], size: int = REFERENCE_SIZE) -> dict[str, UserEntry]:
    """The demo configuration's users, by login: the staff of a cohort of `size` and more."""
    users = cohort_staff(size)
    users |= {login: UserEntry(role=role, team=team) for login, (role, team) in DEMO_ROLES.items()}
    users |= {login: UserEntry(role=Role.ADMIN) for login in admins}
    return users


def ensure_demo_config(app: AppContext, size: int = REFERENCE_SIZE) -> None:
    """Create the demo configuration (for a cohort of `size`) if there is none; otherwise
    require an admin and add the cohort's staff the configuration lacks."""
    from cli.main import default_user

    path = app.config_path
    if path.exists():
        app.require(DEMO)
        add_cohort_staff(app, size)
        return
    admins = [app.login]
    with suppress(InvalidInput):  # an OS user name forloeb cannot take is left out
        admins = list(dict.fromkeys([*admins, valid_login(default_user())]))
    create_config(path, demo_users(admins, size))
    click.echo(f"config: created {path} with the demo users; {', '.join(admins)} as admin")


def on_terminal() -> bool:
    """Whether both stdout and stderr are terminals (progress is shown only then)."""
    return sys.stdout.isatty() and sys.stderr.isatty()


@contextmanager
def referral_progress(size: int, shown: bool) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr of the `size` citizens referred, if `shown`; yields the
    function that counts one more. The bar is cleared when done."""
    if not shown:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("citizens referred", total=size)
        yield lambda: bar.advance(task)


@contextmanager
def spinner(message: str, shown: bool) -> Iterator[None]:
    """A spinner with `message` on stderr while the block runs, if `shown` (then cleared)."""
    if not shown:
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield


def counting_referrals(
    lines: Iterable[dict[str, Any]], count: Callable[[], None]
) -> Iterator[dict[str, Any]]:
    """The lines, unchanged, calling `count` as each referral passes."""
    for line in lines:
        if line["command"] == "refer":
            count()
        yield line


def add_cohort_staff(app: AppContext, size: int) -> None:
    """Add to the configuration the users the cohort's lines name that it lacks."""
    from cli.config import save_users

    content = app.config.content
    missing = {k: v for k, v in cohort_staff(size).items() if k not in content.users}
    if not missing:
        return
    save_users(app.config, {**content.users, **missing})
    app.reload_config()
    click.echo(f"config: added the demo cohort's staff ({len(missing)} users) to {app.config.path}")


def _example(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The course with the longest history, preferring one that ended as planned."""
    planned = [r for r in rows if r["state"] == CourseState.EXITED_PLANNED.value]
    return max(planned or rows, key=lambda r: (r["version"], r["course_id"]))


@click.command("demo")
@click.option(
    "--size",
    default=REFERENCE_SIZE,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="citizens referred",
)
@click.option("--seed", default=2019, show_default=True, type=int, help="random seed")
@click.option(
    "--programme",
    type=click.Choice(["paa-vej-til-arbejde", *PROGRAMME_DEMOS]),
    default="paa-vej-til-arbejde",
    show_default=True,
    help="whose cohort: the others are shaped on their reports' figures (--size ignored)",
)
def demo_command(size: int, seed: int, programme: str) -> None:
    """Load the demo cohort (deterministic for a size and seed) and show the result."""
    app = app_context()
    app.creates_store = True
    generate = cohort_generator()
    ensure_demo_config(app, size if programme == "paa-vej-til-arbejde" else REFERENCE_SIZE)
    shown = on_terminal()
    if programme != "paa-vej-til-arbejde":
        from demo.programmes import generate_programme

        report = import_lines(app.service, generate_programme(programme, seed), app.actor)
        click.echo("\n".join(summary(f"demo cohort {programme} (seed {seed})", report)))
        click.echo(f"see: forloeb outcomes --programme {programme}")
        return
    with referral_progress(size, shown) as count:
        lines = counting_referrals(generate(size=size, seed=seed), count)
        report = import_lines(app.service, lines, app.actor)
    with spinner("updating the views", shown):
        views = app.caught_up_views()
    click.echo("\n".join(summary(f"demo cohort (size {size}, seed {seed})", report)))
    rows = [course_row(row).model_dump(mode="json") for row in views.course_list.list_courses()]
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
    example_report = course_report(app.service, course_id)
    out.print(render_course(example_report, details_texts(app.service, course_id)))
