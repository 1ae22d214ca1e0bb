"""The evaluators' tables, computed from a cohort's courses as of a date.

Each table is a `Builder` (`projections.outcomes_counting`): the keys one
course adds to it, and the table laid out on a `Tally` from their sums over
the cohort, naming every count it shows and saying which counts sum to which.
The table names follow the VIVE midterm report of "På vej til arbejde":
status (5.1), forms (2.1), outcomes and job path (6.1), network meetings
(5.4), self-rated health (6.5), WHO-5 (6.6); then goal attainment and the
follow-up after exit (the MB evaluation's style).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fractions import Fraction

from domain.values import WHO5_ITEMS, FollowUpOutcome, HealthLevel, UnplannedExitReason
from projections.outcomes_counting import (
    HELPER,
    Builder,
    Counts,
    count_keys,
    exact_mean,
    histogram,
)
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
    return report_from_counts(count_keys(courses, ALL_BUILDERS), follow_up_forms=follow_up_forms)


def report_from_counts(counts: Counts, *, follow_up_forms: bool = False) -> Report:
    """Every table, laid out from the sums of the cohort's keys (`count_keys`)."""
    tally = Tally()
    builders = [*BUILDERS, FOLLOW_UP_FORMS] if follow_up_forms else BUILDERS
    tables = [builder.table(tally, counts) for builder in builders]
    return Report(tuple(tables), dict(tally.counts), tuple(tally.groups))


def _n(tally: Tally, key: str, value: int) -> tuple[Cell, Cell]:
    """A count and a blank percentage cell."""
    return tally.count(key, value), BLANK


def _n_pct(tally: Tally, key: str, value: int, base: str) -> tuple[Cell, Cell]:
    """A count and its percentage of `base`."""
    return tally.count(key, value), tally.share(key, base)


def _counted(tally: Tally, counts: Counts, key: str, base: str | None = None) -> tuple[Cell, Cell]:
    """The count of `key` from the sums, and its percentage of `base` (blank without)."""
    value = counts.get(key, 0)
    return _n(tally, key, value) if base is None else _n_pct(tally, key, value, base)


# Table 5.1 --------------------------------------------------------------------

PLANNED_AFTER = "planned exit after "


def status_keys(c: CourseOutcome) -> Iterator[str]:
    """Referred; then before or with a baseline, and with a baseline how it stands."""
    yield "referred"
    if not c.has_baseline:
        yield "awaiting baseline" if c.is_open else "exited before baseline"
        return
    yield BASE
    if c.is_open:
        yield "ongoing"
    if c.exit_after is not None:
        yield "planned exit"
        yield f"{PLANNED_AFTER}{c.exit_after}"
    if c.exit_reason is not None:
        yield "unplanned exit"
        yield f"unplanned: {c.exit_reason}"


INTO = ("job", "education")
"""What a planned exit from the course's own state is after; any other is a destination."""


def planned_exits(counts: Counts) -> list[str]:
    """After job, after education, then each destination found (onto disability pension,
    or one a programme adds), by code."""
    found = {key.removeprefix(PLANNED_AFTER) for key in counts if key.startswith(PLANNED_AFTER)}
    return [*INTO, *sorted(found - set(INTO))]


