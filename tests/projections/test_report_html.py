"""The visual report's HTML: self-contained, every table's numbers in it, nothing personal,
and suppression kept in the charts as in the tables.

The outcome tables are those of the demo cohort (imported once for the module,
as in `test_outcomes_demo`); the caseload tables come from hand-made loads and
due items, so their expected numbers are known here.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from cli.bootstrap import open_service
from cli.importer import import_lines
from demo import AS_OF, PROGRAMME, generate
from domain.values import CourseState
from projections import report_figures
from projections.analysis_tables import paths_report, time_to_event_report, trends_report
from projections.breakdowns import by_benefit_type, by_consultant
from projections.caseload import ConsultantLoad, CourseLoad, DueItem, DueKind
from projections.catalog import open_views
from projections.outcomes import Cohort, OutcomesView
from projections.outcomes_course import CourseOutcome
from projections.outcomes_report import Report
from projections.outcomes_tables import build_report
from projections.report_charts import bars, mark, new_figure
from projections.report_html import EVALUATOR, TEAM_LEAD, VARIANTS, ReportPage, render_page
from projections.report_operations import ALL, operations_report
from storage.store import StoreConfig

BELOW = 5


Reports = tuple[Report, Report, list[CourseOutcome]]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reports]:
    """The demo cohort's outcome report, its caseload report and its courses, as of the
    data pull."""
    store = StoreConfig(sqlite_path=tmp_path_factory.mktemp("report") / "forloeb.sqlite")
    service = open_service(store)
    try:
        assert import_lines(service, generate(), "demo-import").refused == []
        with open_views(store, app=service) as views:
            views.catch_up()
            view = views.view("outcomes")
            assert isinstance(view, OutcomesView)
            courses = view.courses(Cohort(PROGRAMME), AS_OF)
            loads = views.caseload.caseload(AS_OF, programme=PROGRAMME)
            due = views.caseload.due(AS_OF, programme=PROGRAMME)
            yield build_report(courses), operations_report(loads, due), courses
    finally:
        service.close()


BREAKDOWNS = {"consultant": by_consultant, "benefit type": by_benefit_type}


def page_of(
    reports: Reports, below: int | None = None, variant: str = TEAM_LEAD
) -> ReportPage:
    """A variant's page as `forloeb report` makes it: workloads for a team lead; paths and
    time to event for an evaluator."""
    outcomes, operations, courses = reports
    analyses = (trends_report(courses, BREAKDOWNS),)
    if variant == EVALUATOR:
        analyses += (paths_report(courses, AS_OF), time_to_event_report(courses, "referral", AS_OF))
    return ReportPage(
        PROGRAMME, AS_OF, outcomes, operations if variant == TEAM_LEAD else None,
        suppress_below=below, analyses=analyses, variant=variant,
    )  # fmt: skip


@pytest.fixture(scope="module")
def pages(demo: Reports) -> dict[tuple[str, int | None], str]:
    """Each variant's page, plain and with counts under 5 suppressed (rendered once)."""
    return {
        (variant, below): render_page(page_of(demo, below, variant))
        for variant in VARIANTS
        for below in (None, BELOW)
    }


# The caseload tables ---------------------------------------------------------------


def load(name: str, *states: CourseState) -> ConsultantLoad:
    courses = tuple(CourseLoad(uuid4(), "pva", s, date(2019, 1, 1), 10) for s in states)
    return ConsultantLoad(name, courses)


def due_item(consultant: str | None, kind: DueKind, days: int) -> DueItem:
    return DueItem(uuid4(), consultant, "pva", kind, date(2019, 4, 15), days, "")


def cells(report: Report, table: str, label: str) -> list[Any]:
    shown = report.shown()
    found = next(t for t in shown if t["name"] == table)
    return next(r["cells"] for r in found["rows"] if r["label"] == label)


def test_caseload_per_consultant_by_state_against_the_target() -> None:
    busy = load("anna", *[CourseState.ACTIVE] * 24, CourseState.JOB, CourseState.PRAKTIK)
    calm = load("bo", CourseState.ACTIVE, CourseState.BASELINE)

    report = operations_report([busy, calm], [])

    table = report.table("caseload")
    assert table.columns == ("open courses", "baseline", "active", "praktik", "job", "target",
                             "over target")  # fmt: skip
    assert cells(report, "caseload", "anna") == [26, 0, 24, 1, 1, 25, 1]
    assert cells(report, "caseload", "bo") == [2, 1, 1, 0, 0, 25, 0]
    assert cells(report, "caseload", ALL) == [28, 1, 25, 1, 1, 50, None]


