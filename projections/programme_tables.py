"""The tables of the programmes beside På vej til arbejde, from events (programme reference
§2–§4), in the shape each report publishes.

Like the VIVE tables, each builder takes the cohort's folded courses (`CourseOutcome`,
as of a date and as known at a moment) and adds one table to a `Tally`, naming every
count it shows and which counts sum to which, so small-cell suppression treats them like
any other. What the outcomes view does not tell apart (completion, the kind of job,
contacts, segmentation, the entry route) comes from the milestones view
(`CourseMilestones`, for the same dates), joined by course.

- completion (OPH, MB): participants, completed the programme, left early, still
  running; a column pair per cohort (hold) where the programme has cohorts.
- outcome_kinds (OPH): among those who completed, where they went: work by the kind of
  the job held at exit, education, disability pension, still in the programme.
- contacts (the drop-in-centre model): citizens by entry route, contacts by kind, the
  citizens' ratings.
- no_shows (the drop-in-centre model): network meetings and no-shows per half-year.
- profiles (Faxe M3): match group now, rematches, profiles and focus ever (several
  profiles at once, so the profile shares may add up to more than 100 %).
The follow-up with its worst case (MB) is `outcomes_tables.follow_up_table`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import mean, median

from domain.programme import Cohort
from domain.values import ContactKind, CourseState, JobKind, MatchGroup, UnplannedExitReason
from projections.milestones import COMPLETED, JOB, REDUCED_HOURS, CourseMilestones
from projections.outcomes_course import CourseOutcome
from projections.outcomes_report import BLANK, Cell, OutcomeTable, Tally, half_up

ALL = "all"

BACKBONE_JOB_KINDS: tuple[tuple[str, str], ...] = (
    (JobKind.ORDINARY.value, "ordinary hours"),
    (REDUCED_HOURS, "ordinary, reduced hours"),
    (JobKind.FLEXJOB.value, "flexjob (fleksjob)"),
    (JobKind.WAGE_SUBSIDY.value, "wage subsidy (løntilskud)"),
)
"""The kinds of job, as counted, with their labels (a programme may add its own)."""

BACKBONE_EXITS: tuple[tuple[str, str], ...] = (
    ("job", "in work"),
    ("education", "in education"),
    ("disability_pension", "onto disability pension (førtidspension)"),
)
"""Where a planned exit goes, with labels (a programme may add its own)."""

ENTRY_ROUTES: tuple[tuple[str, str], ...] = (
    ("caseworker_referral", "referred by a caseworker"),
    ("self_referral", "self-referral"),
    ("outreach", "reached by outreach"),
)


@dataclass(frozen=True)
class ProgrammeFacts:
    """What the programme tables read beside the courses: each course's milestones, the
    programme's cohorts, and the outcome kinds it counts (the backbone's and its own)."""

    milestones: Mapping[str, CourseMilestones]
    cohorts: tuple[Cohort, ...] = ()
    job_kinds: tuple[tuple[str, str], ...] = BACKBONE_JOB_KINDS
    exits: tuple[tuple[str, str], ...] = BACKBONE_EXITS
    exit_reasons: tuple[str, ...] = tuple(reason.value for reason in UnplannedExitReason)
    """The unplanned-exit reasons listed (any other found is listed after them)."""
    as_of: date | None = None
    """The day time in the match group is counted to (None: not counted)."""

    def of(self, course: CourseOutcome) -> CourseMilestones:
        """The course's milestones (none recorded: an empty record)."""
        return self.milestones.get(course.course_id) or CourseMilestones("caseworker_referral")


Builder = Callable[[Tally, Sequence[CourseOutcome], ProgrammeFacts], OutcomeTable]
Codes = Sequence[tuple[str, str]]
"""Codes with their titles, in the order a table lists them."""
Rows = list[tuple[str, tuple[Cell, ...]]]


def groups_of_cohorts(
    courses: Sequence[CourseOutcome], cohorts: Sequence[Cohort]
) -> dict[str, list[CourseOutcome]]:
    """The courses per cohort (by referral date), then all of them."""
    groups: dict[str, list[CourseOutcome]] = {}
    for cohort in cohorts:
        groups[cohort.name] = [
            c for c in courses if c.referred_on and cohort.start <= c.referred_on <= cohort.end
        ]
    groups[ALL] = list(courses)
    return groups


def completed(course: CourseOutcome, facts: ProgrammeFacts) -> bool:
    """Whether the course completed the programme (a milestone of its own)."""
    return facts.of(course).has(COMPLETED)


