"""What forloeb creates only its owner may read: 0600 files, 0700 folders, whatever the umask.

Given a umask (the usual 0o022, or 0o000 which would leave everything open to
all), when forloeb creates its store, key file, configuration, error log,
exports and reports, then each file is 0600 and each folder it made 0700.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.bootstrap import open_service
from cli.errors import write_trace
from cli.main import forloeb
from domain.errors import InvalidInput
from storage.owner_only import create_empty, open_new, replace_file
from storage.store import StoreConfig
from tests.conftest import initialised

CPR = "010190-1234"


def mode(path: Path) -> int:
    """The permission bits of a file or folder, not following a symbolic link."""
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask-022", "umask-000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The process's umask for the test (restored after)."""
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store two folders deep that do not exist yet; its configuration beside it, its
    master key in the user's configuration folder."""
    for name in ("FORLOEB_CONFIG", "FORLOEB_MASTER_KEY", "FORLOEB_MASTER_KEY_FILE",
                 "FORLOEB_DATABASE_URL", "FORLOEB_DB"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "a" / "b" / "store.sqlite"


def forloeb_on(db: Path, *args: str) -> Result:
    result = CliRunner().invoke(forloeb, ["--db", str(db), "--as", "kim", *args])
    assert result.exit_code == 0, result.output
    return result


def test_init_makes_the_store_its_folders_key_and_configuration_owner_only(
    umask: int, fresh: Path, tmp_path: Path
) -> None:
    forloeb_on(fresh, "init")

    assert mode(tmp_path / "a") == 0o700
    assert mode(tmp_path / "a" / "b") == 0o700
    for name in ("store.sqlite", "forloeb.toml"):
        assert mode(fresh.parent / name) == 0o600, name
    assert not (fresh.parent / "store.key").exists()  # never beside the store
    assert mode(tmp_path / "config" / "forloeb") == 0o700
    assert mode(tmp_path / "config" / "forloeb" / "master.key") == 0o600


def test_sqlite_s_write_ahead_log_and_shared_memory_files_are_owner_only_too(
    umask: int, fresh: Path
) -> None:
    forloeb_on(fresh, "init")
    service = open_service(StoreConfig(sqlite_path=fresh))
    try:
        service.execute_many([], "kim")  # nothing; the connection is open
        forloeb_on(fresh, "refer", "--cpr", CPR, "--programme", "pva",
                   "--referring-caseworker", "bo")  # fmt: skip
        beside = sorted(p.name for p in fresh.parent.iterdir())
        assert {"store.sqlite-wal", "store.sqlite-shm"} <= set(beside)
        assert {name: mode(fresh.parent / name) for name in beside} == dict.fromkeys(
            beside, 0o600
        )
    finally:
        service.close()


def test_exports_and_reports_are_owner_only_even_over_an_open_file(
    umask: int, fresh: Path, tmp_path: Path
) -> None:
    forloeb_on(fresh, "init")
    forloeb_on(fresh, "refer", "--cpr", CPR, "--programme", "pva",
               "--referring-caseworker", "bo")  # fmt: skip
    out = tmp_path / "out"
    (out / "cohort").mkdir(parents=True)
    (out / "cohort" / "courses.csv").write_text("an older export, readable by all\n")
    (out / "cohort" / "courses.csv").chmod(0o644)

    forloeb_on(fresh, "export", "--out", str(out / "cohort"))
    forloeb_on(fresh, "export", "--out", str(out / "cohort-parquet"), "--format", "parquet")
    forloeb_on(fresh, "report", "--out", str(out / "report.html"))
    forloeb_on(fresh, "citizen", "export", CPR, "--out", str(out / "citizen.json"))

    assert {p.name: mode(p) for p in out.iterdir() if p.is_file()} == {
        "report.html": 0o600, "citizen.json": 0o600,
    }  # fmt: skip
    assert mode(out / "cohort-parquet") == 0o700  # the folder the export made
    for folder in ("cohort", "cohort-parquet"):
        files = {p.suffix: mode(p) for p in (out / folder).iterdir()}
        assert set(files.values()) == {0o600} and len(files) == 2, folder


def test_the_error_log_and_its_folders_are_owner_only(
    umask: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    written = write_trace(RuntimeError("boom"))

    assert written == tmp_path / "state" / "forloeb" / "errors.log"
    assert mode(tmp_path / "state") == 0o700
    assert mode(tmp_path / "state" / "forloeb") == 0o700
    assert mode(written) == 0o600
    assert "RuntimeError" in written.read_text(encoding="utf-8")


def test_the_error_log_never_follows_a_symbolic_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    (tmp_path / "state" / "forloeb").mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file\n")
    (tmp_path / "state" / "forloeb" / "errors.log").symlink_to(victim)

    written = write_trace(RuntimeError("boom"))

    assert victim.read_text() == "someone else's file\n"
    assert written == tmp_path / "tmp" / "forloeb-errors.log"
    assert "RuntimeError" in written.read_text(encoding="utf-8")


def test_the_helpers_set_the_mode_whatever_the_umask(umask: int, tmp_path: Path) -> None:
    created = create_empty(tmp_path / "new" / "store.sqlite")
    again = create_empty(tmp_path / "new" / "store.sqlite")
    os.close(open_new(tmp_path / "new" / "key"))
    replace_file(tmp_path / "new" / "export.csv", lambda f: f.write(b"a,b\n"))

    assert (created, again) == (True, False)
    assert mode(tmp_path / "new") == 0o700
    assert {p.name: mode(p) for p in (tmp_path / "new").iterdir()} == dict.fromkeys(
        ("store.sqlite", "key", "export.csv"), 0o600
    )
    with pytest.raises(FileExistsError):
        open_new(tmp_path / "new" / "key")


def test_a_file_where_a_folder_should_be_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")

    with pytest.raises(NotADirectoryError):
        create_empty(tmp_path / "file" / "deeper" / "store.sqlite")
    with pytest.raises(NotADirectoryError):
        create_empty(tmp_path / "file" / "store.sqlite")


@pytest.mark.parametrize("kind", ["pipe", "folder"])
def test_a_file_is_never_renamed_over_a_pipe_or_folder(kind: str, tmp_path: Path) -> None:
    """A rename replaces whatever is at the path: run as root, `--out /dev/null` once put a
    file in place of the device. What is not a file (or a link) there is refused, unwritten."""
    path = tmp_path / "courses.csv"
    os.mkfifo(path) if kind == "pipe" else path.mkdir()

    with pytest.raises(InvalidInput, match=r"^out: .*courses\.csv is a (device|folder)"):
        replace_file(path, lambda f: f.write(b"a,b\n"))

    assert stat.S_ISFIFO(path.lstat().st_mode) if kind == "pipe" else path.is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["courses.csv"]  # no temporary left


def test_an_export_into_a_folder_holding_a_pipe_is_refused_in_one_line(tmp_path: Path) -> None:
    db = initialised(tmp_path / "store.sqlite")
    out = tmp_path / "cohort"
    out.mkdir()
    os.mkfifo(out / "courses.csv")

    runner, user = CliRunner(), ["--db", str(db), "--as", "anna"]
    referred = runner.invoke(forloeb, [*user, "refer", "--cpr", "010190-1234", "--programme",
                                       "pva", "--referring-caseworker", "bo"])  # fmt: skip
    assert referred.exit_code == 0, referred.output

    result = runner.invoke(forloeb, [*user, "export", "--programme", "pva", "--out", str(out)])

    assert result.exit_code == 2, result.output
    assert result.output == (
        f"error: out: {out / 'courses.csv'} is a device, pipe or socket, not a file; "
        "choose a file\n"
    )
