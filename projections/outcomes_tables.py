"""The evaluators' tables, computed from a cohort's courses as of a date.

Each builder takes the folded courses (`CourseOutcome`) and adds one table to
a `Tally`, naming every count it shows and saying which counts sum to which.
The table names follow the VIVE midterm report of "På vej til arbejde":
status (5.1), forms (2.1), outcomes and job path (6.1), network meetings
(5.4), self-rated health (6.5), WHO-5 (6.6); then goal attainment and the
follow-up after exit (the MB evaluation's style).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from statistics import mean

from domain.values import WHO5_ITEMS, FollowUpOutcome, HealthLevel, UnplannedExitReason
from projections.outcomes_course import CourseOutcome
from projections.outcomes_report import BLANK, Cell, OutcomeTable, Report, Tally, half_up
from projections.vive_tables import VIVE_BUILDERS, VIVE_TABLE_NAMES

JOB_TARGET = 20
"""Programme goal: at least 20 % in ordinary paid work at the end."""
EDUCATION_TARGET = 15
"""Programme goal: a further 15 % or more started an education."""
COMPARED_POINTS = (1, 3)
"""Health and well-being are compared at the start and at 6 months (points 1 and 3)."""

CITIZEN, STAFF = "citizen", "staff"
BASE = "with baseline"
"""The count most percentages are of: courses whose start measurement was taken."""

Rows = list[tuple[str, tuple[Cell, ...]]]


def build_report(courses: Sequence[CourseOutcome], *, follow_up_forms: bool = False) -> Report:
    """Every table for the courses given (a cohort as of a date); with `follow_up_forms`,
    also the forms taken after exit (which the in-course tables never count)."""
    tally = Tally()
    builders = [*BUILDERS, follow_up_forms_table] if follow_up_forms else BUILDERS
    tables = [builder(tally, courses) for builder in builders]
    return Report(tuple(tables), dict(tally.counts), tuple(tally.groups))


def _n(tally: Tally, key: str, value: int) -> tuple[Cell, Cell]:
    """A count and a blank percentage cell."""
    return tally.count(key, value), BLANK


def _n_pct(tally: Tally, key: str, value: int, base: str) -> tuple[Cell, Cell]:
    """A count and its percentage of `base`."""
    return tally.count(key, value), tally.share(key, base)


# Table 5.1 --------------------------------------------------------------------


def status_table(tally: Tally, courses: Sequence[CourseOutcome]) -> OutcomeTable:
    """Referred, left before baseline, with baseline; of those ongoing, planned, unplanned."""
    base = [c for c in courses if c.has_baseline]
    planned = [c for c in base if c.exit_after is not None]
    unplanned = [c for c in base if c.exit_reason is not None]
    before = [c for c in courses if not c.has_baseline]
    rows: Rows = [
        ("referred", _n(tally, "referred", len(courses))),
        ("exited before baseline", _n(tally, "exited before baseline", _closed(before))),
        ("awaiting baseline", _n(tally, "awaiting baseline", len(before) - _closed(before))),
        (BASE, _n_pct(tally, BASE, len(base), BASE)),
        ("ongoing", _n_pct(tally, "ongoing", len(base) - _closed(base), BASE)),
        ("planned exit", _n_pct(tally, "planned exit", len(planned), BASE)),
    ]
    for after in ("job", "education"):
        key = f"planned exit after {after}"
        value = sum(c.exit_after == after for c in planned)
        rows.append((f"  after {after}", _n_pct(tally, key, value, BASE)))
    rows.append(("unplanned exit", _n_pct(tally, "unplanned exit", len(unplanned), BASE)))
    reasons = [reason.value for reason in UnplannedExitReason]
    reasons += sorted({c.exit_reason for c in unplanned if c.exit_reason} - set(reasons))
    for reason in reasons:
        value = sum(c.exit_reason == reason for c in unplanned)
        rows.append((f"  {reason}", _n_pct(tally, f"unplanned: {reason}", value, BASE)))
    tally.partition("referred", ("exited before baseline", "awaiting baseline", BASE))
    tally.partition(BASE, ("ongoing", "planned exit", "unplanned exit"))
    tally.partition("planned exit", ("planned exit after job", "planned exit after education"))
    tally.partition("unplanned exit", tuple(f"unplanned: {r}" for r in reasons))
    return OutcomeTable(
        "status", "Course status (VIVE table 5.1)", ("n", f"% of {BASE}"), tuple(rows)
    )


def _closed(courses: Sequence[CourseOutcome]) -> int:
    """How many of the courses have ended."""
    return sum(not c.is_open for c in courses)


# Table 2.1 --------------------------------------------------------------------


def last_point(courses: Sequence[CourseOutcome]) -> int:
    """The highest measurement point any course reached (at least 1)."""
    return max((point for c in courses for point, _ in c.forms), default=1)


def forms_table(tally: Tally, courses: Sequence[CourseOutcome]) -> OutcomeTable:
    """Citizen and staff forms recorded at each measurement point."""
    points = range(1, last_point(courses) + 1)
    rows: Rows = []
    for form in (CITIZEN, STAFF):
        cells = tuple(
            tally.count(f"{form} forms at {p}", sum((p, form) in c.forms for c in courses))
            for p in points
        )
        rows.append((f"{form} forms", cells))
    columns = tuple(f"point {p}" for p in points)
    return OutcomeTable(
        "forms", "Forms per measurement point (VIVE table 2.1)", columns, tuple(rows)
    )


def follow_up_forms_table(tally: Tally, courses: Sequence[CourseOutcome]) -> OutcomeTable:
    """Citizen and staff forms taken after exit, at each follow-up point."""
    taken = {point for c in courses for point, _ in c.follow_up_forms}
    points = range(min(taken, default=2), max(taken, default=1) + 1)
    rows: Rows = []
    for form in (CITIZEN, STAFF):
        cells = tuple(
            tally.count(f"{form} follow-up forms at {p}", sum(
                (p, form) in c.follow_up_forms for c in courses
            ))
            for p in points
        )  # fmt: skip
        rows.append((f"{form} forms", cells))
    columns = tuple(f"point {p}" for p in points)
    return OutcomeTable(
        "follow_up_forms", "Forms per follow-up point, after exit", columns, tuple(rows)
    )


# Table 6.1 --------------------------------------------------------------------


def outcomes_table(tally: Tally, courses: Sequence[CourseOutcome]) -> OutcomeTable:
    """Ever in ordinary work, ever started education, ever started praktik."""
    base = [c for c in courses if c.has_baseline]
    ever: dict[str, Callable[[CourseOutcome], bool]] = {
        "job with ordinary hours": lambda c: bool(c.jobs),
        "started education": lambda c: bool(c.education_starts),
        "started praktik": lambda c: bool(c.praktik_starts),
    }
    rows: Rows = [(BASE, _n_pct(tally, BASE, len(base), BASE))]
    for label, test in ever.items():
        rows.append((label, _n_pct(tally, label, sum(test(c) for c in base), BASE)))
        tally.complement(label, BASE)
    return OutcomeTable(
        "outcomes", "Outcomes among those with a baseline (VIVE table 6.1)",
        ("n", f"% of {BASE}"), tuple(rows),
    )  # fmt: skip


def job_path_table(tally: Tally, courses: Sequence[CourseOutcome]) -> OutcomeTable:
    """How those in work got there, and whether they still have support."""
    working = [c for c in courses if c.has_baseline and c.first_job is not None]
    job = "job with ordinary hours"
    counts = {
        "praktik before the job": sum(c.jobs[0].after_praktik for c in working),
        "direct job search": sum(not c.jobs[0].after_praktik for c in working),
        "still supported": sum(c.is_open for c in working),
        "exited": sum(not c.is_open for c in working),
    }
    rows: Rows = [("in job", (Cell(len(working), (job,), job), BLANK))]
    for label, value in counts.items():
        rows.append((f"  {label}", _n_pct(tally, f"job: {label}", value, job)))
    tally.partition(job, ("job: praktik before the job", "job: direct job search"))
    tally.partition(job, ("job: still supported", "job: exited"))
    hours = [c.jobs[0].hours for c in working]
    figures = {
        "min": min(hours, default=None),
        "mean": half_up(mean(hours)) if hours else None,
        "max": max(hours, default=None),
    }
    for name, figure in figures.items():
        rows.append((f"hours per week, {name}", (tally.figure(_number(figure), job), BLANK)))
    return OutcomeTable(
        "job_path", "Way into work (VIVE table 6.1)", ("n", "% of in job"), tuple(rows)
    )


def _number(value: float | None) -> int | float | None:
    """A figure as an int when it is whole (13 rather than 13.0)."""
    return int(value) if value is not None and value == int(value) else value


# Table 5.4 --------------------------------------------------------------------


def network_table(tally: Tally, courses: Sequence[CourseOutcome]) -> OutcomeTable:
    """Network meeting in the last 3 months: the staff form's answer beside what was recorded."""
    points = range(1, last_point(courses) + 1)
    labels = (
        "staff forms answering (n)",
        "answered yes",
        "% yes",
        "meeting recorded in the 91 days before",
        "% recorded",
    )
    columns: list[tuple[Cell, ...]] = []
    for p in points:
        forms = [(c, c.form(p, STAFF)) for c in courses]
        answers = [(c, f) for c, f in forms if f is not None and f.network is not None]
        n, yes, held = f"network answers at {p}", f"network yes at {p}", f"meeting before {p}"
        columns.append(
            (
                tally.count(n, len(answers)),
                *_n_pct(tally, yes, sum(f.network == "yes" for _, f in answers), n),
                *_n_pct(tally, held, sum(c.meeting_held_before(f.on) for c, f in answers), n),
            )
        )
        tally.complement(yes, n)
        tally.complement(held, n)
    rows = tuple((label, tuple(column[i] for column in columns)) for i, label in enumerate(labels))
    headings = tuple(f"point {p}" for p in points)
    title = "Network meeting in the last 3 months: staff answer vs recorded (VIVE table 5.4)"
    return OutcomeTable("network", title, headings, rows)


