"""The token table keeps who created and who revoked each token, on both stores, and a
table made before those columns existed gains them when `init` runs again. Each row
carries a MAC under a key derived from the master key, so a row altered or planted by
whoever can write the database (another user, a later expiry, a revocation undone) is
refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cli.bootstrap import create_token_table
from server.oidc import InvalidToken
from server.tokens import PersonalTokens, digest, open_token_table, token_table
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


# Rows altered or planted in the database ----------------------------------------------


def tamper(service: CourseService, statement: str, *params: object) -> None:
    table = token_table(service.storage)
    with table._cursor(commit=True) as c:
        table._execute(c, statement, params)


def issued(service: CourseService) -> tuple[PersonalTokens, str, str]:
    """The tokens, and a token for lars valid through 2026-12-31 with its id."""
    tokens = PersonalTokens(open_token_table(service.storage), now=Clock)  # type: ignore[arg-type]
    row, token = tokens.create("lars", date(2026, 12, 31), by="root")
    assert tokens.verify(token).user == "lars"
    return tokens, token, row.token_id


@pytest.mark.parametrize(
    ("statement", "params"),
    [
        ("UPDATE {tokens} SET login = ? WHERE token_id = ?", ("root",)),
        ("UPDATE {tokens} SET expires = ? WHERE token_id = ?", ("2099-12-31T23:59:59+00:00",)),
        ("UPDATE {tokens} SET created_by = ? WHERE token_id = ?", ("ole",)),
    ],
    ids=["made-another-users", "expiry-extended", "creator-changed"],
)
def test_a_token_row_altered_in_the_database_is_refused(
    service: CourseService, statement: str, params: tuple[object, ...]
) -> None:
    tokens, token, token_id = issued(service)
    tamper(service, statement, *params, token_id)

    with pytest.raises(InvalidToken, match="token row altered in the database"):
        tokens.verify(token)


def test_a_revocation_undone_in_the_database_is_refused(service: CourseService) -> None:
    tokens, token, token_id = issued(service)
    assert tokens.revoke(token_id, by="root")
    tamper(
        service,
        "UPDATE {tokens} SET revoked = 0, revoked_by = NULL, revoked_at = NULL WHERE token_id = ?",
        token_id,
    )

    with pytest.raises(InvalidToken, match="token row altered in the database"):
        tokens.verify(token)


def test_a_token_row_planted_without_the_key_is_refused(service: CourseService) -> None:
    tokens, _, _ = issued(service)
    planted = "flb_" + "x" * 43
    hashed = digest(planted)
    tamper(
        service,
        "INSERT INTO {tokens} (token_id, digest, login, created, expires, revoked, mac) "
        "VALUES (?, ?, 'root', '2026-01-01T00:00:00+00:00', '2099-12-31T23:59:59+00:00', 0, ?)",
        hashed[:12],
        hashed,
        "00" * 32,
    )

    with pytest.raises(InvalidToken, match="token row altered in the database"):
        tokens.verify(planted)


def test_rows_from_before_the_mac_are_refused_until_init_stamps_them(
    service: CourseService,
) -> None:
    tokens, token, token_id = issued(service)
    tamper(service, "UPDATE {tokens} SET mac = NULL WHERE token_id = ?", token_id)

    with pytest.raises(InvalidToken, match=r"without a MAC .* run forloeb init"):
        tokens.verify(token)
    create_token_table(service.storage)  # what `forloeb init` runs
    assert tokens.verify(token).user == "lars"
