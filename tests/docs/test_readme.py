"""The README's examples run as printed and show what the commands really print.

Every fenced block of README.md is one of these:

- A shell block (```console, ```sh): each line starting `$ ` is a command (a line ending
  in `\\` continues it; a here-document's body belongs to it), the lines under it up to
  the next `$ ` are its output (stdout and stderr together). The commands run in bash in a
  fresh folder, with `forloeb` the installed .venv/bin/forloeb, FORLOEB_SERVER=off, HOME
  and the XDG folders inside that folder, the login `reader`, TZ=UTC, COLUMNS=100 and no
  other FORLOEB_ variable: as a reader's first try would. Blocks marked
  `<!-- readme-test session=NAME -->` share one folder and one shell (exports, `$?`), in
  README order, so a walk-through can span several blocks. A block that cannot run here
  says why: `<!-- readme-test skip="REASON" -->`.
- ```toml: a configuration; it must load with the configuration loader.
- ```json / ```jsonl: import lines; each must be a command `forloeb import` accepts.
- A block marked `<!-- readme-test output="COMMAND" -->` (the workflow diagram) is exactly
  what COMMAND prints, run like a shell block.

Shown output is compared line by line, trailing spaces ignored, except that:
- a line that is only `...` (or `…`) stands for any run of lines, none included (output
  abridged: say so in the text around the block);
- `…` inside a line stands for any run of characters on that line;
- a date and time (`2026-11-24 00:30`, when something was recorded) stands for any;
- a whole UUID (`c03d0f2c-9d26-4db0-ba5b-5f6467c51176`, a random subject id) stands for
  any (a course's short id, `f92bd06f`, is compared as shown).

When the commands' output changes on purpose, refresh the README instead of editing it:

    FORLOEB_README_UPDATE=1 .venv/bin/python -m pytest tests/docs/test_readme.py

rewrites each shown output that no longer matches with the real one, keeping every line
that still matches (so `…` and date-times stay) and an abridgement's first and last lines
around its `...`. Review the diff: the README's prose may need to follow.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli.config import load_config
from cli.importer import parse_line
from cli.vocabulary import command_from_line
from tests.docs.readme_blocks import (
    README,
    SHELL_LANGUAGES,
    Block,
    Command,
    output_matches,
    readme_blocks,
    refreshed,
    tidy,
)

pytestmark = pytest.mark.subprocess

FORLOEB = Path(sys.executable).parent / "forloeb"
UPDATE = os.environ.get("FORLOEB_README_UPDATE") == "1"
BLOCKS = readme_blocks()


def sessions() -> dict[str, list[Block]]:
    """The shell blocks that run, by session: a named session's blocks together, every
    unmarked block on its own."""
    found: dict[str, list[Block]] = {}
    for block in BLOCKS:
        if block.is_shell and "skip" not in block.marker:
            name = block.marker.get("session", f"block-{block.number}")
            found.setdefault(name, []).append(block)
    return found


def environment(home: Path) -> dict[str, str]:
    """A reader's shell with its home in `home`: none of the test run's FORLOEB_ settings."""
    return {
        "PATH": f"{FORLOEB.parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_RUNTIME_DIR": str(home / "run"),
        "LOGNAME": "reader",
        "USER": "reader",
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "COLUMNS": "100",
        "TERM": "dumb",
        "FORLOEB_SERVER": "off",
    }


def run_commands(commands: list[str], tmp_path: Path) -> list[list[str]]:
    """Run the commands in one bash, in order, in an empty folder; each one's output lines
    (stdout and stderr together)."""
    folder, home = tmp_path / "work", tmp_path / "home"
    folder.mkdir()
    (home / "run").mkdir(mode=0o700, parents=True)
    sentinel = f"@@readme-{uuid.uuid4().hex}@@"
    script = []
    for number, command in enumerate(commands):
        # Keep `$?` for the next command across the marker line that splits the output.
        script.append(f"__rc=$?; printf '\\n{sentinel} {number}\\n'; (exit $__rc)")
        script.append(command)
    script.append(f"printf '\\n{sentinel} end\\n'")
    path = tmp_path / "readme.sh"
    path.write_text("\n".join(script) + "\n", encoding="utf-8")
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", str(path)], cwd=folder, env=environment(home),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=600, check=False,
    )
    pieces = re.split(f"\n{re.escape(sentinel)} \\S+\n", result.stdout)
    assert len(pieces) == len(commands) + 2, f"the script broke off:\n{result.stdout[-2000:]}"
    return [piece.splitlines() for piece in pieces[1:-1]]


@dataclass
class Mismatch:
    block: Block
    command: Command
    actual: list[str]

    def describe(self) -> str:
        shown = "\n".join(tidy(self.command.expected))
        real = "\n".join(tidy(self.actual))
        return (f"README.md line {self.command.output_start}: $ {self.command.text}\n"
                f"--- shown\n{shown}\n--- printed\n{real}\n")


@contextmanager
def locked_readme() -> Iterator[list[Block]]:
    """The README's blocks, read (and rewritten, inside the block) under a lock on the file:
    tests running in parallel refresh it one at a time."""
    with open(README, encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield readme_blocks()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def rewrite(replacements: list[tuple[int, int, list[str], str]]) -> None:
    """Replace README line ranges [start, end) with lines (indented like their block)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    for start, end, new, indent in sorted(replacements, reverse=True):
        lines[start:end] = [f"{indent}{line}" if line else "" for line in new]
    README.write_text("\n".join(lines) + "\n", encoding="utf-8")


