"""Who may do what: users, their roles, and the one policy every command passes.

Seven roles, each with the least it needs:

- consultant: every course command, on the courses assigned to them (the course's
  consultant is their name); reads those courses and their own caseload. On a course
  on whose team they are (a job consultant, a second caseworker) they read it (`show`)
  and record what their role in the programme's definition covers; its lists,
  caseload and due items stay its own consultant's.
- caseworker: refers citizens, accepts or rejects them while the course is in
  visitation; reads the courses they referred and those in visitation, CPR masked.
- team lead: reassigns the courses of their team's consultants (to a consultant
  of the team) and sees the team's courses, caseload and due items. A team lead
  does not write to a course otherwise: that is the consultant's, and a course
  whose consultant is away is reassigned rather than written to by the lead.
- auditor: reads full histories (audit, stating a purpose), verifies the log,
  reads courses; never writes.
- evaluator: pseudonymised outcomes, exports and the report without its caseload
  part; never a CPR number or free text.
- admin: everything, including users, erasure, import and the views.
- partner: a worker outside the jobcenter (a drop-in centre's support-and-contact
  person, an outreach addiction worker, a social centre worker). Reads (`show`) the
  courses on whose team they are, and records there what their role in the
  programme's definition covers; refers a citizen where a partner role of the
  programme may refer. Nothing else: no lists, caseloads or aggregates.

What each role may read, and of which courses, is one table: READ_MATRIX
(read command -> role -> Scope); the README's data protection section shows it
as `read_matrix_table` renders it.

A command carrying its own `actor` different from the acting user (history
imported on someone's behalf) is for admins only, and only for a configured
user; the event then records both (`recorded_by` the admin, `actor` the user).
Every refusal is a `NotAllowed` (a CourseError: one line, exit 1, nothing
written) that reads `as LOGIN (ROLE): why`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from domain.course import Course
from domain.errors import CourseError
from domain.programme import ProgrammeDefinition
from domain.values import CourseState
from workflows.commands import (
    COMMANDS_BY_NAME,
    COURSE_COMMAND_NAMES,
    Command,
    CourseCommand,
    is_reassign,
    is_refer,
)
from workflows.machine import REFER


class Role(StrEnum):
    """What a user is, which decides what they may do."""

    CONSULTANT = "consultant"
    CASEWORKER = "caseworker"
    TEAM_LEAD = "team_lead"
    AUDITOR = "auditor"
    EVALUATOR = "evaluator"
    ADMIN = "admin"
    PARTNER = "partner"

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
ANALYSIS = "analysis"
"""Time to event, paths, trends and breakdowns (consultants named only with REPORT_CASELOAD)."""
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
PROJECTIONS_VERIFY = "projections.verify"

READS_OF_ONE_CITIZEN = frozenset({SHOW, AUDIT, CITIZEN_EXPORT})
"""Reads of one citizen's record: recorded, and an auditor states a purpose for each."""

COURSE_COMMANDS = frozenset(COURSE_COMMAND_NAMES)
ALL_ACTIONS = frozenset(
    {
        SHOW, COURSES, CASELOAD, DUE, OUTCOMES, ANALYSIS, EXPORT, REPORT, REPORT_CASELOAD, WORKFLOW,
        AUDIT, VERIFY, CITIZEN_EXPORT, CITIZEN_ERASE, USERS, IMPORT, INIT, DEMO,
        PROJECTIONS_STATUS, PROJECTIONS_REBUILD, PROJECTIONS_RUN, PROJECTIONS_VERIFY,
        *COMMANDS_BY_NAME,
    }
)  # fmt: skip


class Scope(StrEnum):
    """Which data a role reads through a read command."""

    ALL = "all"
    OWN = "own"
    TEAM = "team"
    REFERRED_OR_VISITATION = "referred or in visitation"
    PSEUDONYMISED = "pseudonymised"
    ON_TEAM = "on its team"
    OWN_OR_ON_TEAM = "own or on its team"
    NONE = "none"

    @property
    def description(self) -> str:
        """What the scope covers, in words."""
        return SCOPE_DESCRIPTIONS[self]


