"""The access policy as a table: which role may take which action at all.

Course scope (whose course, which state) comes on top and is tested through the
command line in test_access.py; this is the whole matrix, spelled out.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.values import CourseState
from workflows.access import (
    ALL_ACTIONS,
    COURSE_COMMANDS,
    CourseFacts,
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
    Role.TEAM_LEAD: READS | {"caseload", "due", "reassign"},
    Role.AUDITOR: READS | {"audit", "verify", "projections.status", "projections.verify"},
    Role.EVALUATOR: {"outcomes", "analysis", "export", "report", "workflow"},
    Role.ADMIN: set(ALL_ACTIONS),
    Role.PARTNER: {"show", "workflow", "refer"} | set(COURSE_COMMANDS),
}
"""A partner's course commands are narrowed per course to their team role (test_course_team)."""
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


def test_whose_caseload_each_role_sees() -> None:
    kim = User("kim", Role.CONSULTANT, team="nord")
    bo = User("bo", Role.CONSULTANT, name="Bo Jensen", team="syd")
    lea = User("lea", Role.TEAM_LEAD, team="nord")
    eva = User("eva", Role.EVALUATOR)
    lars = User("lars", Role.CASEWORKER)
    root = User("root", Role.ADMIN)
    directory = Directory.of([kim, bo, lea, eva, lars, root])

    assert [directory.sees(kim, c) for c in ("kim", "Bo Jensen", None)] == [True, False, False]
    assert [directory.sees(lea, c) for c in ("kim", "Bo Jensen", None)] == [True, False, False]
    assert [directory.sees(lars, c) for c in ("kim", "Bo Jensen", None)] == [False] * 3
    assert [directory.sees(root, c) for c in ("kim", "Bo Jensen", None)] == [True] * 3
    assert not directory.sees(eva, "kim")


def test_a_caseworker_reads_a_course_they_referred_or_one_in_visitation() -> None:
    lars = User("lars", Role.CASEWORKER, name="Lars Berg")
    directory = Directory.of([lars])
    active = CourseFacts("kim", CourseState.ACTIVE, frozenset({"tove"}))
    cases = {
        "referred by someone else, past visitation": (active, False),
        "in visitation": (replace(active, state=CourseState.VISITATION), True),
        "names him as referring caseworker": (replace(active, referred_by={"Lars Berg"}), True),
        "recorded for his login": (replace(active, referred_by=frozenset({"lars"})), True),
    }

    for what, (course, readable) in cases.items():
        assert directory.reads(lars, "show", course) is readable, what
        assert directory.reads(lars, "courses", course) is readable, what
        assert not directory.reads(lars, "caseload", course), what


def test_an_unknown_login_is_refused_with_how_to_add_it() -> None:
    with pytest.raises(NotAllowed, match=r"as zoe: unknown user; .*forloeb users add zoe"):
        Directory().user("zoe")


def test_a_partner_reads_a_course_only_while_on_its_team() -> None:
    pia = User("pia", Role.PARTNER)
    directory = Directory.of([pia])
    on_team = CourseFacts("kim", CourseState.ACTIVE, team=frozenset({"pia"}))
    elsewhere = CourseFacts("kim", CourseState.ACTIVE, team=frozenset({"nils"}))

    assert directory.reads(pia, "show", on_team)
    assert not directory.reads(pia, "show", elsewhere)
    assert not directory.sees(pia, "kim")
