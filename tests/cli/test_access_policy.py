"""The access policy as a table: which role may take which action at all.

Course scope (whose course, which state) comes on top and is tested through the
command line in test_access.py; this is the whole matrix, spelled out.
"""

from __future__ import annotations

import pytest

from workflows.access import (
    ALL_ACTIONS,
    COURSE_COMMANDS,
    Directory,
    NotAllowed,
    Role,
    User,
    authorise_action,
    may,
)

READS = {"show", "courses", "workflow"}
EXPECTED: dict[Role, set[str]] = {
    Role.CONSULTANT: READS | {"caseload", "due"} | set(COURSE_COMMANDS),
    Role.CASEWORKER: READS | {"refer", "accept", "reject"},
    Role.TEAM_LEAD: READS | {"caseload", "due", "report.caseload", "reassign"},
    Role.AUDITOR: READS | {"audit", "verify", "projections.status"},
    Role.EVALUATOR: {"outcomes", "analysis", "export", "report", "workflow"},
    Role.ADMIN: set(ALL_ACTIONS),
}
NEVER_BUT_ADMIN = {"users", "citizen.erase", "citizen.export", "import", "init", "demo",
                   "projections.rebuild", "projections.run"}  # fmt: skip


@pytest.mark.parametrize("role", list(Role))
def test_each_role_may_take_exactly_its_actions(role: Role) -> None:
    user = User("u", role)

    assert {action for action in ALL_ACTIONS if may(user, action)} == EXPECTED[role]


def test_managing_users_erasure_import_and_the_views_is_for_admins_only() -> None:
    for role in Role:
        allowed = {action for action in NEVER_BUT_ADMIN if may(User("u", role), action)}
        assert allowed == (NEVER_BUT_ADMIN if role is Role.ADMIN else set()), role


def test_auditors_and_evaluators_never_write() -> None:
    for role in (Role.AUDITOR, Role.EVALUATOR):
        assert not any(may(User("u", role), name) for name in [*COURSE_COMMANDS, "refer"])


def test_an_auditor_must_state_a_purpose_for_one_citizens_record() -> None:
    auditor = User("aud", Role.AUDITOR)
    directory = Directory.of([auditor])

    for action in ("show", "audit"):
        with pytest.raises(NotAllowed, match=r"as aud \(auditor\): give --purpose"):
            authorise_action(directory, auditor, action, purpose="  ")
        authorise_action(directory, auditor, action, purpose="complaint 2019-7")
    authorise_action(directory, auditor, "courses")  # a list is no one citizen's record


def test_who_sees_whose_courses() -> None:
    kim = User("kim", Role.CONSULTANT, team="nord")
    bo = User("bo", Role.CONSULTANT, name="Bo Jensen", team="syd")
    lea = User("lea", Role.TEAM_LEAD, team="nord")
    eva = User("eva", Role.EVALUATOR)
    lars = User("lars", Role.CASEWORKER)
    directory = Directory.of([kim, bo, lea, eva, lars])

    assert [directory.sees(kim, c) for c in ("kim", "Bo Jensen", None)] == [True, False, False]
    assert [directory.sees(lea, c) for c in ("kim", "Bo Jensen", None)] == [True, False, False]
    assert [directory.sees(lars, c) for c in ("kim", "Bo Jensen", None)] == [True, True, True]
    assert not directory.sees(eva, "kim")
    assert directory.consultants_seen_by(lea) == {"kim"}
    assert directory.consultants_seen_by(lars) is None


def test_an_unknown_login_is_refused_with_how_to_add_it() -> None:
    with pytest.raises(NotAllowed, match=r"as zoe: unknown user; .*forloeb users add zoe"):
        Directory().user("zoe")