def _pairs(groups: Mapping[str, object]) -> tuple[str, ...]:
    return tuple(h for name in groups for h in (f"{name} n", f"{name} %"))


# completion ----------------------------------------------------------------------


def completion_table(
    tally: Tally, courses: Sequence[CourseOutcome], facts: ProgrammeFacts
) -> OutcomeTable:
    """Participants, who completed the programme, who left early and who is still in it,
    per cohort and in all."""
    groups = groups_of_cohorts(courses, facts.cohorts)
    labels = (
        ("completed the programme", lambda c: completed(c, facts)),
        ("left early (unplanned exit)", lambda c: c.state is CourseState.EXITED_UNPLANNED),
        ("ended otherwise (planned exit)", lambda c: c.state is CourseState.EXITED_PLANNED),
        ("still in the programme", lambda c: c.is_open),
    )
    early, ended = "left early (unplanned exit)", "ended otherwise (planned exit)"
    reasons = list(facts.exit_reasons)
    reasons += sorted({c.exit_reason for c in courses if c.exit_reason} - set(reasons))
    under: dict[str, tuple[Codes, Callable[[CourseOutcome], str | None]]] = {
        early: ([(reason, reason) for reason in reasons], lambda c: c.exit_reason),
        ended: (exits_found(facts, courses), exit_of),
    }
    rows: dict[str, list[Cell]] = {"participants": []}
    for label, _ in labels:
        rows[label] = []
        if label in under:
            rows.update({f"  {title}": [] for _, title in under[label][0]})
    for name, members in groups.items():
        base = f"completion {name} participants"
        rows["participants"] += [tally.count(base, len(members)), BLANK]
        rest = list(members)
        parts = []
        for label, test in labels:
            chosen = [c for c in rest if test(c)]
            rest = [c for c in rest if not test(c)]
            key = f"completion {name} {label}"
            parts.append(key)
            rows[label] += [tally.count(key, len(chosen)), tally.share(key, base)]
            if label in under:
                _split(tally, rows, key, base, chosen, *under[label])
        tally.partition(base, tuple(parts))
    return OutcomeTable(
        "completion",
        "Participants and completion (fuldførte)",
        _pairs(groups),
        tuple((label, tuple(cells)) for label, cells in rows.items()),
    )


def _split(
    tally: Tally,
    rows: dict[str, list[Cell]],
    key: str,
    base: str,
    members: Sequence[CourseOutcome],
    codes: Codes,
    value: Callable[[CourseOutcome], str | None],
) -> None:
    """The courses counted under `key`, by a value (an exit reason, where a planned exit
    went), as a row per code, labelled with its title."""
    parts = []
    for code, title in codes:
        part = f"{key}: {code}"
        parts.append(part)
        n = sum(value(c) == code for c in members)
        rows[f"  {title}"] += [tally.count(part, n), tally.share(part, base)]
    tally.partition(key, tuple(parts))


def exits_found(facts: ProgrammeFacts, courses: Sequence[CourseOutcome]) -> Codes:
    """Where planned exits go, with titles: the backbone's and the programme's, then any
    other found among the courses (by its code)."""
    known = [code for code, _ in facts.exits]
    found = {after for c in courses if (after := exit_of(c)) is not None} - set(known)
    return [*facts.exits, *((code, code) for code in sorted(found))]


# outcome_kinds -------------------------------------------------------------------


def exit_of(course: CourseOutcome) -> str | None:
    """Where the course's planned exit went (job, education, disability pension…)."""
    return course.exit_after if course.state is CourseState.EXITED_PLANNED else None


def job_kind_at_exit(course: CourseOutcome, facts: ProgrammeFacts) -> str | None:
    """The kind of the latest job the course started (as counted), if any."""
    last = facts.of(course).last(JOB)
    return None if last is None else last[0]