# Tables 6.5 and 6.6 -----------------------------------------------------------


def panel(courses: Sequence[CourseOutcome]) -> list[CourseOutcome]:
    """Citizens with a citizen form at both compared points."""
    return [c for c in courses if all((p, CITIZEN) in c.forms for p in COMPARED_POINTS)]


def _compared_columns() -> tuple[str, ...]:
    return tuple(heading for p in COMPARED_POINTS for heading in (f"point {p}", f"point {p} %"))


def health_table(tally: Tally, courses: Sequence[CourseOutcome], measure: str) -> OutcomeTable:
    """Self-rated mental or physical health at the compared points, same citizens."""
    both = panel(courses)
    levels = [level.value for level in HealthLevel]
    rows: dict[str, list[Cell]] = {"citizens with both forms": [], "answered (n)": []}
    rows.update({level: [] for level in levels})
    for p in COMPARED_POINTS:
        answers = [getattr(c.forms[(p, CITIZEN)], measure) for c in both]
        n = f"{measure} answered at {p}"
        rows["citizens with both forms"] += [tally.count("both citizen forms", len(both)), BLANK]
        rows["answered (n)"] += [tally.count(n, sum(a is not None for a in answers)), BLANK]
        for level in levels:
            key = f"{measure} {level} at {p}"
            rows[level] += _n_pct(tally, key, answers.count(level), n)
        tally.partition(n, tuple(f"{measure} {level} at {p}" for level in levels))
    title = f"Self-rated {measure} health, point {COMPARED_POINTS[0]} vs {COMPARED_POINTS[1]}"
    return OutcomeTable(
        f"{measure}_health",
        f"{title} (VIVE table 6.5)",
        _compared_columns(),
        tuple((label, tuple(cells)) for label, cells in rows.items()),
    )


