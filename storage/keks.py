"""Key-encryption keys (KEKs): kept outside the database, rotated to make erasure final.

A citizen's key is wrapped, and their CPR lookup keyed, under the master key
*and* the current KEK. KEKs are files in a folder outside the database
(FORLOEB_KEK_DIR), `kek-000001.key`, `kek-000002.key`, …, base64, owner-only;
the highest number is the current one. Erasure deletes the citizen's key row,
but the row's old bytes may live on in PostgreSQL's WAL, a WAL archive or a
backup. `forloeb citizen rotate-keys` makes them useless: it writes a new KEK,
re-wraps every remaining citizen's key and lookup under it, and destroys the
older KEK files, so nothing left anywhere (database, WAL, backups) can unwrap
an erased citizen's key or confirm their CPR.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from pathlib import Path

from storage.owner_only import open_new
from storage.secrets import KEY_BYTES, MasterKeyProblem

KEK_DIR_ENV = "FORLOEB_KEK_DIR"
"""The environment variable naming the folder that holds the KEK files."""
_NAME = re.compile(r"kek-(\d{6})\.key")


class KekFolder:
    """The folder of KEK files; the highest numbered is current."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cache: dict[int, bytes] = {}

    def ids(self) -> list[int]:
        """The KEKs still there, oldest first."""
        if not self.path.is_dir():
            return []
        found = (_NAME.fullmatch(p.name) for p in self.path.iterdir())
        return sorted(int(m.group(1)) for m in found if m is not None)

    def current(self) -> int:
        """The current KEK's number (the first is made if there is none)."""
        ids = self.ids()
        return ids[-1] if ids else self.create()

    def create(self) -> int:
        """Write a new KEK, numbered after the highest there; its number."""
        ids = self.ids()
        number = (ids[-1] if ids else 0) + 1
        fd = open_new(self._file(number))
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii") + "\n")
            f.flush()
            os.fsync(f.fileno())
        return number

    def secret(self, number: int) -> bytes | None:
        """A KEK's bytes, or None if it was destroyed."""
        if number in self._cache:
            return self._cache[number]
        path = self._file(number)
        try:
            text = path.read_text(encoding="ascii")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError):
            raise MasterKeyProblem(f"kek: cannot read {path}") from None
        try:
            raw = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise MasterKeyProblem(f"kek: {path} is not base64") from None
        if len(raw) != KEY_BYTES:
            raise MasterKeyProblem(f"kek: {path} must hold {KEY_BYTES} bytes, not {len(raw)}")
        self._cache[number] = raw
        return raw

    def destroy(self, number: int) -> None:
        """Overwrite and delete a KEK file (a copy elsewhere, e.g. a file backup, is not
        reached: docs/operations.md says how KEKs are kept)."""
        path = self._file(number)
        self._cache.pop(number, None)
        try:
            size = path.stat().st_size
            with path.open("r+b") as f:
                f.write(os.urandom(size))
                f.flush()
                os.fsync(f.fileno())
            path.unlink()
        except FileNotFoundError:
            return

    def _file(self, number: int) -> Path:
        return self.path / f"kek-{number:06d}.key"


def under_kek(purpose_key: bytes, kek: bytes | None) -> bytes:
    """A purpose key (wrapping, lookup) bound to a KEK: the master key's derived key alone,
    for rows written before KEKs (None)."""
    if kek is None:
        return purpose_key
    return hmac.new(purpose_key, b"forloeb/kek/" + kek, hashlib.sha256).digest()
