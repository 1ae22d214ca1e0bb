"""The outcomes view's kept sums: every table's counts per programme and cohort, kept current.

A cohort's tables depend on its courses only through the sums of the keys
each course adds (`projections.outcomes_counting`). The view keeps those sums
(`outcomes_counts`) per programme and cohort: the whole programme by referral
(`referral`) or by baseline (`baseline`), and each month of referral or
baseline (`referral 2018-04`). A table for the programme, or for whole months
of it, is then a read of a few thousand rows, whatever the number of courses.

How they are kept: every batch that writes facts marks their courses
(`outcomes_dirty`); the batch that reaches the head of the log settles them
(`settle`, in that batch's transaction): each marked course is folded from its
facts twice, as it was counted (its facts written by events up to the version
kept in `outcomes_counted`) and as it is now, and the difference of its keys
is added to the sums. A rebuild marks every course and settles them once, at
the end. So after every catch-up nothing is marked, and the sums equal those
of all courses folded afresh (`forloeb projections verify` compares them with a
rebuild). They hold counts only, per programme, month and key: no pseudonym.

They answer for now: as of a date no fact is later than, and known at a moment
no fact was recorded after (`outcomes_extent` keeps the latest of each). An
earlier date, an earlier moment, or a period not made of whole months is
answered from the facts, course by course.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

from projections.base import Row, View, as_dicts, iso
from projections.outcomes_counting import course_keys
from projections.outcomes_course import CourseOutcome
from projections.outcomes_tables import ALL_BUILDERS

TABLES: dict[str, str] = {
    "outcomes_counts": (
        "programme TEXT NOT NULL, cohort TEXT NOT NULL, key TEXT NOT NULL, "
        "n INTEGER NOT NULL, PRIMARY KEY (programme, cohort, key)"
    ),
    "outcomes_counted": "pid TEXT PRIMARY KEY, version INTEGER NOT NULL",
    "outcomes_dirty": "pid TEXT PRIMARY KEY",
    "outcomes_extent": (
        "id INTEGER PRIMARY KEY, last_occurred TEXT NOT NULL, last_recorded TEXT NOT NULL"
    ),
}
"""The tables of the kept sums (part of the outcomes view)."""

Group = tuple[str, str | None, str | None]
"""Courses of one programme referred, and with a baseline, in the same months."""

SETTLE_CHUNK = 500
"""Courses settled per query (a rebuild settles every course, a chunk at a time)."""

MARK = "INSERT INTO {outcomes_dirty} (pid) VALUES (?) ON CONFLICT (pid) DO NOTHING"

EXTEND = (
    "INSERT INTO {outcomes_extent} AS e (id, last_occurred, last_recorded) VALUES (1, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET "
    "last_occurred = CASE WHEN excluded.last_occurred > e.last_occurred "
    "THEN excluded.last_occurred ELSE e.last_occurred END, "
    "last_recorded = CASE WHEN excluded.last_recorded > e.last_recorded "
    "THEN excluded.last_recorded ELSE e.last_recorded END"
)

_MARKED = (
    "SELECT d.pid, c.programme, k.version FROM {outcomes_dirty} d "
    "JOIN {outcomes_courses} c ON c.pid = d.pid "
    "LEFT JOIN {outcomes_counted} k ON k.pid = d.pid "
    "WHERE d.pid > ? ORDER BY d.pid LIMIT ?"
)

_ADD = (
    "INSERT INTO {outcomes_counts} AS t (programme, cohort, key, n) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (programme, cohort, key) DO UPDATE SET n = t.n + excluded.n"
)
_DROP_ZERO = (
    "DELETE FROM {outcomes_counts} WHERE programme = ? AND cohort = ? AND key = ? AND n = 0"
)
_COUNTED = (
    "INSERT INTO {outcomes_counted} AS k (pid, version) VALUES (?, ?) "
    "ON CONFLICT (pid) DO UPDATE SET version = excluded.version"
)

# Keeping the sums -------------------------------------------------------------------


def settle(view: View, c: Any) -> int:
    """Fold every marked course as counted and as now, add the differences to the sums,
    clear the marks; how many courses were settled."""
    after, settled = "", 0
    delta: dict[Group, Counter[str]] = {}  # summed over every chunk, written once
    while True:
        c.execute(view.sql(_MARKED), (after, SETTLE_CHUNK))
        marked = list(c.fetchall())
        if not marked:
            break
        after = marked[-1]["pid"]
        pids = [row["pid"] for row in marked]
        facts = _facts(view, c, pids)
        counted = []
        for row in marked:
            rows = facts.get(row["pid"], [])
            was = row["version"]
            if was is not None:
                _count(delta, view, row["programme"], _effective(rows, was), -1)
            _count(delta, view, row["programme"], _effective(rows, None), +1)
            counted.append((row["pid"], max((_written(r) for r in rows), default=0)))
        c.executemany(view.sql(_COUNTED), counted)
        settled += len(marked)
    if settled:
        _apply(view, c, delta)
        c.execute(view.sql("DELETE FROM {outcomes_dirty}"))
    return settled


def _facts(view: View, c: Any, pids: Sequence[str]) -> dict[str, list[Row]]:
    """Every fact row (every revision) of the courses, by pid, in (version, revision) order."""
    marks = ", ".join("?" * len(pids))
    c.execute(
        view.sql(
            f"SELECT * FROM {{outcomes_facts}} WHERE pid IN ({marks}) "
            "ORDER BY pid, version, revision"
        ),
        tuple(pids),
    )
    rows = as_dicts(c.fetchall())
    return {pid: list(found) for pid, found in groupby(rows, key=itemgetter("pid"))}


def _written(row: Row) -> int:
    """The version of the event that wrote the row (a correction's own, for a revision)."""
    return int(row["revision"] or row["version"])


def _effective(rows: Iterable[Row], upto: int | None) -> list[Row]:
    """The facts in force among the rows written by events up to version `upto` (all, given
    None): each fact's latest revision, unless retracted, in (occurred_on, version) order."""
    latest: dict[int, Row] = {}
    for row in rows:
        if upto is None or _written(row) <= upto:
            latest[row["version"]] = row
    facts = [row for row in latest.values() if not row["retracted"]]
    facts.sort(key=lambda row: (row["occurred_on"], row["version"]))
    return facts


def _count(
    delta: dict[Group, Counter[str]],
    view: View,
    programme: str,
    facts: list[Row],
    sign: int,
) -> None:
    """Add (or take away) the keys of the course these facts fold into, in each of its
    cohorts."""
    if not facts:
        return
    course = CourseOutcome("", programme, "")
    for fact in facts:
        if fact["born"] is not None:
            fact = {**fact, "born": view.sealed.unseal(fact["born"])}
        course.fold(fact)
    keys = course_keys(course, ALL_BUILDERS)
    counter = delta.setdefault((programme, *_months_of(course)), Counter())
    if sign > 0:
        counter.update(keys)
    else:
        counter.subtract(keys)


def _months_of(course: CourseOutcome) -> tuple[str | None, str | None]:
    """The course's months of referral and of baseline (None: not yet)."""
    return _month(course.referred_on), _month(course.baseline_on)


def _month(day: date | None) -> str | None:
    return None if day is None else f"{day:%Y-%m}"


def cohorts_of(referral: str | None, baseline: str | None) -> Iterator[str]:
    """The kept cohorts of a course referred and with a baseline in these months: by
    referral and by baseline, whole and month."""
    for by, month in (("referral", referral), ("baseline", baseline)):
        if month is not None:
            yield by
            yield f"{by} {month}"


def _apply(view: View, c: Any, delta: dict[Group, Counter[str]]) -> None:
    """Add the differences to the sums, cohort by cohort; a sum that falls to 0 is dropped
    (as a rebuild, which never writes one)."""
    cohorts: dict[tuple[str, str], Counter[str]] = {}
    for (programme, referral, baseline), counter in delta.items():
        for cohort in cohorts_of(referral, baseline):
            cohorts.setdefault((programme, cohort), Counter()).update(counter)
    changed = [
        (programme, cohort, key, n)
        for (programme, cohort), counter in cohorts.items()
        for key, n in counter.items()
        if n
    ]
    if not changed:
        return
    c.executemany(view.sql(_ADD), changed)
    fallen = [(programme, cohort, key) for programme, cohort, key, n in changed if n < 0]
    if fallen:
        c.executemany(view.sql(_DROP_ZERO), fallen)


def never_counted(view: View, c: Any) -> bool:
    """Whether the view holds facts but neither a counted nor a marked course."""
    c.execute(
        view.sql(
            "SELECT EXISTS (SELECT 1 FROM {outcomes_facts}) AS facts, "
            "EXISTS (SELECT 1 FROM {outcomes_counted}) AS counted, "
            "EXISTS (SELECT 1 FROM {outcomes_dirty}) AS marked"
        )
    )
    row = c.fetchone()
    return bool(row["facts"]) and not row["counted"] and not row["marked"]


# Reading them -------------------------------------------------------------------------


def months(first: date | None, last: date | None) -> tuple[str, str] | None:
    """The first and last month of a period made of whole months ('0000-00' and '9999-99'
    for an open end), or None if it starts or ends inside a month."""
    if first is not None and first.day != 1:
        return None
    if last is not None and (last + timedelta(days=1)).day != 1:
        return None
    return (
        "0000-00" if first is None else f"{first:%Y-%m}",
        "9999-99" if last is None else f"{last:%Y-%m}",
    )


def kept_counts(
    view: View,
    programme: str,
    by: str,
    period: tuple[date | None, date | None],
    as_of: date,
    known: str,
) -> Counter[str] | None:
    """The cohort's sums as kept, or None when the kept sums cannot say (a course marked
    and not yet settled, a fact after `as_of` or recorded after `known`, a period
    not of whole months)."""
    span = months(*period)
    if span is None:
        return None
    with view.read() as c:
        c.execute(
            view.sql(
                "SELECT (SELECT COUNT(*) FROM {outcomes_dirty}) AS marked, "
                "(SELECT last_occurred FROM {outcomes_extent} WHERE id = 1) AS occurred, "
                "(SELECT last_recorded FROM {outcomes_extent} WHERE id = 1) AS recorded"
            )
        )
        state = c.fetchone()
        if state["marked"] or (
            state["occurred"] is not None
            and (state["occurred"] > iso(as_of) or state["recorded"] > known)
        ):
            return None
        if period == (None, None):
            c.execute(
                view.sql("SELECT key, n FROM {outcomes_counts} WHERE programme = ? AND cohort = ?"),
                (programme, by),
            )
        else:
            c.execute(
                view.sql(
                    "SELECT key, SUM(n) AS n FROM {outcomes_counts} "
                    "WHERE programme = ? AND cohort BETWEEN ? AND ? GROUP BY key"
                ),
                (programme, f"{by} {span[0]}", f"{by} {span[1]}"),
            )
        return Counter({row["key"]: int(row["n"]) for row in c.fetchall()})
