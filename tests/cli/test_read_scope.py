"""Least privilege on reads: every role reads exactly the scope the read matrix gives it.

The matrix is the policy's own data (`workflows.access.READ_MATRIX`: read
command -> role -> scope). This test enumerates it on the staffed store
(tests/cli/staffed.py), in every mode (SQLite, PostgreSQL, remote): for each role and read
command, each course in scope is shown and each course out of scope is refused
(one line, exit 1, nothing written). What each scope means is spelled out here
independently (`in_scope`), from the store's facts. The README's data protection
section holds the matrix as the policy renders it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cli.config import UserEntry
from workflows.access import READ_MATRIX, Role, Scope, needs_purpose, read_matrix_table

from .staffed import CPRS, REFERRED_BY, USERS, Staffed

README = Path(__file__).parents[2] / "README.md"

AS_OF = ("--as-of", "2019-04-15")
ACTING = {
    Role.CONSULTANT: "kim",
    Role.CASEWORKER: "tove",
    Role.TEAM_LEAD: "lea",
    Role.AUDITOR: "aud",
    Role.EVALUATOR: "eva",
    Role.ADMIN: "root",
    Role.PARTNER: "pia",
}
"""Who acts for each role: tove referred one course, lars the others; pia, a drop-in
centre's support-and-contact person, is on the team of kim's course only; kim is on the
team of Bo Jensen's course, as its job consultant."""
CONSULTANT_OF = {"kim": "kim", "bo": "Bo Jensen", "waiting": None, "toves": "kim"}
STATE_OF = {"kim": "active", "bo": "baseline", "waiting": "visitation", "toves": "baseline"}
TEAM_OF = {"kim": "nord", "nils": "nord", "Bo Jensen": "syd"}
ON_TEAM_OF = {"kim": {"pia"}, "bo": {"kim"}, "waiting": set(), "toves": set()}
PARTNER = UserEntry(role=Role.PARTNER)


def in_scope(scope: Scope, login: str, course: str) -> bool:
    """Whether the user with this login may read this course of the store, under `scope`."""
    user = {**USERS, "pia": PARTNER}[login]
    consultant = CONSULTANT_OF[course]
    if scope is Scope.ALL:
        return True
    if scope is Scope.OWN:
        return consultant == (user.name or login)
    if scope is Scope.TEAM:
        return consultant is not None and TEAM_OF[consultant] == user.team
    if scope is Scope.REFERRED_OR_VISITATION:
        return STATE_OF[course] == "visitation" or REFERRED_BY[course] == login
    if scope is Scope.ON_TEAM:
        return login in ON_TEAM_OF[course]
    if scope is Scope.OWN_OR_ON_TEAM:
        return in_scope(Scope.OWN, login, course) or in_scope(Scope.ON_TEAM, login, course)
    return False


pytestmark = pytest.mark.all_modes


@pytest.fixture
def staffed(staffed: Staffed) -> Staffed:
    """The staffed store, with pia, a drop-in centre's support-and-contact person, on
    the team of kim's course, and kim on the team of Bo Jensen's course."""
    assert staffed.run("root", "users", "add", "pia", "--role", "partner").exit_code == 0
    staffed.must("kim", "team", "add", staffed.courses["kim"], "--member", "pia",
                 "--role", "support_contact_person", "--occurred-on", "2019-01-21")  # fmt: skip
    staffed.must("bo", "team", "add", staffed.courses["bo"], "--member", "kim",
                 "--role", "job_consultant", "--occurred-on", "2019-01-21")  # fmt: skip
    return staffed


Check = Callable[[Staffed, Role, Scope, Path], None]


def _purpose(role: Role, action: str) -> tuple[str, ...]:
    return ("--purpose", "complaint 2019-7") if needs_purpose(role, action) else ()


def _refused(staffed: Staffed, login: str, *args: str) -> str:
    line = staffed.refused(login, *args)
    assert line.startswith(f"error: as {login} ("), line
    return line


