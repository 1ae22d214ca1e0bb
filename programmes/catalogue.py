"""Reading programme definitions: the package's own files, then a municipality's.

A definition is a TOML file named for its programme. It is parsed with tomllib,
validated by `domain.programme.ProgrammeDefinition`, then checked against the
backbone workflow (`workflows.machine.definition_problems`). Any fault is one
`ProgrammeFileError` naming the file and the field. A municipality's file of
the same name replaces the shipped one. A programme without a definition runs
the backbone workflow, as every course did before definitions existed.
"""

from __future__ import annotations

import tomllib
from collections import ChainMap
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import cast

from pydantic import ValidationError

from domain.errors import CourseError, InvalidInput
from domain.programme import ProgrammeDefinition
from programmes.table_slugs import problems as outcome_table_problems
from workflows.machine import Workflow, definition_problems

SUFFIX = ".toml"
SHIPPED_FOLDER = Path(__file__).with_name("definitions")
"""The definitions shipped in the package (package data, installed as files)."""
LOCAL_FOLDER = "programmes"
"""The folder beside the configuration file that holds a municipality's own definitions."""


class ProgrammeFileError(CourseError):
    """A programme definition file that cannot be used; names the file and the field."""


@dataclass(frozen=True)
class Entry:
    """A definition and where it was read from."""

    definition: ProgrammeDefinition
    origin: str
    """`shipped` or the local file's path."""


def parse(text: str, origin: str, stem: str) -> ProgrammeDefinition:
    """One definition from a file's text, or ProgrammeFileError saying what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProgrammeFileError(f"{origin}: not TOML ({error})") from None
    try:
        definition = ProgrammeDefinition.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(file)"
        raise ProgrammeFileError(f"{origin}: {where}: {first['msg']}") from None
    if definition.name != stem:
        raise ProgrammeFileError(
            f"{origin}: name: {definition.name} differs from the file name {stem}{SUFFIX}"
        )
    problems = definition_problems(definition) + outcome_table_problems(definition)
    if problems:
        raise ProgrammeFileError(f"{origin}: {problems[0]}")
    return definition


def shipped_files() -> Iterator[tuple[str, str, str]]:
    """(origin, stem, text) of each definition shipped in the package, by name."""
    for item in sorted(SHIPPED_FOLDER.iterdir(), key=lambda item: item.name):
        if item.name.endswith(SUFFIX):
            yield "shipped", item.name.removesuffix(SUFFIX), item.read_text(encoding="utf-8")


def local_files(folder: Path) -> Iterator[tuple[str, str, str]]:
    """(origin, stem, text) of each definition in a municipality's folder, by name."""
    if not folder.is_dir():
        return
    from storage.text_files import read_text_file

    for path in sorted(folder.glob(f"*{SUFFIX}")):
        try:
            text = read_text_file(path)
        except ValueError as e:
            raise ProgrammeFileError(f"{path}: {e}") from None
        except (OSError, UnicodeDecodeError) as e:
            reason = getattr(e, "strerror", None) or "not UTF-8 text"
            raise ProgrammeFileError(f"{path}: cannot read it: {reason}") from None
        yield str(path), path.stem, text


@dataclass
class Catalogue:
    """The definitions by programme name, and each one's workflow (made when first asked)."""

    entries: Mapping[str, Entry]
    _workflows: dict[str | None, Workflow] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def names(self) -> list[str]:
        """The defined programmes, by name."""
        return sorted(self.entries)

    def get(self, name: str) -> ProgrammeDefinition | None:
        """The programme's definition, None when it has none."""
        entry = self.entries.get(name)
        return entry.definition if entry is not None else None

    def require(self, name: str) -> Entry:
        """The programme's entry, or InvalidInput naming the defined ones."""
        entry = self.entries.get(name)
        if entry is None:
            raise InvalidInput(
                "programme", f"no definition named {name} (defined: {', '.join(self.names())})"
            )
        return entry

    def workflow(self, name: str | None) -> Workflow:
        """The workflow the programme runs (the backbone for a programme without one)."""
        key = name if name in self.entries else None
        if key not in self._workflows:
            self._workflows[key] = Workflow(self.get(key) if key is not None else None)
        return self._workflows[key]


def read(files: Iterable[tuple[str, str, str]]) -> dict[str, Entry]:
    """Entries from (origin, stem, text) triples; a later file replaces an earlier one."""
    return {stem: Entry(parse(text, origin, stem), origin) for origin, stem, text in files}


class ShippedEntries(Mapping[str, Entry]):
    """The definitions shipped in the package by name, each read and parsed when first
    looked up: a command reads the one its course runs (the tests check them all)."""

    def __init__(self) -> None:
        files = (item.name for item in SHIPPED_FOLDER.iterdir())
        self._names = sorted(name.removesuffix(SUFFIX) for name in files if name.endswith(SUFFIX))
        self._parsed: dict[str, Entry] = {}

    def __getitem__(self, name: str) -> Entry:
        if name not in self._parsed:
            if name not in self._names:
                raise KeyError(name)
            text = (SHIPPED_FOLDER / f"{name}{SUFFIX}").read_text(encoding="utf-8")
            self._parsed[name] = Entry(parse(text, "shipped", name), "shipped")
        return self._parsed[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def parsed(self) -> list[str]:
        """The names read and parsed so far."""
        return sorted(self._parsed)


@cache
def shipped() -> Catalogue:
    """The definitions shipped in the package."""
    return Catalogue(ShippedEntries())


def load(local_folder: Path | None = None) -> Catalogue:
    """The shipped definitions, with a municipality's own from `local_folder` over them
    (read and checked at once: a fault in one is named before any command runs)."""
    if local_folder is None or not local_folder.is_dir():
        return shipped()
    under = cast("MutableMapping[str, Entry]", shipped().entries)  # ChainMap writes to none
    return Catalogue(ChainMap(read(local_files(local_folder)), under))


class FolderCatalogue:
    """The catalogue with a municipality's folder read again whenever its definition files
    change: a long-running server runs a definition added or edited after it started, as a
    new command-line process would."""

    def __init__(self, local_folder: Path | None) -> None:
        self.local_folder = local_folder
        self._seen: tuple[tuple[str, int, int], ...] | None = None
        self._catalogue = shipped()

    def _files(self) -> tuple[tuple[str, int, int], ...]:
        if self.local_folder is None or not self.local_folder.is_dir():
            return ()
        found = []
        for path in sorted(self.local_folder.glob(f"*{SUFFIX}")):
            stat = path.stat()
            found.append((path.name, stat.st_mtime_ns, stat.st_size))
        return tuple(found)

    def current(self) -> Catalogue:
        """The catalogue as the folder holds it now."""
        files = self._files()
        if files != self._seen:
            self._catalogue = load(self.local_folder)
            self._seen = files
        return self._catalogue

    def workflow(self, name: str | None) -> Workflow:
        """The programme's workflow, from the definitions as they are now."""
        return self.current().workflow(name)

    def get(self, name: str) -> ProgrammeDefinition | None:
        """The programme's definition as it is now, None when it has none."""
        return self.current().get(name)
