"""`forloeb verify`: one line per finding naming course and sequence number, exit 1 on any.

Run in-process with click's CliRunner on an SQLite store (and once as a real
process); the users are an admin (writes, seals), an auditor (verifies) and a
consultant (may not verify).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner, Result

from cli.main import forloeb
from storage.store import StoreConfig
from tests.conftest import initialised

from .tables import StoredTables

Run = Callable[..., Result]
USERS = """
[users.root]
role = "admin"

[users.ada]
role = "auditor"

[users.kim]
role = "consultant"
"""


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An SQLite store, with a configuration naming the three users."""
    config = tmp_path / "forloeb.toml"
    config.write_text(USERS, encoding="utf-8")
    monkeypatch.setenv("FORLOEB_CONFIG", str(config))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("FORLOEB_DATABASE_URL", raising=False)
    return initialised(tmp_path / "forloeb.sqlite")


@pytest.fixture
def run(db: Path) -> Run:
    """`forloeb --db DB --as USER ARGS...` in-process."""

    def invoke(*args: str, user: str = "ada") -> Result:
        return CliRunner().invoke(forloeb, ["--db", str(db), "--as", user, *args])

    return invoke


@pytest.fixture
def tables(db: Path) -> StoredTables:
    return StoredTables(StoreConfig(sqlite_path=db))


def a_course(run: Run, cpr: str = "010190-1234") -> UUID:
    """A course with events #1–#4 (refer, accept, two sessions), written by the admin."""
    referred = run(
        "refer", "--cpr", cpr, "--programme", "pva", "--referring-caseworker", "bo",
        "--format", "json", user="root",
    )  # fmt: skip
    assert referred.exit_code == 0, referred.output
    course = json.loads(referred.stdout)["course_id"]
    moves = (["accept", course, "--consultant", "kim"], ["session", course], ["session", course])
    for args in moves:
        assert run(*args, user="root").exit_code == 0
    return UUID(course)


def test_a_clean_store_verifies_with_exit_0(run: Run) -> None:
    a_course(run)
    result = run("verify", "--all")
    assert result.exit_code == 0, result.output
    # 4 course events; the citizen index: registered, course opened.
    head, last = result.stdout.splitlines()
    assert re.fullmatch(r"log head: 6:[0-9a-f]{64} \(notifications #1\.\.#6; .*\)", head)
    assert last == "verified 6 events in 2 aggregates: no findings"


def test_a_changed_event_is_named_and_exits_1(run: Run, tables: StoredTables) -> None:
    course = a_course(run)
    tables.flip_state_byte(course, 3)
    result = run("verify", "--all")
    assert result.exit_code == 1
    assert without_head(result.stdout) == [
        f"course {course} #3: changed: the stored bytes do not match the recorded hash",
        "verified 6 events in 2 aggregates: 1 finding",
    ]


def test_one_course_by_id_prefix(run: Run, tables: StoredTables) -> None:
    tampered, clean = a_course(run), a_course(run, cpr="020290-1234")
    tables.delete("events", tampered, 2)
    assert run("verify", str(clean)[:8]).stdout.endswith("1 aggregates: no findings\n")
    result = run("verify", str(tampered)[:8])
    assert result.exit_code == 1
    assert f"course {tampered} #2: removed" in result.stdout


def test_findings_as_json(run: Run, tables: StoredTables) -> None:
    course = a_course(run)
    tables.insert_event(course, 5, *tables.event(course, 4))
    result = run("verify", "--all", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["events"], report["aggregates"]) == (7, 2)
    assert [(f["aggregate"], f["id"], f["version"], f["kind"]) for f in report["findings"]] == [
        ("course", str(course), 5, "inserted"),
        ("event", "log", 7, "inserted"),  # notification #7 has no log link
    ]
    assert report["log_head"]["position"] == 6


@pytest.mark.parametrize("args", [[], ["--all", "0a6f3b52"]], ids=["neither", "both"])
def test_verify_needs_a_course_or_all(run: Run, args: list[str]) -> None:
    result = run("verify", *args)
    assert result.exit_code == 2
    assert "give a COURSE or --all" in result.output


def test_an_unknown_course_is_refused(run: Run) -> None:
    a_course(run)
    result = run("verify", "0a6f3b52-6a8e-4c4b-9a57-0d0c9e0b7a11")
    assert result.exit_code == 1
    assert "no course 0a6f3b52-6a8e-4c4b-9a57-0d0c9e0b7a11" in result.output


def test_an_upgraded_store_is_sealed_once_by_an_admin(run: Run, tables: StoredTables) -> None:
    course = a_course(run)
    tables.run("DELETE FROM {links}")
    tables.run("DELETE FROM {heads}")
    unsealed = run("verify", "--all")
    assert unsealed.exit_code == 1
    assert f"course {course} #1: not chained" in unsealed.stdout

    refused = run("verify", "--seal")
    assert refused.exit_code == 1 and "ada" in refused.output
    sealed = run("verify", "--seal", user="root")
    assert sealed.exit_code == 0, sealed.output
    assert without_head(sealed.stdout) == [
        "sealed 6 events in 2 aggregates",
        "verified 6 events in 2 aggregates: no findings",
    ]
    assert run("verify", "--seal", user="root").stdout.startswith("sealed 0 events")


