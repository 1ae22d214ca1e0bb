"""SQLite connections: the event store checkpoints less often, the views sync less."""

from __future__ import annotations

from cli.bootstrap import open_service
from storage.pools import WAL_AUTOCHECKPOINT_PAGES
from storage.store import StoreConfig
from workflows.service import CourseService


def pragma(service: CourseService, name: str) -> int:
    with service.recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
        c.execute(f"PRAGMA {name}")
        return int(c.fetchone()[0])


def test_every_event_store_connection_checkpoints_its_wal_after_many_pages(
    sqlite_store: StoreConfig,
) -> None:
    service = open_service(sqlite_store)
    try:
        assert WAL_AUTOCHECKPOINT_PAGES > 1000  # SQLite's default
        assert pragma(service, "wal_autocheckpoint") == WAL_AUTOCHECKPOINT_PAGES
        assert pragma(service, "synchronous") == 2  # FULL: every commit synced, as before
        assert service.keyring.store.datastore is service.recorder.datastore  # type: ignore[union-attr]
    finally:
        service.close()


def test_the_views_connections_trade_the_last_commits_for_speed(sqlite_store: StoreConfig) -> None:
    from projections.catalog import open_views
    from storage.sqlite_views import VIEW_CACHE_KIB

    service = open_service(sqlite_store)
    try:
        views = open_views(sqlite_store, app=service)
        with views, views.course_list.transaction(commit=False) as c:
            c.execute("PRAGMA synchronous")
            synchronous = c.fetchone()[0]
            c.execute("PRAGMA cache_size")
            cache_size = c.fetchone()[0]
            c.execute("PRAGMA wal_autocheckpoint")
            autocheckpoint = c.fetchone()[0]
        assert (synchronous, cache_size) == (1, -VIEW_CACHE_KIB)  # NORMAL, in KiB
        assert autocheckpoint == WAL_AUTOCHECKPOINT_PAGES  # a rebuild's batch: one checkpoint
        assert pragma(service, "synchronous") == 2  # the event store keeps FULL
    finally:
        service.close()
