"""The token `forloeb login` obtained, kept owner-only per server URL (client side).

Where: the OS keyring (the `keyring` package: Secret Service, KWallet, macOS
Keychain, Windows Credential Locker) when a usable backend is present; otherwise
`tokens.json` in the user's config folder (platformdirs; e.g.
~/.config/forloeb/tokens.json), a JSON object from server URL to token, written
owner-only (0600, its folder 0700) whatever the umask, through a fresh file renamed
into place, never following a symlink. A token file that others can read, or that
is not the user's, is refused rather than used. `PYTHON_KEYRING_BACKEND=
keyring.backends.fail.Keyring` turns the keyring off.

Reading and deleting look in both places, so a token stays found when a keyring
appears or goes away between login and use. For the remote CLI: `TokenStore.require`
raises `NotLoggedIn` and a 401 from the server becomes `TokenRefused`; both are one
line naming the command that fixes it, for exit code 1.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from storage.owner_only import make_folders, replace_file

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

KEYRING_SERVICE = "forloeb"
"""The service name tokens are kept under in the keyring; the user name is the server URL."""
TOKEN_FILE_NAME = "tokens.json"


class CredentialError(Exception):
    """A server URL or a stored token that cannot be used; the message is one line."""


class NotLoggedIn(CredentialError):
    """No token is stored for the server."""

    def __init__(self, server: str) -> None:
        super().__init__(f"not logged in to {server}: run forloeb login --server {server}")
        self.server = server


class TokenRefused(CredentialError):
    """The server refused the stored token (expired, revoked, for another server)."""

    def __init__(self, server: str, reason: str) -> None:
        super().__init__(
            f"the token for {server} was refused ({reason}): run forloeb login --server {server}"
        )
        self.server = server
        self.reason = reason


def server_key(url: str) -> str:
    """The server URL as tokens are filed under it: scheme and host lower-case, no
    trailing slash, no query; `CredentialError` for anything but an http(s) URL."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise CredentialError(f"server: {url!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise CredentialError("server: the URL must not carry a user name or password")
    netloc = parts.hostname.lower() + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


@dataclass(frozen=True)
class Stored:
    """Where a token went: a line for the person who logged in."""

    where: str


def default_token_file() -> Path:
    """tokens.json in the user's config folder for forloeb."""
    from platformdirs import user_config_path

    return user_config_path("forloeb") / TOKEN_FILE_NAME


def usable_keyring() -> KeyringBackend | None:
    """The OS keyring's backend, or None when only keyring's fail or null backend is left."""
    import keyring

    backend = keyring.get_keyring()
    return backend if backend.priority > 0 else None


class TokenStore:
    """Tokens per server: the keyring when usable, else the owner-only file."""

    def __init__(self, token_file: Path | None = None, use_keyring: bool = True) -> None:
        self.file = TokenFile(token_file or default_token_file())
        self._use_keyring = use_keyring

    def save(self, server: str, token: str) -> Stored:
        """Keep the token for this server; where it went."""
        key = server_key(server)
        if not token or any(ch.isspace() for ch in token):
            raise CredentialError("token: empty, or contains whitespace")
        backend = self._keyring()
        if backend is not None:
            from keyring.errors import KeyringError

            try:
                backend.set_password(KEYRING_SERVICE, key, token)
            except KeyringError:
                pass  # a keyring that is present but locked or broken: use the file
            else:
                self.file.delete(key)
                return Stored(f"the system keyring ({backend.name})")
        self.file.save(key, token)
        return Stored(f"{self.file.path} (readable only by you)")

    def load(self, server: str) -> str | None:
        """The token kept for this server, or None."""
        key = server_key(server)
        backend = self._keyring()
        if backend is not None:
            from keyring.errors import KeyringError

            with contextlib.suppress(KeyringError):
                token = backend.get_password(KEYRING_SERVICE, key)
                if token:
                    return token
        return self.file.load(key)

    def require(self, server: str) -> str:
        """The token kept for this server; `NotLoggedIn` (one line) when there is none."""
        token = self.load(server)
        if token is None:
            raise NotLoggedIn(server_key(server))
        return token

    def delete(self, server: str) -> bool:
        """Forget this server's token wherever it is kept; whether there was one."""
        key = server_key(server)
        found = False
        backend = self._keyring()
        if backend is not None:
            from keyring.errors import KeyringError, PasswordDeleteError

            with contextlib.suppress(PasswordDeleteError, KeyringError):
                if backend.get_password(KEYRING_SERVICE, key) is not None:
                    backend.delete_password(KEYRING_SERVICE, key)
                    found = True
        return self.file.delete(key) or found

    def _keyring(self) -> KeyringBackend | None:
        return usable_keyring() if self._use_keyring else None


class TokenFile:
    """The owner-only JSON file of tokens by server URL."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, key: str) -> str | None:
        token = self._read().get(key)
        return token if isinstance(token, str) else None

    def save(self, key: str, token: str) -> None:
        tokens = self._read()
        tokens[key] = token
        self._write(tokens)

    def delete(self, key: str) -> bool:
        tokens = self._read()
        if key not in tokens:
            return False
        del tokens[key]
        self._write(tokens)
        return True

    def _read(self) -> dict[str, object]:
        try:
            descriptor = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise CredentialError(
                f"cannot read the token file {self.path}: {error.strerror}"
            ) from None
        with os.fdopen(descriptor, "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise CredentialError(f"the token file {self.path} is not a regular file")
            if info.st_uid != os.getuid() or info.st_mode & 0o077:
                raise CredentialError(
                    f"the token file {self.path} is not private to you; remove it and log in again"
                )
            try:
                tokens = json.loads(file.read())
            except ValueError:
                raise CredentialError(f"the token file {self.path} is not JSON") from None
        if not isinstance(tokens, dict):
            raise CredentialError(f"the token file {self.path} is not a JSON object")
        return tokens

    def _write(self, tokens: dict[str, object]) -> None:
        make_folders(self.path.parent)
        text = json.dumps(tokens, indent=2, sort_keys=True).encode()
        replace_file(self.path, lambda file: file.write(text))  # a symlink is replaced
