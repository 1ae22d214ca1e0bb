"""The SQLite event store's connections: the library's pool, checkpointing less often."""

from __future__ import annotations

from cli.store import StoreConfig
from workflows.recorders import WAL_AUTOCHECKPOINT_PAGES
from workflows.service import CourseService


def pragma(service: CourseService, name: str) -> int:
    with service.recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
        c.execute(f"PRAGMA {name}")
        return int(c.fetchone()[0])


def test_every_event_store_connection_checkpoints_its_wal_after_many_pages(
    sqlite_store: StoreConfig,
) -> None:
    service = CourseService(env=sqlite_store.env())
    try:
        assert WAL_AUTOCHECKPOINT_PAGES > 1000  # SQLite's default
        assert pragma(service, "wal_autocheckpoint") == WAL_AUTOCHECKPOINT_PAGES
        assert pragma(service, "synchronous") == 2  # FULL: every commit synced, as before
        assert service.keyring.store.datastore is service.recorder.datastore  # type: ignore[union-attr]
    finally:
        service.close()
