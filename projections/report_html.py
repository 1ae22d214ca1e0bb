"""The visual report: one self-contained HTML page of charts, each beside its tables.

Sections: the status funnel, outcomes against the programme's targets, health
and WHO-5 (point 1 against point 3), forms per measurement point, network
meetings (staff answer against meetings recorded), caseload per consultant
against the target, and what is due or overdue; for a programme beside På vej
til arbejde, the tables its definition names in place of VIVE's
(`projections.report_programme`). Every number drawn is also in
a table beside the chart, and both come from the same shown tables
(`Report.shown`), so with suppression on a hidden cell is hidden in both.

The page carries its CSS inline and its charts as `data:` URIs: it makes no
request, and can be opened, printed or sent as one file. It holds no CPR
number and no free text: only table labels, counts, consultants' user names
and the programme's name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import Any

from projections.outcomes_report import SECONDARY_MARK, Report
from projections.report_charts import Shown, column, mark
from projections.report_methods import methods_html
from projections.report_programme import headline_cards, programme_sections
from projections.report_style import CSS

Tables = dict[str, Shown]
Chart = Callable[[Tables], str]
SHORT_TABLE = 20
"""Tables of at most this many rows are kept on one printed page."""


TEAM_LEAD, EVALUATOR = "team-lead", "evaluator"
VARIANTS = (TEAM_LEAD, EVALUATOR)
"""Who a report is for: a team lead (operations, caseload, trends, breakdowns by named
consultant; no health detail) or an evaluator (every VIVE table, time to event, paths,
breakdowns, the methods; no workloads)."""
BOTH = frozenset(VARIANTS)


@dataclass(frozen=True)
class Section:
    """One part of the report: a chart and the tables it is drawn from."""

    name: str
    title: str
    intro: str
    chart: Chart
    tables: tuple[str, ...]
    alt: str
    variants: frozenset[str] = BOTH
    """The variants of the report that have this section."""


@dataclass(frozen=True)
class ReportPage:
    """What the page is of, and the reports it shows (suppressed together, as one pull)."""

    programme: str
    as_of: date
    outcomes: Report
    operations: Report | None
    """The caseload and due tables; None leaves their sections out (an evaluator's report)."""
    known_at: str = "now"
    cohort: str = "all referred"
    suppress_below: int | None = None
    target_caseload: int = 25
    generated: datetime | None = None
    analyses: tuple[Report, ...] = ()
    """Trends and breakdowns, and for evaluators paths and time to event."""
    variant: str = EVALUATOR
    title: str = ""
    """The programme's name as its definition gives it (the slug when it has none)."""

    def pull(self) -> Report:
        """Every table of the page as one report, so one suppression covers them all."""
        operations = () if self.operations is None else (self.operations,)
        shown = {name for section in page_sections(self) for name in section.tables}
        return self.outcomes.merged(*operations, *self.analyses).only(shown)

    def shown(self) -> Tables:
        """Every table as published (suppressed under `suppress_below`), by name."""
        return {table["name"]: table for table in self.pull().shown(self.suppress_below)}

    @property
    def name(self) -> str:
        """The programme's name as printed."""
        return self.title or self.programme


BREAKDOWN_NOTES = {
    "consultant": " (as of the date)",
    "match group": " (as of the date)",
    "profile": " (as of the date; a course counts under each of its profiles, so the "
    "groups add up to more than the total)",
}
"""What the section of a breakdown says of its groups, after its name."""


def sections(target_caseload: int, known_at: str = "now") -> tuple[Section, ...]:
    """The report's sections in order (charts imported lazily with matplotlib)."""
    from projections import report_analysis_figures as ana
    from projections import report_figures as fig
    from projections import report_vive as vive

    recorded = (
        ""
        if known_at == "now"
        else " Counted from everything recorded so far: the known-at time applies to the "
        "outcome tables only."
    )
    lead, evaluator = frozenset({TEAM_LEAD}), frozenset({EVALUATOR})

    return (
        Section("status", "Course status", "Everyone referred, whether a baseline "
                "(start measurement) was taken, and how the courses with a baseline stand.",
                fig.status_funnel, ("status",), "Stacked bars: referred and with baseline"),
        Section("outcomes", "Outcomes against the targets", "Share of those with a baseline who "
                "have had ordinary work, started an education or a praktik, against the "
                "programme's goals (work ≥ 20 %, education ≥ 15 %).",
                fig.outcome_shares, ("goals", "outcomes", "job_path", "follow_up"),
                "Bars: outcome shares with target lines"),
        *programme_sections(BOTH),
        Section("caseload", "Caseload per consultant", f"Open courses as of the date, by state, "
                f"against the target of {target_caseload} per consultant (all open courses of "
                "the programme, whatever their cohort)." + recorded,
                lambda tables: fig.caseload(tables, target_caseload), ("caseload",),
                "Stacked bars: open courses per consultant with the target", lead),
        Section("overdue", "Due and overdue", "Measurements and network meetings more than 91 "
                "days after the last one, and praktik past their planned end, as of the date."
                + recorded,
                fig.overdue, ("overdue", "overdue_age"),
                "Stacked bars: items due or overdue per consultant", lead),
        Section("trends", "Trends per quarter", "Referrals, baselines, exits by kind and "
                "ordinary jobs started, in the quarter each happened.", ana.trends, ("trends",),
                "Lines: counts per quarter"),
        *(
            Section(f"by-{name}", f"By {name}", f"Status and outcomes of the cohort's courses "
                    f"by {name}{BREAKDOWN_NOTES.get(name, '')}; all "
                    "but referred are of those with a baseline.",
                    ana.breakdown(f"by_{name.replace(' ', '_')}"),
                    (f"by_{name.replace(' ', '_')}",), f"Bars: status and outcomes by {name}")
            for name in ("consultant", "team", "benefit type", "match group", "profile")
        ),
        Section("forms", "Forms per measurement point", "Citizen and staff forms recorded at "
                "each point (about every 3 months).", fig.forms, ("forms",),
                "Grouped bars: forms per measurement point"),
        Section("network", "Network meetings", "Staff form: network meeting in the last 3 "
                "months? The answer against meetings actually recorded in the 91 days before.",
                fig.network, ("network",), "Grouped bars: staff answer against recorded"),
        Section("health", "Self-rated health", "The same citizens at the start (point 1) and "
                "after about 6 months (point 3): share answering each level.",
                fig.health, ("mental_health", "physical_health"),
                "Grouped bars: health levels at point 1 and point 3", evaluator),
        Section("who5", "WHO-5 well-being", "Mean index (raw score × 4) and each item's mean "
                "score at point 1 and point 3, same citizens; the table gives every score's count.",
                fig.who5, ("who5",), "Bars: WHO-5 mean index and item means", evaluator),
        *(
            Section(f"vive-{n}", f"VIVE table {n}", intro,
                    vive.cross_chart if n == "4.5" else vive.distribution_chart(n), (n,),
                    f"Bars: the percentages of table {n}", evaluator)
            for n, intro in vive.INTROS.items()
        ),
        Section("time-to-event", "Time to first praktik, job, education and unplanned exit",
                "Days from the referral, Kaplan–Meier: the share not yet reached at the end of "
                "each interval, with its 95 % interval (shaded) and the numbers at risk.",
                ana.survival, ("medians", "km_praktik", "km_job", "km_education",
                               "km_unplanned_exit"),
                "Step curves: % not yet reached, with 95 % bands", evaluator),
        Section("competing", "First outcome, competing risks", "Job, education and unplanned "
                "exit compete: whichever comes first ends the course's time (Aalen–Johansen "
                "cumulative incidence, 95 % intervals shaded).", ana.incidence, ("competing",),
                "Step curves: cumulative incidence of each first outcome", evaluator),
        Section("time-in-state", "Time in each state", "Days spent in each state, of the stays "
                "ended by the date; stays still under way are counted beside them.",
                ana.time_in_state, ("time_in_state",),
                "Bars: quartiles and median of days in each state", evaluator),
        Section("paths", "The most common paths", "The courses' paths through the states so "
                "far, the most common first.", ana.paths, ("paths",),
                "Bars: courses per path", evaluator),
        Section("way-into-work", "The way into work", "Each course's first ordinary job, in "
                "the quarter it started: after a praktik in the course, or directly.",
                ana.way_into_work, ("way_into_work",),
                "Bars: first jobs per quarter, via praktik or direct", evaluator),
    )  # fmt: skip


# Rendering --------------------------------------------------------------------------


def render_page(page: ReportPage) -> str:
    """The whole report as one HTML document."""
    tables = page.shown()
    body = [
        _header(page, tables),
        "<main>",
        *(_section(s, tables, page.suppress_below) for s in shown_sections(page, tables)),
        methods_html(page.variant, page.suppress_below, _method_notes(tables)),
        "</main>",
        _footer(page, tables),
    ]
    title = f"{page.name}: {VARIANT_TITLES[page.variant]} as of {page.as_of}"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


VARIANT_TITLES = {TEAM_LEAD: "team lead's report", EVALUATOR: "evaluator's report"}


def page_sections(page: ReportPage) -> list[Section]:
    """The sections of the page's variant."""
    found = sections(page.target_caseload, page.known_at)
    return [section for section in found if page.variant in section.variants]


def shown_sections(page: ReportPage, tables: Tables) -> list[Section]:
    """The variant's sections whose tables are all in the report, leaving out one whose
    tables an earlier section shows already (MB's follow-up stands alone; VIVE's sits
    with the outcomes)."""
    found: list[Section] = []
    placed: set[str] = set()
    for section in page_sections(page):
        if all(name in tables for name in section.tables) and not placed >= set(section.tables):
            found.append(section)
            placed.update(section.tables)
    return found


def _method_notes(tables: Tables) -> tuple[str, ...]:
    """Methods notes on what only some reports have."""
    notes = []
    if "by_match_group" in tables or "by_profile" in tables:
        notes.append(
            "Match group and profiles are taken as of the date: the latest segmentation "
            "naming a match group, and the latest naming profiles. By profile a course "
            "counts under each of its profiles (none: under “(none)”), so those groups "
            "add up to more than the total and are not its parts."
        )
    if "status" not in tables:
        notes.append(
            "The outcome tables are those the programme's definition names (its "
            "outcome_tables), counted from events as forloeb outcomes counts them."
        )
    return tuple(notes)


def _header(page: ReportPage, tables: Tables) -> str:
    slug = "" if page.name == page.programme else f" ({page.programme})"
    facts = [
        ("programme", page.name + slug),
        ("cohort", page.cohort),
        ("as of", str(page.as_of)),
        ("known at", page.known_at),
    ]
    meta = " · ".join(f"{escape(k)} <strong>{escape(v)}</strong>" for k, v in facts)
    notice = ""
    if page.suppress_below is not None:
        notice = (
            f'<p class="notice">Counts under {page.suppress_below} are shown as '
            f"“&lt;{page.suppress_below}”, and as “{SECONDARY_MARK}” any figure that would give "
            "one away; suppressed values are left out of the charts too.</p>"
        )
    return (
        f"<header>\n<h1>{escape(page.name)} — {VARIANT_TITLES[page.variant]}</h1>\n"
        f'<p class="meta">{meta}</p>\n{notice}\n{_cards(page, tables)}\n</header>'
    )


def _cards(page: ReportPage, tables: Tables) -> str:
    """Key figures at the top: the funnel's ends, the goals (or the programme tables' own
    figures), the caseload."""
    if "status" in tables:
        status = column(tables["status"], "n")
        cards = [
            (mark(status["referred"]), "referred", False),
            (mark(status["with baseline"]), "with a baseline", False),
            (mark(status["ongoing"]), "ongoing", False),
        ]
    else:
        cards = []
        if "trends" in tables:
            cards.append((mark(column(tables["trends"], "total")["referrals"]), "referred", False))
        cards += headline_cards(tables)
    for r in tables["goals"]["rows"] if "goals" in tables else []:
        n, pct, target, met = r["cells"]
        value = f"{mark(pct)} %" if isinstance(pct, int | float) else mark(pct)
        label = f"{r['label']} (target ≥ {mark(target)} %; n = {mark(n)})"
        cards.append((value, label, met == "no"))
    if "caseload" in tables:
        loads = [r for r in tables["caseload"]["rows"] if r["label"] != "all consultants"]
        over = [r for r in loads if isinstance(r["cells"][-1], int) and r["cells"][-1] > 0]
        over_label = f"consultants over the target of {page.target_caseload}"
        cards.append((f"{len(over)} of {len(loads)}", over_label, bool(over)))
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card{" miss" if miss else ""}"><div class="value">{escape(value)}</div>'
            f'<div class="label">{escape(label)}</div></div>'
            for value, label, miss in cards
        )
        + "</div>"
    )


