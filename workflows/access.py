"""Who may do what: users, their roles, and the one policy every command passes.

Six roles, each with the least it needs:

- consultant: every course command, only on the courses assigned to them (the
  course's consultant is their name); reads those courses and their own caseload.
- caseworker: refers citizens, accepts or rejects them while the course is in
  visitation; reads course data with the CPR masked.
- team lead: reassigns the courses of their team's consultants (to a consultant
  of the team) and sees the team's courses, caseload and due items. A team lead
  does not write to a course otherwise: that is the consultant's, and a course
  whose consultant is away is reassigned rather than written to by the lead.
- auditor: reads full histories (audit, stating a purpose), verifies the log,
  reads courses; never writes.
- evaluator: pseudonymised outcomes, exports and the report without its caseload
  part; never a CPR number or free text.
- admin: everything, including users, erasure, import and the views.

A command carrying its own `actor` different from the acting user (history
imported on someone's behalf) is for admins only, and only for a configured
user; the event then records both (`recorded_by` the admin, `actor` the user). Every refusal is a
`NotAllowed` (a CourseError: one line, exit 1, nothing written) that reads
`as LOGIN (ROLE): why`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from domain.course import Course
from domain.errors import CourseError
from domain.values import CourseState
from workflows.commands import COMMANDS_BY_NAME, Command, CourseCommand, Reassign


class Role(StrEnum):
    """What a user is, which decides what they may do."""

    CONSULTANT = "consultant"
    CASEWORKER = "caseworker"
    TEAM_LEAD = "team_lead"
    AUDITOR = "auditor"
    EVALUATOR = "evaluator"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The role in words ("team lead")."""
        return self.value.replace("_", " ")


class NotAllowed(CourseError):
    """The acting user may not do this; nothing was read or written."""


@dataclass(frozen=True)
class User:
    """A person who may use forloeb: their login, role, name on courses and team."""

    login: str
    role: Role
    name: str = ""
    """The name courses use for them as consultant; the login when not given."""
    team: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.login)

    def describe(self) -> str:
        """`kim (consultant)`, the head of every refusal."""
        return f"{self.login} ({self.role.label})"


# Actions that are not course commands (the course commands are named by
# Command.name, e.g. "praktik start").
SHOW = "show"
COURSES = "courses"
CASELOAD = "caseload"
DUE = "due"
OUTCOMES = "outcomes"
EXPORT = "export"
REPORT = "report"
REPORT_CASELOAD = "report.caseload"
"""The report's caseload and due sections (consultant names and workloads)."""
WORKFLOW = "workflow"
AUDIT = "audit"
VERIFY = "verify"
CITIZEN_EXPORT = "citizen.export"
CITIZEN_ERASE = "citizen.erase"
USERS = "users"
IMPORT = "import"
INIT = "init"
DEMO = "demo"
PROJECTIONS_STATUS = "projections.status"
PROJECTIONS_REBUILD = "projections.rebuild"
PROJECTIONS_RUN = "projections.run"

READS_OF_ONE_CITIZEN = frozenset({SHOW, AUDIT, CITIZEN_EXPORT})
"""Reads of one citizen's record: recorded, and an auditor states a purpose for each."""

COURSE_COMMANDS = frozenset(
    name for name, cls in COMMANDS_BY_NAME.items() if issubclass(cls, CourseCommand)
)
ALL_ACTIONS = frozenset(
    {
        SHOW, COURSES, CASELOAD, DUE, OUTCOMES, EXPORT, REPORT, REPORT_CASELOAD, WORKFLOW,
        AUDIT, VERIFY, CITIZEN_EXPORT, CITIZEN_ERASE, USERS, IMPORT, INIT, DEMO,
        PROJECTIONS_STATUS, PROJECTIONS_REBUILD, PROJECTIONS_RUN, *COMMANDS_BY_NAME,
    }
)  # fmt: skip

PERMISSIONS: Mapping[Role, frozenset[str]] = {
    Role.CONSULTANT: frozenset({SHOW, COURSES, CASELOAD, DUE, WORKFLOW, *COURSE_COMMANDS}),
    Role.CASEWORKER: frozenset({SHOW, COURSES, WORKFLOW, "refer", "accept", "reject"}),
    Role.TEAM_LEAD: frozenset({SHOW, COURSES, CASELOAD, DUE, WORKFLOW, REPORT_CASELOAD,
                               "reassign"}),
    Role.AUDITOR: frozenset({AUDIT, VERIFY, SHOW, COURSES, WORKFLOW, PROJECTIONS_STATUS}),
    Role.EVALUATOR: frozenset({OUTCOMES, EXPORT, REPORT, WORKFLOW}),
    Role.ADMIN: ALL_ACTIONS,
}  # fmt: skip
"""Every action each role may take at all; course scope is checked on top."""

ROLE_SUMMARY: Mapping[Role, str] = {
    Role.CONSULTANT: "consultants work on the courses assigned to them",
    Role.CASEWORKER: "caseworkers refer, accept and reject at visitation, and read courses",
    Role.TEAM_LEAD: "team leads reassign and read their team's courses and caseload",
    Role.AUDITOR: "auditors read histories and verify the log; they write nothing",
    Role.EVALUATOR: "evaluators see pseudonymised outcomes, exports and reports only",
    Role.ADMIN: "admins may do everything",
}
AT_VISITATION = frozenset({"accept", "reject"})
"""What a caseworker may do to an existing course, and only while it is in visitation."""


