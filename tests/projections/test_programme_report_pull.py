"""One suppression pass across a programme report's pull: its own tables, the trends and
breakdowns (by match group and by profile too), paths and time to event.

Given the Faxe M3 and OPH demo cohorts, when the evaluator's report is pulled with counts
under 5 hidden, then no hidden small cell can be worked out by a linear programme over
every sum the pull names (scipy; the reader of `test_suppression_overlap`), the programme
tables' count of every course is one cell with the breakdowns' total, and the profile
breakdown's groups are not taken as parts of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from datetime import date as D

import pytest

from cli.bootstrap import open_service
from cli.importer import import_lines
from demo.programmes import generate_programme
from domain.values import CourseState
from programmes.catalogue import load
from programmes.outcome_tables import programme_report
from projections.analysis_tables import paths_report, time_to_event_report, trends_report
from projections.breakdowns import by_benefit_type, by_consultant, by_match_group, by_profile
from projections.catalog import open_views
from projections.milestones import MilestonesView
from projections.outcomes import Cohort, OutcomesView
from projections.outcomes_course import CourseOutcome
from projections.outcomes_report import Report
from projections.report_html import EVALUATOR, ReportPage
from projections.suppression import Group, Hidden, suppress
from storage.store import StoreConfig
from tests.projections.test_suppression_overlap import pinned

AS_OF = date(2020, 1, 1)
BELOW = 5


@pytest.fixture(scope="module", params=["faxe-m3", "oph", "mb"])
def pulled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Report]:
    """The evaluator's report of the programme's demo cohort, as one pull."""
    programme = request.param
    store = StoreConfig(sqlite_path=tmp_path_factory.mktemp(programme) / "forloeb.sqlite")
    service = open_service(store)
    try:
        assert import_lines(service, generate_programme(programme), "demo-import").refused == []
        with open_views(store, app=service) as views:
            views.catch_up()
            outcomes, milestones = views.view("outcomes"), views.view("milestones")
            assert isinstance(outcomes, OutcomesView) and isinstance(milestones, MilestonesView)
            courses = outcomes.courses(Cohort(programme), AS_OF)
            reached = milestones.course_milestones(programme, AS_OF)
    finally:
        service.close()
    segments = {course: found.segments for course, found in reached.items()}
    breakdowns = {
        "consultant": by_consultant,
        "benefit type": by_benefit_type,
        "match group": by_match_group(segments),
        "profile": by_profile(segments),
    }
    definition = load().get(programme)
    page = ReportPage(
        programme, AS_OF, programme_report(definition, courses, lambda: reached, as_of=AS_OF),
        None, suppress_below=BELOW, variant=EVALUATOR,
        analyses=(trends_report(courses, breakdowns), paths_report(courses, AS_OF),
                  time_to_event_report(courses, "referral", AS_OF)),
    )  # fmt: skip
    yield page.pull()


def test_no_hidden_cell_of_a_programme_report_can_be_worked_out(pulled: Report) -> None:
    unpublished = pulled.counts.keys() - pulled.published()
    hidden = suppress(pulled.counts, pulled.groups, BELOW, unpublished)
    unknown = {key: Hidden.WITHHELD for key in unpublished if key not in hidden}

    small = {key for key in pulled.published() if pulled.counts[key] < BELOW}
    assert small and small <= hidden.keys()
    sums = []
    # A sum of no parts (the way into work of a cohort without jobs: no quarter rows) says
    # its total is 0 by the table's shape, whatever is hidden: not a suppression matter.
    for group in (g for g in pulled.groups if g.parts):  # total - parts = 0
        row = {group.total: -1.0}
        for part in group.parts:
            row[part] = row.get(part, 0.0) + 1.0
        sums.append(row)
    sums += cohort_columns(pulled)
    cells = set(pulled.counts)
    assert pinned(pulled.counts, sums, [], {**unknown, **hidden}, cells) == set()


def cohort_columns(pulled: Report) -> list[dict[str, float]]:
    """By hand: every course of these demos is in one cohort (hold), so each count of the
    completion table's "all" column is the sum of the same row's cohort columns."""
    if "completion" not in {table.name for table in pulled.tables}:
        return []
    found = []
    for _, cells in pulled.table("completion").rows:
        keys = [cell.count for cell in cells if cell.count is not None]
        [total] = [key for key in keys if key.startswith("completion all ")]
        parts = [key for key in keys if key != total]
        assert parts and pulled.counts[total] == sum(pulled.counts[key] for key in parts)
        found.append({total: -1.0, **dict.fromkeys(parts, 1.0)})
    return found


def test_the_programme_tables_count_of_every_course_is_the_breakdowns_total(
    pulled: Report,
) -> None:
    every = {"completion all participants", "profiles courses"} & pulled.published()

    assert every
    for key in every:
        assert pulled.counts[key] == pulled.counts["referred"]
        assert any(g.total == "referred" and g.parts == (key,) for g in pulled.groups)


def oph_course(n: int, referred_on: date) -> CourseOutcome:
    return CourseOutcome(f"c{n}", "oph", f"s{n}", referred_on=referred_on,
                         state=CourseState.ACTIVE)  # fmt: skip


def test_the_all_column_is_its_cohorts_and_the_courses_in_none() -> None:
    """OPH's holds run 2007-08 to 2010-05: one course in hold-1, one in hold-3, one
    referred after the last hold."""
    oph = load().require("oph").definition
    courses = [oph_course(1, D(2007, 9, 1)), oph_course(2, D(2009, 9, 1)),
               oph_course(3, D(2011, 1, 1))]  # fmt: skip

    report = programme_report(oph, courses, lambda: {})

    key = "completion {} still in the programme"
    holds = tuple(key.format(hold) for hold in ("hold-1", "hold-2", "hold-3"))
    outside = key.format("(no cohort)")
    assert Group(key.format("all"), (*holds, outside)) in report.groups
    assert report.counts[outside] == 1 and report.counts[key.format("all")] == 3


def test_when_every_course_is_in_a_cohort_the_all_column_is_their_sum() -> None:
    oph = load().require("oph").definition
    courses = [oph_course(1, D(2007, 9, 1)), oph_course(2, D(2009, 9, 1))]

    report = programme_report(oph, courses, lambda: {})

    parts = tuple(f"completion {hold} participants" for hold in ("hold-1", "hold-2", "hold-3"))
    assert Group("completion all participants", parts) in report.groups
    assert not any("(no cohort)" in key for key in report.counts)
