"""Shell completion of values: course ids, programmes and consultants.

Enable it with click's own script, e.g. for bash
`eval "$(_FORLOEB_COMPLETE=bash_source forloeb)"` (zsh: `zsh_source`, fish:
`fish_source`). The callbacks here open the store the command line names
(`--db`, `--database-url`, `--as`, before or after the command) and offer what
the acting user may see; whatever goes wrong (no store, an unknown user), they
offer nothing rather than print an error into the shell.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import click
from click.shell_completion import CompletionItem

if TYPE_CHECKING:
    from cli.context import AppContext
    from projections.course_list import CourseRow

Completer = Callable[[click.Context, click.Parameter, str], list[str]]


@contextlib.contextmanager
def _app(ctx: click.Context) -> Iterator[AppContext]:
    """The command line's context, as the command itself would get it, closed after."""
    from cli.context import AppContext
    from cli.global_options import chosen

    options = chosen(ctx)
    actor = options.get("actor")
    if actor is None:
        from cli.main import default_user

        actor = default_user()
    app = AppContext(actor=actor, db=options.get("db"), database_url=options.get("database_url"))
    try:
        yield app
    finally:
        app.close()


def _course_rows(app: AppContext) -> list[CourseRow]:
    """The courses in the store the acting user may read (none if the store is missing:
    completing never creates one)."""
    path = app.chosen_store.sqlite_path
    if path is not None and not path.is_file():
        return []
    rows = app.caught_up_views("course_list").course_list.list_courses()
    return [row for row in rows if app.sees(row.consultant)]


def complete_courses(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    """The ids of the courses the acting user may read, starting with what is typed."""
    from workflows.access import COURSES

    try:
        with _app(ctx) as app:
            if not app.may(COURSES):
                return []
            ids = [str(row.course_id) for row in _course_rows(app)]
            return sorted(i for i in ids if i.startswith(incomplete.lower()))
    except Exception:  # completion offers nothing rather than an error
        return []


def complete_programmes(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    """The programmes defined (shipped, or by the configuration) and those courses in the
    store are in."""
    try:
        with _app(ctx) as app:
            names = set(app.config.programme_settings)
            with contextlib.suppress(Exception):  # the configuration's names still count
                names |= {row.programme for row in _course_rows(app)}
    except Exception:
        return []
    return sorted(name for name in names if name.startswith(incomplete))


def complete_consultants(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    """The resource consultants in the configuration."""
    from workflows.access import Role

    try:
        with _app(ctx) as app:
            users = app.directory.users.values()
            names = {user.name for user in users if user.role is Role.CONSULTANT}
    except Exception:
        return []
    return sorted(name for name in names if name.startswith(incomplete))


BY_NAME: dict[str, Completer] = {
    "course": complete_courses,
    "programme": complete_programmes,
    "consultant": complete_consultants,
}
"""The completion of a parameter by its name, wherever it appears."""


def complete_values(command: click.Command) -> click.Command:
    """Give each parameter of `command` (and of a group's commands) named in BY_NAME its
    completion, unless its type completes itself (a closed choice)."""
    for param in command.params:
        completer = BY_NAME.get(param.name or "")
        if completer is not None and not isinstance(param.type, click.Choice):
            param.shell_complete = _completion(completer, param)  # type: ignore[method-assign,assignment]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            complete_values(sub)
    return command


def _completion(
    completer: Completer, param: click.Parameter
) -> Callable[[click.Context, str], list[CompletionItem]]:
    def complete(ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        return [CompletionItem(value) for value in completer(ctx, param, incomplete)]

    return complete
