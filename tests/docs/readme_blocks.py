"""README.md's fenced blocks, read as examples: the commands, the output they show, the
markers that say how (or why not) a block is run, and the matching of shown output
against real output. The rules are described in tests/docs/test_readme.py.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"

SHELL_LANGUAGES = frozenset({"console", "sh", "shell", "bash"})
ELLIPSIS_LINES = frozenset({"...", "…"})
"""An expected-output line that is only this matches any run of lines, none included."""
INLINE_ELLIPSIS = "…"
"""Within an expected-output line, this matches any run of characters."""
DATE_TIME = r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d)?"
"""A date and time (when something was recorded) matches any date and time."""
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
"""A whole UUID (a random subject id) matches any UUID."""

_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)(?P<info>.*)$")
_MARKER = re.compile(r"^\s*<!--\s*readme-test\b(?P<body>.*?)-->\s*$")
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(?P<word>\w+)\1")


@dataclass
class Command:
    """One `$ ` command of a console block and the output shown under it."""

    text: str
    expected: list[str]
    output_start: int
    """README line index (0-based) of the first expected-output line."""
    output_end: int
    """README line index just past the last expected-output line."""


@dataclass
class Block:
    """One fenced block of the README."""

    number: int
    language: str
    start: int
    """README line index (0-based) of the first content line."""
    indent: str
    lines: list[str]
    marker: dict[str, str] = field(default_factory=dict)

    @property
    def line(self) -> int:
        """The 1-based README line of the opening fence, for messages."""
        return self.start

    @property
    def is_shell(self) -> bool:
        return self.language in SHELL_LANGUAGES

    @property
    def text(self) -> str:
        return "".join(f"{line}\n" for line in self.lines)

    def commands(self) -> list[Command]:
        """The block's `$ ` commands with their shown output (continuation lines ending in
        a backslash and here-document bodies belong to the command)."""
        commands: list[Command] = []
        i = 0
        while i < len(self.lines):
            line = self.lines[i]
            if not line.startswith("$ "):
                if commands:
                    commands[-1].expected.append(line)
                    commands[-1].output_end = self.start + i + 1
                i += 1
                continue
            text = [line[2:]]
            while text[-1].endswith("\\") and i + 1 < len(self.lines):
                i += 1
                text.append(self.lines[i])
            heredoc = _HEREDOC.search(text[0])
            if heredoc:
                while i + 1 < len(self.lines) and self.lines[i].strip() != heredoc["word"]:
                    i += 1
                    text.append(self.lines[i])
            i += 1
            start = self.start + i
            commands.append(Command("\n".join(text), [], start, start))
        return commands


def parse_marker(body: str) -> dict[str, str]:
    """`<!-- readme-test session=walkthrough -->` as {"session": "walkthrough"}."""
    marker: dict[str, str] = {}
    for word in shlex.split(body):
        key, sep, value = word.partition("=")
        if not sep:
            raise ValueError(f"readme-test marker: {word!r} is not key=value")
        marker[key] = value
    return marker


def parse_blocks(text: str) -> list[Block]:
    """Every fenced block of a Markdown text, with the marker just before it, if any."""
    lines = text.splitlines()
    blocks: list[Block] = []
    marker: dict[str, str] = {}
    i = 0
    while i < len(lines):
        found = _MARKER.match(lines[i])
        if found:
            marker = parse_marker(found["body"])
            i += 1
            continue
        fence = _FENCE.match(lines[i])
        if not fence:
            if lines[i].strip():
                marker = {}
            i += 1
            continue
        indent = fence["indent"]
        end = i + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        body = [line[len(indent):] if line.startswith(indent) else line.lstrip()
                for line in lines[i + 1:end]]
        blocks.append(Block(len(blocks) + 1, fence["lang"], i + 1, indent, body, marker))
        marker = {}
        i = end + 1
    return blocks


def readme_blocks() -> list[Block]:
    return parse_blocks(README.read_text(encoding="utf-8"))


# Matching shown output against real output --------------------------------------------


@cache
def line_pattern(expected: str) -> re.Pattern[str]:
    """The regular expression an expected line stands for."""
    parts = []
    for piece in re.split(f"({DATE_TIME}|{UUID}|{INLINE_ELLIPSIS})", expected):
        if piece == INLINE_ELLIPSIS:
            parts.append(".*")
        elif re.fullmatch(DATE_TIME, piece):
            parts.append(DATE_TIME)
        elif re.fullmatch(UUID, piece):
            parts.append(UUID)
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts))


def line_matches(expected: str, actual: str) -> bool:
    return line_pattern(expected).fullmatch(actual) is not None


def tidy(lines: Sequence[str]) -> list[str]:
    """Lines without trailing spaces (tables pad them) and without trailing blank lines."""
    tidied = [line.rstrip() for line in lines]
    while tidied and not tidied[-1]:
        tidied.pop()
    return tidied


def output_matches(expected: Sequence[str], actual: Sequence[str]) -> bool:
    """Whether the actual lines are what the expected lines show."""
    expected, actual = tidy(expected), tidy(actual)
    memo: dict[tuple[int, int], bool] = {}

    def match(i: int, j: int) -> bool:
        if (i, j) not in memo:
            if i == len(expected):
                memo[i, j] = j == len(actual)
            elif expected[i].strip() in ELLIPSIS_LINES:
                memo[i, j] = any(match(i + 1, k) for k in range(j, len(actual) + 1))
            else:
                memo[i, j] = (j < len(actual) and line_matches(expected[i], actual[j])
                              and match(i + 1, j + 1))
        return memo[i, j]

    return match(0, 0)


def refreshed(expected: Sequence[str], actual: Sequence[str]) -> list[str]:
    """New expected lines for an actual output: the actual lines, keeping each expected line
    that still matches its counterpart (placeholders and `…` stay) and keeping an
    abridgement: the lines shown before the first `...` and after the last one."""
    expected, actual = tidy(expected), tidy(actual)
    if output_matches(expected, actual):
        return list(expected)
    cuts = [i for i, line in enumerate(expected) if line.strip() in ELLIPSIS_LINES]
    if not cuts:
        return _keep_matching(expected, actual)
    head, tail = expected[:cuts[0]], expected[cuts[-1] + 1:]
    if len(head) + len(tail) > len(actual):
        return list(actual)
    ellipsis = expected[cuts[0]]
    actual_tail = actual[len(actual) - len(tail):] if tail else []
    return [*_keep_matching(head, actual[:len(head)]), ellipsis,
            *_keep_matching(tail, actual_tail)]


def _keep_matching(expected: Sequence[str], actual: Sequence[str]) -> list[str]:
    return [expected[i] if i < len(expected) and line_matches(expected[i], line) else line
            for i, line in enumerate(actual)]
