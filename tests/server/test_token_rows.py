"""The token table keeps who created and who revoked each token, on both stores, and a
table made before those columns existed gains them when `init` runs again."""

from __future__ import annotations

from datetime import UTC, date, datetime

from server.tokens import PersonalTokens, open_token_table, token_table
from storage.tokens import ADDED_COLUMNS
from workflows.service import CourseService


class Clock:
    """A clock that always says 2026-05-01 12:00 UTC."""

    @staticmethod
    def now(tz: object = None) -> datetime:
        return datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_a_token_row_names_the_admin_who_created_it_and_who_revoked_it(
    service: CourseService,
) -> None:
    tokens = PersonalTokens(open_token_table(service.storage), now=Clock)  # type: ignore[arg-type]

    row, _ = tokens.create("lars", date(2026, 12, 31), by="root")
    assert tokens.revoke(row.token_id, by="admin-ole")
    assert tokens.revoke(row.token_id, by="someone-later")  # the first revocation stays

    (listed,) = tokens.list()
    assert (listed.created_by, listed.revoked, listed.revoked_by, listed.revoked_at) == (
        "root",
        True,
        "admin-ole",
        "2026-05-01T12:00:00+00:00",
    )


def test_a_table_from_before_gains_the_columns_and_keeps_its_rows(
    service: CourseService,
) -> None:
    table = token_table(service.storage)
    with table._cursor(commit=True) as c:  # the table as the first version made it
        table._execute(c, "DROP TABLE IF EXISTS {tokens}")
        table._execute(
            c,
            "CREATE TABLE {tokens} (token_id TEXT PRIMARY KEY, digest TEXT NOT NULL UNIQUE, "
            "login TEXT NOT NULL, created TEXT NOT NULL, expires TEXT NOT NULL, "
            "revoked INTEGER NOT NULL DEFAULT 0)",
        )
        table._execute(
            c,
            "INSERT INTO {tokens} VALUES ('old', 'd0', 'lars', '2025-01-01T00:00:00+00:00', "
            "'2099-12-31T23:59:59+00:00', 0)",
        )

    table.create_table()
    table.create_table()  # twice: nothing left to add

    with table._cursor(commit=False) as c:
        assert set(ADDED_COLUMNS) <= table._columns(c)
    (old,) = table.all()
    assert (old.user, old.created_by, old.revoked_by) == ("lars", None, None)
    assert table.find("d0") == old
