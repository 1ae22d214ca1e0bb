"""The report's sections for the tables of the programmes beside På vej til arbejde.

A programme's definition names its outcome tables (`outcome_tables`); for OPH and MB
that is completion per cohort and where the completers went (MB also the follow-up with
its worst case), for the drop-in-centre model contacts and no-shows, for Faxe M3 the
profile shares (`projections.programme_tables`). Each section here pairs one of them with
a chart drawn from the table as shown, like every other section of the report, so a
suppressed cell is drawn nowhere. Sections whose tables a report lacks are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from projections.report_charts import (
    Shown,
    bars,
    column,
    mark,
    new_figure,
    number,
    plain,
    stacked,
    svg_uri,
)
from projections.report_palette import colours

if TYPE_CHECKING:
    from projections.report_html import Section

Tables = dict[str, Shown]
COMPLETION_PARTS = (
    "completed the programme",
    "left early (unplanned exit)",
    "ended otherwise (planned exit)",
    "still in the programme",
)
"""The completion table's rows that part its participants, in the order counted."""


def row_bars(
    name: str, heading: str, *, skip: Callable[[str], bool] = lambda _: False
) -> Callable[[Tables], str]:
    """A chart of one column of a table: a horizontal bar per row that has a value there
    (rows with a blank cell, or skipped, are left out), each in its meaning's colour."""

    def chart(tables: Tables) -> str:
        table = tables[name]
        at = table["columns"].index(heading)
        rows = [
            (r["label"].strip(), r["cells"][at])
            for r in table["rows"]
            if r["cells"][at] is not None and not skip(r["label"].strip())
        ]
        unit = " %" if "%" in heading else ""
        figure, axes = new_figure(height=max(2.0, 0.32 * len(rows) + 1.0))
        values = [number(value) or 0.0 for _, value in rows]
        drawn = axes.barh(range(len(rows)), values, 0.6, color=colours([n for n, _ in rows]))
        texts = [mark(v) + (unit if number(v) is not None else "") for _, v in rows]
        axes.bar_label(drawn, labels=texts, padding=2, fontsize=8, color="#222222")
        axes.set_yticks(range(len(rows)), [plain(label.replace("_", " ")) for label, _ in rows])
        axes.invert_yaxis()
        axes.margins(x=0.15)
        axes.set_xlabel(heading, fontsize=9)
        return svg_uri(figure)

    return chart


def completion(tables: Tables) -> str:
    """Per cohort (and all): its participants as completed, left early, ended otherwise
    and still in the programme, one stacked bar each."""
    table = tables["completion"]
    cohorts = [c[: -len(" n")] for c in table["columns"] if c.endswith(" n")]
    counts = [column(table, f"{cohort} n") for cohort in cohorts]
    stacks = [{part: n[part] for part in COMPLETION_PARTS} for n in counts]
    painted = dict(zip(COMPLETION_PARTS, colours(COMPLETION_PARTS), strict=True))
    figure, axes = new_figure(height=max(2.4, 0.5 * len(cohorts) + 1.6))
    labels = [
        f"{cohort} ({mark(n['participants'])})" for cohort, n in zip(cohorts, counts, strict=True)
    ]
    totals = [n["participants"] for n in counts]
    stacked(axes, labels, stacks, painted, totals=totals, xlabel="participants")
    return svg_uri(figure)


def no_shows(tables: Tables) -> str:
    """Per half-year: the meetings held and those the citizen did not show up to."""
    table = tables["no_shows"]
    periods = [c[: -len(" n")] for c in table["columns"] if c.endswith(" n")]
    series = {
        label: [column(table, f"{period} n")[label] for period in periods]
        for label in ("held", "citizen did not show")
    }
    figure, axes = new_figure()
    bars(axes, periods, series)
    axes.set_ylabel("meetings", fontsize=9)
    return svg_uri(figure)


def _is_figure(label: str) -> bool:
    """Rows of means and medians: figures, not counts, left out of a count chart."""
    return "mean" in label or "median" in label


def programme_sections(both: frozenset[str]) -> tuple[Section, ...]:
    """The sections of the programme tables, for the variants in `both` (every one)."""
    from projections.report_html import Section

    return (
        Section("completion", "Participants and completion", "Everyone referred per cohort "
                "(hold) and in all: who completed the programme, who left early (with the "
                "reason), who ended otherwise, and who is still in it.",
                completion, ("completion",), "Stacked bars: participants per cohort", both),
        Section("outcome-kinds", "Where those who completed went", "Of those who completed "
                "the programme: work by the kind of job held, education, disability pension, "
                "still in the programme, or gone otherwise.",
                row_bars("outcome_kinds", "n", skip=lambda label: label.startswith(
                    "completed the")),
                ("outcome_kinds",), "Bars: completers by kind of outcome", both),
        Section("follow-up", "Follow-up after a planned exit", "Who answered the follow-up, "
                "how many of them were employed, and the worst case: those not answering "
                "counted as not employed.", row_bars("follow_up", "n"), ("follow_up",),
                "Bars: follow-up answers", both),
        Section("contacts", "Entry and registered contacts", "Citizens by how they came in "
                "(referral, self-referral, outreach), the contacts registered by kind, and "
                "the citizens' own ratings of them (1–5).",
                row_bars("contacts", "n", skip=_is_figure), ("contacts",),
                "Bars: citizens and contacts", both),
        Section("no-shows", "Meetings and no-shows", "Meetings per half-year, held or missed "
                "by the citizen (udeblivelser).", no_shows, ("no_shows",),
                "Grouped bars: meetings held and missed per half-year", both),
        Section("profiles", "Match group, profiles and focus", "Of the courses with a "
                "segmentation: match group now, rematches, and each profile and focus ever "
                "recorded (several profiles at once, so the shares add up to more than 100 %).",
                row_bars("profiles", "% of segmented", skip=_is_figure), ("profiles",),
                "Bars: shares of the segmented courses", both),
    )  # fmt: skip


def headline_cards(tables: Tables) -> list[tuple[str, str, bool]]:
    """Key figures of the programme tables for the top of the page: (value, label, missed)."""
    cards: list[tuple[str, str, bool]] = []
    if "completion" in tables:
        n, pct = _row(tables["completion"], "completed the programme", "all")
        cards.append((_percent(pct), f"completed the programme (n = {mark(n)})", False))
    if "contacts" in tables:
        n = column(tables["contacts"], "n")["contacts registered"]
        cards.append((mark(n), "contacts registered", False))
    if "profiles" in tables:
        n = column(tables["profiles"], "n")["with a segmentation recorded"]
        cards.append((mark(n), "courses with a segmentation", False))
    return cards


def _row(table: Shown, label: str, group: str) -> tuple[Any, Any]:
    return column(table, f"{group} n")[label], column(table, f"{group} %")[label]


def _percent(value: Any) -> str:
    return f"{mark(value)} %" if number(value) is not None else mark(value)
