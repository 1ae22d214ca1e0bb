"""The evaluators' analysis tables: time to event, paths, trends and breakdowns.

Each `*_report` builds a `Report` (as the outcome tables do) from the courses of
a cohort folded as of a date, naming every count and which counts sum to which,
so `Report.shown(below)` suppresses small cells and whatever would give them
away (complementary suppression, `projections.suppression`). Estimates and
percentages are figures over the counts they depend on: hidden with them.
Kaplan–Meier and Aalen–Johansen estimates depend on no single cell and are
shown as they are; their numbers at risk, events and censorings are counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from projections.breakdowns import (
    BREAKDOWN_MEASURES,
    NONE,
    Grouping,
    Overlapping,
    breakdown,
    totals,
)
from projections.outcomes_course import CourseOutcome
from projections.outcomes_report import BLANK, Cell, OutcomeTable, Report, Tally, half_up
from projections.paths import quarter_label, time_in_state, variants, way_into_work
from projections.time_to_event import (
    COMPETING,
    ENDPOINTS,
    Estimate,
    LifeTableRow,
    Observation,
    Origin,
    cumulative_incidence,
    kaplan_meier,
    life_table,
    observations,
)
from projections.trends import TREND_MEASURES, trends

Rows = list[tuple[str, tuple[Cell, ...]]]

INTERVAL_DAYS = 91
"""Numbers at risk and estimates are given per quarter of a year (91 days) by default."""
VARIANTS_SHOWN = 10
"""The most common paths listed; the rest are summed as other paths."""


def _percent(value: float | None) -> float | None:
    return None if value is None else half_up(100 * value)


def _interval(estimate: Estimate) -> str | None:
    if estimate.lower is None or estimate.upper is None:
        return None
    return f"{_percent(estimate.lower)}–{_percent(estimate.upper)}"


def _days(row: LifeTableRow) -> str:
    return f"day {row.first}–{row.last}"


def _life_table_counts(
    tally: Tally, name: str, rows: Sequence[LifeTableRow], events: Sequence[Sequence[int]]
) -> list[tuple[Cell, ...]]:
    """Per interval: at risk, the events (one count per kind) and censorings, as counts
    that sum: at risk = events + censored + at risk in the next interval."""
    cells = []
    for i, row in enumerate(rows):
        at_risk, censored = f"{name} at risk {i}", f"{name} censored {i}"
        kinds = [f"{name} events {i}.{k}" for k in range(len(events[i]))]
        counted = [tally.count(key, n) for key, n in zip(kinds, events[i], strict=True)]
        at_risk_cell = tally.count(at_risk, row.at_risk)
        cells.append((at_risk_cell, *counted, tally.count(censored, row.censored)))
        following = (f"{name} at risk {i + 1}",) if i + 1 < len(rows) else ()
        tally.partition(at_risk, (*kinds, censored, *following))
    return cells


# Time to event --------------------------------------------------------------------


def survival_table(
    tally: Tally, endpoint: str, observed: Sequence[Observation], width: int
) -> OutcomeTable:
    """Kaplan–Meier per interval: at risk, reached, censored, and the share not yet reached
    at the interval's last day with its 95 % interval."""
    rows = life_table(observed, width)
    fitted = kaplan_meier(observed, [row.last for row in rows])
    counts = _life_table_counts(tally, endpoint, rows, [(row.events,) for row in rows])
    table: Rows = []
    for row, cells, estimate in zip(rows, counts, fitted.estimates, strict=True):
        shares = (Cell(_percent(estimate.value)), Cell(_interval(estimate)))
        table.append((_days(row), (*cells, *shares)))
    columns = ("at risk", "reached", "censored", "% not yet reached", "95 % CI")
    title = f"Time to first {endpoint}: Kaplan–Meier"
    return OutcomeTable(f"km_{endpoint.replace(' ', '_')}", title, columns, tuple(table))