def refresh(mismatches: list[Mismatch]) -> None:
    """Write the printed output into the README where it no longer matches."""
    with locked_readme() as current:
        replacements = []
        for mismatch in mismatches:
            block = current[mismatch.block.number - 1]
            if "output" in block.marker:
                command = output_command(block)
            else:
                index = mismatch.block.commands().index(mismatch.command)
                command = block.commands()[index]
            new = refreshed(command.expected, mismatch.actual)
            replacements.append((command.output_start, command.output_end, new, block.indent))
        rewrite(replacements)


def check(mismatches: list[Mismatch]) -> None:
    if mismatches and UPDATE:
        refresh(mismatches)
        lines = ", ".join(str(m.command.output_start) for m in mismatches)
        warnings.warn(f"README.md refreshed: the output under lines {lines}", stacklevel=2)
        return
    assert not mismatches, "README output differs:\n" + "\n".join(
        m.describe() for m in mismatches)


SESSIONS = sessions()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_console_blocks_run_as_printed(name: str, tmp_path: Path) -> None:
    blocks = SESSIONS[name]
    steps = [(block, command) for block in blocks for command in block.commands()]
    assert steps, f"README.md line {blocks[0].line}: a shell block with no `$ ` command"

    outputs = run_commands([command.text for _, command in steps], tmp_path)

    check([Mismatch(block, command, actual)
           for (block, command), actual in zip(steps, outputs, strict=True)
           if not output_matches(command.expected, actual)])


def output_command(block: Block) -> Command:
    """A block marked `output="COMMAND"` as that command with the block as its output."""
    return Command(block.marker["output"], list(block.lines), block.start,
                   block.start + len(block.lines))


OUTPUT_BLOCKS = [block for block in BLOCKS if "output" in block.marker]


@pytest.mark.parametrize("block", OUTPUT_BLOCKS, ids=lambda b: f"line-{b.line}")
def test_shown_output_is_what_the_command_prints(block: Block, tmp_path: Path) -> None:
    [actual] = run_commands([block.marker["output"]], tmp_path)

    if not output_matches(block.lines, actual):
        check([Mismatch(block, output_command(block), actual)])


def test_shell_blocks_not_run_say_why_and_are_few() -> None:
    skipped = [block for block in BLOCKS if block.is_shell and "skip" in block.marker]

    assert all(len(block.marker["skip"].split()) >= 3 for block in skipped), (
        "each skip marker gives its reason")
    assert len(skipped) <= 4


def test_every_marker_is_understood() -> None:
    for block in BLOCKS:
        assert set(block.marker) <= {"session", "skip", "output"}, block.line
        assert not ({"session", "skip"} <= set(block.marker)), block.line


@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if b.language == "toml"], ids=lambda b: f"line-{b.line}")
def test_configuration_examples_load(block: Block, tmp_path: Path) -> None:
    path = tmp_path / "forloeb.toml"
    path.write_text(block.text, encoding="utf-8")

    config = load_config(path)

    named = re.findall(r"^\[users\.([^\]]+)\]", block.text, flags=re.MULTILINE)
    assert sorted(config.directory.users) == sorted(named)


def test_import_line_examples_are_commands() -> None:
    for block in BLOCKS:
        if block.language in {"json", "jsonl"}:
            for line in filter(str.strip, block.lines):
                command = command_from_line(parse_line(line))
                assert command.name == json.loads(line)["command"], block.line


def test_every_block_is_checked_or_says_why_not() -> None:
    checked = SHELL_LANGUAGES | {"toml", "json", "jsonl"}
    for block in BLOCKS:
        assert block.language in checked or set(block.marker) & {"output", "skip"}, (
            f"README.md line {block.line}: a ```{block.language} block nothing checks")
