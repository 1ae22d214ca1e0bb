"""The one wiring place: a store and a user become a course service and its read views.

The store's backend opens the event storage (the library's factory, the
recorder signing chain heads, the citizen keyring, the sealing mapper); the
course service is built on it with the access policy of the user's directory
and a course finder that asks the read views; the views are opened on the same
event storage, sharing its connections. Nothing else constructs a
`CourseService` or a `Views` for the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from domain.course import Course
    from programmes.catalogue import Catalogue, FolderCatalogue
    from projections.catalog import Views
    from storage.infrastructure import Infrastructure
    from storage.store import StoreConfig
    from workflows.access import Directory
    from workflows.commands import Command
    from workflows.service import Authorise, CourseFinder, CourseService


def open_storage(
    store: StoreConfig, env: Mapping[str, str] | None = None, *, checked: bool = True
) -> Infrastructure:
    """The store's event storage with the course service's library settings; `env`
    overrides the store's own (a test or a benchmark swapping the recorder)."""
    from workflows.service import CourseService

    return store.open(CourseService.env, env, checked=checked)


def open_service(
    store: StoreConfig,
    *,
    authorise: Authorise | None = None,
    course_finder: CourseFinder | None = None,
    env: Mapping[str, str] | None = None,
    programmes: Path | None = None,
    catalogue: Catalogue | FolderCatalogue | None = None,
) -> CourseService:
    """A course service on the store (no access policy unless `authorise` is given); each
    course runs its programme's workflow, from the shipped definitions and a municipality's
    own in the folder `programmes` (see `programmes.catalogue`)."""
    from programmes.catalogue import load
    from workflows.service import CourseService

    catalogue = catalogue or load(programmes)
    storage = open_storage(store, env)
    try:
        return CourseService(
            storage,
            authorise=authorise,
            course_finder=course_finder,
            workflow_for=catalogue.workflow,
        )
    except BaseException:
        storage.close()
        raise


def open_user_service(
    store: StoreConfig,
    directory: Directory | Callable[[], Directory],
    course_finder: Callable[[str], list[UUID]],
    programmes: Path | None = None,
    *,
    reread: bool = False,
) -> CourseService:
    """The course service as the command line uses it: every command asks the directory's
    access policy first; course id prefixes are looked up by `course_finder`; a
    municipality's own programme definitions are read from the folder `programmes`
    (`reread`: again whenever its files change, for a long-running server, which also
    gives `directory` as a function returning the users as they are now)."""
    from programmes.catalogue import FolderCatalogue, load
    from workflows.access import authorise_command

    catalogue = FolderCatalogue(programmes) if reread else load(programmes)
    if callable(directory):
        current = directory

        def authorise(actor: str, command: Command, course: Course | None) -> None:
            authorise_command(current(), actor, command, course, definition_of=catalogue.get)

        return open_service(
            store, authorise=authorise, course_finder=course_finder, catalogue=catalogue
        )
    return open_service(
        store,
        authorise=partial(authorise_command, directory, definition_of=catalogue.get),
        course_finder=course_finder,
        catalogue=catalogue,
    )


def open_views(store: StoreConfig, service: CourseService | None = None) -> Views:
    """The read views on the store, sharing the service's event storage if one is open."""
    from projections.catalog import open_views as open_catalog

    return open_catalog(store, app=service)


def create_schema(store: StoreConfig) -> list[str]:
    """Open everything that owns tables through the store's init settings, then close it:
    the event store's tables (eventsourcing, CREATE_TABLE=yes), the keys', the views'; the
    master key's fingerprint is recorded, so every later command can refuse another key,
    and key-encryption keys are made required (`storage.kek_status.init_notes`, whose
    notes are returned)."""
    from projections.catalog import Views
    from storage.kek_status import init_notes

    storage = open_storage(store.for_init(), checked=False)
    try:
        storage.keyring.check_master_key(reclaim=True)  # bound to its master key from now
        notes = init_notes(storage.keyring, store.folder)
        views = Views(storage)
        try:
            views.create_tables()  # views otherwise open (and make their tables) when used
            create_token_table(storage)
            storage.keyring.stamp_unauthenticated()  # key rows from before they carried a MAC
        finally:
            views.close()
    finally:
        storage.close()
    return notes


def create_token_table(storage: Infrastructure) -> None:
    """The personal access tokens' table (`storage.tokens`), made by `init` so that the
    server, as an application role that may not create tables, finds it there."""
    from storage.tokens import token_table_on

    table = token_table_on(storage)
    if table is not None:  # none: the in-memory store
        table.create_table()
        table.stamp_unauthenticated()  # rows from before they carried a MAC


def reopen(service: CourseService) -> CourseService:
    """Another course service on the same store, with nothing in memory (a second process)."""
    from storage.infrastructure import open_storage as open_on
    from workflows.service import CourseService

    storage = service.storage
    return CourseService(open_on(storage.backend, storage.env))