SCOPE_DESCRIPTIONS: Mapping[Scope, str] = {
    Scope.ALL: "every course and citizen",
    Scope.OWN: "the courses assigned to them",
    Scope.TEAM: "the courses of their team's consultants",
    Scope.REFERRED_OR_VISITATION: "the courses they referred and those in visitation",
    Scope.PSEUDONYMISED: "pseudonymised aggregates only: no CPR number, name or free text",
    Scope.ON_TEAM: "the courses on whose team they are",
    Scope.OWN_OR_ON_TEAM: "the courses assigned to them and those on whose team they are",
    Scope.NONE: "nothing: refused",
}

_ROLES_IN_ORDER = tuple(Role)


def _row(*scopes: Scope) -> Mapping[Role, Scope]:
    return dict(zip(_ROLES_IN_ORDER, scopes, strict=True))


_ALL, _OWN, _TEAM, _PSEUDO, _NO = Scope.ALL, Scope.OWN, Scope.TEAM, Scope.PSEUDONYMISED, Scope.NONE
_REFERRED, _ON_TEAM, _MINE = Scope.REFERRED_OR_VISITATION, Scope.ON_TEAM, Scope.OWN_OR_ON_TEAM
READ_MATRIX: Mapping[str, Mapping[Role, Scope]] = {
    #                    consultant caseworker team lead auditor evaluator admin    partner
    SHOW:            _row(_MINE,    _REFERRED, _TEAM,    _ALL,   _NO,      _ALL,    _ON_TEAM),
    COURSES:         _row(_OWN,     _REFERRED, _TEAM,    _ALL,   _NO,      _ALL,    _NO),
    CASELOAD:        _row(_OWN,     _NO,       _TEAM,    _NO,    _NO,      _ALL,    _NO),
    DUE:             _row(_OWN,     _NO,       _TEAM,    _NO,    _NO,      _ALL,    _NO),
    AUDIT:           _row(_NO,      _NO,       _NO,      _ALL,   _NO,      _ALL,    _NO),
    CITIZEN_EXPORT:  _row(_NO,      _NO,       _NO,      _NO,    _NO,      _ALL,    _NO),
    OUTCOMES:        _row(_NO,      _NO,       _NO,      _NO,    _PSEUDO,  _PSEUDO, _NO),
    EXPORT:          _row(_NO,      _NO,       _NO,      _NO,    _PSEUDO,  _PSEUDO, _NO),
    REPORT:          _row(_NO,      _NO,       _NO,      _NO,    _PSEUDO,  _PSEUDO, _NO),
    ANALYSIS:        _row(_NO,      _NO,       _NO,      _NO,    _PSEUDO,  _PSEUDO, _NO),
    REPORT_CASELOAD: _row(_NO,      _NO,       _NO,      _NO,    _NO,      _ALL,    _NO),
    VERIFY:          _row(_NO,      _NO,       _NO,      _ALL,   _NO,      _ALL,    _NO),
}  # fmt: skip
"""Every read command, and for each role the scope it reads there (none: refused).
`report.caseload` is the report's caseload and overdue sections (consultants' names
and workloads); verify reads the log's hashes, not its contents."""

OTHER_PERMISSIONS: Mapping[Role, frozenset[str]] = {
    Role.CONSULTANT: frozenset({WORKFLOW, *COURSE_COMMANDS}),
    Role.CASEWORKER: frozenset({WORKFLOW, "refer", "accept", "reject"}),
    Role.TEAM_LEAD: frozenset({WORKFLOW, "reassign"}),
    Role.AUDITOR: frozenset({WORKFLOW, PROJECTIONS_STATUS, PROJECTIONS_VERIFY}),
    Role.EVALUATOR: frozenset({WORKFLOW}),
    Role.ADMIN: ALL_ACTIONS - READ_MATRIX.keys(),
    Role.PARTNER: frozenset({WORKFLOW, "refer", *COURSE_COMMANDS}),
}
"""What each role may do besides the reads of the matrix: writes and administration. A
partner's writes are narrowed, per course, to what their team role covers."""

