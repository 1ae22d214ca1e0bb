"""The PostgreSQL variant of a view: eventsourcing's PostgreSQL tracking recorder.

The library already names the tracking table per recorder; the view's own
tables are created with it, in the store's schema.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.sql import SQL, Composed

from storage.postgres import postgres_dialect


class PostgresView(PostgresTrackingRecorder):
    """The PostgreSQL variant a view is mixed with (`projections.base.View`): its tracking
    recorder, in `<name>_tracking`, and the dialect's names and placeholders."""

    name: ClassVar[str]
    """The view's name (the view class's)."""

    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore, tracking_table_name=f"{self.name}_tracking")
        self.dialect = postgres_dialect(datastore.schema)
        ddl = self.ddl()  # type: ignore[attr-defined]  # the view's, mixed in after this
        self.sql_create_statements.extend(Composed([SQL(s)]) for s in ddl)

    @property
    def tracking_table(self) -> str:
        return self.dialect.table(self.tracking_table_name)

    def transaction(self, *, commit: bool) -> AbstractContextManager[Any]:
        return self.datastore.transaction(commit=commit)

    def read(self) -> AbstractContextManager[Any]:
        return self.datastore.cursor()

    def table(self, name: str) -> str:
        return self.dialect.table(name)

    def placeholders(self, statement: str) -> str:
        return self.dialect.placeholders(statement)

    def existing_columns(self, c: Any, name: str) -> list[str]:
        c.execute(*self.dialect.columns_query(name))
        return [row["name"] for row in c.fetchall()]

    def track(self, c: Any, tracking: Tracking) -> None:
        self._insert_tracking(c, tracking)
