"""The parts `re` compiles a regular expression into, as plain data, and the pattern put
together again from them.

`re` parses and compiles a pattern in Python (`re._parser`, `re._compiler`) and hands
the result to the engine, `_sre.compile`: flags, a list of integers, the number of
groups and their names, all of which marshal can keep (`cli.code_cache`). These are the
standard library's internals, the same from Python 3.11 to 3.13; `MAGIC`, the engine's
version, marks what was kept, and the engine checks the integers it is given.
"""

import _sre
import importlib
from collections.abc import Callable
from typing import Any

_compiler: Any = importlib.import_module("re._compiler")
_parser: Any = importlib.import_module("re._parser")

MAGIC = _sre.MAGIC.to_bytes(4, "little")
Parts = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]
"""Flags, code, the last group's number, group numbers by name, names by number."""

_afresh: Callable[[Any, int], Any] = _compiler.compile


def parts(pattern: str | bytes, flags: int) -> Parts:
    """What `re` compiles the pattern into (as `re._compiler.compile` does)."""
    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex: dict[str, int] = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, number in groupindex.items():
        indexgroup[number] = name
    return (
        int(flags | parsed.state.flags),
        [int(op) for op in code],
        parsed.state.groups - 1,
        groupindex,
        tuple(indexgroup),
    )


def assemble(pattern: str | bytes, found: Parts) -> Any:
    """The compiled pattern from its parts."""
    return _sre.compile(pattern, *found)


def compile_afresh(pattern: Any, flags: int) -> Any:
    """`re`'s own compilation."""
    return _afresh(pattern, flags)


def compile_through(compiler: Callable[[Any, int], Any]) -> None:
    """Have `re` compile every pattern it has not cached in this process by `compiler`."""
    _compiler.compile = compiler
