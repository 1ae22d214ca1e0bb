"""The team lead's tables for the visual report: caseload per consultant, and what is overdue.

Built from the caseload view's answers (`ConsultantLoad`, `DueItem`) into the
same `Report` model as the outcome tables, so every count is named, the sums
among them are known, and `Report.shown(below)` suppresses small cells here
exactly as in the evaluators' tables. No course id, CPR or free text reaches a
table: only consultants' user names and counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

from domain.values import OPEN_STATES
from projections.caseload import TARGET_CASELOAD, ConsultantLoad, DueItem, DueKind
from projections.outcomes_report import Cell, OutcomeTable, Report, Tally

ALL = "all consultants"
"""The total row's label."""
UNASSIGNED = "(no consultant)"
"""Row label for due items of a course without a consultant (still in visitation)."""
KIND_LABELS: dict[str, str] = {
    "measurement": "measurement",
    "network_meeting": "network meeting",
    "praktik_end": "praktik end",
}
"""Column headings for the kinds of due items, in `DueKind` order."""
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("due today", 0, 0),
    ("1-30 days overdue", 1, 30),
    ("31-90 days overdue", 31, 90),
    ("over 90 days overdue", 91, None),
)
"""How long items have been overdue: label, first day, last day (None: no limit)."""


def operations_report(loads: Sequence[ConsultantLoad], due: Sequence[DueItem]) -> Report:
    """Caseload per consultant against the target, and due-or-overdue items, as tables."""
    tally = Tally()
    tables = (caseload_table(tally, loads), overdue_table(tally, due), age_table(tally, due))
    return Report(tables, dict(tally.counts), tuple(tally.groups))


def caseload_table(tally: Tally, loads: Sequence[ConsultantLoad]) -> OutcomeTable:
    """Open courses per consultant, by state, against the target caseload."""
    states = [s for s in OPEN_STATES if any(load.by_state.get(s) for load in loads)]
    columns = ("open courses", *(s.value for s in states), "target", "over target")
    rows: list[tuple[str, tuple[Cell, ...]]] = []
    for load in loads:
        name = load.consultant
        total = f"caseload {name}"
        cells = [tally.count(total, load.open_courses)]
        parts = []
        for state in states:
            key = f"caseload {name} {state.value}"
            cells.append(tally.count(key, load.by_state.get(state, 0)))
            parts.append(key)
        over = load.open_courses - load.target
        cells += [Cell(load.target), tally.figure(over if over > 0 else 0, total)]
        tally.partition(total, tuple(parts))
        rows.append((name, tuple(cells)))
    all_total = f"caseload {ALL}"
    cells = [tally.count(all_total, sum(load.open_courses for load in loads))]
    state_totals = []
    for state in states:
        key = f"caseload {ALL} {state.value}"
        cells.append(tally.count(key, sum(load.by_state.get(state, 0) for load in loads)))
        state_totals.append(key)
        tally.partition(key, tuple(f"caseload {load.consultant} {state.value}" for load in loads))
    cells += [Cell(TARGET_CASELOAD * len(loads)), Cell(None)]
    if loads:  # with no one, the sums say nothing
        tally.partition(all_total, tuple(state_totals))
        tally.partition(all_total, tuple(f"caseload {load.consultant}" for load in loads))
    rows.append((ALL, tuple(cells)))
    return OutcomeTable(
        "caseload",
        f"Open courses per consultant against the target of {TARGET_CASELOAD}",
        columns,
        tuple(rows),
    )


def _owner(item: DueItem) -> str:
    return item.consultant or UNASSIGNED


def overdue_table(tally: Tally, due: Sequence[DueItem]) -> OutcomeTable:
    """Items due by the date (measurement, network meeting, praktik end) per consultant."""
    kinds: tuple[DueKind, ...] = get_args(DueKind)
    owners = sorted({_owner(item) for item in due})
    rows: list[tuple[str, tuple[Cell, ...]]] = []
    for owner in [*owners, ALL]:
        mine = [i for i in due if owner == ALL or _owner(i) == owner]
        keys = [f"due {owner} {kind}" for kind in kinds]
        cells = [
            tally.count(key, sum(i.kind == kind for i in mine))
            for key, kind in zip(keys, kinds, strict=True)
        ]
        total = f"due {owner}"
        cells.append(tally.count(total, len(mine)))
        tally.partition(total, tuple(keys))
        rows.append((owner, tuple(cells)))
    for kind in (*kinds, None) if owners else ():  # with no one, the sums say nothing
        suffix = "" if kind is None else f" {kind}"
        tally.partition(f"due {ALL}{suffix}", tuple(f"due {o}{suffix}" for o in owners))
    columns = (*(KIND_LABELS[kind] for kind in kinds), "total")
    return OutcomeTable(
        "overdue", "Due or overdue by the date, per consultant", columns, tuple(rows)
    )


def _in_bucket(days: int, first: int, last: int | None) -> bool:
    return days >= first and (last is None or days <= last)


def age_table(tally: Tally, due: Sequence[DueItem]) -> OutcomeTable:
    """How long the due items have been overdue."""
    rows: list[tuple[str, tuple[Cell, ...]]] = []
    keys = []
    for label, first, last in AGE_BUCKETS:
        key = f"due age {label}"
        value = sum(_in_bucket(i.days_overdue, first, last) for i in due)
        rows.append((label, (tally.count(key, value), Cell(None))))
        keys.append(key)
    total = f"due {ALL}"
    for i, (label, cells) in enumerate(rows):
        rows[i] = (label, (cells[0], tally.share(keys[i], total)))
    rows.append(("all due items", (Cell(tally.counts[total], (total,), total), Cell(None))))
    tally.partition(total, tuple(keys))
    return OutcomeTable(
        "overdue_age", "How long the due items have been overdue", ("n", "% of due"), tuple(rows)
    )
