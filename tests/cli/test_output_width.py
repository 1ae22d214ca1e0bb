"""Tables are as wide as the terminal: COLUMNS, else the terminal's width, else 80 when
nothing is a terminal (never a forced 160); and `show` on a narrow terminal breaks lines
only between words.

The commands run as real processes with no terminal on any standard stream, so what
rich sees does not depend on where the tests run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import initialised

FORLOEB = Path(sys.executable).parent / "forloeb"
LONG_PROGRAMME = "paa-vej-til-arbejde"

pytestmark = pytest.mark.subprocess


def forloeb(db: Path, *args: str, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORLOEB_") and k != "COLUMNS"}
    env |= {"FORLOEB_CONFIG": os.environ["FORLOEB_CONFIG"],
            "FORLOEB_MASTER_KEY": os.environ["FORLOEB_MASTER_KEY"],
            "FORLOEB_KEK_DIR": os.environ["FORLOEB_KEK_DIR"],
            "FORLOEB_DB": str(db), "FORLOEB_USER": "anna",
            "XDG_STATE_HOME": str(db.parent / "state")}  # fmt: skip
    if columns is not None:
        env["COLUMNS"] = str(columns)
    result = subprocess.run(
        [str(FORLOEB), *args], env=env, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def course(tmp_path: Path) -> tuple[Path, str]:
    """A store with one course whose history has long details, and the course's id."""
    db = initialised(tmp_path / "store.sqlite")
    referred = forloeb(db, "refer", "--cpr", "150385-1234", "--programme", LONG_PROGRAMME,
                       "--referring-caseworker", "cw-lars", "--occurred-on", "2026-08-03",
                       "--note", "first contact by phone; the citizen prefers mornings",
                       "--format", "json")  # fmt: skip
    course_id: str = json.loads(referred.stdout)["course_id"]
    forloeb(db, "accept", course_id, "--consultant", "mette", "--occurred-on", "2026-08-10")
    forloeb(db, "measure", course_id, "--point", "1", "--form", "citizen", "--mental-health",
            "poor", "--physical-health", "good", "--who5", "1,2,1,0,2", "--bip",
            "job_belief=2,job_search=1", "--occurred-on", "2026-09-01")  # fmt: skip
    forloeb(db, "correct", course_id, "--version", "3", "--set", "answers.who5.calm=3",
            "--reason", "typed from the paper form, calm was 3")  # fmt: skip
    return db, course_id


def shown_details(db: Path, course_id: str) -> list[str]:
    """The details lines `show` prints for people, one per event."""
    from uuid import UUID

    from cli.bootstrap import open_service
    from cli.show import details_texts
    from storage.store import StoreConfig

    service = open_service(StoreConfig(sqlite_path=db))
    try:
        return list(details_texts(service, UUID(course_id)).values())
    finally:
        service.close()


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def test_a_piped_table_is_not_forced_to_160_columns(course: tuple[Path, str]) -> None:
    db, _ = course

    piped = forloeb(db, "courses")
    wide = forloeb(db, "courses", columns=160)

    assert widest(wide.stdout) > 80  # the table would be wider than 80 given the room
    assert widest(piped.stdout) <= 80
    assert widest(forloeb(db, "courses", columns=100).stdout) <= 100


def test_show_at_80_columns_wraps_at_word_boundaries_only(course: tuple[Path, str]) -> None:
    db, course_id = course
    report = json.loads(forloeb(db, "show", course_id, "--format", "json").stdout)

    shown = forloeb(db, "show", course_id, columns=80).stdout

    assert widest(shown) <= 80
    words = set(shown.split())
    texts = [
        *shown_details(db, course_id),
        ", ".join(report["allowed_next"]),
        f"{report['state']} since {report['state_since']} (referred {report['referred_on']})",
    ]
    split = {word for text in texts for word in text.split() if word not in words}
    assert not split, f"split across lines: {sorted(split)}"


def test_show_on_a_wide_terminal_keeps_the_history_table(course: tuple[Path, str]) -> None:
    db, course_id = course

    wide = forloeb(db, "show", course_id, columns=200).stdout
    narrow = forloeb(db, "show", course_id, columns=80).stdout

    assert "┃ # ┃ occurred" in wide and "│ Referred " in wide
    assert "┃ # ┃" not in narrow and "#1  2026-08-03  Referred  by anna" in narrow