def medians_table(tally: Tally, observed: dict[str, list[Observation]]) -> OutcomeTable:
    """Per endpoint: courses, how many reached it, the median days and its 95 % interval
    (figures over the count reached: hidden with it)."""
    rows: Rows = []
    for endpoint, those in observed.items():
        median = kaplan_meier(those, []).median
        courses, reached = f"{endpoint}: courses", f"{endpoint}: reached"
        tally.count(courses, len(those))
        cells = (
            Cell(len(those), (courses,), courses),
            tally.count(reached, sum(o.event is not None for o in those)),
            *(tally.figure(days, reached) for days in (median.days, median.lower, median.upper)),
        )
        tally.complement(reached, courses)
        rows.append((endpoint, cells))
    columns = ("courses", "reached", "median days", "95 % CI from", "95 % CI to")
    return OutcomeTable(
        "medians", "Median days to first event (Kaplan–Meier; none: not reached)", columns,
        tuple(rows),
    )  # fmt: skip


def competing_table(tally: Tally, observed: Sequence[Observation], width: int) -> OutcomeTable:
    """Aalen–Johansen cumulative incidence of the first of job, education and unplanned exit,
    per interval, with the numbers at risk."""
    rows = life_table(observed, width)
    events = [
        [sum(o.event == kind and row.first <= o.days <= row.last for o in observed)
         for kind in COMPETING]
        for row in rows
    ]  # fmt: skip
    counts = _life_table_counts(tally, "competing", rows, events)
    incidence = cumulative_incidence(observed, COMPETING, [row.last for row in rows])
    table: Rows = []
    for i, (row, cells) in enumerate(zip(rows, counts, strict=True)):
        estimates = [incidence[kind][i] for kind in COMPETING]
        shares = [cell for e in estimates for cell in (Cell(_percent(e.value)), Cell(_interval(e)))]
        table.append((_days(row), (*cells, *shares)))
    columns = (
        "at risk", *COMPETING, "censored",
        *(heading for kind in COMPETING for heading in (f"% {kind}", "95 % CI")),
    )  # fmt: skip
    title = "First outcome, competing risks: cumulative incidence (Aalen–Johansen)"
    return OutcomeTable("competing", title, columns, tuple(table))


def time_to_event_report(
    courses: Sequence[CourseOutcome], origin: Origin, as_of: date, width: int = INTERVAL_DAYS
) -> Report:
    """Medians, Kaplan–Meier per endpoint and the competing first outcomes, from `origin`."""
    tally = Tally()
    observed = {end: observations(courses, (end,), origin, as_of) for end in ENDPOINTS}
    tables = [
        medians_table(tally, observed),
        *(survival_table(tally, end, observed[end], width) for end in ENDPOINTS),
        competing_table(tally, observations(courses, COMPETING, origin, as_of), width),
    ]
    return Report(tuple(tables), dict(tally.counts), tuple(tally.groups))


# Paths ----------------------------------------------------------------------------


def time_in_state_table(
    tally: Tally, courses: Sequence[CourseOutcome], as_of: date
) -> OutcomeTable:
    """Per state: stays ended and ongoing, and the ended stays' quartiles in days."""
    rows: Rows = []
    for summary in time_in_state(courses, as_of):
        state = summary.state.value
        ended = f"{state} stays ended"
        figures = (summary.first_quartile, summary.median, summary.third_quartile)
        rows.append((state, (
            tally.count(ended, summary.ended),
            tally.count(f"{state} stays ongoing", summary.ongoing),
            *(tally.figure(figure, ended) for figure in figures),
        )))  # fmt: skip
    columns = ("ended", "ongoing", "Q1 days", "median days", "Q3 days")
    return OutcomeTable(
        "time_in_state", "Time in each state (stays ended as of the date)", columns, tuple(rows)
    )


def variants_table(
    tally: Tally, courses: Sequence[CourseOutcome], shown: int = VARIANTS_SHOWN
) -> OutcomeTable:
    """The most common paths through the states, with counts and shares of all courses."""
    found = variants(courses)
    total = "courses with a path"
    tally.count(total, sum(v.courses for v in found))
    rows: Rows = []
    keys = []
    for i, variant in enumerate(found[:shown], start=1):
        key = f"path {i}"
        keys.append(key)
        rows.append((variant.label, (tally.count(key, variant.courses), tally.share(key, total))))
    if len(found) > shown:
        rest = sum(v.courses for v in found[shown:])
        keys.append("other paths")
        rows.append((f"{len(found) - shown} other paths", (
            tally.count("other paths", rest), tally.share("other paths", total),
        )))  # fmt: skip
    rows.append(("all courses", (Cell(tally.counts[total], (total,), total), BLANK)))
    tally.partition(total, tuple(keys))
    return OutcomeTable("paths", "Most common paths through the states", ("n", "%"), tuple(rows))


