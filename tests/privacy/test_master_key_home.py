"""The master key is never kept beside the store unless told so, and then with a warning:
by default it is the user's own, in the OS keyring or their configuration folder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from click.testing import CliRunner
from keyring.backend import KeyringBackend
from keyring.backends import fail

from cli.bootstrap import open_service
from cli.main import forloeb
from storage.key_home import KEYRING_ENTRY, KEYRING_SERVICE
from storage.secrets import MasterKey, MasterKeyProblem
from storage.store import StoreConfig
from workflows import commands as cmd


class MemoryKeyring(KeyringBackend):
    """An OS keyring held in memory."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.secrets[(service, username)]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's configuration folder, nothing naming a master key."""
    monkeypatch.delenv("FORLOEB_MASTER_KEY")
    monkeypatch.delenv("FORLOEB_MASTER_KEY_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """No usable OS keyring (a server, a container)."""
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


@pytest.fixture
def os_keyring() -> Iterator[MemoryKeyring]:
    """A usable OS keyring."""
    before = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(before)


def store_in(folder: Path) -> StoreConfig:
    folder.mkdir(parents=True, exist_ok=True)
    return StoreConfig(sqlite_path=folder / "forloeb.sqlite")


def refer(store: StoreConfig) -> None:
    service = open_service(store)
    try:
        service.execute(
            cmd.Refer(cpr="010190-1234", programme="pva", referring_caseworker="sb"), "rk-anna"
        )
    finally:
        service.close()


def test_without_a_keyring_the_key_is_an_owner_only_file_in_the_config_folder(
    home: Path, no_keyring: None, tmp_path: Path
) -> None:
    store = store_in(tmp_path / "data")

    first = store.master_key()

    key_file = home / "forloeb" / "master.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert MasterKey.from_file(key_file) == first
    assert store.master_key() == first  # read back, not made again
    assert list((tmp_path / "data").iterdir()) == []  # nothing beside the store


def test_with_a_keyring_the_key_is_kept_there_and_nowhere_on_disk(
    home: Path, os_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    store = store_in(tmp_path / "data")

    first = store.master_key()

    assert os_keyring.secrets[(KEYRING_SERVICE, KEYRING_ENTRY)] == first.text()
    assert not home.exists()
    assert list((tmp_path / "data").iterdir()) == []
    assert store.master_key() == first


def test_a_copy_of_the_stores_folder_does_not_decrypt_for_someone_else(
    home: Path, no_keyring: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = store_in(tmp_path / "data")
    refer(store)
    shutil.copytree(tmp_path / "data", tmp_path / "copy")

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "someone-else"))
    with pytest.raises(MasterKeyProblem, match="not the key this store was set up with"):
        open_service(store_in(tmp_path / "copy"))


def test_a_key_left_beside_an_old_store_is_still_found_with_a_warning(
    home: Path, no_keyring: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = store_in(tmp_path / "old")
    old = MasterKey.generate()
    old.write(tmp_path / "old" / "forloeb.key")

    assert store.master_key() == old

    warning = capsys.readouterr().err
    assert "warning: the master key" in warning and "in the store's folder" in warning
    assert not (home / "forloeb" / "master.key").exists()


def test_init_warns_when_told_to_keep_the_key_in_the_stores_folder(
    home: Path, no_keyring: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    MasterKey.generate().write(folder / "kommune.key")
    monkeypatch.setenv("FORLOEB_MASTER_KEY_FILE", str(folder / "kommune.key"))
    monkeypatch.setenv("FORLOEB_CONFIG", str(tmp_path / "forloeb.toml"))

    result = CliRunner().invoke(forloeb, ["--as", "ole", "init", "--db", str(folder / "s.sqlite")])

    assert result.exit_code == 0, result.output
    assert "warning: the master key" in result.output
    assert "a copy of that folder decrypts everything" in result.output


def test_init_is_quiet_about_a_key_kept_elsewhere(
    home: Path, no_keyring: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORLOEB_CONFIG", str(tmp_path / "forloeb.toml"))
    folder = tmp_path / "data"
    folder.mkdir()

    result = CliRunner().invoke(forloeb, ["--as", "ole", "init", "--db", str(folder / "s.sqlite")])

    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    assert (home / "forloeb" / "master.key").exists()
    assert not (folder / "s.key").exists()
