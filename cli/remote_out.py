"""`--out` in remote mode: where a command's files go, checked and written on the client.

A server runs `report --out`, `export --out` and `citizen export --out` with the option
pointing into a private temporary folder of its own and sends the files back
(`server.out_files`); the remote client (`cli.remote`) refuses a bad path before sending,
as the embedded command would, and writes the files there, owner-only. Only the
standard library is imported until files are written.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

OUT = "--out"
FILE, NEW_FILE, FOLDER = "file", "new file", "folder"
"""What `--out` names: a file written over, a file that must not exist yet, a folder."""
EXPORT_FORMATS = ("csv", "parquet")


class BadOut(ValueError):
    """A `--out` given twice or without a value."""


@dataclass(frozen=True)
class OutOption:
    """Where `--out` stands in a command line: the value's index, the value, its kind,
    and whether it was given as `--out=VALUE`."""

    index: int
    value: str
    kind: str
    joined: bool = False


def kind_of(words: list[str]) -> str:
    """What `--out` names for the command among `words` (the arguments before it)."""
    named = [w for w in words if w in ("report", "export", "citizen")]
    if named[:1] == ["citizen"]:
        return NEW_FILE
    return FOLDER if named[:1] == ["export"] else FILE


def find_out(argv: list[str]) -> OutOption | None:
    """The command line's `--out` (`--out X` or `--out=X`), None without one; BadOut
    when it is given twice or without a value."""
    found: OutOption | None = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg != OUT and not arg.startswith(OUT + "="):
            continue
        if found is not None:
            raise BadOut("out: give --out once")
        if arg == OUT:
            if i + 1 >= len(argv):
                raise BadOut("out: give a path after --out")
            found = OutOption(i + 1, argv[i + 1], kind_of(argv[:i]))
        else:
            found = OutOption(i, arg.partition("=")[2], kind_of(argv[:i]), joined=True)
    return found


def with_value(argv: list[str], option: OutOption, value: str) -> list[str]:
    """The command line with `--out`'s value replaced."""
    replaced = list(argv)
    replaced[option.index] = f"{OUT}={value}" if option.joined else value
    return replaced


def refusal(option: OutOption) -> str | None:
    """Why the embedded command would refuse this `--out` on this machine (its line
    without `error: `), or None."""
    out = Path(option.value)
    if option.kind == FOLDER:
        if out.suffix.lower().lstrip(".") in EXPORT_FORMATS:
            return f"out: {out.name} names a file; give a folder (the export writes several files)"
        if out.exists() and not out.is_dir():
            return f"out: {out} is a file, not a folder"
        if not out.parent.is_dir():
            reason = "is not a folder" if out.parent.exists() else "does not exist"
            return f"out: {out}: the folder {out.parent} {reason}"
        return None
    if option.kind == NEW_FILE:
        if out.exists() or out.is_symlink():
            return f"out: {out} exists; choose a new file"
        if not out.parent.is_dir():
            return f"out: {out.parent} is not a folder"
        return None
    if out.is_dir():
        return f"Invalid value for '--out': File {option.value!r} is a directory."
    if not out.parent.is_dir():
        reason = "is not a folder" if out.parent.exists() else "does not exist"
        return f"out: {out}: the folder {out.parent} {reason}"
    return None


def destination(option: OutOption, name: str) -> Path:
    """Where a returned file goes: `name` is relative to `--out` ("" is `--out` itself);
    ValueError for a name that would leave it."""
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or "\\" in name:
        raise ValueError(f"out: the server sent a file named {name!r}; nothing was written")
    if name in ("", ".") and option.kind == FOLDER:
        raise ValueError("out: the server sent a file where a folder was asked for")
    return Path(option.value).joinpath(*relative.parts)


def write_files(option: OutOption, files: list[Any]) -> list[Path]:
    """Write the server's files (`{"path", "content"}`, base64) under `--out`, owner-only;
    the paths written. ValueError for a reply that names a path outside `--out`."""
    from storage.owner_only import make_folders, open_new, replace_file

    planned = [(destination(option, str(f["path"])), base64.b64decode(f["content"])) for f in files]
    if option.kind == FOLDER:
        make_folders(Path(option.value))
    for path, content in planned:
        if option.kind == NEW_FILE:
            fd = open_new(path)
            with os.fdopen(fd, "wb") as file:
                file.write(content)
            continue
        make_folders(path.parent)
        replace_file(path, lambda file, content=content: file.write(content))  # type: ignore[misc]
    return [path for path, _ in planned]