def status_table(tally: Tally, counts: Counts) -> OutcomeTable:
    """Referred, left before baseline, with baseline; of those ongoing, planned, unplanned."""
    rows: Rows = [
        (label, _counted(tally, counts, label, BASE if label in (BASE, "ongoing") else None))
        for label in ("referred", "exited before baseline", "awaiting baseline", BASE, "ongoing")
    ]
    rows.append(("planned exit", _counted(tally, counts, "planned exit", BASE)))
    afters = planned_exits(counts)
    for after in afters:
        cells = _counted(tally, counts, f"planned exit after {after}", BASE)
        rows.append((f"  {'after' if after in INTO else 'onto'} {after}", cells))
    rows.append(("unplanned exit", _counted(tally, counts, "unplanned exit", BASE)))
    reasons = [reason.value for reason in UnplannedExitReason]
    added = {key.removeprefix("unplanned: ") for key in counts if key.startswith("unplanned: ")}
    reasons += sorted(added - set(reasons))  # a programme's own reasons
    for reason in reasons:
        rows.append((f"  {reason}", _counted(tally, counts, f"unplanned: {reason}", BASE)))
    tally.partition("referred", ("exited before baseline", "awaiting baseline", BASE))
    tally.partition(BASE, ("ongoing", "planned exit", "unplanned exit"))
    tally.partition("planned exit", tuple(f"planned exit after {after}" for after in afters))
    tally.partition("unplanned exit", tuple(f"unplanned: {r}" for r in reasons))
    return OutcomeTable(
        "status", "Course status (VIVE table 5.1)", ("n", f"% of {BASE}"), tuple(rows)
    )


# Table 2.1 --------------------------------------------------------------------

POINT = f"{HELPER}point "
FOLLOW_UP_POINT = f"{HELPER}follow-up point "


def last_point(courses: Sequence[CourseOutcome]) -> int:
    """The highest measurement point any course reached (at least 1)."""
    return max((point for c in courses for point, _ in c.forms), default=1)


def counted_last_point(counts: Counts) -> int:
    """`last_point` of the cohort, from its sums."""
    return max((int(point) for point, _ in histogram(counts, POINT)), default=1)


def forms_keys(c: CourseOutcome) -> Iterator[str]:
    """Each form the course has, and each point it has one at."""
    for point, form in c.forms:
        yield f"{form} forms at {point}"
        yield f"{POINT}{point}"


def forms_table(tally: Tally, counts: Counts) -> OutcomeTable:
    """Citizen and staff forms recorded at each measurement point."""
    points = range(1, counted_last_point(counts) + 1)
    rows: Rows = []
    for form in (CITIZEN, STAFF):
        cells = tuple(
            tally.count(f"{form} forms at {p}", counts.get(f"{form} forms at {p}", 0))
            for p in points
        )
        rows.append((f"{form} forms", cells))
    columns = tuple(f"point {p}" for p in points)
    return OutcomeTable(
        "forms", "Forms per measurement point (VIVE table 2.1)", columns, tuple(rows)
    )


def follow_up_forms_keys(c: CourseOutcome) -> Iterator[str]:
    """Each form the course has after its exit, and each follow-up point it has one at."""
    for point, form in c.follow_up_forms:
        yield f"{form} follow-up forms at {point}"
        yield f"{FOLLOW_UP_POINT}{point}"


def follow_up_forms_table(tally: Tally, counts: Counts) -> OutcomeTable:
    """Citizen and staff forms taken after exit, at each follow-up point."""
    taken = {int(point) for point, _ in histogram(counts, FOLLOW_UP_POINT)}
    points = range(min(taken, default=2), max(taken, default=1) + 1)
    rows: Rows = []
    for form in (CITIZEN, STAFF):
        cells = tuple(
            tally.count(key, counts.get(key, 0))
            for key in (f"{form} follow-up forms at {p}" for p in points)
        )
        rows.append((f"{form} forms", cells))
    columns = tuple(f"point {p}" for p in points)
    return OutcomeTable(
        "follow_up_forms", "Forms per follow-up point, after exit", columns, tuple(rows)
    )


# Table 6.1 --------------------------------------------------------------------

JOB = "job with ordinary hours"
EVER = (JOB, "started education", "started praktik")
HOURS = f"{HELPER}job hours "


def outcomes_keys(c: CourseOutcome) -> Iterator[str]:
    """With a baseline: ever in ordinary work, ever in education, ever in praktik."""
    if not c.has_baseline:
        return
    if c.jobs:
        yield JOB
    if c.education_starts:
        yield "started education"
    if c.praktik_starts:
        yield "started praktik"


