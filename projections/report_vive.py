"""The report's sections for VIVE's distribution tables (4.1-4.7, 5.2, 5.3, 6.2-6.4).

Each section shows one table beside a chart of its percentages: one plot per
block of the table (a question, or a group of citizens), one bar series per
column. The chart reads the shown table only, so suppressed cells stay hidden.
"""

from __future__ import annotations

from collections.abc import Callable

from projections.report_charts import Shown, bars, new_figures, svg_uri

Tables = dict[str, Shown]
LABEL_WIDTH = 22
"""Answer labels longer than this are cut in the charts (the table has them whole)."""

INTROS: dict[str, str] = {
    "4.1": "Sex and nationality from the start staff form; age on the day of the baseline.",
    "4.2": "The citizen's self-rated mental health and the consultant's view of mental "
    "problems limiting daily life, at the start.",
    "4.3": "Psychiatric diagnosis and prescribed medication, the consultant's start form.",
    "4.4": "The citizen's self-rated physical health and the consultant's view of physical "
    "problems limiting daily life, at the start.",
    "4.5": "Self-rated mental (rows) by physical (columns) health at the start; every cell a "
    "share of all who answered both.",
    "4.6": "Misuse of alcohol, cannabis and hard drugs, the consultant's start form.",
    "4.7": "Able to handle everyday functions, own economy and the support system, the "
    "consultant's start form.",
    "5.2": "Self-rated health at the start, by the course's status on the date.",
    "5.3": "How often individual sessions are held, staff forms at points 1, 2 and 3.",
    "6.2": "Self-rated health at the start, by whether the citizen has had ordinary work.",
    "6.3": "The consultant's BIP indicators at points 1 and 3, the same citizens.",
    "6.4": "The citizen's BIP indicators at points 1 and 3, the same citizens.",
}
"""What each section shows; percentages are of those answering."""


def blocks(table: Shown) -> dict[str, list[tuple[str, list[object]]]]:
    """The table's rows by block (the label's part before ": "), answer rows only."""
    found: dict[str, list[tuple[str, list[object]]]] = {}
    for shown_row in table["rows"]:
        block, _, label = shown_row["label"].partition(": ")
        if label in ("forms (n)", "answered") or not label:
            continue
        found.setdefault(block, []).append((label, shown_row["cells"]))
    return found


def _short(label: str) -> str:
    return label if len(label) <= LABEL_WIDTH else label[: LABEL_WIDTH - 1] + "…"


def distribution_chart(name: str) -> Callable[[Tables], str]:
    """A chart of one distribution table: a plot per block, a bar series per column."""

    def chart(tables: Tables) -> str:
        table = tables[name]
        by_block = blocks(table)
        columns = table["columns"]
        figure, plots = new_figures(width=min(13.0, 3.4 * len(by_block)), height=3.6,
                                    ncols=len(by_block))  # fmt: skip
        for axes, (block, rows) in zip(plots, by_block.items(), strict=True):
            series = {
                columns[i]: [cells[i + 1] for _, cells in rows]
                for i in range(0, len(columns), 2)
                if any(cells[i + 1] is not None for _, cells in rows)
            }
            bars(axes, [_short(label) for label, _ in rows], series, unit="%")
            axes.set_title(_short(block), fontsize=9)
            axes.tick_params(axis="x", labelrotation=60, labelsize=7)
        return svg_uri(figure)

    return chart


def cross_chart(tables: Tables) -> str:
    """Table 4.5 as bars: for each mental-health level, the share at each physical level."""
    table = tables["4.5"]
    columns = table["columns"]
    levels = [columns[i] for i in range(0, len(columns) - 2, 2)]
    rows = [r for r in table["rows"] if r["label"].startswith("psykisk: ")]
    figure, [axes] = new_figures(width=7.0, height=3.6)
    series = {
        r["label"].partition(": ")[2]: [r["cells"][2 * i + 1] for i in range(len(levels))]
        for r in rows
    }
    bars(axes, levels, series, unit="%")
    axes.set_title("fysisk helbred (x) efter psykisk helbred (farve)", fontsize=9)
    return svg_uri(figure)