def test_due_items_per_consultant_kind_and_age() -> None:
    due = [
        due_item("anna", "measurement", 0),
        due_item("anna", "network_meeting", 45),
        due_item("anna", "network_meeting", 120),
        due_item(None, "network_meeting", 3),
        due_item("bo", "praktik_end", 30),
    ]

    report = operations_report([], due)

    assert cells(report, "overdue", "anna") == [1, 2, 0, 3]
    assert cells(report, "overdue", "(no consultant)") == [0, 1, 0, 1]
    assert cells(report, "overdue", ALL) == [1, 3, 1, 5]
    assert cells(report, "overdue_age", "due today") == [1, 20]
    assert cells(report, "overdue_age", "1-30 days overdue") == [2, 40]
    assert cells(report, "overdue_age", "31-90 days overdue") == [1, 20]
    assert cells(report, "overdue_age", "over 90 days overdue") == [1, 20]
    assert cells(report, "overdue_age", "all due items") == [5, None]


def test_a_small_caseload_cell_cannot_be_worked_back_from_the_totals() -> None:
    loads = [load("anna", *[CourseState.ACTIVE] * 20, CourseState.JOB),
             load("bo", *[CourseState.ACTIVE] * 9)]  # fmt: skip

    shown = {t["name"]: t for t in operations_report(loads, []).shown(BELOW)}

    rows = {r["label"]: r["cells"] for r in shown["caseload"]["rows"]}
    assert rows["anna"][0] == 21 and rows["anna"][2] == "<5"  # one job: hidden
    # active 20 of 21 would give it back, so 20 is hidden too
    assert rows["anna"][1] == "x"


# The page ---------------------------------------------------------------------------------


class Tables(HTMLParser):
    """Each <table id=...>: its rows as [label, cell, cell, ...] text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.row: list[str] | None = None
        self.text: list[str] | None = None
        self.in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.current = dict(attrs)["id"]
            self.tables[str(self.current)] = []
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.row = []
        elif tag in ("th", "td") and self.row is not None:
            self.text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self.row is not None and self.text is not None:
            self.row.append("".join(self.text).strip())
            self.text = None
        elif tag == "tr" and self.row is not None and self.current is not None:
            self.tables[self.current].append(self.row)
            self.row = None
        elif tag == "tbody":
            self.in_body = False

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)


def parsed_tables(html: str) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def expected_rows(table: dict[str, Any]) -> list[list[str]]:
    """A shown table's rows as the page should write them."""
    return [
        [r["label"].strip().replace("_", " "), *(mark(v) for v in r["cells"])]
        for r in table["rows"]
    ]


def chart_svgs(html: str) -> list[str]:
    """The SVG documents the page embeds as data: URIs."""
    uris = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
    return [base64.b64decode(uri).decode("utf-8") for uri in uris]


TEAM_LEAD_TABLES = {
    "status", "goals", "outcomes", "job_path", "follow_up", "caseload", "overdue",
    "overdue_age", "trends", "by_consultant", "by_benefit_type", "forms", "network",
}  # fmt: skip
EVALUATOR_TABLES = (TEAM_LEAD_TABLES - {"caseload", "overdue", "overdue_age"}) | {
    "mental_health", "physical_health", "who5", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6",
    "4.7", "5.2", "5.3", "6.2", "6.3", "6.4", "medians", "km_praktik", "km_job",
    "km_education", "km_unplanned_exit", "competing", "time_in_state", "paths",
    "way_into_work",
}  # fmt: skip


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("below", [None, BELOW])
def test_every_table_of_the_variant_is_on_its_page_with_every_number(
    demo: Reports, pages: dict[tuple[str, int | None], str], variant: str, below: int | None
) -> None:
    tables = parsed_tables(pages[variant, below])

    shown = page_of(demo, below, variant).shown()
    assert set(shown) == {TEAM_LEAD: TEAM_LEAD_TABLES, EVALUATOR: EVALUATOR_TABLES}[variant]
    assert set(tables) == {f"table-{name}" for name in shown}
    for name, table in shown.items():
        assert tables[f"table-{name}"] == expected_rows(table), name


