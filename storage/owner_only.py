"""Owner-only files and folders: what forloeb creates only its owner may read.

The store, its key file, the configuration, the error log, exports and reports
hold personal data or secrets. Each is created here with mode 0600 (folders
0700), set explicitly after creation so that no umask, 0o000 included, widens
it. Files and folders that already exist keep the mode their owner gave them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def make_folders(folder: Path) -> None:
    """Create the folder and its missing parents, each owner-only (0700);
    NotADirectoryError if a file stands where a folder should be."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    if not current.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(current))
    for path in reversed(missing):
        try:
            path.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # another process made it first; its mode is its own
        os.chmod(path, FOLDER_MODE)


def create_empty(path: Path) -> bool:
    """Create the file, empty and owner-only, unless something is already there.

    Whether it was created. A SQLite store made this way keeps its mode, and
    SQLite gives the write-ahead log and shared-memory files beside it the
    same mode.
    """
    make_folders(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return True


def open_new(path: Path) -> int:
    """A write descriptor on a new owner-only file; FileExistsError if anything, a
    dangling symbolic link included, is already at the path."""
    make_folders(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return fd


def open_log(path: Path) -> IO[str]:
    """The log file opened for appending, created owner-only if missing.

    A symbolic link at the path is refused (OSError), never followed, so the
    log cannot be pointed at another file.
    """
    make_folders(path.parent)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, "a", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def not_a_file(path: Path) -> str | None:
    """Why `path` may not be replaced by a file (a folder, or a device, pipe or socket such
    as /dev/null, which a rename would put a file in place of), or None."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
        return None
    if stat.S_ISDIR(mode):
        return f"{path} is a folder, not a file"
    return f"{path} is a device, pipe or socket, not a file; choose a file"


def replace_file(path: Path, write: Callable[[IO[bytes]], Any], field: str = "out") -> None:
    """Write a whole file owner-only: into a temporary file beside it, renamed over it.

    A reader never sees half a file, and a symbolic link at the path is
    replaced, not followed. Anything else but a file at the path is refused
    (InvalidInput naming `field`), before anything is written.
    """
    import tempfile  # only when a file is replaced: not on every command's start

    reason = not_a_file(path)
    if reason is not None:
        from domain.errors import InvalidInput  # only then: the remote client stays light

        raise InvalidInput(field, reason)

    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