def mental_health_table(tally: Tally, courses: Sequence[CourseOutcome]) -> OutcomeTable:
    """Self-rated mental health (table 6.5)."""
    return health_table(tally, courses, "mental")


def physical_health_table(tally: Tally, courses: Sequence[CourseOutcome]) -> OutcomeTable:
    """Self-rated physical health (table 6.5)."""
    return health_table(tally, courses, "physical")


def who5_table(tally: Tally, courses: Sequence[CourseOutcome]) -> OutcomeTable:
    """WHO-5 items and mean index at the compared points, same citizens."""
    both = panel(courses)
    rows: dict[str, list[Cell]] = {"answered (n)": [], "mean index (0-100)": []}
    for p in COMPARED_POINTS:
        forms = [c.forms[(p, CITIZEN)] for c in both]
        scored = [f.who5 for f in forms if f.who5 is not None]
        n = f"WHO-5 answered at {p}"
        rows["answered (n)"] += [tally.count(n, len(scored)), BLANK]
        indexes = [4 * sum(items) for items in scored]
        average = half_up(mean(indexes)) if indexes else None
        rows["mean index (0-100)"] += [tally.figure(average, n), BLANK]
        for i, item in enumerate(WHO5_ITEMS):
            keys = []
            for score in range(6):
                key = f"WHO-5 {item}={score} at {p}"
                keys.append(key)
                value = sum(items[i] == score for items in scored)
                rows.setdefault(f"{item} = {score}", []).extend(_n_pct(tally, key, value, n))
            tally.partition(n, tuple(keys))
    title = f"WHO-5 well-being, point {COMPARED_POINTS[0]} vs {COMPARED_POINTS[1]}"
    return OutcomeTable(
        "who5",
        f"{title} (VIVE table 6.6)",
        _compared_columns(),
        tuple((label, tuple(cells)) for label, cells in rows.items()),
    )


