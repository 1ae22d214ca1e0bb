"""The command line's context: who is working, on which store, opened only when needed.

Nothing here touches the database until a command asks for the service or
the views, so `forloeb --help` stays instant and side-effect free. Nobody the
configuration does not know opens the store; each command asks `require` for
its action, and the service asks the access policy before every course command.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import click

from domain.errors import InvalidInput

if TYPE_CHECKING:
    from cli.config import Config
    from projections.catalog import Views
    from storage.store import StoreConfig
    from workflows.access import CourseFacts, Directory, User
    from workflows.service import CourseService


@dataclass
class AppContext:
    """Global options and the lazily opened service and read views."""

    actor: str
    db: str | None = None
    database_url: str | None = None
    creates_store: bool = False
    """Whether the command may create a store that is not there (`demo`); any other
    command refuses a SQLite file that does not exist."""
    principal: str | None = None
    """On the shared server: the user the request authenticated as (then `--as` names
    someone else only for an admin acting on their behalf)."""
    request_id: str | None = None
    """On the shared server: the remote client's id for this request, the command id of a
    write that names none, so a request sent again after a lost reply is not applied twice."""
    _store: StoreConfig | None = field(default=None, repr=False)
    _config: Config | None = field(default=None, repr=False)
    _user: User | None = field(default=None, repr=False)
    _service: CourseService | None = field(default=None, repr=False)
    _views: Views | None = field(default=None, repr=False)

    @property
    def chosen_store(self) -> StoreConfig:
        """The event store the options name, before the configuration is read."""
        from storage.store import StoreConfig

        return StoreConfig.from_options(self.db, self.database_url)

    @property
    def store(self) -> StoreConfig:
        """The chosen event store, with the master key file the configuration names."""
        if self._store is None:
            store = self.chosen_store
            key_file = self.config.master_key_file
            if key_file is not None:
                store = replace(store, master_key_file=key_file)
            self._store = store
        return self._store

    @property
    def config_path(self) -> Path:
        """Where the configuration file is (FORLOEB_CONFIG, else beside the store)."""
        from cli.config import config_path

        return config_path(self.chosen_store)

    @property
    def programmes_folder(self) -> Path:
        """Where a municipality's own programme definitions are: `programmes/` beside the
        configuration file."""
        from programmes.catalogue import LOCAL_FOLDER

        return self.config_path.parent / LOCAL_FOLDER

    @property
    def config(self) -> Config:
        """The configuration file, read and validated on first use."""
        if self._config is None:
            from cli.config import load_config

            self._config = load_config(self.config_path)
        return self._config

    def reload_config(self) -> None:
        """Read the configuration file again (after a command changed it)."""
        self._config = None
        self._user = None

    @property
    def directory(self) -> Directory:
        """The known users."""
        return self.config.directory

    @property
    def login(self) -> str:
        """The acting login, checked to be a valid user name (exit 2 if not)."""
        return valid_login(self.actor)

    @property
    def user(self) -> User:
        """The acting user; refused (exit 1) if the configuration does not know them."""
        if self._user is None:
            self._check_on_behalf()
            self._user = self.directory.user(self.login)
        return self._user

    def refuse_server_file(self, field: str, path: object) -> None:
        """On the shared server a path in a request names a file on the server's own disk,
        which no client may read through it (InvalidInput naming `field`); else nothing."""
        if self.principal is not None:
            raise InvalidInput(
                field, f"{path}: the server reads no file of its own disk for a request"
            )

    @property
    def recorded_by(self) -> str:
        """Who a write is recorded by: the authenticated principal on the server, else the
        acting user."""
        return self.principal or self.actor

    def _check_on_behalf(self) -> None:
        """On the server, `--as` another user is refused unless the principal is an admin."""
        if self.principal is None or self.principal == self.actor:
            return
        from workflows.access import NotAllowed, Role

        principal = self.directory.user(self.principal)
        if principal.role is not Role.ADMIN:
            raise NotAllowed(
                f"as {principal.login} ({principal.role}): --as is refused on a server "
                "except for an admin acting on someone's behalf"
            )

    @property
    def service(self) -> CourseService:
        """The course service on the store, opened on first use (see `cli.bootstrap`)."""
        if self._service is None:
            from cli.bootstrap import open_user_service

            backend = self.store.backend
            if self.creates_store:
                backend.check_usable()
            else:
                backend.check_exists()  # a mistyped --db must not make an empty store
            _ = self.user  # nobody unknown opens the store
            self._service = open_user_service(
                self.store, self.directory, self._find_by_prefix, self.programmes_folder
            )
        return self._service

    @property
    def views(self) -> Views:
        """The read views, opened on first use (sharing the service's connection)."""
        if self._views is None:
            from cli.bootstrap import open_views

            self._views = open_views(self.store, self.service)
        return self._views

    def caught_up_views(self, *names: str) -> Views:
        """The read views, the named ones (else all) brought up to the head of the event
        log: a command catches up the views it reads before reading them."""
        views = self.views
        views.catch_up(views=names or None)
        return views

    def caught_up_after_write(self, *names: str) -> None:
        """As `caught_up_views`, once a write is in the log: a view past the log's end is
        then a warning on stderr (the write stands), not a refusal that would deny it."""
        from projections.catalog import ViewAhead

        try:
            self.caught_up_views(*names)
        except ViewAhead as e:
            click.echo(f"warning: {e}", err=True)

    def require(
        self, action: str, course_id: UUID | None = None, *, purpose: str | None = None
    ) -> None:
        """Refuse (one line, exit 1, nothing written) unless the acting user may do
        `action` (e.g. "audit", "verify", "citizen.export", "citizen.erase"),
        on `course_id` when the permission depends on the course. An auditor's read
        of one citizen's record (show, audit, citizen.export) needs a `purpose`."""
        from workflows.access import authorise_action

        user = self.user
        course = self.service.get_course(course_id) if course_id is not None else None
        authorise_action(self.directory, user, action, course=course, purpose=purpose)

    def may(self, action: str) -> bool:
        """Whether the acting user's role allows the action at all (no refusal)."""
        from workflows.access import may

        return may(self.user, action)

    def reads(self, action: str, course: CourseFacts) -> bool:
        """Whether the acting user may read a course with these facts through `action`."""
        return self.directory.reads(self.user, action, course)

    def sees(self, consultant: str | None, action: str = "caseload") -> bool:
        """Whether the acting user may read this consultant's caseload (or due items: `action`
        "due")."""
        return self.directory.sees(self.user, consultant, action)

    def _find_by_prefix(self, prefix: str) -> list[UUID]:
        return self.caught_up_views("course_list").course_list.find_by_prefix(prefix)

    def close(self) -> None:
        """Close whatever was opened; in a process about to leave at once, leave the store
        (and the views on its connection) to the exit where the store allows it."""
        from cli.startup import exits_at_once

        if exits_at_once() and self._store is not None and self._store.backend.left_to_exit:
            return
        if self._views is not None:
            self._views.close()
            self._views = None
        if self._service is not None:
            self._service.close()
            self._service = None


def valid_login(login: str) -> str:
    """The login if it is a valid user name; InvalidInput naming `actor` if not."""
    from pydantic import TypeAdapter, ValidationError

    from domain.validation import first_error
    from domain.values import Name, single_script

    try:
        TypeAdapter(Name).validate_python(login)
        single_script(login)
    except ValidationError as e:
        raise InvalidInput("actor", first_error(e)[1]) from None
    except ValueError as e:
        raise InvalidInput("actor", str(e)) from None
    return login


def app_context() -> AppContext:
    """The AppContext of the running click command."""
    return click.get_current_context().find_object(AppContext) or _missing()


def _missing() -> AppContext:
    raise click.UsageError("run this command through the forloeb group")