def test_a_team_lead_s_page_has_no_health_answers(
    pages: dict[tuple[str, int | None], str],
) -> None:
    html = pages[TEAM_LEAD, None]

    assert "WHO-5" not in html and "psykisk" not in html and "Self-rated health" not in html
    assert "Caseload per consultant" in html and "Methods and suppression" in html


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("below", [None, BELOW])
def test_the_page_is_self_contained(
    pages: dict[tuple[str, int | None], str], variant: str, below: int | None
) -> None:
    html = pages[variant, below]

    assert not re.search(r"https?://", html)
    assert not re.search(r"<(script|link|iframe|object|embed)\b", html, re.IGNORECASE)
    assert "@import" not in html and "url(" not in html
    sources = re.findall(r'\b(?:src|href)\s*=\s*"([^"]*)"', html)
    assert sources and all(s.startswith("data:image/svg+xml;base64,") for s in sources)
    svgs = chart_svgs(html)
    assert len(svgs) == {TEAM_LEAD: 9, EVALUATOR: 26}[variant]  # a chart per section
    for svg in svgs:
        assert not re.search(r'href="(?!#)', svg)  # only references inside the SVG itself
        assert "url(http" not in svg and "<image" not in svg


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_cpr_number_course_id_or_free_text_on_the_page(
    pages: dict[tuple[str, int | None], str], variant: str
) -> None:
    private = {"cpr", "course", "employer", "institution", "programme_of_study", "note", "detail"}
    secrets = {
        value
        for line in generate()
        for key, value in line.items()
        if key in private or (line["command"] == "reassign" and key == "reason")
    }
    secrets |= {cpr.replace("-", "") for cpr in secrets if re.fullmatch(r"\d{6}-\d{4}", cpr)}

    html = pages[variant, None]

    found = [s for s in secrets if s in html]
    assert found == []
    text = re.sub(r'src="data:[^"]*"', "", html)  # base64 may hold digit runs by chance
    assert not re.search(r"\b\d{6}-?\d{4}\b", text)


def test_the_charts_are_deterministic(
    demo: Reports, pages: dict[tuple[str, int | None], str]
) -> None:
    again = render_page(page_of(demo, None, EVALUATOR))

    assert chart_svgs(again) == chart_svgs(pages[EVALUATOR, None])


# Suppression in the charts ---------------------------------------------------------------


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The figures the charts draw, by chart function, instead of their SVGs."""
    figures: dict[str, Any] = {}

    def keep(figure: Any) -> str:
        figures[f"chart{len(figures)}"] = figure
        return "data:image/svg+xml;base64,"

    monkeypatch.setattr(report_figures, "svg_uri", keep)
    return figures


def segment_sizes(figure: Any) -> list[tuple[float, str]]:
    """Every bar drawn in a figure: its length and colour (grey = suppressed rest)."""
    from matplotlib.colors import to_hex
    from matplotlib.patches import Rectangle

    return [
        (max(p.get_width(), p.get_height()), to_hex(p.get_facecolor()))
        for axes in figure.axes
        for p in axes.patches
        if isinstance(p, Rectangle) and (p.get_width() > 0 and p.get_height() > 0)
    ]


def test_suppressed_counts_are_not_drawn(
    demo: Reports, drawn: dict[str, Any]
) -> None:
    tables = page_of(demo, BELOW).shown()

    report_figures.status_funnel(tables)
    report_figures.caseload(tables, 25)
    report_figures.overdue(tables)

    for name, figure in drawn.items():
        coloured = [size for size, colour in segment_sizes(figure) if colour != "#bbbbbb"]
        assert coloured and min(coloured) >= BELOW, name
    funnel = segment_sizes(drawn["chart0"])
    assert (6.0, "#bbbbbb") in funnel  # exited before baseline (hidden) is the grey rest


def test_a_hidden_share_is_marked_not_drawn(
    demo: Reports, drawn: dict[str, Any]
) -> None:
    tables = page_of(demo, BELOW).shown()

    report_figures.outcome_shares(tables)

    [figure] = drawn.values()
    [axes] = figure.axes
    heights = [p.get_height() for p in rectangles(axes)]
    labels = [t.get_text() for t in axes.texts]
    assert heights[1] == 0 and "x" in labels  # education: 3 of 98, hidden
    assert heights[0] == 9 and "9 %" in labels


def test_bars_write_the_mark_where_a_hidden_bar_would_stand() -> None:
    _, axes = new_figure()

    bars(axes, ["a", "b", "c"], {"n": [12, "<5", "x"]})

    assert [p.get_height() for p in rectangles(axes)] == [12, 0, 0]
    assert [t.get_text() for t in axes.texts] == ["12", "<5", "x"]


def test_a_consultant_name_is_drawn_as_written(drawn: dict[str, Any]) -> None:
    odd = load("$\\frac{a}{$", CourseState.ACTIVE)
    tables = {t["name"]: t for t in operations_report([odd], []).shown()}

    report_figures.caseload(tables, 25)

    [figure] = drawn.values()
    figure.canvas.draw()  # a name read as TeX math would fail here
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert labels == ["\\$\\frac{a}{\\$"]


def rectangles(axes: Any) -> list[Any]:
    from matplotlib.patches import Rectangle

    return [p for p in axes.patches if isinstance(p, Rectangle)]


def test_matplotlib_is_not_imported_with_the_command_line() -> None:
    import subprocess
    import sys

    code = "import sys, cli.main, projections.report_html; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=Path(__file__).parents[2],
    )  # fmt: skip

    assert result.stdout.strip() == "False"
