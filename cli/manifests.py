"""Gathering a pull's manifest: the definition, configuration and code the cells came from."""

from __future__ import annotations

import hashlib
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path

from projections.manifest import CodeVersion, DefinitionVersion

SOURCE_ROOT = Path(__file__).resolve().parent.parent
"""The folder holding the packages (a git clone when run from source)."""


def sha256_text(text: str) -> str:
    """SHA-256 of a text's UTF-8 bytes, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def configuration_sha256(path: Path) -> str | None:
    """SHA-256 of the configuration file's bytes; None when there is no such file."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def definition_version(programme: str, local_folder: Path) -> DefinitionVersion | None:
    """The programme's definition file as the catalogue reads it (a municipality's own
    over the shipped one), hashed; None for a programme without a definition."""
    from programmes.catalogue import local_files, shipped_files

    found = None
    for origin, stem, text in (*shipped_files(), *local_files(local_folder)):
        if stem == programme:
            found = DefinitionVersion(name=stem, origin=origin, sha256=sha256_text(text))
    return found


@cache
def code_version() -> CodeVersion:
    """The installed package's version, and the git commit of its source when it is a clone."""
    try:
        version = metadata.version("forloeb")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return CodeVersion(version=version, commit=git_commit(SOURCE_ROOT))


def git_commit(folder: Path) -> str | None:
    """The commit checked out in `folder`, if it is a git work tree and git is at hand."""
    if not (folder / ".git").exists():
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and len(commit) == 40 else None