def check_show(staffed: Staffed, role: Role, scope: Scope, _: Path) -> None:
    login = ACTING[role]
    for course, course_id in staffed.courses.items():
        args = ("show", course_id, *_purpose(role, "show"))
        if in_scope(scope, login, course):
            assert staffed.must(login, *args)["course_id"] == course_id, course
        else:
            assert "may not" in _refused(staffed, login, *args), course


def check_courses(staffed: Staffed, role: Role, scope: Scope, _: Path) -> None:
    login = ACTING[role]
    if scope is Scope.NONE:
        assert "may not courses" in _refused(staffed, login, "courses")
        return
    listed = {row["course_id"] for row in staffed.must(login, "courses")["courses"]}
    expected = {cid for course, cid in staffed.courses.items() if in_scope(scope, login, course)}
    assert listed == expected


def _consultants_in_scope(staffed: Staffed, login: str, scope: Scope) -> set[str]:
    return {
        consultant
        for course, consultant in CONSULTANT_OF.items()
        if consultant is not None and in_scope(scope, login, course)
    }


def check_caseload(staffed: Staffed, role: Role, scope: Scope, _: Path) -> None:
    login = ACTING[role]
    if scope is Scope.NONE:
        assert "may not caseload" in _refused(staffed, login, "caseload", *AS_OF)
        return
    loads = staffed.must(login, "caseload", *AS_OF)["consultants"]
    assert {load["consultant"] for load in loads} == _consultants_in_scope(staffed, login, scope)


def check_due(staffed: Staffed, role: Role, scope: Scope, _: Path) -> None:
    login = ACTING[role]
    args = ("due", *AS_OF, "--within", "400")
    if scope is Scope.NONE:
        assert "may not due" in _refused(staffed, login, *args)
        return
    items = staffed.must(login, *args)["items"]
    assert items
    assert {item["consultant"] for item in items} <= _consultants_in_scope(staffed, login, scope)


def check_audit(staffed: Staffed, role: Role, scope: Scope, _: Path) -> None:
    login = ACTING[role]
    args = ("audit", CPRS["bo"], "--purpose", "complaint 2019-7")
    if scope is Scope.NONE:
        assert "may not audit" in _refused(staffed, login, *args)
        return
    assert scope is Scope.ALL
    assert staffed.must(login, *args)["history"]


def check_citizen_export(staffed: Staffed, role: Role, scope: Scope, tmp_path: Path) -> None:
    login = ACTING[role]
    out = tmp_path / f"{login}-citizen.json"
    args = ("citizen", "export", CPRS["bo"], "--out", str(out), "--purpose", "access request")
    if scope is Scope.NONE:
        assert "may not citizen export" in _refused(staffed, login, *args)
        assert not out.exists()
        return
    assert scope is Scope.ALL
    assert staffed.run(login, *args).exit_code == 0
    assert CPRS["bo"].replace("-", "") in out.read_text()


def _pseudonymised(
    staffed: Staffed, role: Role, scope: Scope, action: str, args: tuple[str, ...]
) -> bool:
    """Run an aggregate read; whether it was allowed (it must be, or be refused)."""
    login = ACTING[role]
    if scope is Scope.NONE:
        assert f"may not {action}" in _refused(staffed, login, *args)
        return False
    assert scope is Scope.PSEUDONYMISED
    result = staffed.run(login, *args)
    assert result.exit_code == 0, result.output
    return True


def check_outcomes(staffed: Staffed, role: Role, scope: Scope, _: Path) -> None:
    args = ("outcomes", "--programme", "pva", *AS_OF, "--format", "json")
    if _pseudonymised(staffed, role, scope, "outcomes", args):
        shown = staffed.run(ACTING[role], *args).stdout
        assert all(cpr not in shown and cpr[:6] not in shown for cpr in CPRS.values())