def outcomes_table(tally: Tally, counts: Counts) -> OutcomeTable:
    """Ever in ordinary work, ever started education, ever started praktik."""
    rows: Rows = [(BASE, _counted(tally, counts, BASE, BASE))]
    for label in EVER:
        rows.append((label, _counted(tally, counts, label, BASE)))
        tally.complement(label, BASE)
    return OutcomeTable(
        "outcomes", "Outcomes among those with a baseline (VIVE table 6.1)",
        ("n", f"% of {BASE}"), tuple(rows),
    )  # fmt: skip


def job_path_keys(c: CourseOutcome) -> Iterator[str]:
    """With a baseline and a job: the way into it, whether still supported, its hours."""
    job = c.first_job
    if not c.has_baseline or job is None:
        return
    yield "job: praktik before the job" if job.after_praktik else "job: direct job search"
    yield "job: still supported" if c.is_open else "job: exited"
    yield f"{HOURS}{job.hours!r}"


def job_path_table(tally: Tally, counts: Counts) -> OutcomeTable:
    """How those in work got there, and whether they still have support."""
    rows: Rows = [("in job", (Cell(counts.get(JOB, 0), (JOB,), JOB), BLANK))]
    for label in ("praktik before the job", "direct job search", "still supported", "exited"):
        rows.append((f"  {label}", _counted(tally, counts, f"job: {label}", JOB)))
    tally.partition(JOB, ("job: praktik before the job", "job: direct job search"))
    tally.partition(JOB, ("job: still supported", "job: exited"))
    hours = [(float(value), n) for value, n in histogram(counts, HOURS)]
    average = exact_mean(((Fraction(h), n) for h, n in hours), ints=False)
    figures = {
        "min": min((h for h, _ in hours), default=None),
        "mean": None if average is None else half_up(average),
        "max": max((h for h, _ in hours), default=None),
    }
    for name, figure in figures.items():
        rows.append((f"hours per week, {name}", (tally.figure(_number(figure), JOB), BLANK)))
    return OutcomeTable(
        "job_path", "Way into work (VIVE table 6.1)", ("n", "% of in job"), tuple(rows)
    )


def _number(value: float | None) -> int | float | None:
    """A figure as an int when it is whole (13 rather than 13.0)."""
    return int(value) if value is not None and value == int(value) else value


# Table 5.4 --------------------------------------------------------------------


def network_keys(c: CourseOutcome) -> Iterator[str]:
    """At each point with a staff form answering it: the answer, and whether a meeting was
    recorded in the 91 days before."""
    for (point, form), found in c.forms.items():
        if form != STAFF or found.network is None:
            continue
        yield f"network answers at {point}"
        if found.network == "yes":
            yield f"network yes at {point}"
        if c.meeting_held_before(found.on):
            yield f"meeting before {point}"


def network_table(tally: Tally, counts: Counts) -> OutcomeTable:
    """Network meeting in the last 3 months: the staff form's answer beside what was recorded."""
    points = range(1, counted_last_point(counts) + 1)
    labels = (
        "staff forms answering (n)",
        "answered yes",
        "% yes",
        "meeting recorded in the 91 days before",
        "% recorded",
    )
    columns: list[tuple[Cell, ...]] = []
    for p in points:
        n, yes, held = f"network answers at {p}", f"network yes at {p}", f"meeting before {p}"
        columns.append(
            (
                tally.count(n, counts.get(n, 0)),
                *_counted(tally, counts, yes, n),
                *_counted(tally, counts, held, n),
            )
        )
        tally.complement(yes, n)
        tally.complement(held, n)
    rows = tuple((label, tuple(column[i] for column in columns)) for i, label in enumerate(labels))
    headings = tuple(f"point {p}" for p in points)
    title = "Network meeting in the last 3 months: staff answer vs recorded (VIVE table 5.4)"
    return OutcomeTable("network", title, headings, rows)