def outcome_kinds_table(
    tally: Tally, courses: Sequence[CourseOutcome], facts: ProgrammeFacts
) -> OutcomeTable:
    """Of those who completed the programme: where they went (work by the kind of job held,
    education, disability pension), and those still in it or gone otherwise."""
    done = [c for c in courses if completed(c, facts)]
    base = "completed programme"
    rows: Rows = [("completed the programme", (tally.count(base, len(done)), BLANK))]
    parts = []
    for code, label in facts.exits:
        went = [c for c in done if exit_of(c) == code]
        key = f"completed programme {code}"
        parts.append(key)
        rows.append((label, (tally.count(key, len(went)), tally.share(key, base))))
        if code == "job":
            kinds = []
            for kind, kind_label in facts.job_kinds:
                n = sum(job_kind_at_exit(c, facts) == kind for c in went)
                kinds.append(f"{key} {kind}")
                rows.append(
                    (f"  {kind_label}", (tally.count(kinds[-1], n), tally.share(kinds[-1], base)))
                )
            unknown = f"{key} kind not recorded"
            known = {kind for kind, _ in facts.job_kinds}
            n = sum(job_kind_at_exit(c, facts) not in known for c in went)
            rows.append(
                ("  kind not recorded", (tally.count(unknown, n), tally.share(unknown, base)))
            )
            tally.partition(key, (*kinds, unknown))
    codes = {code for code, _ in facts.exits}
    for label, test in (
        ("still in the programme", lambda c: c.is_open),
        ("left otherwise", lambda c: not c.is_open and exit_of(c) not in codes),
    ):
        key = f"completed programme {label}"
        parts.append(key)
        n = sum(test(c) for c in done)
        rows.append((label, (tally.count(key, n), tally.share(key, base))))
    tally.partition(base, tuple(parts))
    return OutcomeTable(
        "outcome_kinds",
        "Where those who completed went, by kind of outcome",
        ("n", "% of completers"),
        tuple(rows),
    )


# contacts ------------------------------------------------------------------------


def contacts_table(
    tally: Tally, courses: Sequence[CourseOutcome], facts: ProgrammeFacts
) -> OutcomeTable:
    """Citizens by entry route and with contacts; contacts by kind; the citizens' ratings."""
    citizens = "contacts citizens"
    rows: Rows = [("citizens registered", (tally.count(citizens, len(courses)), BLANK))]
    routes = []
    for code, label in ENTRY_ROUTES:
        key = f"contacts route {code}"
        routes.append(key)
        n = sum(facts.of(c).entry_route == code for c in courses)
        rows.append((f"  {label}", (tally.count(key, n), tally.share(key, citizens))))
    tally.partition(citizens, tuple(routes))
    reached = "contacts citizens with a contact"
    with_contact = [c for c in courses if facts.of(c).contacts]
    rows.append(
        (
            "citizens with a registered contact",
            (tally.count(reached, len(with_contact)), tally.share(reached, citizens)),
        )
    )
    tally.complement(reached, citizens)
    contacts = [contact for c in courses for contact in facts.of(c).contacts]
    total = "contacts registered"
    rows.append(("contacts registered", (tally.count(total, len(contacts)), BLANK)))
    kinds = []
    for kind in ContactKind:
        key = f"contacts kind {kind.value}"
        kinds.append(key)
        n = sum(k == kind.value for k, _, _ in contacts)
        rows.append((f"  by {kind.value}", (tally.count(key, n), tally.share(key, total))))
    tally.partition(total, tuple(kinds))
    per_citizen = [len(facts.of(c).contacts) for c in with_contact]
    rows.append(
        (
            "contacts per citizen with a contact, mean",
            (
                tally.figure(half_up(mean(per_citizen)) if per_citizen else None, total, reached),
                BLANK,
            ),
        )
    )
    ratings = [rating for _, rating, _ in contacts if rating is not None]
    rated = "contacts rated"
    rows.append(
        (
            "contacts rated by the citizen (1-5)",
            (tally.count(rated, len(ratings)), tally.share(rated, total)),
        )
    )
    tally.complement(rated, total)
    rows.append(
        (
            "mean rating (1-5)",
            (tally.figure(half_up(mean(ratings), 2) if ratings else None, rated), BLANK),
        )
    )
    return OutcomeTable("contacts", "Entry and registered contacts", ("n", "%"), tuple(rows))


# no_shows ------------------------------------------------------------------------


def half_year(day: date) -> str:
    """The half-year a date falls in, as `2015 H1`."""
    return f"{day.year} H{1 if day.month <= 6 else 2}"


