"""The console script's cache of generated code and regular expressions: given the texts
a run compiled, the next run compiles none of them, and the classes and patterns behave
as without the cache; a cache that is not the owner's own, or of another bytecode
version, or damaged, is not used."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cli import pattern_parts
from cli.code_cache import HEADER, NEW_TO_SAVE, CodeCache

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, re, sys
from cli.code_cache import install, save
cache = install(sys.argv[1])
import dataclasses, typing

CPR = re.compile(r"(?P<date>[0-9]{6})-?(?P<serial>[0-9]{4})", re.ASCII)

@dataclasses.dataclass(frozen=True, order=True)
class Point:
    x: int
    y: "int" = 0

class Shape(typing.TypedDict):
    corner: "Point"
    name: "str"

hints = typing.get_type_hints(Shape, localns={"Point": Point})
frozen = False
try:
    Point(1).x = 2
except dataclasses.FrozenInstanceError:
    frozen = True
shown = {
    "compiled": cache.compiled if cache else None,
    "cached": len(cache.entries) + len(cache.patterns) if cache else None,
    "repr": repr(Point(1, 2)),
    "equal": Point(1, 2) == Point(1, 2),
    "ordered": Point(1, 2) < Point(2, 0),
    "frozen": frozen,
    "hints": sorted(str(hint) for hint in hints.values()),
    "annotations": {k: str(v) for k, v in Point.__init__.__annotations__.items()},
    "pattern": [CPR.pattern, CPR.flags, CPR.groups, dict(CPR.groupindex)],
    "matched": CPR.fullmatch("010190-1234").groupdict(),
}
save()
print(json.dumps(shown))
"""


