"""Key-encryption keys outside the database make erasure final, WAL and backups included.

Given citizens whose keys are wrapped under a KEK in a folder outside the
store, when one is erased, the old key row's bytes may live on (in
PostgreSQL's WAL, an archive, a backup): with the KEK still there they can be
unwrapped. When the KEKs are then rotated, every remaining citizen is
re-wrapped under a new KEK and the old one destroyed, and the old bytes can
no longer be unwrapped, nor the CPR confirmed, with anything that remains.
Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import glob
import hashlib
import hmac
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.bootstrap import open_service, reopen
from cli.citizen import citizen_cpr
from storage.keks import KEK_DIR_ENV, KekFolder, under_kek
from storage.keys import KeyRow, aes_cipher
from storage.secrets import MasterKey, MasterKeyProblem
from storage.store import StoreConfig
from tests.protection.test_erasure import closed_course
from tests.protection.test_sealing import CPR, OTHER_CPR
from workflows.commands import today
from workflows.service import CourseService


@pytest.fixture
def kek_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "keks"
    monkeypatch.setenv(KEK_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def kek_service(store: StoreConfig, kek_dir: Path) -> Iterator[CourseService]:
    app = open_service(store)
    yield app
    app.close()


def erase(service: CourseService, cpr: str) -> None:
    service.erase_citizen(cpr, actor="admin-ole", reason="slettefrist udløbet", on=today())


def rotate(service: CourseService) -> None:
    service.keyring.rotate(lambda subject: citizen_cpr(service, subject))


def can_unwrap(row: KeyRow, master: MasterKey, kek_files: list[bytes | None]) -> bool:
    """Whether the row's wrapped key opens under the master key and any of these KEKs."""
    for kek in kek_files:
        try:
            aes_cipher(under_kek(master.derive("citizen-keys"), kek)).decrypt(row.wrapped)
        except ValueError:
            continue
        return True
    return False


def confirms_cpr(row: KeyRow, cpr: str, master: MasterKey, kek_files: list[bytes | None]) -> bool:
    """Whether the row's lookup can be matched to the CPR under any of these KEKs."""
    for kek in kek_files:
        key = under_kek(master.derive("cpr-lookup"), kek)
        if hmac.new(key, cpr.encode(), hashlib.sha256).hexdigest() == row.lookup:
            return True
    return False


def remaining(folder: Path) -> list[bytes | None]:
    """Every key material left outside the database: each KEK file, and none (the master
    key alone, as rows before KEKs were)."""
    keks = KekFolder(folder)
    return [keks.secret(n) for n in keks.ids()] + [None]


def test_new_keys_are_wrapped_under_the_current_kek(
    kek_service: CourseService, kek_dir: Path
) -> None:
    closed_course(kek_service, CPR)
    subject = kek_service.keyring.subject_of(CPR)
    assert subject is not None
    row = kek_service.keyring.store.row(subject)
    assert row is not None and row.kek == 1
    assert sorted(p.name for p in kek_dir.iterdir()) == ["kek-000001.key"]
    assert oct(os.stat(kek_dir / "kek-000001.key").st_mode & 0o777) == "0o600"
    master = kek_service.storage.master_key
    assert not can_unwrap(row, master, [None])  # the master key alone does not open it


def test_an_erased_key_left_elsewhere_is_useless_after_rotation(
    kek_service: CourseService, kek_dir: Path
) -> None:
    closed_course(kek_service, CPR)
    closed_course(kek_service, OTHER_CPR)
    subject = kek_service.keyring.subject_of(CPR)
    assert subject is not None
    left_behind = kek_service.keyring.store.row(subject)  # as a WAL segment or backup keeps it
    assert left_behind is not None
    master = kek_service.storage.master_key

    erase(kek_service, CPR)
    assert kek_service.keyring.store.row(subject) is None
    # Until the KEK is rotated, the bytes left behind still open: the window to close.
    assert can_unwrap(left_behind, master, remaining(kek_dir))
    assert confirms_cpr(left_behind, CPR, master, remaining(kek_dir))

    rotate(kek_service)

    assert sorted(p.name for p in kek_dir.iterdir()) == ["kek-000002.key"]
    assert not can_unwrap(left_behind, master, remaining(kek_dir))
    assert not confirms_cpr(left_behind, CPR, master, remaining(kek_dir))
    # The other citizen is found and read in a new process, under the new KEK.
    fresh = reopen(kek_service)
    other = fresh.keyring.subject_of(OTHER_CPR)
    assert other is not None
    row = fresh.keyring.store.row(other)
    assert row is not None and row.kek == 2
    course = fresh.citizen(other)
    assert course is not None
    assert citizen_cpr(fresh, other) == OTHER_CPR.replace("-", "")
    assert fresh.keyring.subject_of(CPR) is None


