"""Where the master key lives when nothing names it: the user's own secret store.

Never beside the store: a copy of the store's folder (a backup, a laptop's
disk) would then decrypt everything. The default is the OS keyring (the
`keyring` package: Secret Service, macOS Keychain, Windows Credential Locker)
where a usable backend is present, else an owner-only file in the user's
configuration folder (`$XDG_CONFIG_HOME/forloeb/master.key` on Linux); once that
file exists it is used, and the keyring is not consulted. The key is one per
user: every store the user makes without naming a key uses it.

A store made before this default keeps its key beside it (`forloeb.sqlite` →
`forloeb.key`): it is still found there, with a warning to move it.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from storage.owner_only import make_folders
from storage.secrets import MasterKey, MasterKeyProblem

KEYRING_SERVICE = "forloeb"
KEYRING_ENTRY = "master-key"
"""The keyring's service and user name the master key is kept under."""
KEY_FILE_NAME = "master.key"

_warned: set[str] = set()


def warn(line: str) -> None:
    """One warning line on stderr, once per process."""
    if line not in _warned:
        _warned.add(line)
        print(f"warning: {line}", file=sys.stderr)


def config_key_file() -> Path:
    """The owner-only key file in the user's configuration folder (platformdirs)."""
    from platformdirs import user_config_path

    return user_config_path(KEYRING_SERVICE, appauthor=False) / KEY_FILE_NAME


def usable_keyring() -> object | None:
    """The OS keyring backend, if one that can keep secrets is present."""
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:  # pragma: no cover - a dependency, but a keyring is optional
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    return backend


def home_master_key() -> tuple[MasterKey, str]:
    """The user's master key and where it is, made on first use: in the OS keyring if
    usable, else in the configuration folder's owner-only file.

    An existing key file is used without asking the keyring (a file is only made where
    no keyring was usable, and importing `keyring` loads every backend it knows)."""
    path = config_key_file()
    if path.exists():
        return MasterKey.from_file(path), str(path)
    backend = usable_keyring()
    if backend is not None:
        return _from_keyring(backend), f"the OS keyring ({KEYRING_SERVICE}/{KEYRING_ENTRY})"
    if not path.exists():
        make_folders(path.parent)
        with contextlib.suppress(FileExistsError):  # another process made it first
            MasterKey.generate().write(path)
    return MasterKey.from_file(path), str(path)


def _from_keyring(backend: object) -> MasterKey:
    from keyring.errors import KeyringError

    try:
        text = backend.get_password(KEYRING_SERVICE, KEYRING_ENTRY)  # type: ignore[attr-defined]
        if text is None:
            backend.set_password(  # type: ignore[attr-defined]
                KEYRING_SERVICE, KEYRING_ENTRY, MasterKey.generate().text()
            )
            text = backend.get_password(KEYRING_SERVICE, KEYRING_ENTRY)  # type: ignore[attr-defined]
    except KeyringError as e:
        raise MasterKeyProblem(f"master key: the OS keyring refused: {e}") from None
    if not text:
        raise MasterKeyProblem("master key: the OS keyring did not keep it")
    return MasterKey.from_text(text, "the OS keyring")


def in_folder_of(key_file: Path, store_folder: Path | None) -> bool:
    """Whether a key file sits in the store's folder (a copy of the folder has both)."""
    if store_folder is None:
        return False
    return key_file.expanduser().resolve().parent == store_folder.expanduser().resolve()


def beside_warning(key_file: Path) -> str:
    """The warning for a key kept in the store's folder."""
    return (
        f"the master key {key_file} is in the store's folder: a copy of that folder "
        "decrypts everything; keep it elsewhere (see docs/operations.md, the master key)"
    )
