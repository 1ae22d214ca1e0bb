"""Citizen key rows are authenticated: a changed, swapped or missing row is refused and named.

Each test registers citizens through the service, changes the key table as
someone with database access could, and then uses or verifies the store.
Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from cli.admin import init_store
from cli.bootstrap import open_service, reopen
from storage.chain import FindingKind
from storage.keys import KeyRowProblem, key_findings
from storage.secrets import MasterKey, MasterKeyProblem
from storage.store import StoreConfig
from tests.chain.tables import StoredTables
from tests.conftest import TEST_MASTER_KEY
from tests.protection.test_erasure import closed_course
from tests.protection.test_sealing import CPR, OTHER_CPR
from workflows.commands import today
from workflows.service import CourseService


class KeyTable(StoredTables):
    """The citizen key table, changed behind the key store's back."""

    def __init__(self, store: StoreConfig) -> None:
        super().__init__(store)
        self.names["keys"] = (
            f'"{store.postgres.schema}".citizen_keys' if store.is_postgres else "citizen_keys"
        )

    def row(self, subject: UUID) -> tuple[Any, ...]:
        (row,) = self.run("SELECT lookup, wrapped FROM {keys} WHERE subject = ?", str(subject))
        return row

    def swap_lookups(self, a: UUID, b: UUID) -> None:
        """Exchange two citizens' CPR lookups (in three steps the unique index allows)."""
        (lookup_a, _), (lookup_b, _) = self.row(a), self.row(b)
        move = "UPDATE {keys} SET lookup = ? WHERE subject = ?"
        self.run(move, "moving", str(a))
        self.run(move, lookup_a, str(b))
        self.run(move, lookup_b, str(a))


@pytest.fixture
def keys(store: StoreConfig) -> KeyTable:
    return KeyTable(store)


def two_citizens(service: CourseService) -> tuple[UUID, UUID]:
    closed_course(service, CPR)
    closed_course(service, OTHER_CPR)
    a, b = service.keyring.subject_of(CPR), service.keyring.subject_of(OTHER_CPR)
    assert a is not None and b is not None
    return a, b


def found(service: CourseService) -> list[tuple[FindingKind, str, str]]:
    events_table = service.recorder.events_table_name  # type: ignore[attr-defined]
    return [
        (f.kind, f.originator_id, f.detail) for f in key_findings(service.keyring, events_table)
    ]


def erase(service: CourseService, cpr: str) -> None:
    service.erase_citizen(cpr, actor="admin-ole", reason="slettefrist udløbet", on=today())


def test_a_clean_key_table_has_no_findings(service: CourseService) -> None:
    two_citizens(service)
    assert found(service) == []


def test_swapped_lookups_are_refused_named_and_erase_nothing(
    service: CourseService, keys: KeyTable
) -> None:
    a, b = two_citizens(service)
    before = keys.run("SELECT subject, lookup, wrapped FROM {keys} ORDER BY subject")
    keys.swap_lookups(a, b)
    fresh = reopen(service)
    with pytest.raises(KeyRowProblem, match=f"citizen {b}.* fails its check"):
        fresh.keyring.subject_of(CPR)  # the CPR's lookup now sits in b's row
    with pytest.raises(KeyRowProblem):
        erase(fresh, CPR)
    assert sorted(found(fresh)) == sorted(
        [
            (FindingKind.CHANGED, str(a), f"holds the CPR lookup of citizen {b} (rows swapped)"),
            (FindingKind.CHANGED, str(b), f"holds the CPR lookup of citizen {a} (rows swapped)"),
        ]
    )
    swapped = keys.run("SELECT subject, wrapped FROM {keys} ORDER BY subject")
    assert [(s, bytes(w)) for s, _, w in before] == [(s, bytes(w)) for s, w in swapped]


def test_a_changed_wrapped_key_is_refused_and_named(service: CourseService, keys: KeyTable) -> None:
    a, _ = two_citizens(service)
    _, other_wrapped = keys.row(_)
    keys.run("UPDATE {keys} SET wrapped = ? WHERE subject = ?", bytes(other_wrapped), str(a))
    fresh = reopen(service)
    with pytest.raises(KeyRowProblem, match=str(a)):
        fresh.keyring.cipher(a)
    assert [(k, s) for k, s, _ in found(fresh)] == [(FindingKind.CHANGED, str(a))]


def test_a_key_rows_kek_number_changed_is_named_though_its_mac_holds(
    service: CourseService, keys: KeyTable
) -> None:
    """The KEK number is outside the row's MAC (a rotation rewrites it); changed, the
    citizen's record no longer opens, and verify --all said nothing."""
    a, _ = two_citizens(service)
    keys.run("UPDATE {keys} SET kek = 7 WHERE subject = ?", str(a))

    (finding,) = found(reopen(service))

    assert finding[:2] == (FindingKind.CHANGED, str(a))
    assert "the key does not unwrap under key-encryption key 7" in finding[2]


def test_a_deleted_key_row_without_an_erasure_is_named(
    service: CourseService, keys: KeyTable
) -> None:
    a, _ = two_citizens(service)
    keys.run("DELETE FROM {keys} WHERE subject = ?", str(a))
    assert found(reopen(service)) == [
        (
            FindingKind.REMOVED,
            str(a),
            "the citizen is in the log but their key row is gone, with no erasure recorded",
        )
    ]


def test_an_erased_citizen_is_not_a_missing_key(service: CourseService) -> None:
    two_citizens(service)
    erase(service, CPR)
    assert found(reopen(service)) == []


def test_erase_refuses_a_citizen_whose_courses_carry_another_cpr(
    service: CourseService, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = two_citizens(service)
    # As if the key table led OTHER_CPR to a's subject: the courses, decrypted, say otherwise.
    monkeypatch.setattr(service.keyring, "subject_of", lambda cpr: a)
    with pytest.raises(Exception, match="another CPR's; the key table was changed"):
        erase(service, OTHER_CPR)
    assert service.keyring.store.row(a) is not None and service.keyring.store.row(b) is not None


def test_a_removed_master_key_fingerprint_is_not_claimed_by_another_key(
    store: StoreConfig, service: CourseService, keys: KeyTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the first key lookup under any key recorded that key's fingerprint: one
    command run with a wrong key after the row was deleted locked the store's own key out."""
    two_citizens(service)
    keys.names["meta"] = keys.names["keys"].replace("citizen_keys", "citizen_keys_meta")
    keys.run("DELETE FROM {meta} WHERE name = ?", "fingerprint")
    fingerprints = "SELECT value FROM {meta} WHERE name = ?"
    monkeypatch.setenv("FORLOEB_MASTER_KEY", MasterKey.generate().text())
    other = open_service(store)
    try:
        with pytest.raises(MasterKeyProblem, match="holds citizen keys but no record"):
            closed_course(other, "020290-1236")
    finally:
        other.close()
    assert keys.run(fingerprints, "fingerprint") == []

    monkeypatch.setenv("FORLOEB_MASTER_KEY", TEST_MASTER_KEY)
    init_store(store)  # an admin holding the store's key records it again
    own = MasterKey.from_text(TEST_MASTER_KEY, "test").fingerprint()
    assert keys.run(fingerprints, "fingerprint") == [(own,)]