def probe(cache: Path, cwd: Path = ROOT, **env: str) -> dict[str, object]:
    """Run the probe in a fresh interpreter with the cache at `cache`; what it saw."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(cache)],
        capture_output=True, text=True, cwd=cwd, check=True,
        env={**os.environ, "PYTHONPATH": path, **env},
    )  # fmt: skip
    shown: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return shown


def without_counts(shown: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in shown.items() if k not in ("compiled", "cached")}


def test_a_second_run_compiles_none_of_the_texts_the_first_compiled(tmp_path: Path) -> None:
    cache = tmp_path / "generated.bin"

    first = probe(cache)
    second = probe(cache)

    assert first["compiled"] and first["compiled"] == first["cached"]
    assert second["compiled"] == 0
    assert second["cached"] == first["cached"]


def test_classes_made_with_the_cache_behave_as_without_it(tmp_path: Path) -> None:
    cache = tmp_path / "generated.bin"
    probe(cache)

    cached = probe(cache)
    plain = probe(cache, FORLOEB_CODE_CACHE="off")

    assert cached["compiled"] == 0
    assert without_counts(cached) == without_counts(plain)
    assert cached["repr"] == "Point(x=1, y=2)"
    assert cached["equal"] and cached["ordered"] and cached["frozen"]
    assert cached["annotations"] == {"x": "<class 'int'>", "y": "int", "return": "None"}


def test_off_neither_reads_nor_writes_a_cache(tmp_path: Path) -> None:
    cache = tmp_path / "generated.bin"

    probe(cache, FORLOEB_CODE_CACHE="off")

    assert not cache.exists()


def test_the_cache_is_owner_only(tmp_path: Path) -> None:
    cache = tmp_path / "generated.bin"

    probe(cache)

    assert cache.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["generated.bin"]  # no draft left


def test_a_cache_others_may_write_is_not_used(tmp_path: Path) -> None:
    cache = tmp_path / "generated.bin"
    probe(cache)
    cache.chmod(0o622)

    assert CodeCache.load(str(cache)).entries == {}


@pytest.mark.skipif(
    not hasattr(os, "chown") or os.geteuid() != 0, reason="needs root to give a file away"
)
def test_another_user_s_cache_is_not_used(tmp_path: Path) -> None:
    cache = tmp_path / "generated.bin"
    probe(cache)
    os.chown(cache, 12345, 12345)

    assert CodeCache.load(str(cache)).entries == {}


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage", HEADER + b"\x00\x01broken", b"\x00\x00\r\n" + b"\x00" * 20],
    ids=["empty", "not marshal", "damaged", "another bytecode version"],
)
def test_a_damaged_or_foreign_cache_is_compiled_afresh_and_replaced(
    tmp_path: Path, content: bytes
) -> None:
    cache = tmp_path / "generated.bin"
    cache.write_bytes(content)
    cache.chmod(0o600)

    first = probe(cache)
    second = probe(cache)

    assert first["compiled"]
    assert second["compiled"] == 0


def test_a_cache_that_cannot_be_written_is_left_and_the_run_goes_on(tmp_path: Path) -> None:
    cache = tmp_path / "missing" / "generated.bin"
    (tmp_path / "missing").write_text("a file where the folder would be")

    shown = probe(cache)

    assert shown["compiled"]
    assert (tmp_path / "missing").read_text() == "a file where the folder would be"


def test_a_text_that_does_not_compile_raises_as_without_the_cache() -> None:
    cache = CodeCache("unused")

    with pytest.raises(SyntaxError):
        cache.compile("1 +", "<string>", "eval")
    assert cache.entries == {}


def test_compilations_of_files_or_with_options_pass_through_uncached() -> None:
    cache = CodeCache("unused")

    cache.compile("x = 1", "module.py", "exec")
    cache.compile("x = 1", "<string>", "exec", 0, True)

    assert cache.entries == {}


PATTERNS: list[tuple[str | bytes, int]] = [
    (r"(?<!\w)(\d{6})-?(\d{4})(?!\w)", 0),
    (r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})(?:-(?P<day>[0-9]{1,2}))?", 0),
    (r"(?i)kek-(\d{6})\.key", 0),
    (r"^\s*# comment\n (?P<word> \w+ ) \s*$", re.VERBOSE | re.MULTILINE),
    (r"[^\x00-\x7f]|\u00e6|ø", re.IGNORECASE | re.UNICODE),
    (rb"[\x80-\xff]+|(a)(b)?\2", 0),
    (r"", 0),
]
SUBJECTS = ["010190-1234", "2019-4-15", "KEK-000001.KEY", "  ÆØÅ abc", "\n word \n", "x"]


@pytest.mark.parametrize(("pattern", "flags"), PATTERNS, ids=lambda p: repr(p)[:30])
def test_a_pattern_from_its_kept_parts_is_the_pattern_re_compiles(
    pattern: str | bytes, flags: int
) -> None:
    plain = pattern_parts.compile_afresh(pattern, flags)
    kept = CodeCache("unused")
    kept.compile_pattern(pattern, flags)
    again = CodeCache("unused", patterns=kept.patterns)

    assembled = again.compile_pattern(pattern, flags)

    assert again.compiled == 0
    assert (assembled.pattern, assembled.flags, assembled.groups) == (
        plain.pattern, plain.flags, plain.groups,
    )  # fmt: skip
    assert assembled.groupindex == plain.groupindex
    for subject in SUBJECTS:
        text: str | bytes = subject.encode("latin-1", "replace") if isinstance(
            pattern, bytes
        ) else subject  # fmt: skip
        found, expected = assembled.search(text), plain.search(text)
        assert (found and (found.span(), found.groups())) == (
            expected and (expected.span(), expected.groups())
        )


def test_kept_parts_the_engine_refuses_are_compiled_afresh() -> None:
    damaged = CodeCache("unused", patterns={("a+", 0): (0, [1, 2, 3], 0, {}, (None,))})

    found = damaged.compile_pattern("a+", 0)

    assert found.fullmatch("aaa")
    assert damaged.compiled == 1


def test_a_run_that_compiled_only_a_few_new_texts_leaves_the_file_as_it_is(
    tmp_path: Path,
) -> None:
    path = tmp_path / "generated.bin"
    cache = CodeCache(str(path))
    for n in range(NEW_TO_SAVE):
        cache.code(f"x = {n}", "exec")
    cache.save()
    kept = path.read_bytes()
    later = CodeCache.load(str(path))

    for n in range(NEW_TO_SAVE - 1):
        later.code(f"y = {n}", "exec")
    later.save()

    assert later.compiled == NEW_TO_SAVE - 1
    assert path.read_bytes() == kept


def _place(kind: str, path: Path, elsewhere: Path) -> None:
    """Something other than the cache's own regular file at `path`."""
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)  # opening it to read would wait for a writer
    elif kind == "link":
        elsewhere.write_bytes(b"someone else's file")
        path.symlink_to(elsewhere)


