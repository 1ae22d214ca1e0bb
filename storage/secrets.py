"""The deployment's master key, and the purpose keys derived from it.

One 256-bit secret per deployment, given by configuration (FORLOEB_MASTER_KEY,
base64) or a key file, never stored in the event store. Each use gets its own
key derived from it (HMAC-SHA256 over a purpose label), so wrapping citizen
keys, looking up citizens by CPR and signing chain heads never share a key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path

from domain.errors import CourseError
from storage.owner_only import open_new
from storage.text_files import read_text_file

MASTER_KEY_ENV = "FORLOEB_MASTER_KEY"
"""The environment variable (and application env key) holding the master key, base64."""
MASTER_KEY_FILE_ENV = "FORLOEB_MASTER_KEY_FILE"
"""The environment variable naming a file that holds the master key, base64."""
KEY_BYTES = 32
KEY_FILE_LIMIT = 1024
"""The most characters a key file is read for: a base64 key is 44 (and a newline)."""


class MasterKeyProblem(CourseError):
    """The master key is missing, unreadable or malformed (one line, no secret in it)."""


def read_key_file(path: Path) -> str:
    """A key file's text: a regular file of at most `KEY_FILE_LIMIT` ASCII characters
    (`storage.text_files.read_text_file`: a device or pipe in its place is refused
    before it is opened)."""
    return read_text_file(path, KEY_FILE_LIMIT, "ascii")


@dataclass(frozen=True)
class MasterKey:
    """The deployment's master secret; `derive` gives one key per purpose."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise MasterKeyProblem(f"master key: must be {KEY_BYTES} bytes, not {len(self.secret)}")

    @classmethod
    def generate(cls) -> MasterKey:
        """A fresh random master key."""
        return cls(os.urandom(KEY_BYTES))

    @classmethod
    def from_text(cls, text: str, source: str) -> MasterKey:
        """Parse a base64 master key; `source` names where it came from in errors."""
        try:
            secret = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise MasterKeyProblem(f"master key: {source} is not base64") from None
        if len(secret) != KEY_BYTES:
            raise MasterKeyProblem(
                f"master key: {source} must hold {KEY_BYTES} bytes, not {len(secret)}"
            )
        return cls(secret)

    @classmethod
    def from_file(cls, path: Path) -> MasterKey:
        """Read a key file written by `write`."""
        try:
            text = read_key_file(path)
        except (OSError, UnicodeDecodeError) as e:
            reason = getattr(e, "strerror", None) or "unreadable"
            raise MasterKeyProblem(f"master key: cannot read {path}: {reason}") from None
        except ValueError as e:
            raise MasterKeyProblem(f"master key: {path} {e}") from None
        return cls.from_text(text, str(path))

    def write(self, path: Path) -> None:
        """Write the key to a new file readable by its owner only."""
        fd = open_new(path)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(self.text() + "\n")

    def text(self) -> str:
        """The key as base64 (what FORLOEB_MASTER_KEY holds)."""
        return base64.b64encode(self.secret).decode("ascii")

    def derive(self, purpose: str) -> bytes:
        """A 32-byte key for one purpose (e.g. "citizen-keys", "cpr-lookup", "chain-heads")."""
        return hmac.new(self.secret, b"forloeb/" + purpose.encode(), hashlib.sha256).digest()

    def fingerprint(self) -> str:
        """A short public check value: tells which key a store was set up with."""
        return self.derive("fingerprint").hex()[:16]
