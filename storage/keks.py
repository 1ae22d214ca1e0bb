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

KEKs are not optional. FORLOEB_KEK_DIR names the folder; without it a SQLite
store keeps its KEKs in the user's own configuration folder, beside the master
key (`$XDG_CONFIG_HOME/forloeb/keks/STORE-ID` on Linux: one folder per store,
since a rotation destroys the store's older KEKs), never in the store's folder.
A PostgreSQL store must be given FORLOEB_KEK_DIR: `forloeb init` refuses to
create one without it. FORLOEB_KEK_MAX_AGE (default 30d) is how old the newest
KEK may get before `forloeb verify --all` says to rotate.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.errors import InvalidInput
from storage.owner_only import open_new
from storage.secrets import KEY_BYTES, MasterKeyProblem, read_key_file

KEK_DIR_ENV = "FORLOEB_KEK_DIR"
"""The environment variable naming the folder that holds the KEK files."""
KEK_MAX_AGE_ENV = "FORLOEB_KEK_MAX_AGE"
"""How old the newest KEK may be before `verify` asks for a rotation (e.g. 30d)."""
DEFAULT_MAX_AGE = "30d"
HOME_FOLDER = "keks"
"""The folder, in the user's configuration folder, that holds each store's KEK folder."""
_NAME = re.compile(r"kek-(\d{6})\.key")
_PERIOD = re.compile(r"(\d{1,5})([hdw])")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


class KekFolder:
    """The folder of KEK files; the highest numbered is current."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._cache: dict[int, bytes] = {}

    @property
    def path(self) -> Path:
        """Where the KEK files are."""
        return self._path

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

    def first(self) -> int:
        """Write KEK 1, or take the one another process wrote meanwhile; its number."""
        try:
            return self.create()
        except FileExistsError:
            return self.ids()[-1]

    def secret(self, number: int) -> bytes | None:
        """A KEK's bytes, or None if it was destroyed."""
        if number in self._cache:
            return self._cache[number]
        path = self._file(number)
        try:
            text = read_key_file(path)
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError):
            raise MasterKeyProblem(f"kek: cannot read {path}") from None
        except ValueError as e:
            raise MasterKeyProblem(f"kek: {path} {e}") from None
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

    def made_at(self, number: int) -> datetime | None:
        """When a KEK was written (its file's modification time), None if it is gone."""
        try:
            return datetime.fromtimestamp(self._file(number).stat().st_mtime, UTC)
        except FileNotFoundError:
            return None

    def newest_age(self, now: datetime) -> tuple[int, timedelta] | None:
        """The current KEK's number and age, None if there is none."""
        ids = self.ids()
        made = self.made_at(ids[-1]) if ids else None
        return None if made is None else (ids[-1], now - made)

    def _file(self, number: int) -> Path:
        return self.path / f"kek-{number:06d}.key"


class HomeKekFolder(KekFolder):
    """A store's KEK folder in the user's configuration folder (`home()`, looked up when
    first needed), named for the store's id (`store_id(claim)`: kept in the store, made
    only when `claim`, that is when the store's first KEK is)."""

    def __init__(self, home: Callable[[], Path], store_id: Callable[[bool], str | None]) -> None:
        super().__init__(Path())
        self._home = home
        self._store_id = store_id
        self._resolved: Path | None = None

    @property
    def path(self) -> Path:
        """The store's own folder under the home (an unused name until the store has an id)."""
        return self._folder(claim=False) or self._home() / "(none yet)"

    def ids(self) -> list[int]:
        """The store's KEKs (none while the store has no id)."""
        return super().ids() if self._folder(claim=False) is not None else []

    def create(self) -> int:
        """Write a new KEK in the store's folder, giving the store an id first if needed."""
        self._folder(claim=True)
        return super().create()

    def _folder(self, *, claim: bool) -> Path | None:
        if self._resolved is None:
            found = self._store_id(claim)
            self._resolved = None if found is None else self._home() / found
        return self._resolved


def home_kek_root() -> Path:
    """The folder of every store's KEK folder: beside the user's master key (platformdirs)."""
    from platformdirs import user_config_path

    return user_config_path("forloeb", appauthor=False) / HOME_FOLDER


def parse_period(text: str, field: str) -> timedelta:
    """A period written as a number and h, d or w (`30d`); InvalidInput naming `field`."""
    found = _PERIOD.fullmatch(text.strip())
    if found is None or int(found.group(1)) == 0:
        raise InvalidInput(field, f"{text!r} is not a period such as 12h, 30d or 4w")
    return int(found.group(1)) * _UNITS[found.group(2)]


def max_age(env: Mapping[str, str]) -> timedelta:
    """How old the newest KEK may be (FORLOEB_KEK_MAX_AGE, default 30d)."""
    return parse_period(env.get(KEK_MAX_AGE_ENV) or DEFAULT_MAX_AGE, KEK_MAX_AGE_ENV)


def under_kek(purpose_key: bytes, kek: bytes | None) -> bytes:
    """A purpose key (wrapping, lookup) bound to a KEK: the master key's derived key alone,
    for rows written before KEKs (None)."""
    if kek is None:
        return purpose_key
    return hmac.new(purpose_key, b"forloeb/kek/" + kek, hashlib.sha256).digest()