@pytest.mark.postgres
def test_rotation_without_a_kek_folder_is_refused(
    pg_store: StoreConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a PostgreSQL store can be without one (a SQLite store's default is in the
    user's configuration folder: tests/protection/test_kek_required.py)."""
    monkeypatch.delenv(KEK_DIR_ENV)
    service = open_service(pg_store)
    try:
        closed_course(service, CPR)
        with pytest.raises(MasterKeyProblem, match="no KEK folder is configured"):
            rotate(service)
    finally:
        service.close()


def test_a_store_whose_kek_is_gone_says_so(kek_service: CourseService, kek_dir: Path) -> None:
    closed_course(kek_service, CPR)
    subject = kek_service.keyring.subject_of(CPR)
    assert subject is not None
    (kek_dir / "kek-000001.key").unlink()
    fresh = reopen(kek_service)
    with pytest.raises(MasterKeyProblem, match="key-encryption key 1 is not in the KEK folder"):
        fresh.keyring.cipher(subject)
    with pytest.raises(MasterKeyProblem, match="holds no key-encryption key, but citizen keys"):
        fresh.keyring.subject_of(CPR)
    assert list(kek_dir.iterdir()) == []  # no second KEK 1 was started


def pg_wal_folder() -> Path | None:
    folder = os.environ.get("FORLOEB_PG_DIR")
    return None if not folder else Path(folder) / "data" / "pg_wal"


def pg_waldump() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_waldump"))
    return found[-1] if found else shutil.which("pg_waldump")


@pytest.mark.postgres
def test_the_wal_keeps_the_erased_key_but_nothing_left_unwraps_it(
    pg_store: StoreConfig, kek_dir: Path
) -> None:
    wal, waldump = pg_wal_folder(), pg_waldump()
    if wal is None or not wal.is_dir() or waldump is None:
        pytest.skip("needs the test cluster's own pg_wal and pg_waldump (.ci/with-postgres)")
    service = open_service(pg_store)
    try:
        closed_course(service, CPR)
        closed_course(service, OTHER_CPR)
        subject = service.keyring.subject_of(CPR)
        assert subject is not None
        before = service.keyring.store.row(subject)
        assert before is not None
        erase(service, CPR)
        rotate(service)
        master = service.storage.master_key
        with service.storage.factory.datastore.get_connection() as conn:  # type: ignore[attr-defined]
            (relfilenode,) = (
                conn.execute("SELECT pg_relation_filenode('citizen_keys')").fetchone().values()
            )
    finally:
        service.close()

    segments = sorted(p for p in wal.iterdir() if len(p.name) == 24)
    raw = b"".join(p.read_bytes() for p in segments)
    assert before.wrapped in raw  # the WAL still holds the erased citizen's wrapped key...
    assert before.lookup.encode() in raw  # ...and their CPR lookup
    # pg_waldump shows the key row's insert, the erasure's delete and the rotation's updates.
    dumped = subprocess.run(
        [waldump, "--path", str(wal), segments[0].name, segments[-1].name],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    records = [line for line in dumped.splitlines() if f"/{relfilenode} " in line + " "]
    kinds = " ".join(records)
    assert "INSERT" in kinds and "DELETE" in kinds and "UPDATE" in kinds
    # ...but nothing left outside the database opens them any more.
    assert not can_unwrap(before, master, remaining(kek_dir))
    assert not confirms_cpr(before, CPR, master, remaining(kek_dir))