def test_a_consultant_may_not_verify(run: Run) -> None:
    a_course(run)
    result = run("verify", "--all", user="kim")
    assert result.exit_code == 1
    assert result.stdout == ""


@pytest.mark.subprocess
def test_the_installed_command_exits_1_on_tampering(
    db: Path, run: Run, tables: StoredTables, tmp_path: Path
) -> None:
    course = a_course(run)
    tables.swap_versions("events", course, 2, 3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORLOEB_")}
    env.update(
        FORLOEB_CONFIG=os.environ["FORLOEB_CONFIG"],
        FORLOEB_MASTER_KEY=os.environ["FORLOEB_MASTER_KEY"],
        FORLOEB_KEK_DIR=os.environ["FORLOEB_KEK_DIR"],
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    result = subprocess.run(
        [str(Path(sys.executable).parent / "forloeb"), "--db", str(db), "--as", "ada",
         "verify", "--all"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[:2] == [
        f"course {course} #2: reordered: holds the event recorded as #3",
        f"course {course} #3: reordered: holds the event recorded as #2",
    ]


def without_head(output: str) -> list[str]:
    """The output's lines but the log head's."""
    return [line for line in output.splitlines() if not line.startswith("log head: ")]


def log_head_of(run: Run) -> str:
    result = run("verify", "--all")
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("log head: ")]
    return line.split()[2]


def test_a_course_deleted_whole_is_found_by_verify_all(run: Run, tables: StoredTables) -> None:
    course = a_course(run)
    a_course(run, cpr="020290-1234")
    for table in ("events", "links", "heads"):
        tables.delete(table, course)
    result = run("verify", "--all")
    assert result.exit_code == 1
    assert "event log #3: removed: notification #3 is gone; its log link remains" in result.stdout


def test_a_rollback_is_caught_against_the_head_kept_elsewhere(
    run: Run, tables: StoredTables
) -> None:
    a_course(run)
    kept = log_head_of(run)
    assert run("verify", "--all", "--against", kept).exit_code == 0
    ahead = kept.split(":")[0] + ":" + "00" * 32
    rolled = run("verify", "--all", "--against", ahead)
    assert rolled.exit_code == 1
    assert "event log #6: changed: the log at #6 differs from the head kept elsewhere" in (
        rolled.stdout
    )
    beyond = run("verify", "--all", "--against", "99:" + kept.split(":")[1])
    assert beyond.exit_code == 1
    assert "does not reach the head kept elsewhere" in beyond.stdout


@pytest.mark.parametrize("given", ["6", "x:00", "6:zz", "6:00ff"])
def test_a_malformed_head_is_refused(run: Run, given: str) -> None:
    a_course(run)
    result = run("verify", "--all", "--against", given)
    assert result.exit_code != 0
    assert result.output.startswith("against: ") or "against:" in result.output
    assert "Traceback" not in result.output


def test_swapped_key_rows_are_named_by_verify_all(run: Run, tables: StoredTables) -> None:
    a_course(run)
    a_course(run, cpr="020290-1234")
    (a, la), (b, lb) = tables.run("SELECT subject, lookup FROM citizen_keys ORDER BY subject")
    move = "UPDATE citizen_keys SET lookup = ? WHERE subject = ?"
    tables.run(move, "moving", a)
    tables.run(move, la, b)
    tables.run(move, lb, a)
    result = run("verify", "--all")
    assert result.exit_code == 1
    assert f"citizen key {UUID(a)}: changed: holds the CPR lookup of citizen {UUID(b)}" in (
        result.stdout
    )


def test_a_stripped_log_chain_is_named_refuses_writes_and_is_sealed_by_an_admin(
    run: Run, tables: StoredTables
) -> None:
    course = a_course(run)
    tables.run("DELETE FROM {log_head}")
    tables.run("DELETE FROM {log_links}")
    events = tables.count("events")

    found = run("verify", "--all")
    refused = run("session", str(course), user="root")

    assert found.exit_code == 1
    assert found.stdout.splitlines()[0].startswith(
        f"event log #1: not chained: notifications #1..#{events} carry no log links"
    )
    assert "log head: none (the log is not under the chain" in found.stdout
    assert refused.exit_code == 1
    assert refused.output.startswith("error: event log: events are stored before notification")
    assert tables.count("events") == events
    sealed = run("verify", "--seal", user="root")
    assert sealed.exit_code == 0, sealed.output
    assert f"sealed the event log: notifications #1..#{events}" in sealed.stdout
    assert run("session", str(course), user="root").exit_code == 0
    assert run("verify", "--all").exit_code == 0
