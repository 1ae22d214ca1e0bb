"""The installed `forloeb` command, run as real processes on one SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import initialised

FORLOEB = Path(sys.executable).parent / "forloeb"

pytestmark = pytest.mark.subprocess


def environment(db: Path, tmp_path: Path, user: str = "anna") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORLOEB_")}
    env["FORLOEB_CONFIG"] = os.environ["FORLOEB_CONFIG"]  # the tests' users
    env["FORLOEB_MASTER_KEY"] = os.environ["FORLOEB_MASTER_KEY"]  # the key `initialised` used
    env["FORLOEB_KEK_DIR"] = os.environ["FORLOEB_KEK_DIR"]  # and its KEK folder
    return {**env, "FORLOEB_DB": str(db), "FORLOEB_USER": user,
            "XDG_STATE_HOME": str(tmp_path / "state")}


def forloeb(db: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FORLOEB), *args], env=environment(db, tmp_path), capture_output=True,
        text=True, timeout=60, check=False,
    )


def test_help_opens_no_store(tmp_path: Path) -> None:
    db = tmp_path / "never.sqlite"

    result = forloeb(db, tmp_path, "--help")

    assert result.returncode == 0
    assert "praktik" in result.stdout
    assert not db.exists()


def test_a_course_through_the_installed_command(tmp_path: Path) -> None:
    db = initialised(tmp_path / "store.sqlite")
    referred = forloeb(db, tmp_path, "refer", "--cpr", "010190-1234", "--programme", "pva",
                       "--referring-caseworker", "bo", "--format", "json")
    course = json.loads(referred.stdout)["course_id"]

    accepted = forloeb(db, tmp_path, "accept", course[:8], "--consultant", "mette")
    refused = forloeb(db, tmp_path, "accept", course[:8], "--consultant", "mette")

    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout == f"course {course[:8]}: recorded #2 Accepted; state baseline\n"
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: cannot accept a course in state baseline")
    assert len(refused.stderr.splitlines()) == 1


def test_commands_in_separate_processes_build_one_consistent_history(tmp_path: Path) -> None:
    db = initialised(tmp_path / "shared.sqlite")
    referred = forloeb(db, tmp_path, "refer", "--cpr", "010190-1234", "--programme", "pva",
                       "--referring-caseworker", "bo", "--format", "json")
    course = json.loads(referred.stdout)["course_id"]
    writers = [
        subprocess.Popen(
            [str(FORLOEB), "session", course, "--note", f"from process {n}"],
            env=environment(db, tmp_path, user=f"user{n}"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for n in range(4)
    ]
    outputs = [writer.communicate(timeout=120) for writer in writers]

    assert [writer.returncode for writer in writers] == [0, 0, 0, 0], outputs
    shown = json.loads(forloeb(db, tmp_path, "show", course, "--format", "json").stdout)
    history = shown["history"]
    assert [row["version"] for row in history] == [1, 2, 3, 4, 5]
    assert sorted(row["actor"] for row in history[1:]) == ["user0", "user1", "user2", "user3"]
    assert sorted((row["details"]["kind"], row["details"]["note"]) for row in history[1:]) == [
        ("individual", f"from process {n}") for n in range(4)
    ]
    listed = json.loads(forloeb(db, tmp_path, "courses", "--format", "json").stdout)
    assert [(row["course_id"], row["version"]) for row in listed["courses"]] == [(course, 5)]
