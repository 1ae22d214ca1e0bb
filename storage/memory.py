"""The in-memory backend: eventsourcing's plain-Python store, for tests and library use.

Nothing is kept after the process ends; there are no tables, no views'
datastore and nothing to compact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.backend import Dialect, InitRefused, InitReport

if TYPE_CHECKING:
    from storage.infrastructure import Infrastructure
    from storage.keys import MemoryKeyStore

MEMORY_ENV = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


@dataclass(frozen=True)
class MemoryBackend:
    """A store in this process's memory."""

    @property
    def dialect(self) -> Dialect:
        """No SQL is run; the SQLite dialect stands in."""
        return Dialect(placeholder="?", blob="BLOB")

    @property
    def folder(self) -> Path | None:
        """In no folder."""
        return None

    def describe(self) -> str:
        """`memory`."""
        return "memory"

    def redact(self, text: str) -> str:
        """Nothing secret."""
        return text

    def library_env(self, *, create_tables: bool) -> dict[str, str]:
        """The library's in-memory persistence module."""
        return dict(MEMORY_ENV)

    def default_master_key_file(self) -> Path | None:
        """None: the key must be given."""
        return None

    def check_usable(self) -> None:
        """Always usable."""

    def check_exists(self) -> None:
        """Always there."""

    def check_reachable(self) -> None:
        """Always reachable."""

    def check_ready(self) -> None:
        """Always ready."""

    def open(self, open_storage: Callable[[], Infrastructure]) -> Infrastructure:
        """Open it."""
        return open_storage()

    def creates_tables(self, factory: Any) -> bool:
        """No tables."""
        return False

    def key_store(self, factory: Any) -> MemoryKeyStore:
        """A key store in memory."""
        from storage.keys import MemoryKeyStore

        return MemoryKeyStore()

    def views_datastore(self, factory: Any) -> Any:
        """The read views need SQL: they are not offered in memory."""
        raise InitRefused("views: an in-memory store has no read views")

    @property
    def view_base(self) -> type[Any]:
        """None to offer (see `views_datastore`)."""
        raise InitRefused("views: an in-memory store has no read views")

    def init(self, open_schema: Callable[[], None], grant_to: str | None) -> InitReport:
        """Nothing to create."""
        open_schema()
        return InitReport(self.describe())

    def compact(self) -> None:
        """Nothing to compact."""

    @property
    def left_to_exit(self) -> bool:
        """Yes: there is nothing to keep once the process is gone."""
        return True