def way_into_work_table(tally: Tally, courses: Sequence[CourseOutcome]) -> OutcomeTable:
    """First ordinary jobs per quarter, via praktik or direct."""
    rows: Rows = []
    via_keys, direct_keys, total_keys = [], [], []
    for found in way_into_work(courses):
        label = quarter_label(found.quarter)
        via, direct, total = (f"{label} {kind}" for kind in ("via praktik", "direct", "jobs"))
        via_keys.append(via)
        direct_keys.append(direct)
        total_keys.append(total)
        cells = (
            tally.count(via, found.via_praktik),
            tally.count(direct, found.direct),
            tally.count(total, found.via_praktik + found.direct),
        )
        rows.append((label, (*cells, tally.share(via, total))))
        tally.partition(total, (via, direct))
    sums = {"all via praktik": via_keys, "all direct": direct_keys, "all jobs": total_keys}
    for key, parts in sums.items():
        tally.count(key, sum(tally.counts[part] for part in parts))
        tally.partition(key, tuple(parts))
    tally.partition("all jobs", ("all via praktik", "all direct"))
    totals = tuple(Cell(tally.counts[key], (key,), key) for key in sums)
    rows.append(("all quarters", (*totals, tally.share("all via praktik", "all jobs"))))
    return OutcomeTable(
        "way_into_work", "Way into work per quarter (first ordinary job)",
        ("via praktik", "direct", "first jobs", "% via praktik"), tuple(rows),
    )  # fmt: skip


def paths_report(courses: Sequence[CourseOutcome], as_of: date) -> Report:
    """Time in state, the common paths and the way into work."""
    tally = Tally()
    tables = (
        time_in_state_table(tally, courses, as_of),
        variants_table(tally, courses),
        way_into_work_table(tally, courses),
    )
    return Report(tables, dict(tally.counts), tuple(tally.groups))


# Trends and breakdowns ------------------------------------------------------------------


def trends_table(tally: Tally, courses: Sequence[CourseOutcome]) -> OutcomeTable:
    """Referrals, baselines, exits by kind and jobs per quarter, with totals (the referrals'
    and baselines' totals are the counts the status table and breakdowns name alike)."""
    span, counts = trends(courses)
    labels = [quarter_label(q) for q in span]
    rows: Rows = []
    for measure in TREND_MEASURES:
        keys = [f"{measure} {label}" for label in labels]
        cells = [tally.count(key, n) for key, n in zip(keys, counts[measure], strict=True)]
        total = SAME_TOTAL.get(measure, f"{measure} total")
        cells.append(tally.count(total, sum(counts[measure])))
        tally.partition(total, tuple(keys))
        rows.append((measure, tuple(cells)))
    return OutcomeTable("trends", "Per quarter", (*labels, "total"), tuple(rows))


SAME_TOTAL = {"referrals": "referred", "baselines": "with baseline"}
"""Trend totals that count what the status table counts (every course referred, every
baseline taken), so one name: a total hidden in one table is hidden in the other."""


def breakdown_table(
    tally: Tally, courses: Sequence[CourseOutcome], name: str, grouping: Grouping
) -> OutcomeTable:
    """Status and outcomes per group (consultant, team, benefit type, match group,
    profile), with a total row.

    The total row's counts are named as the status table names them (`referred`,
    `with baseline`, ...): every breakdown of the pull shares them. The groups of a
    partition sum to them; overlapping groups do not (`overlap_sums`)."""
    found = breakdown(courses, grouping)
    rows: Rows = []
    for group, counts in found.items():
        keys = group_keys(name, group)
        rows.append((group, tuple(tally.count(keys[m], counts[m]) for m in BREAKDOWN_MEASURES)))
        _relate(tally, keys)
    overall = totals(courses)
    names = {measure: measure for measure in BREAKDOWN_MEASURES}
    for measure, key in names.items():
        tally.count(key, overall[measure])
        if not isinstance(grouping, Overlapping):
            tally.partition(key, tuple(group_keys(name, group)[measure] for group in found))
    _relate(tally, names)
    if isinstance(grouping, Overlapping):
        overlap_sums(tally, name, found, overall)
    rows.append(("total", tuple(Cell(tally.counts[k], (k,), k) for k in names.values())))
    title = f"By {name}"
    if isinstance(grouping, Overlapping):
        title += (
            f" (as of the date; a course counts under each of its {name}s, so the groups "
            "add up to more than the total)"
        )
    elif name == "match group":
        title += " (as of the date)"
    return OutcomeTable(f"by_{name.replace(' ', '_')}", title, BREAKDOWN_MEASURES, tuple(rows))


