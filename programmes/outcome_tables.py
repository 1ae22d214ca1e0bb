"""Which outcome tables a programme shows: its definition's `outcome_tables`, as tables.

A definition names its tables by slug: `vive` (every table of VIVE's midterm
report, as `forloeb outcomes` has always shown them), `vive-5.1` (one VIVE table
by its number), `goals`, `follow-up`, `follow-up-forms`, and the tables of the
other programmes (`completion`, `outcome-kinds`, `contacts`, `no-shows`,
`profiles`; `projections.programme_tables`). A programme without a definition
shows the VIVE report, as before definitions existed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from domain.programme import Cohort, ProgrammeDefinition
from projections.milestones import CourseMilestones
from projections.outcomes_counting import Builder, count_keys
from projections.outcomes_course import CourseOutcome
from projections.outcomes_report import OutcomeTable, Report, Tally
from projections.outcomes_tables import (
    FOLLOW_UP_FORMS,
    VIVE_NUMBERS,
    build_report,
    follow_up_keys,
    follow_up_table,
    table_names,
)
from projections.programme_tables import (
    ALL,
    BACKBONE_EXITS,
    BACKBONE_JOB_KINDS,
    BUILDERS,
    ProgrammeFacts,
    groups_of_cohorts,
)
from projections.suppression import Group
from projections.vive_tables import VIVE_TABLE_NAMES

VIVE = "vive"
REPORT_TABLES: tuple[str, ...] = (*VIVE_NUMBERS, *VIVE_TABLE_NAMES, "goals", "follow_up")
"""The tables `build_report` makes, by name (`follow_up_forms` only when asked)."""
STANDALONE: dict[str, Builder] = {
    "follow_up": Builder(follow_up_keys, follow_up_table),
    "follow_up_forms": FOLLOW_UP_FORMS,
}
"""Tables of the VIVE report that need none of its other tables."""
EVERY_COURSE = (f"completion {ALL} participants", "contacts citizens", "profiles courses")
"""Counts of the programme tables that count every course of the cohort, as `referred`
(the status table's, the trends' and the breakdowns' total) does."""
REFERRED = "referred"


def slugs() -> dict[str, tuple[str, ...]]:
    """Each slug a definition may name -> the tables it means, in report order."""
    known: dict[str, tuple[str, ...]] = {VIVE: (*VIVE_NUMBERS, *VIVE_TABLE_NAMES)}
    for key, names in table_names().items():
        slug = f"vive-{key}" if key[0].isdigit() else key.replace("_", "-")
        known[slug] = names
    known.update({name.replace("_", "-"): (name,) for name in BUILDERS})
    return known


def all_table_names() -> dict[str, tuple[str, ...]]:
    """What `outcomes --table` accepts: the VIVE report's names and numbers, and the
    programme tables' names."""
    return {**table_names(), **{name: (name,) for name in BUILDERS}}


def wanted(definition: ProgrammeDefinition | None, chosen: Sequence[str] = ()) -> list[str]:
    """The tables to build, in order: those chosen (`--table` names, in report order), else
    the definition's (in its order), else the VIVE report's."""
    if chosen:
        names = all_table_names()
        asked = {name for choice in chosen for name in names[choice]}
        found = [name for name in (*REPORT_TABLES, "follow_up_forms", *BUILDERS) if name in asked]
    elif definition is None or not definition.outcome_tables:
        found = list(REPORT_TABLES)
    else:
        known = slugs()
        found = [name for slug in definition.outcome_tables for name in known[slug]]
    return list(dict.fromkeys(found))


def is_the_vive_report(
    definition: ProgrammeDefinition | None,
    chosen: Sequence[str] = (),
    *,
    follow_up_forms: bool = False,
) -> bool:
    """Whether the tables asked are exactly the VIVE report's (`build_report`), which the
    outcomes view can answer from its kept sums."""
    names = set(wanted(definition, chosen)) | ({"follow_up_forms"} if follow_up_forms else set())
    return (
        not chosen and names <= {*REPORT_TABLES, "follow_up_forms"} and set(REPORT_TABLES) <= names
    )


def programme_report(
    definition: ProgrammeDefinition | None,
    courses: Sequence[CourseOutcome],
    milestones: Callable[[], Mapping[str, CourseMilestones]],
    *,
    follow_up_forms: bool = False,
    chosen: Sequence[str] = (),
    as_of: date | None = None,
) -> Report:
    """The programme's tables for a cohort's courses, with the counts behind them (one
    report, so suppression sees them all). `milestones` is read only when a programme
    table needs it."""
    names = wanted(definition, chosen)
    if follow_up_forms and "follow_up_forms" not in names:
        names.append("follow_up_forms")
    if is_the_vive_report(definition, chosen, follow_up_forms=follow_up_forms):
        return build_report(courses, follow_up_forms=follow_up_forms)
    tally = Tally()
    built: dict[str, OutcomeTable] = {}
    counts: dict[str, int] = {}
    groups: list[Group] = []
    if any(name in REPORT_TABLES and name not in STANDALONE for name in names):
        report = build_report(courses, follow_up_forms=follow_up_forms)
        built.update({table.name: table for table in report.tables})
        counts.update(report.counts)
        groups.extend(report.groups)
    if any(name in BUILDERS for name in names):
        facts = programme_facts(definition, milestones(), as_of)
        for name in names:
            if name in BUILDERS:
                built[name] = BUILDERS[name](tally, courses, facts)
        same_as_referred(tally, len(courses))
        cohort_sums(tally, courses, facts.cohorts)
    for name in names:
        if name in STANDALONE and name not in built:
            builder = STANDALONE[name]
            built[name] = builder.table(tally, count_keys(courses, [builder]))
    counts.update(tally.counts)
    groups.extend(tally.groups)
    return Report(tuple(built[name] for name in names), counts, tuple(groups))


def same_as_referred(tally: Tally, courses: int) -> None:
    """Tie the programme tables' counts of every course to `referred`: one count under
    several names, so suppression hides them all or none, in whichever table of a pull."""
    same = [key for key in EVERY_COURSE if key in tally.counts]
    if same:
        tally.count(REFERRED, courses)
        for key in same:
            tally.partition(REFERRED, (key,))


COMPLETION_ALL = f"completion {ALL} "
"""The start of the names of the completion table's counts of all courses."""


def cohort_sums(tally: Tally, courses: Sequence[CourseOutcome], cohorts: Sequence[Cohort]) -> None:
    """The completion table's counts of all courses are its cohorts' counts and those of
    the courses in no cohort (a count of its own, protected like any other; left out when
    every course is in a cohort, the sum then holding without it). Cohorts that share a
    course make no such sum."""
    if not cohorts or f"{COMPLETION_ALL}participants" not in tally.counts:
        return
    members = groups_of_cohorts(courses, cohorts)
    held = [c.course_id for cohort in cohorts for c in members[cohort.name]]
    if len(held) != len(set(held)):
        return
    covered = len(held) == len(courses)
    for key in [k for k in tally.counts if k.startswith(COMPLETION_ALL)]:
        suffix = key[len(COMPLETION_ALL) :]
        parts = tuple(f"completion {cohort.name} {suffix}" for cohort in cohorts)
        if covered:
            tally.partition(key, parts)
            continue
        outside = f"completion (no cohort) {suffix}"
        tally.count(outside, tally.counts[key] - sum(tally.counts[part] for part in parts))
        tally.partition(key, (*parts, outside))


def programme_facts(
    definition: ProgrammeDefinition | None,
    milestones: Mapping[str, CourseMilestones],
    as_of: date | None = None,
) -> ProgrammeFacts:
    """What the programme tables read beside the courses, for this programme."""
    if definition is None:
        return ProgrammeFacts(milestones, as_of=as_of)
    added = definition.outcomes
    return ProgrammeFacts(
        milestones,
        definition.cohorts,
        job_kinds=(*BACKBONE_JOB_KINDS, *((c.code, c.title) for c in added.job_kinds)),
        exits=(*BACKBONE_EXITS, *((c.code, c.title) for c in added.exit_destinations)),
        exit_reasons=added.exit_reason_codes(),
        as_of=as_of,
    )
