"""Reading a small text file that someone else may have put in place: only a regular file,
and only so much of it.

A device, a pipe or a socket at a configuration path (`FORLOEB_CONFIG=/dev/zero`, a FIFO)
would make a plain read never end or never open; a huge file would be read whole.
"""

from __future__ import annotations

import stat
from pathlib import Path

TEXT_FILE_LIMIT = 1 << 20
"""The most bytes a configuration or definition file is read for (1 MiB)."""


def read_text_file(path: Path, limit: int = TEXT_FILE_LIMIT, encoding: str = "utf-8") -> str:
    """The file's text. ValueError (the reason) if it is not a regular file or is longer
    than `limit` bytes, checked before it is opened or read whole; otherwise as
    `Path.read_text` (OSError, UnicodeDecodeError)."""
    if not stat.S_ISREG(path.stat().st_mode):
        raise ValueError("is not a regular file (a device, pipe or socket?)")
    with path.open("rb") as f:
        raw = f.read(limit + 1)
    if len(raw) > limit:
        raise ValueError(f"is longer than {limit:,} bytes")
    return raw.decode(encoding)