PERMISSIONS: Mapping[Role, frozenset[str]] = {
    role: OTHER_PERMISSIONS[role]
    | {action for action, scopes in READ_MATRIX.items() if scopes[role] is not Scope.NONE}
    for role in Role
}
"""Every action each role may take at all; course scope is checked on top."""

ROLE_SUMMARY: Mapping[Role, str] = {
    Role.CONSULTANT: "consultants work on the courses assigned to them",
    Role.CASEWORKER: (
        "caseworkers refer, accept and reject at visitation, and read the courses they "
        "referred and those in visitation"
    ),
    Role.TEAM_LEAD: "team leads reassign and read their team's courses and caseload",
    Role.AUDITOR: "auditors read histories and verify the log; they write nothing",
    Role.EVALUATOR: "evaluators see pseudonymised outcomes, exports and reports only",
    Role.ADMIN: "admins may do everything",
    Role.PARTNER: (
        "partners read and record, on the courses whose team they are on, what their role "
        "in the programme covers"
    ),
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

    def holds(self, user: User, scope: Scope, course: CourseFacts) -> bool:
        """Whether the course is within the scope for this user."""
        if scope is Scope.ALL:
            return True
        if scope is Scope.OWN:
            return course.consultant is not None and course.consultant == user.name
        if scope is Scope.TEAM:
            return user.team is not None and self.team_of(course.consultant) == user.team
        if scope is Scope.REFERRED_OR_VISITATION:
            return course.state is CourseState.VISITATION or bool(
                {user.login, user.name} & course.referred_by
            )
        if scope is Scope.ON_TEAM:
            return user.name in course.team
        if scope is Scope.OWN_OR_ON_TEAM:
            return self.holds(user, Scope.OWN, course) or self.holds(user, Scope.ON_TEAM, course)
        return False  # pseudonymised aggregates and none: no one course

    def reads(self, user: User, action: str, course: CourseFacts) -> bool:
        """Whether the user may read the course through the read command `action`."""
        return self.holds(user, scope_of(user, action), course)

    def sees(self, user: User, consultant: str | None, action: str = CASELOAD) -> bool:
        """Whether the user may read the caseload (or due items, ...) of the consultant
        courses name this way (None: courses not assigned yet)."""
        return self.reads(user, action, CourseFacts(consultant))


@dataclass(frozen=True)
class CourseFacts:
    """What decides who may read a course: its consultant, its state, who referred it."""

    consultant: str | None
    state: CourseState | None = None
    referred_by: frozenset[str] = frozenset()
    """The referring caseworker's name and the login the referral was recorded for."""
    team: frozenset[str] = frozenset()
    """The names of the course's team members."""

    @classmethod
    def of(cls, course: Course) -> CourseFacts:
        """The facts of a course aggregate."""
        return cls(course.consultant, course.state, course.referred_by, frozenset(course.team))


def scope_of(user: User, action: str) -> Scope:
    """The scope the user's role reads through a read command."""
    return READ_MATRIX[action][user.role]


def needs_purpose(role: Role, action: str) -> bool:
    """Whether the role states a purpose for the read (an auditor's read of one citizen)."""
    return role is Role.AUDITOR and action in READS_OF_ONE_CITIZEN


def read_matrix_table() -> str:
    """The read matrix as a Markdown table (the README's data protection section holds it)."""
    roles = list(Role)
    lines = [
        "| read command | " + " | ".join(role.label for role in roles) + " |",
        "|---" * (len(roles) + 1) + "|",
    ]
    for action, scopes in READ_MATRIX.items():
        cells = [_cell(role, action, scopes[role]) for role in roles]
        lines.append(f"| {_command_label(action)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _command_label(action: str) -> str:
    if action == REPORT_CASELOAD:
        return "`report`: caseload and overdue parts"
    return f"`{action.replace('.', ' ')}`"


def _cell(role: Role, action: str, scope: Scope) -> str:
    if scope is Scope.NONE:
        return "–"
    return f"{scope.value}, stating a purpose" if needs_purpose(role, action) else scope.value


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
    if needs_purpose(user.role, action) and not (purpose or "").strip():
        raise NotAllowed(
            f"as {user.describe()}: give --purpose; an auditor states why they read "
            "a citizen's record"
        )
    if course is not None and not directory.reads(user, action, CourseFacts.of(course)):
        raise NotAllowed(
            f"as {user.describe()}: course {short(course)} is {_held_by(course)}, in state "
            f"{course.state.value}; you may not read it: a {user.role.label} reads "
            f"{scope_of(user, action).description}"
        )


DefinitionOf = Callable[[str], ProgrammeDefinition | None]
"""A programme's definition by name (None: it has none)."""


def authorise_command(
    directory: Directory,
    actor_login: str,
    command: Command,
    course: Course | None,
    *,
    definition_of: DefinitionOf | None = None,
) -> None:
    """The service's access hook: refuse unless the acting user may issue the command
    on the course (None for a referral). Called before anything is decided.

    A consultant writes to the courses assigned to them, and to a course on whose team
    they are what their role in the programme's definition covers (`definition_of`)."""
    user = directory.user(actor_login)
    if command.actor is not None and command.actor != user.login:
        _on_behalf(directory, user, command.actor)
    check_role(user, command.name)
    if user.role is Role.PARTNER:
        _partners_part(user, command, course, definition_of)
        return
    if user.role is Role.ADMIN or course is None:
        return
    if user.role is Role.CONSULTANT:
        if course.consultant != user.name and user.name in course.team:
            _team_role_covers(user, command, course, definition_of)
            return
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


def _team_role_covers(
    user: User, command: Command, course: Course, definition_of: DefinitionOf | None
) -> None:
    role = course.team[user.name]
    definition = definition_of(course.programme) if definition_of is not None else None
    grant = definition.roles.get(role) if definition is not None else None
    trigger = command.trigger_name() if isinstance(command, CourseCommand) else command.name
    if grant is None or trigger not in grant.may:
        covers = ", ".join(grant.may) if grant is not None else "nothing here"
        raise NotAllowed(
            f"as {user.describe()}: on course {short(course)} you are {role}, which may "
            f"record {covers}; not {command.name}"
        )


def _partners_part(
    user: User, command: Command, course: Course | None, definition_of: DefinitionOf | None
) -> None:
    """A partner refers where a partner role of the programme may, and writes to a course
    only as its team member, what that role covers."""
    if is_refer(command):
        programme = command.programme
        definition = definition_of(programme) if definition_of is not None else None
        referring = [
            role
            for role, grant in (definition.roles.items() if definition is not None else ())
            if grant.partner and REFER in grant.may
        ]
        if not referring:
            raise NotAllowed(
                f"as {user.describe()}: no partner role of {programme} may refer; "
                "a caseworker refers"
            )
        return
    if course is None:  # the role's check before the course is read
        return
    if user.name not in course.team:
        raise NotAllowed(
            f"as {user.describe()}: you are not on the team of course {short(course)}; "
            "its consultant adds you with `forloeb team add`"
        )
    _team_role_covers(user, command, course, definition_of)


def _at_visitation(user: User, command: Command, course: Course) -> None:
    if command.name in AT_VISITATION and course.state is not CourseState.VISITATION:
        raise NotAllowed(
            f"as {user.describe()}: course {short(course)} is past visitation "
            f"(state {course.state.value}); caseworkers {command.name} only at visitation"
        )


def _within_team(directory: Directory, user: User, command: Command, course: Course) -> None:
    if not directory.holds(user, Scope.TEAM, CourseFacts(course.consultant)):
        raise NotAllowed(
            f"as {user.describe()}: course {short(course)} is {_held_by(course)}, "
            "who is not in your team"
        )
    if is_reassign(command) and directory.team_of(command.consultant) != user.team:
        raise NotAllowed(
            f"as {user.describe()}: {command.consultant} is not a consultant in your team; "
            "reassign within the team"
        )
