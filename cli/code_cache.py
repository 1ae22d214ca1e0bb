"""Compiled forms of the text the program compiles afresh at every start, kept between
runs beside the package's own bytecode.

Every dataclass (ours and the libraries': pydantic, annotated_types, eventsourcing)
gets its `__init__`, `__repr__`, `__eq__`, … as source text that `dataclasses` compiles
with `exec`; every string annotation of a TypedDict or model is compiled by
`typing.ForwardRef`; and every regular expression (the standard library's, click's,
pydantic's, ours) is parsed and compiled by `re` in Python: several hundred
compilations per process, of the same text every run. The console script installs a
`CodeCache` first thing: it looks each text up, compiles only what it has not seen,
and at the end writes what it compiled into the package's `__pycache__` folder,
beside the modules' own bytecode. It is forloeb's own cache, so it is written also
where Python writes no bytecode (PYTHONDONTWRITEBYTECODE); FORLOEB_CODE_CACHE names
another file, or `off` turns it off.

What is cached is what the compilers give for the text (looked up by the whole text,
mode or flags, for this interpreter's bytecode and regular-expression versions), so
classes and patterns behave exactly as without the cache. Only a regular file of the
user's own that only they may write is read or replaced; one of another version, or
damaged, is compiled afresh.
"""

import builtins
import contextlib
import dataclasses
import importlib.util
import marshal
import os
import re
import stat
import sys
import typing
from types import CodeType
from typing import Any

from cli import pattern_parts

SUPPORTED = ((3, 11), (3, 12), (3, 13))
"""The Pythons whose `dataclasses`, `typing` and `re` internals the cache is built for
(`pattern_parts`); on any other it is not installed and everything compiles as usual."""
PATH_ENV = "FORLOEB_CODE_CACHE"
"""Another file for the cache, or `off` to compile everything afresh and write nothing."""
FILE_NAME = "generated-code.{tag}{opt}.bin".format(
    tag=sys.implementation.cache_tag,
    opt=f".opt-{sys.flags.optimize}" if sys.flags.optimize else "",
)
"""Named as Python names bytecode: per interpreter and optimisation level."""
NEW_TO_SAVE = 8
"""A run that compiled fewer new texts and patterns leaves the file as it is: a few differ
from run to run (the standard library's tokenizer pattern is built from a set, in hash
order), and rewriting the whole file for them would cost more than compiling them."""
MAX_ENTRIES = 4096
"""Above this many texts of a kind, a save keeps only those this run used."""
HEADER = importlib.util.MAGIC_NUMBER + pattern_parts.MAGIC

CodeKey = tuple[str, str]
PatternKey = tuple[str | bytes, int]


class CodeCache:
    """Code compiled from source texts, by (mode, text), and the parts of compiled regular
    expressions, by (pattern, flags)."""

    def __init__(
        self,
        path: str,
        entries: dict[CodeKey, CodeType] | None = None,
        patterns: dict[PatternKey, pattern_parts.Parts] | None = None,
    ) -> None:
        self.path = path
        self.entries: dict[CodeKey, CodeType] = entries or {}
        self.patterns: dict[PatternKey, pattern_parts.Parts] = patterns or {}
        self.used: set[CodeKey] = set()
        self.used_patterns: set[PatternKey] = set()
        self.compiled = 0
        """How many texts and patterns this run compiled (not found in the cache)."""
        self.fallback: CodeCache | None = None
        """Looked in before compiling: the start's cache, for a command's."""

    @classmethod
    def load(cls, path: str) -> "CodeCache":
        """The cache kept at `path`; empty if there is none, or it is not to be trusted
        (not a regular file of the user's own that only they may write) or not readable
        as this Python's."""
        if not _replaceable(path):
            return cls(path)
        try:
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(descriptor, "rb") as file:
                if not _trusted(os.fstat(file.fileno())):  # swapped since it was looked at
                    return cls(path)
                data = file.read()
            if not data.startswith(HEADER):
                return cls(path)
            entries, patterns = marshal.loads(data[len(HEADER) :])
        except (OSError, EOFError, ValueError, TypeError):
            return cls(path)
        if not isinstance(entries, dict) or not isinstance(patterns, dict):
            return cls(path)
        return cls(path, entries, patterns)

    def code(self, source: str, mode: str) -> CodeType:
        """The code `compile(source, "<string>", mode)` gives, compiled once."""
        key = (mode, source)
        found = self.entries.get(key)
        if found is None and self.fallback is not None:
            found = self.fallback.entries.get(key)
        if found is None:
            found = builtins.compile(source, "<string>", mode, dont_inherit=True)
            self.entries[key] = found
            self.compiled += 1
        self.used.add(key)
        return found

    def exec(
        self, source: Any, globals: dict[str, Any] | None = None, locals: Any = None, /
    ) -> None:
        """`exec`, with a source text's code from the cache."""
        if isinstance(source, str):
            source = self.code(source, "exec")
        builtins.exec(source, globals, locals)

    def compile(self, source: Any, filename: str, mode: str, *args: Any, **options: Any) -> Any:
        """`compile`, with the code of a plain `compile(text, "<string>", mode)` from the
        cache."""
        if isinstance(source, str) and filename == "<string>" and not args and not options:
            return self.code(source, mode)
        return builtins.compile(source, filename, mode, *args, **options)

    def compile_pattern(self, pattern: Any, flags: int = 0) -> Any:
        """What `re` compiles a pattern into, from the parts kept for it (`pattern_parts`);
        a pattern given already parsed, or to be compiled for debugging, goes to `re`."""
        if not isinstance(pattern, str | bytes) or flags & re.DEBUG:
            return pattern_parts.compile_afresh(pattern, flags)
        key = (pattern, int(flags))
        found = self.patterns.get(key)
        if found is None and self.fallback is not None:
            found = self.fallback.patterns.get(key)
        if found is not None:
            try:
                compiled = pattern_parts.assemble(pattern, found)
            except (RuntimeError, TypeError, ValueError):  # parts _sre does not take
                found = None
        if found is None:
            try:
                found = pattern_parts.parts(pattern, flags)
            except (AttributeError, TypeError):  # internals other than those it knows
                return pattern_parts.compile_afresh(pattern, flags)
            compiled = pattern_parts.assemble(pattern, found)
            self.patterns[key] = found
            self.compiled += 1
        self.used_patterns.add(key)
        return compiled

    def save(self) -> None:
        """Write the cache if this run compiled `NEW_TO_SAVE` or more new texts and
        patterns: a whole new file, owner-only, put in place at once; any failure leaves
        it be."""
        if self.compiled < NEW_TO_SAVE:
            return
        entries, patterns = self.entries, self.patterns
        if len(entries) > MAX_ENTRIES:
            entries = {key: entries[key] for key in self.used}
        if len(patterns) > MAX_ENTRIES:
            patterns = {key: patterns[key] for key in self.used_patterns}
        if not _replaceable(self.path):
            return
        draft = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
            descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(HEADER + marshal.dumps((entries, patterns)))
            os.replace(draft, self.path)
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                os.unlink(draft)
            return
        self.compiled = 0


