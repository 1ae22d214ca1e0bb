"""The command line's context: who is working, on which store, opened only when needed.

Nothing here touches the database until a command asks for the service or
the views, so `forloeb --help` stays instant and side-effect free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import click

from domain.errors import InvalidInput

if TYPE_CHECKING:
    from cli.store import StoreConfig
    from projections.catalog import Views
    from workflows.service import CourseService


@dataclass
class AppContext:
    """Global options and the lazily opened service and read views."""

    actor: str
    db: str | None = None
    database_url: str | None = None
    _store: StoreConfig | None = field(default=None, repr=False)
    _service: CourseService | None = field(default=None, repr=False)
    _views: Views | None = field(default=None, repr=False)

    @property
    def store(self) -> StoreConfig:
        """The chosen event store."""
        if self._store is None:
            from cli.store import StoreConfig

            self._store = StoreConfig.from_options(self.db, self.database_url)
        return self._store

    @property
    def service(self) -> CourseService:
        """The course service on the store, opened on first use."""
        if self._service is None:
            from workflows.service import CourseService

            if self.store.sqlite_path is not None:
                check_sqlite_path(self.store.sqlite_path)
            try:
                env = self.store.env()
            except ValueError as e:
                field_name, _, reason = str(e).partition(": ")
                raise InvalidInput(field_name, reason or "is not valid") from None
            if self.store.is_postgres:
                from cli.store import check_ready

                check_ready(self.store)
            self._service = CourseService(env=env)
            self._service.course_finder = self._find_by_prefix
        return self._service

    @property
    def views(self) -> Views:
        """The read views, opened on first use (sharing the service's connection)."""
        if self._views is None:
            from projections.catalog import open_views

            self._views = open_views(self.store, app=self.service)
        return self._views

    def caught_up_views(self) -> Views:
        """The read views, brought up to the head of the event log."""
        views = self.views
        views.catch_up()
        return views

    def require(self, action: str, course_id: UUID | None = None) -> None:
        """Refuse (one line, exit 1, nothing written) unless the acting user may do
        `action` (e.g. "audit", "verify", "citizen.export", "citizen.erase"),
        on `course_id` when the permission depends on the course."""

    def _find_by_prefix(self, prefix: str) -> list[UUID]:
        return self.caught_up_views().course_list.find_by_prefix(prefix)

    def close(self) -> None:
        """Close whatever was opened."""
        if self._views is not None:
            self._views.close()
            self._views = None
        if self._service is not None:
            self._service.close()
            self._service = None


SQLITE_HEADER = b"SQLite format 3\x00"


def check_sqlite_path(path: Path) -> None:
    """Refuse, as bad input, a --db path that cannot be a SQLite store."""
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise InvalidInput("db", f"{path}: {parent} is a file, not a folder")
    if path.is_dir():
        raise InvalidInput("db", f"{path} is a folder, not a SQLite file")
    if path.is_file() and path.stat().st_size > 0:
        with path.open("rb") as f:
            if f.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                raise InvalidInput("db", f"{path} is not a SQLite database")


def app_context() -> AppContext:
    """The AppContext of the running click command."""
    return click.get_current_context().find_object(AppContext) or _missing()


def _missing() -> AppContext:
    raise click.UsageError("run this command through the forloeb group")
