"""The hostile-input corpus: cases read from `cases/*.jsonl`, one JSON object per line.

A case names the command line (`argv`, the words after `forloeb`) or an import
file (`import`: its text; `import_b64`: its bytes), the documented exit code,
and the fragment the one error line must contain (usually the field's name).
Cases that are legitimate text carry `accepted`: the events they must add and
the text that must come back verbatim through `show --format json`. A case
that pins a bug carries `bug`, the reason reported, and is expected to fail.

Placeholders fill in what the data cannot know in advance:

- `{visitation}` … `{exited_unplanned}`, `{scratch}`: the full id of the
  session's course in that state (`{scratch}` is the course legitimate-text
  cases write to); `{ambiguous}` is the id prefix two courses share;
- `{today}`, `{future}`: today's Danish date and the day after tomorrow;
- `{rep:TEXT:N}`: TEXT repeated N times (over-long text, huge lines);
- `{file}`: the import file's path (import cases run `import {file}` by default);
- `{dangling}`: beside it, a symbolic link pointing nowhere.
- `{pipe}`: beside it, a named pipe (FIFO): a path that is neither file nor folder.

An import body may also carry `repeat`: the body is written that many times.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

CASES_DIR = Path(__file__).parent / "cases"

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2

COURSE_IDS: dict[str, str] = {
    "visitation": "11111111-1111-4111-8111-111111111111",
    "baseline": "22222222-2222-4222-8222-222222222222",
    "active": "33333333-3333-4333-8333-333333333333",
    "praktik": "44444444-4444-4444-8444-444444444444",
    "job": "55555555-5555-4555-8555-555555555555",
    "education": "66666666-6666-4666-8666-666666666666",
    "exited_planned": "77777777-7777-4777-8777-777777777777",
    "exited_unplanned": "88888888-8888-4888-8888-888888888888",
    "scratch": "99999999-9999-4999-8999-999999999999",
}
"""The session store's courses, by the state each is left in (see conftest)."""

AMBIGUOUS_IDS = (
    "abcdef12-0000-4000-8000-000000000001",
    "abcdef12-0000-4000-8000-000000000002",
)
AMBIGUOUS_PREFIX = "abcdef12"

_KEYS = {"id", "category", "argv", "import", "import_b64", "repeat", "exit", "fragment",
         "accepted", "subprocess", "bug", "slow", "why"}
_PLACEHOLDER = re.compile(r"\{(rep:([^{}:]*):(\d+)|[a-z_]+)\}")


def expand(text: str, values: Mapping[str, str]) -> str:
    """The text with its placeholders filled in (unknown names are left alone)."""

    def replace(match: re.Match[str]) -> str:
        if match.group(2) is not None:
            return match.group(2) * int(match.group(3))
        return values.get(match.group(1), match.group(0))

    return _PLACEHOLDER.sub(replace, text)


@dataclass(frozen=True)
class Accepted:
    """What a legitimate-text case must add: log entries (by event class) and verbatim text."""

    log: tuple[str, ...]
    """The class names of the new log entries, in any order (citizen events included)."""
    history: tuple[str, ...]
    """The new rows of the course's `show --format json` history, in order."""
    roundtrip: tuple[str, ...]
    """Text each of which must appear verbatim in the new history rows' details."""
    course: str | None = None
    """The course to show (a placeholder); default: the one the command names in its output."""


@dataclass(frozen=True)
class Case:
    """One hostile input and the answer the command line must give.

    The text is kept as written and filled in only when the case runs, so that
    collecting the corpus never builds its huge inputs.
    """

    id: str
    category: str
    exit: int
    fragment: str
    argv: tuple[str, ...] = ()
    import_text: str | None = None
    import_bytes: bytes | None = None
    repeat: int = 1
    accepted: dict[str, Any] | None = None
    subprocess: bool = False
    bug: str | None = None
    slow: bool = False
    why: str = ""
    source: str = field(default="", compare=False)

    @property
    def is_import(self) -> bool:
        """Whether the case feeds a file to `forloeb import`."""
        return self.import_text is not None or self.import_bytes is not None

    @property
    def runs_import(self) -> bool:
        """Whether the command is `forloeb import` (a file case may give it to `--db`)."""
        return self.is_import and (not self.argv or self.argv[0] == "import")

    def command_line(self, values: Mapping[str, str]) -> list[str]:
        """The words after `forloeb`, placeholders filled in."""
        argv = self.argv or (("import", "{file}") if self.is_import else ())
        return [expand(word, values) for word in argv]

    def file_body(self, values: Mapping[str, str]) -> bytes:
        """The import file's bytes, placeholders filled in and repeated."""
        if self.import_bytes is not None:
            body = self.import_bytes
        else:
            body = expand(self.import_text or "", values).encode("utf-8")
        return body * self.repeat

    def expected_fragment(self, values: Mapping[str, str]) -> str:
        """The text the one error (or summary) line must contain."""
        return expand(self.fragment, values)

    def expected_accepted(self, values: Mapping[str, str]) -> Accepted | None:
        """What a legitimate-text case must add, placeholders filled in."""
        if self.accepted is None:
            return None
        spec = self.accepted
        return Accepted(
            log=tuple(spec["log"]),
            history=tuple(spec["history"]),
            roundtrip=tuple(expand(text, values) for text in spec.get("roundtrip", [])),
            course=expand(spec["course"], values) if "course" in spec else None,
        )


def _case(data: dict[str, Any], source: str) -> Case:
    unknown = set(data) - _KEYS
    missing = {"id", "category", "exit", "fragment"} - set(data)
    if unknown or missing:
        raise ValueError(f"{source}: unknown keys {sorted(unknown)}, missing {sorted(missing)}")
    return Case(
        id=data["id"],
        category=data["category"],
        exit=int(data["exit"]),
        fragment=data["fragment"],
        argv=tuple(data.get("argv", ())),
        import_text=data.get("import"),
        import_bytes=base64.b64decode(data["import_b64"]) if "import_b64" in data else None,
        repeat=int(data.get("repeat", 1)),
        accepted=data.get("accepted"),
        subprocess=bool(data.get("subprocess", False)),
        bug=data.get("bug"),
        slow=bool(data.get("slow", False)),
        why=data.get("why", ""),
        source=source,
    )


def load_cases(directory: Path = CASES_DIR) -> list[Case]:
    """Every case of every `*.jsonl` file in the directory, in file and line order."""
    cases: list[Case] = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
            if not line.strip():
                continue
            source = f"{path.name}:{number}"
            cases.append(_case(json.loads(line), source))
    return cases


def placeholder_values(file: Path | str | None = None) -> dict[str, str]:
    """What the placeholders stand for in this session (today is the Danish date)."""
    today = datetime.now(ZoneInfo("Europe/Copenhagen")).date()
    values = {
        **COURSE_IDS,
        "ambiguous": AMBIGUOUS_PREFIX,
        "today": today.isoformat(),
        "future": (today + timedelta(days=2)).isoformat(),
    }
    if file is not None:
        values["file"] = str(file)
        values["dangling"] = str(Path(file).parent / DANGLING)
        values["pipe"] = str(Path(file).parent / PIPE)
    return values


DANGLING = "dangling.json"
"""Beside the import file: a symbolic link to a file that does not exist."""
PIPE = "pipe.html"
"""Beside the import file: a named pipe (what `--out` must not put a file in place of, as it
must not /dev/null, which no test names: were the check gone, the test would replace it)."""
