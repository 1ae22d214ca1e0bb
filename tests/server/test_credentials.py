"""Stored login tokens: in the OS keyring when one is usable, else an owner-only file."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import KeyringLocked, PasswordDeleteError

from cli.credentials import CredentialError, NotLoggedIn, TokenStore, server_key

SERVER = "https://forloeb.example.dk"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbm5hIn0.c2ln"


class MemoryKeyring(KeyringBackend):
    """A keyring backend holding passwords in a dict, as a desktop keyring would."""

    priority = 5

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class LockedKeyring(MemoryKeyring):
    """A keyring that is present but refuses to store (locked, no unlock prompt)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("locked")


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


@pytest.fixture
def backend() -> Iterator[None]:
    """Restore the process's keyring backend after a test sets its own."""
    before = keyring.get_keyring()
    yield
    keyring.set_keyring(before)


@pytest.fixture
def no_keyring(backend: None) -> None:
    keyring.set_keyring(fail.Keyring())


@pytest.fixture
def memory_keyring(backend: None) -> MemoryKeyring:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    return memory


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_without_a_keyring_the_token_goes_to_an_owner_only_file_whatever_the_umask(
    no_keyring: None, config_home: Path
) -> None:
    old_umask = os.umask(0)
    try:
        stored = TokenStore().save(SERVER, TOKEN)
    finally:
        os.umask(old_umask)

    token_file = config_home / "forloeb" / "tokens.json"
    assert stored.where == f"{token_file} (readable only by you)"
    assert mode(token_file) == 0o600
    assert mode(token_file.parent) == mode(config_home) == 0o700
    assert TokenStore().load(SERVER) == TOKEN


def test_tokens_are_kept_per_server_and_logout_forgets_only_that_one(
    no_keyring: None, config_home: Path
) -> None:
    store = TokenStore()
    store.save(SERVER, TOKEN)
    store.save("https://other.example.dk", "other-token")

    assert store.delete(SERVER) is True

    assert store.load(SERVER) is None
    assert store.load("https://other.example.dk") == "other-token"
    assert store.delete(SERVER) is False


def test_a_server_without_a_token_says_how_to_log_in(no_keyring: None, config_home: Path) -> None:
    with pytest.raises(NotLoggedIn) as missing:
        TokenStore().require(SERVER + "/")

    assert str(missing.value) == (
        f"not logged in to {SERVER}: run forloeb login --server {SERVER}"
    )


def test_a_symlink_in_place_of_the_token_file_is_never_followed(
    no_keyring: None, config_home: Path, tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text("{}")
    link = config_home / "forloeb" / "tokens.json"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)

    with pytest.raises(CredentialError, match="cannot read the token file"):
        TokenStore().load(SERVER)
    link.unlink()
    link.symlink_to(tmp_path / "missing.json")
    TokenStore().file._write({SERVER: TOKEN})

    assert not link.is_symlink()
    assert not (tmp_path / "missing.json").exists()
    assert target.read_text() == "{}"


def test_a_token_file_others_can_read_is_refused(no_keyring: None, config_home: Path) -> None:
    store = TokenStore()
    store.save(SERVER, TOKEN)
    store.file.path.chmod(0o644)

    with pytest.raises(CredentialError, match="is not private to you"):
        store.load(SERVER)


def test_with_a_keyring_the_token_goes_there_and_no_file_is_written(
    memory_keyring: MemoryKeyring, config_home: Path
) -> None:
    stored = TokenStore().save(SERVER + "/", TOKEN)

    assert stored.where == "the system keyring (test credentials MemoryKeyring)"
    assert memory_keyring.passwords == {("forloeb", SERVER): TOKEN}
    assert not (config_home / "forloeb" / "tokens.json").exists()
    assert TokenStore().load(SERVER) == TOKEN
    assert TokenStore().delete(SERVER) is True
    assert memory_keyring.passwords == {}


def test_a_token_filed_before_the_keyring_appeared_is_still_found_and_forgotten(
    backend: None, config_home: Path
) -> None:
    keyring.set_keyring(fail.Keyring())
    TokenStore().save(SERVER, TOKEN)
    keyring.set_keyring(MemoryKeyring())

    assert TokenStore().load(SERVER) == TOKEN
    assert TokenStore().delete(SERVER) is True
    assert TokenStore().load(SERVER) is None


def test_a_locked_keyring_falls_back_to_the_file(backend: None, config_home: Path) -> None:
    keyring.set_keyring(LockedKeyring())

    stored = TokenStore().save(SERVER, TOKEN)

    assert stored.where.endswith("tokens.json (readable only by you)")
    assert TokenStore().load(SERVER) == TOKEN


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("HTTPS://Forloeb.Example.DK/", "https://forloeb.example.dk"),
        ("https://forloeb.example.dk:8443/kommune/", "https://forloeb.example.dk:8443/kommune"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ],
)
def test_server_urls_are_filed_in_one_spelling(url: str, key: str) -> None:
    assert server_key(url) == key


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("forloeb.example.dk", "is not an http(s) URL"),
        ("ftp://forloeb.example.dk", "is not an http(s) URL"),
        ("https://anna:secret@forloeb.example.dk", "must not carry a user name or password"),
    ],
)
def test_what_is_not_a_server_url_is_refused(url: str, reason: str) -> None:
    with pytest.raises(CredentialError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        server_key(url)


def test_an_empty_or_multiline_token_is_refused(no_keyring: None, config_home: Path) -> None:
    for token in ("", "abc\ndef"):
        with pytest.raises(CredentialError, match="token: empty, or contains whitespace"):
            TokenStore().save(SERVER, token)


def test_a_refused_token_says_why_and_how_to_log_in_again() -> None:
    from cli.credentials import TokenRefused

    assert str(TokenRefused(SERVER, "token expired")) == (
        f"the token for {SERVER} was refused (token expired): run forloeb login --server {SERVER}"
    )