# Goals and follow-up -----------------------------------------------------------


def goals_table(tally: Tally, courses: Sequence[CourseOutcome]) -> OutcomeTable:
    """The programme's goals against what was reached (uses the outcome counts)."""
    rows: Rows = []
    for label, key, target in (
        ("ordinary work", "job with ordinary hours", JOB_TARGET),
        ("education", "started education", EDUCATION_TARGET),
    ):
        reached, base = tally.counts[key], tally.counts[BASE]
        met = "yes" if base and 100 * reached >= target * base else "no"
        cells = (
            Cell(reached, (key,), key),
            tally.share(key, BASE),
            Cell(target),
            tally.figure(met, key, BASE),
        )
        rows.append((label, cells))
    columns = ("n", f"% of {BASE}", "target %", "met")
    return OutcomeTable(
        "goals", "Goal attainment against the programme's targets", columns, tuple(rows)
    )


def follow_up_table(tally: Tally, courses: Sequence[CourseOutcome]) -> OutcomeTable:
    """After a planned exit: who answered the follow-up, and how many were in work."""
    completers = [c for c in courses if c.exit_after is not None]
    answers = [c.follow_up for c in completers]
    responding = [a for a in answers if a not in (None, FollowUpOutcome.NO_RESPONSE.value)]
    done, answered, silent = "completers", "follow-up answered", "follow-up not answered"
    rows: Rows = [
        ("completed (planned exit)", _n(tally, done, len(completers))),
        ("answered the follow-up", _n_pct(tally, answered, len(responding), done)),
        ("did not answer", _n_pct(tally, silent, len(completers) - len(responding), done)),
    ]
    found = [outcome.value for outcome in FollowUpOutcome if outcome.value != "no_response"]
    for outcome in found:
        cells = _n_pct(tally, f"follow-up {outcome}", responding.count(outcome), answered)
        rows.append((f"  {outcome}, of those answering", cells))
    employed = "follow-up employed"
    worst_case = _n_pct(tally, employed, tally.counts[employed], done)
    rows.append(("employed, worst case (of all completers)", worst_case))
    tally.partition(done, (answered, silent))
    tally.partition(answered, tuple(f"follow-up {outcome}" for outcome in found))
    return OutcomeTable("follow_up", "Follow-up after a planned exit", ("n", "%"), tuple(rows))


BUILDERS: tuple[Callable[[Tally, Sequence[CourseOutcome]], OutcomeTable], ...] = (
    status_table,
    forms_table,
    outcomes_table,
    job_path_table,
    network_table,
    mental_health_table,
    physical_health_table,
    who5_table,
    *VIVE_BUILDERS,
    goals_table,
    follow_up_table,
)
"""The tables of a report, in order."""

VIVE_NUMBERS: dict[str, str] = {
    "status": "5.1",
    "forms": "2.1",
    "outcomes": "6.1",
    "job_path": "6.1",
    "network": "5.4",
    "mental_health": "6.5",
    "physical_health": "6.5",
    "who5": "6.6",
}
"""The VIVE table number of each table named otherwise (the others are named by it)."""


def table_names() -> dict[str, tuple[str, ...]]:
    """What `--table` accepts: each table's name and VIVE number -> the tables it means."""
    names: dict[str, list[str]] = {}
    for name in [*VIVE_NUMBERS, *VIVE_TABLE_NAMES, "goals", "follow_up", "follow_up_forms"]:
        names.setdefault(name, []).append(name)
    for name, number in VIVE_NUMBERS.items():
        names.setdefault(number, []).append(name)
    return {key: tuple(value) for key, value in names.items()}
