"""`--out` on the server: a command writes into a private temporary folder, never where the
command line pointed, and its files go back to the client in the reply."""

from __future__ import annotations

import base64
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field

from cli.remote_out import OutOption, find_out, with_value

MAX_OUT_BYTES = 64_000_000
"""The most a command's `--out` files may hold together to be sent back."""


class OutFile(BaseModel):
    """One file a command wrote under `--out`, for the client to write there."""

    path: str = Field(description='the path under `--out` ("" for the `--out` file itself)')
    content: str = Field(description="the file's bytes, base64")


class TooLarge(ValueError):
    """The files written are more than the reply may carry."""


@dataclass
class Redirected:
    """A command line whose `--out` points into a private folder, and what it wrote there."""

    argv: list[str]
    option: OutOption | None = None
    target: Path | None = None
    files: list[OutFile] = field(default_factory=list)

    def collect(self) -> None:
        """Read every file written under the target (TooLarge beyond MAX_OUT_BYTES)."""
        if self.target is None:
            return
        found = [self.target] if self.target.is_file() else sorted(self.target.rglob("*"))
        total = 0
        for path in found:
            if path.is_symlink() or not path.is_file():
                continue
            content = path.read_bytes()
            total += len(content)
            if total > MAX_OUT_BYTES:
                raise TooLarge(
                    f"out: the files written exceed the {MAX_OUT_BYTES} bytes a reply may carry"
                )
            name = path.relative_to(self.target).as_posix()
            self.files.append(OutFile(path="" if name == "." else name, content=b64(content)))

    def as_given(self, text: str) -> str:
        """Output with the private folder's path shown as the path the user gave."""
        if self.target is None or self.option is None:
            return text
        value, parent = self.option.value, str(Path(self.option.value).parent)
        text = wrapped(str(self.target)).sub(lambda _: value, text)
        return wrapped(str(self.target.parent)).sub(lambda _: parent, text)


def wrapped(path: str) -> re.Pattern[str]:
    """The path as the console may print it, broken over lines at the terminal's width
    (before it too, after a space): the given path, shorter, may fit where it did not."""
    return re.compile("(?:(?<= )\n)?" + "\n?".join(re.escape(c) for c in path))


def b64(content: bytes) -> str:
    """The bytes as base64 text."""
    return base64.b64encode(content).decode("ascii")


@contextmanager
def private_out(argv: list[str]) -> Iterator[Redirected]:
    """The command line with `--out` pointing into a fresh owner-only temporary folder
    (only the last part of the given name is kept), which is removed afterwards;
    BadOut for a `--out` given twice or without a value."""
    option = find_out(argv)
    if option is None:
        yield Redirected(argv)
        return
    folder = Path(tempfile.mkdtemp(prefix="forloeb-out-"))  # mode 0700
    try:
        name = Path(option.value).name
        target = folder / (name if name not in ("", ".", "..") else "out")
        yield Redirected(with_value(argv, option, str(target)), option, target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
