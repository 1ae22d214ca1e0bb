"""The PostgreSQL variant of a view: eventsourcing's PostgreSQL tracking recorder.

The library already names the tracking table per recorder; the view's own
tables are created with it, in the store's schema.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.sql import SQL, Composed

from projections.base import View


def quoted(*names: str) -> str:
    """A qualified SQL identifier."""
    return ".".join('"' + name.replace('"', '""') + '"' for name in names)


class PostgresView(PostgresTrackingRecorder, View):
    """A view stored in PostgreSQL, its tracking in `<name>_tracking`."""

    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore, tracking_table_name=f"{self.name}_tracking")
        self.sql_create_statements.extend(Composed([SQL(s)]) for s in self.ddl())

    @property
    def tracking_table(self) -> str:
        return quoted(self.datastore.schema, self.tracking_table_name)

    def transaction(self, *, commit: bool) -> AbstractContextManager[Any]:
        return self.datastore.transaction(commit=commit)

    def read(self) -> AbstractContextManager[Any]:
        return self.datastore.cursor()

    def table(self, name: str) -> str:
        return quoted(self.datastore.schema, name)

    def placeholders(self, statement: str) -> str:
        return statement.replace("?", "%s")

    def existing_columns(self, c: Any, name: str) -> list[str]:
        c.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            (self.datastore.schema, name),
        )
        return [row["column_name"] for row in c.fetchall()]

    def track(self, c: Any, tracking: Tracking) -> None:
        self._insert_tracking(c, tracking)