def check_export(staffed: Staffed, role: Role, scope: Scope, tmp_path: Path) -> None:
    out = tmp_path / f"{ACTING[role]}-export"
    args = ("export", "--programme", "pva", *AS_OF, "--out", str(out))
    if _pseudonymised(staffed, role, scope, "export", args):
        text = "".join(file.read_text() for file in out.iterdir())
        assert all(cpr.replace("-", "") not in text and cpr not in text for cpr in CPRS.values())


def check_analysis(staffed: Staffed, role: Role, scope: Scope, _: Path) -> None:
    args = ("analysis", "trends", "--programme", "pva", *AS_OF, "--format", "json")
    if _pseudonymised(staffed, role, scope, "analysis", args):
        shown = staffed.run(ACTING[role], *args).stdout
        assert all(cpr not in shown and cpr[:6] not in shown for cpr in CPRS.values())


def _report(staffed: Staffed, role: Role, tmp_path: Path) -> Path:
    return tmp_path / f"{ACTING[role]}-report.html"


def check_report(staffed: Staffed, role: Role, scope: Scope, tmp_path: Path) -> None:
    out = _report(staffed, role, tmp_path)
    args = ("report", "--programme", "pva", *AS_OF, "--out", str(out))
    if _pseudonymised(staffed, role, scope, "report", args):
        assert '<section id="outcomes">' in out.read_text()


def check_report_caseload(staffed: Staffed, role: Role, scope: Scope, tmp_path: Path) -> None:
    out = _report(staffed, role, tmp_path)  # check_report wrote it, if the role may
    if READ_MATRIX["report"][role] is Scope.NONE:
        assert scope is Scope.NONE and not out.exists()
        return
    page = out.read_text()
    assert ('<section id="caseload">' in page) == (scope is Scope.ALL)
    assert ("Bo Jensen" in page) == (scope is Scope.ALL)


def check_verify(staffed: Staffed, role: Role, scope: Scope, _: Path) -> None:
    login = ACTING[role]
    if scope is Scope.NONE:
        assert "may not verify" in _refused(staffed, login, "verify", "--all")
        return
    assert scope is Scope.ALL
    assert staffed.run(login, "verify", "--all").exit_code == 0


CHECKS: dict[str, Check] = {
    "show": check_show,
    "courses": check_courses,
    "caseload": check_caseload,
    "due": check_due,
    "audit": check_audit,
    "citizen.export": check_citizen_export,
    "outcomes": check_outcomes,
    "export": check_export,
    "report": check_report,
    "analysis": check_analysis,
    "report.caseload": check_report_caseload,
    "verify": check_verify,
}


def test_every_read_command_of_the_matrix_has_a_check() -> None:
    assert list(READ_MATRIX) == list(CHECKS)
    assert all(set(scopes) == set(Role) for scopes in READ_MATRIX.values())


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_each_role_reads_exactly_the_scope_the_matrix_gives_it(
    staffed: Staffed, role: Role, tmp_path: Path
) -> None:
    for action, scopes in READ_MATRIX.items():
        CHECKS[action](staffed, role, scopes[role], tmp_path)


def test_a_caseworker_reads_what_they_referred_and_what_is_in_visitation_only(
    staffed: Staffed,
) -> None:
    kims = staffed.courses["kim"]

    line = staffed.refused("tove", "show", kims)
    listed = {row["course_id"] for row in staffed.must("tove", "courses")["courses"]}

    assert line == (
        f"error: as tove (caseworker): course {kims[:8]}… is assigned to kim, in state "
        "active; you may not read it: a caseworker reads the courses they referred and "
        "those in visitation"
    )
    assert listed == {staffed.courses["toves"], staffed.courses["waiting"]}
    assert staffed.must("lars", "show", kims)["course_id"] == kims


def test_the_readme_states_the_read_matrix_as_the_policy_has_it() -> None:
    table = read_matrix_table()

    assert table.startswith("| read command |")
    assert table in README.read_text(encoding="utf-8")