@pytest.mark.parametrize("kind", ["folder", "fifo", "link"])
def test_a_cache_path_that_is_not_a_regular_file_is_neither_read_nor_replaced(
    tmp_path: Path, kind: str
) -> None:
    """Given FORLOEB_CODE_CACHE naming a folder, a device-like file or a link, the run
    compiles as without a cache and leaves what is there as it was."""
    path, elsewhere = tmp_path / "generated.bin", tmp_path / "elsewhere"
    _place(kind, path, elsewhere)

    shown = probe(path)

    assert shown["compiled"] and shown["compiled"] == shown["cached"]
    assert {
        "folder": path.is_dir(), "fifo": path.is_fifo(), "link": path.is_symlink(),
    }[kind]  # fmt: skip
    assert not elsewhere.exists() or elsewhere.read_bytes() == b"someone else's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["generated.bin", *(["elsewhere"] if kind == "link" else [])]
    )  # no draft left


def test_folders_the_cache_makes_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "made" / "generated.bin"

    probe(path)

    assert path.exists()
    assert (tmp_path / "made").stat().st_mode & 0o777 == 0o700


def test_a_cache_named_by_a_relative_path_is_kept_there(tmp_path: Path) -> None:
    probe(Path("generated.bin"), cwd=tmp_path)

    assert (tmp_path / "generated.bin").exists()


COMMAND_PROBE = """
import json, sys
from cli.code_cache import for_command, install, save
start = install(sys.argv[1])
import dataclasses

@dataclasses.dataclass(frozen=True, order=True)
class Started:
    a: int

command = for_command(sys.argv[2])

@dataclasses.dataclass(frozen=True, order=True)
class Commanded:
    b: int
    c: str = "x"

@dataclasses.dataclass(frozen=True, order=True)
class Started:  # the same text as the start's: found there
    a: int

print(json.dumps({"start": start.compiled, "command": command.compiled}))
save()
"""


def run_command_probe(cache: Path, command: str) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", COMMAND_PROBE, str(cache), command],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    shown: dict[str, int] = json.loads(done.stdout.splitlines()[-1])
    return shown


def test_each_command_keeps_what_it_compiles_in_a_file_of_its_own(tmp_path: Path) -> None:
    """Given the start's texts in the start's file, a command compiles only its own, keeps
    them beside it, and another command's file holds none of them."""
    cache = tmp_path / "generated.bin"

    first = run_command_probe(cache, "session")
    again = run_command_probe(cache, "session")
    other = run_command_probe(cache, "courses")

    assert first["start"] >= NEW_TO_SAVE and first["command"] >= NEW_TO_SAVE
    assert again == {"start": 0, "command": 0}
    assert other == {"start": 0, "command": first["command"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "generated.bin", "generated.courses.bin", "generated.session.bin",
    ]  # fmt: skip


def test_a_command_name_that_is_not_a_plain_word_gets_the_common_file(
    tmp_path: Path,
) -> None:
    run_command_probe(tmp_path / "generated.bin", "../../etc/x")

    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated.bin", "generated.other.bin"]


def test_on_a_python_it_was_not_built_for_the_cache_is_not_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from cli import code_cache

    monkeypatch.setattr(code_cache.sys, "version_info", (3, 14, 0, "final", 0))
    monkeypatch.setattr(code_cache, "_installed", None)

    assert code_cache.install(str(tmp_path / "generated.bin")) is None
    assert code_cache._installed is None


def test_a_pattern_whose_parts_cannot_be_taken_is_compiled_by_re(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def internals_changed(pattern: str | bytes, flags: int) -> pattern_parts.Parts:
        raise AttributeError("module 're._compiler' has no attribute '_code'")

    monkeypatch.setattr(pattern_parts, "parts", internals_changed)
    cache = CodeCache("unused")

    found = cache.compile_pattern("b+c", 0)

    assert found.fullmatch("bbc") and cache.patterns == {}
