"""Filters name what exists: an unknown consultant or programme is an error, not an empty
table (most likely it is a typing error), and a programme may go unnamed when the
store holds only one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from domain.errors import InvalidInput

if TYPE_CHECKING:
    from cli.context import AppContext
    from workflows.access import Directory
    from workflows.commands import Command


def require_known(field: str, value: str | None, known: Iterable[str], unknown: str) -> None:
    """Unless the value is one of the known ones (or None: no filter), InvalidInput naming
    the field, saying `unknown` and listing the known values."""
    if value is None:
        return
    names = sorted(set(known))
    if value not in names:
        raise InvalidInput(field, f"{unknown} (known: {', '.join(names) or 'none yet'})")


def configured_consultants(directory: Directory) -> set[str]:
    """The names courses may give as consultant: each configured user's (a consultant's
    `name`, else the login)."""
    return {user.name for user in directory.users.values()}


def known_consultant(app: AppContext, consultant: str | None) -> None:
    """Refuse a consultant filter naming nobody the configuration or the store knows."""
    if consultant is None:
        return
    held = app.caught_up_views("course_list").course_list.consultants()
    known = configured_consultants(app.directory) | set(held)
    require_known("consultant", consultant, known, f"no consultant {consultant!r}")


def known_programme(app: AppContext, programme: str | None) -> None:
    """Refuse a programme filter naming a programme no course was referred to."""
    if programme is None:
        return
    programmes = app.caught_up_views("course_list").course_list.programmes()
    require_known("programme", programme, programmes, referred_to(programme))


def chosen_programme(programme: str | None, programmes: list[str]) -> str:
    """The programme asked for, or the store's only one when none is named."""
    if programme is not None:
        require_known("programme", programme, programmes, referred_to(programme))
        return programme
    if len(programmes) == 1:
        return programmes[0]
    known = ", ".join(programmes) or "none: no course was referred yet"
    raise InvalidInput("programme", f"name one with --programme (known: {known})")


def referred_to(programme: str) -> str:
    """What is wrong with a programme nothing was referred to."""
    return f"no course was referred to {programme!r}"


def known_assignee(app: AppContext, command: Command) -> None:
    """A course is given (accept, reassign) only to a user the configuration knows, who can
    then see it. An import may name consultants who have since left: it records history."""
    consultant = getattr(command, "consultant", None)
    if isinstance(consultant, str):
        known = configured_consultants(app.directory)
        unknown = f"no user {consultant!r} in the configuration"
        require_known("consultant", consultant, known, unknown)