def overlap_sums(
    tally: Tally, name: str, found: dict[str, dict[str, int]], overall: dict[str, int]
) -> None:
    """What a reader knows of overlapping groups, as sums over unshown counts, so
    suppression protects against it: per group, the total is the group, the courses
    without one (`NONE`) and the other courses with one (the group's complement); the
    courses with some group and those without make the total; and the groups' sum is
    the courses with some group plus the memberships beyond each one's first (the
    overlap, at least 0). Each unshown row relates within itself as a shown one does."""
    groups = [group for group in found if group != NONE]
    none = group_keys(name, NONE)
    some, summed, overlap = (
        group_keys(name, f"({what})")
        for what in ("some group", "sum of the groups", "counted more than once")
    )
    rests = {group: group_keys(name, f"({group} not)") for group in groups}
    for m in BREAKDOWN_MEASURES:
        with_one = overall[m] - found[NONE][m]
        total = sum(found[group][m] for group in groups)
        tally.count(some[m], with_one)
        tally.partition(m, (some[m], none[m]))
        tally.count(summed[m], total)
        tally.partition(summed[m], tuple(group_keys(name, group)[m] for group in groups))
        tally.count(overlap[m], total - with_one)
        tally.partition(summed[m], (some[m], overlap[m]))
        for group, rest in rests.items():
            tally.count(rest[m], with_one - found[group][m])
            tally.partition(m, (group_keys(name, group)[m], none[m], rest[m]))
    for keys in (some, summed, overlap, *rests.values()):
        _relate(tally, keys)


def group_keys(name: str, group: str) -> dict[str, str]:
    """The names of one group's counts in the breakdown `name`."""
    return {measure: f"{name} {group}: {measure}" for measure in BREAKDOWN_MEASURES}


def nest(tally: Tally, courses: Sequence[CourseOutcome], breakdowns: dict[str, Grouping]) -> None:
    """Where each group of one breakdown falls wholly in one group of another (every
    consultant in one team), the coarser group's counts are sums of the finer ones':
    name those sums, so a cell hidden in one breakdown is not given away by the other.
    Overlapping breakdowns are not partitions, so nothing nests in or under them."""
    partitions = {n: of for n, of in breakdowns.items() if not isinstance(of, Overlapping)}
    for fine, fine_of in partitions.items():
        for coarse, coarse_of in partitions.items():
            owner: dict[str, set[str]] = {}
            for course in courses:
                owner.setdefault(fine_of(course) or NONE, set()).add(coarse_of(course) or NONE)
            if fine == coarse or any(len(owners) > 1 for owners in owner.values()):
                continue
            members: dict[str, list[str]] = {}
            for group, (coarse_group,) in owner.items():
                members.setdefault(coarse_group, []).append(group)
            for coarse_group, groups in members.items():
                for measure in BREAKDOWN_MEASURES:
                    parts = tuple(group_keys(fine, group)[measure] for group in groups)
                    tally.partition(group_keys(coarse, coarse_group)[measure], parts)


def _relate(tally: Tally, keys: dict[str, str]) -> None:
    """Within one row: who has a baseline, and how those with one stand, sum up."""
    base = keys["with baseline"]
    tally.complement(base, keys["referred"])
    tally.partition(base, (keys["ongoing"], keys["planned exit"], keys["unplanned exit"]))
    tally.complement(keys["job with ordinary hours"], base)
    tally.complement(keys["started education"], base)


def trends_report(courses: Sequence[CourseOutcome], breakdowns: dict[str, Grouping]) -> Report:
    """Counts per quarter, then one breakdown table per grouping given."""
    tally = Tally()
    tables = [trends_table(tally, courses)]
    tables += [breakdown_table(tally, courses, name, of) for name, of in breakdowns.items()]
    nest(tally, courses, breakdowns)
    return Report(tuple(tables), dict(tally.counts), tuple(tally.groups))