def no_shows_table(
    tally: Tally, courses: Sequence[CourseOutcome], facts: ProgrammeFacts
) -> OutcomeTable:
    """Network meetings per half-year: how many were planned, held, and missed by the
    citizen (the share of no-shows)."""
    meetings = [(half_year(d), True) for c in courses for d in c.meetings_held]
    meetings += [(half_year(d), False) for c in courses for d in c.meetings_missed]
    periods = sorted({period for period, _ in meetings})
    rows: dict[str, list[Cell]] = {"meetings planned": [], "held": [], "citizen did not show": []}
    for period in periods:
        planned, held, missed = (f"meetings {period} {w}" for w in ("planned", "held", "missed"))
        rows["meetings planned"] += [
            tally.count(planned, sum(p == period for p, _ in meetings)),
            BLANK,
        ]
        rows["held"] += [
            tally.count(held, sum(p == period and h for p, h in meetings)),
            tally.share(held, planned),
        ]
        rows["citizen did not show"] += [
            tally.count(missed, sum(p == period and not h for p, h in meetings)),
            tally.share(missed, planned),
        ]
        tally.partition(planned, (held, missed))
    return OutcomeTable(
        "no_shows",
        "Meetings and no-shows per half-year (udeblivelser)",
        tuple(h for p in periods for h in (f"{p} n", f"{p} %")),
        tuple((label, tuple(cells)) for label, cells in rows.items()),
    )


# profiles ------------------------------------------------------------------------


def profiles_table(
    tally: Tally, courses: Sequence[CourseOutcome], facts: ProgrammeFacts
) -> OutcomeTable:
    """Match group now, rematches and time in the match group; each profile and focus ever
    recorded (a citizen may have several profiles, so their shares add up to more)."""
    segmented = [c for c in courses if facts.of(c).segments]
    base = "profiles segmented"
    rows: Rows = [
        ("courses", (tally.count("profiles courses", len(courses)), BLANK)),
        (
            "with a segmentation recorded",
            (tally.count(base, len(segmented)), tally.share(base, "profiles courses")),
        ),
    ]
    tally.complement(base, "profiles courses")
    groups = {
        c.course_id: [g for g, _, _, _ in facts.of(c).segments if g is not None] for c in segmented
    }
    now_keys = []
    for group in MatchGroup:
        key = f"profiles match group now {group.value}"
        now_keys.append(key)
        n = sum(bool(h) and h[-1] == group.value for h in groups.values())
        rows.append(
            (f"match group now: {group.value}", (tally.count(key, n), tally.share(key, base)))
        )
    none = "profiles match group not recorded"
    now_keys.append(none)
    rows.append(
        (
            "match group not recorded",
            (tally.count(none, sum(not h for h in groups.values())), tally.share(none, base)),
        )
    )
    tally.partition(base, tuple(now_keys))
    rematched = "profiles rematched"
    rows.append(
        (
            "rematched",
            (
                tally.count(rematched, sum(len(set(h)) > 1 for h in groups.values())),
                tally.share(rematched, base),
            ),
        )
    )
    tally.complement(rematched, base)
    days = [
        d for c in segmented if (d := days_in_match_group(facts.of(c), facts.as_of)) is not None
    ]
    rows.append((
        "median days in the match group now",
        (tally.figure(median(days) if days else None, base), BLANK),
    ))  # fmt: skip
    ever = {
        "profile": _ever(segmented, facts, lambda s: s[1]),
        "focus": _ever(segmented, facts, lambda s: () if s[2] is None else (s[2],)),
    }
    for what, counted in ever.items():
        for name, n in sorted(counted.items(), key=lambda item: (-item[1], item[0])):
            key = f"profiles {what} {name}"
            rows.append((f"{what}: {name}", (tally.count(key, n), tally.share(key, base))))
            tally.complement(key, base)
    return OutcomeTable(
        "profiles",
        "Match group, profiles and case-handling focus (several profiles at once)",
        ("n", "% of segmented"),
        tuple(rows),
    )


Segment = tuple[str | None, tuple[str, ...], str | None, date]


def days_in_match_group(course: CourseMilestones, as_of: date | None) -> int | None:
    """Days from the course's entry into the match group it is in now, to `as_of`."""
    since: date | None = None
    current: str | None = None
    for group, _, _, day in course.segments:
        if group is not None and group != current:
            current, since = group, day
    return None if since is None or as_of is None else (as_of - since).days


def _ever(
    courses: Sequence[CourseOutcome],
    facts: ProgrammeFacts,
    values: Callable[[Segment], tuple[str, ...]],
) -> dict[str, int]:
    """How many of the courses ever had each value (a profile, a focus) recorded."""
    ever: dict[str, int] = {}
    for course in courses:
        held = {value for segment in facts.of(course).segments for value in values(segment)}
        for value in held:
            ever[value] = ever.get(value, 0) + 1
    return ever


BUILDERS: dict[str, Builder] = {
    "completion": completion_table,
    "outcome_kinds": outcome_kinds_table,
    "contacts": contacts_table,
    "no_shows": no_shows_table,
    "profiles": profiles_table,
}
"""The programme tables by name."""
