"""Access control: each role may do what it needs and nothing more.

A store with three courses (kim's, Bo Jensen's, and one still in visitation)
and a configuration naming one user per role (tests/cli/staffed.py), embedded on
SQLite and PostgreSQL and through a server. Every refusal is one line on stderr,
exit code 1, and writes nothing: the event log's head stays where it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .staffed import CPRS, Staffed

pytestmark = pytest.mark.all_modes

Store = Staffed


@pytest.fixture
def staffed_courses() -> tuple[str, ...]:
    """kim's active course, Bo Jensen's course in baseline, one course still in visitation."""
    return ("kim", "bo", "waiting")


@pytest.fixture
def store(staffed: Staffed) -> Staffed:
    """The staffed store (tests/cli/staffed.py) with those three courses, in every mode."""
    return staffed


# Consultants ----------------------------------------------------------------------------


def test_a_consultant_writes_to_the_courses_assigned_to_them(store: Store) -> None:
    outcome = store.must("kim", "session", store.courses["kim"], "--note", "first talk")

    assert outcome["events"][0]["type"] == "SessionHeld"


def test_a_consultant_is_refused_on_another_consultants_course(store: Store) -> None:
    course = store.courses["bo"]

    line = store.refused("kim", "session", course, "--note", "not mine")

    assert line == (
        f"error: as kim (consultant): course {course[:8]}… is assigned to Bo Jensen; "
        "only its consultant may write to it"
    )


def test_a_consultant_is_refused_a_course_by_the_citizens_cpr_too(store: Store) -> None:
    line = store.refused("kim", "session", CPRS["bo"])

    assert "is assigned to Bo Jensen" in line
    assert CPRS["bo"] not in line


def test_a_consultant_neither_refers_nor_accepts(store: Store) -> None:
    assert "may not refer" in store.refused(
        "kim", "refer", "--cpr", "040490-4567", "--programme", "pva",
        "--referring-caseworker", "kim",
    )  # fmt: skip
    line = store.refused("kim", "accept", store.courses["waiting"], "--consultant", "kim")
    assert "not assigned to a consultant yet" in line


def test_a_consultant_sees_only_their_own_courses_and_caseload(store: Store) -> None:
    listed = store.must("kim", "courses")["courses"]
    caseload = store.must("kim", "caseload", "--as-of", "2019-04-15")

    assert [row["course_id"] for row in listed] == [store.courses["kim"]]
    assert [load["consultant"] for load in caseload["consultants"]] == ["kim"]
    assert "may not see the courses of Bo Jensen" in store.refused(
        "kim", "caseload", "--consultant", "Bo Jensen"
    )
    assert "you may not read it" in store.refused("kim", "show", store.courses["bo"])


# Caseworkers ----------------------------------------------------------------------------


def test_a_caseworker_refers_and_accepts_at_visitation_only(store: Store) -> None:
    accepted = store.must("lars", "accept", store.courses["waiting"], "--consultant", "nils")
    assert accepted["state"] == "baseline"

    line = store.refused("lars", "reject", store.courses["kim"])
    assert line == (
        f"error: as lars (caseworker): course {store.courses['kim'][:8]}… is past visitation "
        "(state active); caseworkers reject only at visitation"
    )


def test_a_caseworker_reads_masked_course_data_but_writes_no_course_events(store: Store) -> None:
    shown = store.must("lars", "show", store.courses["bo"])

    assert shown["cpr_masked"] == "020290-xxxx"
    assert "may not session" in store.refused("lars", "session", store.courses["kim"])
    assert "may not caseload" in store.refused("lars", "caseload")


# Team leads -----------------------------------------------------------------------------


def test_a_team_lead_reassigns_within_the_team(store: Store) -> None:
    outcome = store.must("lea", "reassign", store.courses["kim"], "--consultant", "nils")

    assert outcome["events"][0]["type"] == "ConsultantReassigned"


def test_a_team_lead_is_refused_other_teams_and_moves_out_of_the_team(store: Store) -> None:
    other = store.refused("lea", "reassign", store.courses["bo"], "--consultant", "nils")
    outside = store.refused("lea", "reassign", store.courses["kim"], "--consultant", "Bo Jensen")
    write = store.refused("lea", "session", store.courses["kim"])

    assert "is assigned to Bo Jensen, who is not in your team" in other
    assert "Bo Jensen is not a consultant in your team" in outside
    assert "as lea (team lead): may not session" in write


def test_a_team_lead_sees_the_teams_caseload_only(store: Store) -> None:
    store.must("lars", "accept", store.courses["waiting"], "--consultant", "nils",
               "--occurred-on", "2019-02-01")  # fmt: skip

    caseload = store.must("lea", "caseload", "--as-of", "2019-04-15")
    due = store.must("lea", "due", "--as-of", "2019-04-15", "--within", "400")

    assert sorted(load["consultant"] for load in caseload["consultants"]) == ["kim", "nils"]
    assert {item["consultant"] for item in due["items"]} <= {"kim", "nils"}
    assert "Bo Jensen" in store.refused("lea", "caseload", "--consultant", "Bo Jensen")


# Auditors and evaluators ----------------------------------------------------------------

WRITES = [
    ("refer", "--cpr", "040490-4567", "--programme", "pva", "--referring-caseworker", "x"),
    ("accept", "{waiting}", "--consultant", "kim"),
    ("session", "{kim}"),
    ("reassign", "{kim}", "--consultant", "nils"),
    ("correct", "{kim}", "--version", "1", "--reason", "typo", "--set", "note=x"),
    ("exit", "{kim}", "--unplanned", "--reason", "other"),
]


def _filled(store: Store, args: tuple[str, ...]) -> list[str]:
    return [arg.format(**store.courses) for arg in args]


@pytest.mark.parametrize("user", ["aud", "eva"])
@pytest.mark.parametrize("args", WRITES, ids=[w[0] for w in WRITES])
def test_auditors_and_evaluators_write_nothing(
    store: Store, user: str, args: tuple[str, ...]
) -> None:
    line = store.refused(user, *_filled(store, args))

    assert line.startswith(f"error: as {user} (")
    assert f"may not {args[0]}" in line


def test_an_auditor_states_a_purpose_to_read_a_citizens_record(store: Store) -> None:
    line = store.refused("aud", "show", store.courses["kim"])
    shown = store.must("aud", "show", store.courses["kim"], "--purpose", "complaint 2019-7")

    assert "give --purpose" in line
    assert shown["cpr_masked"] == "010190-xxxx"


def test_an_evaluator_sees_outcomes_but_no_course_or_caseload(store: Store) -> None:
    tables = store.must("eva", "outcomes", "--programme", "pva", "--as-of", "2019-04-15")

    assert tables["tables"]
    refused = [
        ("show", store.courses["kim"]), ("courses",), ("caseload",), ("due",), ("import", "-"),
        ("audit", CPRS["kim"], "--purpose", "curious"), ("projections", "status"),
        ("users", "list"), ("citizen", "erase", CPRS["kim"], "--reason", "x", "--yes"),
        ("verify",),
    ]  # fmt: skip
    for args in refused:
        assert "as eva (evaluator): may not" in store.refused("eva", *args)


def test_an_evaluators_report_leaves_out_the_caseload(store: Store, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    theirs, admins = tmp_path / "eva.html", tmp_path / "root.html"
    common = ("report", "--programme", "pva", "--as-of", "2019-04-15", "--out")

    assert store.run("eva", *common, str(theirs)).exit_code == 0
    assert store.run("root", *common, str(admins)).exit_code == 0

    assert '<section id="caseload">' in admins.read_text()
    page = theirs.read_text()
    assert '<section id="caseload">' not in page and '<section id="overdue">' not in page
    assert "consultants over the target" not in page and "kim" not in page
    assert '<section id="outcomes">' in page


# Acting for someone else, unknown users, admins -----------------------------------------


def test_only_an_admin_records_on_behalf_of_another_user(store: Store) -> None:
    line = store.refused("kim", "session", store.courses["kim"], "--actor", "nils")
    outcome = store.must("root", "session", store.courses["kim"], "--actor", "kim")

    assert "only an admin records a command on behalf of another user (actor nils)" in line
    assert outcome["events"][0]["type"] == "SessionHeld"


def test_an_unknown_user_is_refused_before_anything_is_read(store: Store) -> None:
    line = store.refused("mallory", "courses")

    assert line.startswith("error: as mallory: unknown user;")


def test_a_user_name_that_is_no_name_is_bad_input(store: Store) -> None:
    result = store.run("kim\x1b[2J", "courses")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: actor: ")


def test_import_and_the_views_are_for_admins(store: Store, tmp_path: Path) -> None:
    lines = tmp_path / "lines.jsonl"
    lines.write_text(json.dumps({"command": "session", "course": store.courses["kim"]}) + "\n")

    assert "may not import" in store.refused("kim", "import", str(lines))
    assert "may not projections rebuild" in store.refused("lea", "projections", "rebuild")
    assert store.run("root", "import", str(lines)).exit_code == 0


def test_an_admin_adds_lists_and_removes_users(store: Store) -> None:
    added = store.run("root", "users", "add", "tina", "--role", "consultant", "--name",
                      "Tina Holm", "--team", "syd")  # fmt: skip
    assert added.exit_code == 0, added.output

    listed = {row["login"]: row for row in store.must("root", "users", "list")["users"]}
    assert listed["tina"] == {"login": "tina", "role": "consultant", "name": "Tina Holm",
                              "team": "syd"}  # fmt: skip
    assert store.must("lars", "accept", store.courses["waiting"], "--consultant", "Tina Holm")
    assert store.must("tina", "session", store.courses["waiting"])

    assert store.run("root", "users", "remove", "tina").exit_code == 0
    assert "unknown user" in store.refused("tina", "courses")


def test_users_are_managed_by_admins_only_and_never_to_an_inconsistent_file(
    store: Store,
) -> None:
    before = store.config.read_text()

    assert "may not users" in store.refused("lea", "users", "list")
    assert "already a user" in store.refused("root", "users", "add", "kim", "--role", "admin")
    assert "cannot remove yourself" in store.refused("root", "users", "remove", "root")
    same_name = store.run("root", "users", "add", "kb", "--role", "consultant", "--name",
                          "Bo Jensen")  # fmt: skip
    no_team = store.run("root", "users", "add", "tl", "--role", "team_lead")
    assert (same_name.exit_code, no_team.exit_code) == (2, 2)
    assert "users.kb.name: Bo Jensen is already the consultant bo" in same_name.stderr
    assert "users.tl.team: a team lead needs a team" in no_team.stderr
    assert store.config.read_text() == before