def _replaceable(path: str) -> bool:
    """Whether the cache may be read from and written to `path`: nothing is there yet, or
    a regular file (not a link, folder or device) the user trusts (`_trusted`)."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(status.st_mode) and _trusted(status)


def _trusted(status: os.stat_result) -> bool:
    """Whether a cache file is the user's (or root's) and only its owner may write it
    (where the system has owners: not on Windows, where bytecode is trusted alike)."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return True
    return status.st_uid in (getuid(), 0) and not status.st_mode & 0o022


def default_path() -> str:
    """Where the cache lives: the `__pycache__` folder of this package's bytecode."""
    return os.path.join(os.path.dirname(importlib.util.cache_from_source(__file__)), FILE_NAME)


_installed: CodeCache | None = None
"""The start's cache: what is compiled before a command is chosen (click, the CLI)."""
_current: CodeCache | None = None
"""The cache compiling now: the start's, then the chosen command's."""


def install(path: str | None = None) -> CodeCache | None:
    """Load the start's cache (from `path`, else FORLOEB_CODE_CACHE, else
    `default_path()`) and have `dataclasses`, `typing` and `re` compile through it; the
    installed cache, None when FORLOEB_CODE_CACHE is `off` or Python is not `SUPPORTED`."""
    global _installed, _current
    named = os.environ.get(PATH_ENV, "")
    if named.lower() == "off" or sys.version_info[:2] not in SUPPORTED:
        return None
    if _installed is None:
        _installed = _current = CodeCache.load(os.path.abspath(path or named or default_path()))
        dataclasses.exec = _exec  # type: ignore[attr-defined]  # found before the builtin
        typing.compile = _compile  # type: ignore[attr-defined]
        pattern_parts.compile_through(_compile_pattern)
    return _installed


def for_command(name: str) -> CodeCache | None:
    """From now on, compile through the cache of the command `name` (a file of its own
    beside the start's, so a command loads only what it and the start use), looking in
    the start's too; the first command chosen in a process counts."""
    global _current
    if _installed is None or _current is not _installed:
        return _current
    plain = name.replace("-", "").replace("_", "")
    label = name if plain.isascii() and plain.isalnum() and len(name) <= 40 else "other"
    stem, suffix = os.path.splitext(_installed.path)
    _current = CodeCache.load(f"{stem}.{label}{suffix}")
    _current.fallback = _installed
    return _current


def save() -> None:
    """Write what the start's and the command's caches compiled anew."""
    for cache in {id(c): c for c in (_installed, _current) if c is not None}.values():
        cache.save()


def _exec(source: Any, globals: dict[str, Any] | None = None, locals: Any = None, /) -> None:
    assert _current is not None
    _current.exec(source, globals, locals)


def _compile(source: Any, filename: str, mode: str, *args: Any, **options: Any) -> Any:
    assert _current is not None
    return _current.compile(source, filename, mode, *args, **options)


def _compile_pattern(pattern: Any, flags: int = 0) -> Any:
    assert _current is not None
    return _current.compile_pattern(pattern, flags)