# Tables 6.5 and 6.6 -----------------------------------------------------------

PANEL = "both citizen forms"
WHO5_INDEX = f"{HELPER}WHO-5 index "


def panel(courses: Sequence[CourseOutcome]) -> list[CourseOutcome]:
    """Citizens with a citizen form at both compared points."""
    return [c for c in courses if in_panel(c)]


def in_panel(course: CourseOutcome) -> bool:
    """Whether the citizen has a citizen form at both compared points."""
    return all((p, CITIZEN) in course.forms for p in COMPARED_POINTS)


def _compared_columns() -> tuple[str, ...]:
    return tuple(heading for p in COMPARED_POINTS for heading in (f"point {p}", f"point {p} %"))


def health_keys(c: CourseOutcome) -> Iterator[str]:
    """In the panel: the self-rated mental and physical health at the compared points."""
    if not in_panel(c):
        return
    yield PANEL
    for p in COMPARED_POINTS:
        form = c.forms[(p, CITIZEN)]
        for measure in ("mental", "physical"):
            answer = getattr(form, measure)
            if answer is not None:
                yield f"{measure} answered at {p}"
                yield f"{measure} {answer} at {p}"


def health_table(tally: Tally, counts: Counts, measure: str) -> OutcomeTable:
    """Self-rated mental or physical health at the compared points, same citizens."""
    levels = [level.value for level in HealthLevel]
    rows: dict[str, list[Cell]] = {"citizens with both forms": [], "answered (n)": []}
    rows.update({level: [] for level in levels})
    for p in COMPARED_POINTS:
        n = f"{measure} answered at {p}"
        rows["citizens with both forms"] += [tally.count(PANEL, counts.get(PANEL, 0)), BLANK]
        rows["answered (n)"] += [tally.count(n, counts.get(n, 0)), BLANK]
        for level in levels:
            rows[level] += _counted(tally, counts, f"{measure} {level} at {p}", n)
        tally.partition(n, tuple(f"{measure} {level} at {p}" for level in levels))
    title = f"Self-rated {measure} health, point {COMPARED_POINTS[0]} vs {COMPARED_POINTS[1]}"
    return OutcomeTable(
        f"{measure}_health",
        f"{title} (VIVE table 6.5)",
        _compared_columns(),
        tuple((label, tuple(cells)) for label, cells in rows.items()),
    )


def mental_health_table(tally: Tally, counts: Counts) -> OutcomeTable:
    """Self-rated mental health (table 6.5)."""
    return health_table(tally, counts, "mental")


def physical_health_table(tally: Tally, counts: Counts) -> OutcomeTable:
    """Self-rated physical health (table 6.5)."""
    return health_table(tally, counts, "physical")


def who5_keys(c: CourseOutcome) -> Iterator[str]:
    """In the panel, with every WHO-5 item answered: each item's score and the index."""
    if not in_panel(c):
        return
    for p in COMPARED_POINTS:
        items = c.forms[(p, CITIZEN)].who5
        if items is None:
            continue
        yield f"WHO-5 answered at {p}"
        yield f"{WHO5_INDEX}{4 * sum(items)} at {p}"
        for item, score in zip(WHO5_ITEMS, items, strict=True):
            yield f"WHO-5 {item}={score} at {p}"