def _section(section: Section, tables: Tables, below: int | None) -> str:
    chart = section.chart(tables)
    shown = "".join(table_html(tables[name], below) for name in section.tables)
    return (
        f'<section id="{section.name}">\n<h2>{escape(section.title)}</h2>\n'
        f'<p class="intro">{escape(section.intro)}</p>\n<div class="pair">\n'
        f'<figure><img src="{chart}" alt="{escape(section.alt)}">'
        f"<figcaption>{escape(section.alt)}; the numbers are in the table"
        f"{'s' if len(section.tables) > 1 else ''} beside it.</figcaption></figure>\n"
        f'<div class="tables">{shown}</div>\n</div>\n</section>'
    )


def table_html(table: Shown, below: int | None = None) -> str:
    """One shown table as HTML: caption, column headings, a row per label."""
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in table["columns"])
    short = ' class="short"' if len(table["rows"]) <= SHORT_TABLE else ""
    rows = []
    for r in table["rows"]:
        label: str = r["label"]
        marks = (("sub", label.startswith(" ")), ("long", len(label) > LONG_LABEL))
        kinds = [kind for kind, on in marks if on]
        sub = f' class="{" ".join(kinds)}"' if kinds else ""
        total = ' class="total"' if label.strip() in ("all consultants", "all due items") else ""
        cells = "".join(_cell(value, below) for value in r["cells"])
        text = escape(label.strip().replace("_", " "))
        rows.append(f'<tr{total}><th scope="row"{sub}>{text}</th>{cells}</tr>')
    name, title = escape(table["name"]), escape(table["title"])
    return (
        f'<table id="table-{name}"{short}><caption>{title}</caption>'
        f'<thead><tr><th scope="col"></th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


LONG_LABEL = 48
"""Row labels longer than this (a VIVE question with its answer) wrap in their cell."""


def _cell(value: Any, below: int | None) -> str:
    text = escape(mark(value))
    if below is not None and value in (f"<{below}", SECONDARY_MARK):
        return f'<td class="suppressed" title="suppressed">{text}</td>'
    if value == "no":
        return f'<td class="miss">{text}</td>'
    return f"<td>{text}</td>"


def _footer(page: ReportPage, tables: Tables) -> str:
    when = f" Generated {page.generated:%Y-%m-%d %H:%M %Z}." if page.generated else ""
    follow = (
        "follow the VIVE midterm evaluation of “På vej til arbejde” (tables 2.1, 4.1-4.7, "
        "5.1-5.4, 6.1-6.6)"
        if "status" in tables
        else f"are those the definition of {page.name} names"
    )
    return (
        "<footer>Percentages are whole numbers, rounded half up from the counts. Outcome tables "
        f"{escape(follow)}. No CPR numbers or free text are included.{escape(when)}</footer>"
    )


def table_numbers(tables: Sequence[Shown]) -> list[str]:
    """Every cell of the tables as the report writes it (for checking a rendered page)."""
    return [mark(v) for t in tables for r in t["rows"] for v in r["cells"] if v is not None]