@dataclass(frozen=True)
class Directory:
    """The known users by login, and which team each consultant name belongs to."""

    users: Mapping[str, User] = field(default_factory=dict)
    _teams: dict[str, str | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        teams = {u.name: u.team for u in self.users.values() if u.role is Role.CONSULTANT}
        object.__setattr__(self, "_teams", teams)

    @classmethod
    def of(cls, users: Iterable[User]) -> Directory:
        """A directory of these users."""
        return cls({user.login: user for user in users})

    def user(self, login: str) -> User:
        """The user with this login; NotAllowed for a login nobody added."""
        found = self.find(login)
        if found is None:
            raise NotAllowed(
                f"as {login}: unknown user; an admin adds users with "
                f"`forloeb users add {login} --role ROLE`"
            )
        return found

    def find(self, login: str) -> User | None:
        """The user with this login, if the configuration names one."""
        return self.users.get(login) or self.users.get(unicodedata.normalize("NFKC", login))

    def team_of(self, consultant: str | None) -> str | None:
        """The team of the consultant courses name this way (None if none or unknown)."""
        if consultant is None:
            return None
        return self._teams.get(consultant)

    def sees(self, user: User, consultant: str | None) -> bool:
        """Whether the user may read a course held by this consultant (None: unassigned)."""
        if user.role is Role.CONSULTANT:
            return consultant is not None and consultant == user.name
        if user.role is Role.TEAM_LEAD:
            return user.team is not None and self.team_of(consultant) == user.team
        return user.role in (Role.CASEWORKER, Role.AUDITOR, Role.ADMIN)

    def consultants_seen_by(self, user: User) -> frozenset[str] | None:
        """The consultant names whose courses the user may read; None for all of them."""
        if user.role is Role.CONSULTANT:
            return frozenset({user.name})
        if user.role is Role.TEAM_LEAD:
            return frozenset(
                u.name
                for u in self.users.values()
                if u.role is Role.CONSULTANT and u.team is not None and u.team == user.team
            )
        if user.role in (Role.CASEWORKER, Role.AUDITOR, Role.ADMIN):
            return None
        return frozenset()


def short(course: Course) -> str:
    """A course id as refusals quote it: its first 8 characters."""
    return f"{str(course.id)[:8]}…"


def may(user: User, action: str) -> bool:
    """Whether the user's role allows the action at all (course scope aside)."""
    return action in PERMISSIONS[user.role]


def check_role(user: User, action: str) -> None:
    """Refuse an action the user's role never allows."""
    if not may(user, action):
        raise NotAllowed(
            f"as {user.describe()}: may not {action.replace('.', ' ')}; {ROLE_SUMMARY[user.role]}"
        )


def authorise_action(
    directory: Directory,
    user: User,
    action: str,
    *,
    course: Course | None = None,
    purpose: str | None = None,
) -> None:
    """Refuse unless the user may take a read or admin action (on `course`, when given).

    An auditor reading one citizen's record must say why (`purpose`).
    """
    check_role(user, action)
    if user.role is Role.AUDITOR and action in READS_OF_ONE_CITIZEN and not (purpose or "").strip():
        raise NotAllowed(
            f"as {user.describe()}: give --purpose; an auditor states why they read "
            "a citizen's record"
        )
    if course is not None and not directory.sees(user, course.consultant):
        raise NotAllowed(
            f"as {user.describe()}: course {short(course)} is "
            f"{_held_by(course)}; you may not read it"
        )


def authorise_command(
    directory: Directory, actor_login: str, command: Command, course: Course | None
) -> None:
    """The service's access hook: refuse unless the acting user may issue the command
    on the course (None for a referral). Called before anything is decided."""
    user = directory.user(actor_login)
    if command.actor is not None and command.actor != user.login:
        _on_behalf(directory, user, command.actor)
    check_role(user, command.name)
    if user.role is Role.ADMIN or course is None:
        return
    if user.role is Role.CONSULTANT:
        _consultants_own(user, course)
    elif user.role is Role.CASEWORKER:
        _at_visitation(user, command, course)
    elif user.role is Role.TEAM_LEAD:
        _within_team(directory, user, command, course)


def _on_behalf(directory: Directory, user: User, actor: str) -> None:
    """Refuse a command recorded for `actor` unless an admin records it for a configured user."""
    if user.role is not Role.ADMIN:
        raise NotAllowed(
            f"as {user.describe()}: only an admin records a command on behalf of "
            f"another user (actor {actor})"
        )
    if directory.find(actor) is None:
        raise NotAllowed(
            f"as {user.describe()}: actor {actor} is not a configured user; "
            "a command is recorded only for someone `forloeb users list` shows"
        )


def _held_by(course: Course) -> str:
    if course.consultant is None:
        return "not assigned to a consultant yet"
    return f"assigned to {course.consultant}"


def _consultants_own(user: User, course: Course) -> None:
    if course.consultant != user.name:
        raise NotAllowed(
            f"as {user.describe()}: course {short(course)} is {_held_by(course)}; "
            "only its consultant may write to it"
        )


def _at_visitation(user: User, command: Command, course: Course) -> None:
    if command.name in AT_VISITATION and course.state is not CourseState.VISITATION:
        raise NotAllowed(
            f"as {user.describe()}: course {short(course)} is past visitation "
            f"(state {course.state.value}); caseworkers {command.name} only at visitation"
        )


def _within_team(directory: Directory, user: User, command: Command, course: Course) -> None:
    if not directory.sees(user, course.consultant):
        raise NotAllowed(
            f"as {user.describe()}: course {short(course)} is {_held_by(course)}, "
            "who is not in your team"
        )
    if isinstance(command, Reassign) and directory.team_of(command.consultant) != user.team:
        raise NotAllowed(
            f"as {user.describe()}: {command.consultant} is not a consultant in your team; "
            "reassign within the team"
        )