def who5_table(tally: Tally, counts: Counts) -> OutcomeTable:
    """WHO-5 items and mean index at the compared points, same citizens."""
    rows: dict[str, list[Cell]] = {"answered (n)": [], "mean index (0-100)": []}
    for p in COMPARED_POINTS:
        n = f"WHO-5 answered at {p}"
        rows["answered (n)"] += [tally.count(n, counts.get(n, 0)), BLANK]
        indexes = histogram(counts, WHO5_INDEX, f" at {p}")
        average = exact_mean(((Fraction(int(i)), times) for i, times in indexes), ints=True)
        rows["mean index (0-100)"] += [
            tally.figure(None if average is None else half_up(average), n),
            BLANK,
        ]
        for item in WHO5_ITEMS:
            keys = []
            for score in range(6):
                key = f"WHO-5 {item}={score} at {p}"
                keys.append(key)
                rows.setdefault(f"{item} = {score}", []).extend(_counted(tally, counts, key, n))
            tally.partition(n, tuple(keys))
    title = f"WHO-5 well-being, point {COMPARED_POINTS[0]} vs {COMPARED_POINTS[1]}"
    return OutcomeTable(
        "who5",
        f"{title} (VIVE table 6.6)",
        _compared_columns(),
        tuple((label, tuple(cells)) for label, cells in rows.items()),
    )


# Goals and follow-up -----------------------------------------------------------


def no_keys(c: CourseOutcome) -> Iterator[str]:
    """A table made of other tables' counts adds none of its own."""
    return iter(())


def goals_table(tally: Tally, counts: Counts) -> OutcomeTable:
    """The programme's goals against what was reached (uses the outcome counts)."""
    rows: Rows = []
    for label, key, target in (
        ("ordinary work", JOB, JOB_TARGET),
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


COMPLETERS, ANSWERED, SILENT = "completers", "follow-up answered", "follow-up not answered"


def follow_up_keys(c: CourseOutcome) -> Iterator[str]:
    """After a planned exit: whether the follow-up was answered, and its outcome."""
    if c.exit_after is None:
        return
    yield COMPLETERS
    if c.follow_up in (None, FollowUpOutcome.NO_RESPONSE.value):
        yield SILENT
    else:
        yield ANSWERED
        yield f"follow-up {c.follow_up}"


def follow_up_table(tally: Tally, counts: Counts) -> OutcomeTable:
    """After a planned exit: who answered the follow-up, and how many were in work."""
    rows: Rows = [
        ("completed (planned exit)", _counted(tally, counts, COMPLETERS)),
        ("answered the follow-up", _counted(tally, counts, ANSWERED, COMPLETERS)),
        ("did not answer", _counted(tally, counts, SILENT, COMPLETERS)),
    ]
    found = [outcome.value for outcome in FollowUpOutcome if outcome.value != "no_response"]
    for outcome in found:
        cells = _counted(tally, counts, f"follow-up {outcome}", ANSWERED)
        rows.append((f"  {outcome}, of those answering", cells))
    employed = "follow-up employed"
    worst_case = _n_pct(tally, employed, tally.counts[employed], COMPLETERS)
    rows.append(("employed, worst case (of all completers)", worst_case))
    tally.partition(COMPLETERS, (ANSWERED, SILENT))
    tally.partition(ANSWERED, tuple(f"follow-up {outcome}" for outcome in found))
    return OutcomeTable("follow_up", "Follow-up after a planned exit", ("n", "%"), tuple(rows))


BUILDERS: tuple[Builder, ...] = (
    Builder(status_keys, status_table),
    Builder(forms_keys, forms_table),
    Builder(outcomes_keys, outcomes_table),
    Builder(job_path_keys, job_path_table),
    Builder(network_keys, network_table),
    Builder(health_keys, mental_health_table),
    Builder(no_keys, physical_health_table),
    Builder(who5_keys, who5_table),
    *VIVE_BUILDERS,
    Builder(no_keys, goals_table),
    Builder(follow_up_keys, follow_up_table),
)
"""The tables of a report, in order."""

FOLLOW_UP_FORMS = Builder(follow_up_forms_keys, follow_up_forms_table)
"""The forms taken after exit: a table only on request, its keys always counted."""

ALL_BUILDERS: tuple[Builder, ...] = (*BUILDERS, FOLLOW_UP_FORMS)
"""Every table whose keys a course adds (what the outcomes view keeps sums of)."""
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
