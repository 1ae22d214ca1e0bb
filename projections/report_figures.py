"""One chart per section of the visual report, each drawn from the shown tables it sits beside.

Each function takes the shown tables by name (`Report.shown`) and returns an
SVG `data:` URI (`projections.report_charts`). Suppressed cells are never
drawn (see that module).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from projections.report_charts import (
    Shown,
    bars,
    column,
    new_figure,
    new_figures,
    number,
    row,
    stacked,
    svg_uri,
    target_line,
)
from projections.report_operations import ALL
from projections.report_palette import TARGET_COLOUR, colours

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Tables = dict[str, Shown]
HEALTH_LEVELS = ("excellent", "very_good", "good", "less_good", "poor")
WHO5_ITEMS = ("cheerful", "calm", "active", "rested", "interested")
COMPARED = ("point 1", "point 3")
FUNNEL_PARTS = (
    "with baseline",
    "ongoing",
    "planned exit",
    "unplanned exit",
    "exited before baseline",
    "awaiting baseline",
)
"""The status funnel's parts, in colour order."""
XLABELS = {"caseload": "open courses", "overdue": "items due or overdue"}


def _nice(label: str) -> str:
    return label.replace("_", " ")


def status_funnel(tables: Tables) -> str:
    """Referred → with baseline → ongoing / planned / unplanned, as two stacked bars."""
    n = column(tables["status"], "n")
    stacks = [
        {k: n[k] for k in ("with baseline", "exited before baseline", "awaiting baseline")},
        {k: n[k] for k in ("ongoing", "planned exit", "unplanned exit")},
    ]
    painted = dict(zip(FUNNEL_PARTS, colours(FUNNEL_PARTS), strict=True))
    figure, axes = new_figure(height=2.8)
    labels = [f"{name} ({_text(n[name])})" for name in ("referred", "with baseline")]
    totals = [n["referred"], n["with baseline"]]
    stacked(axes, labels, stacks, painted, totals=totals, xlabel="citizens")
    return svg_uri(figure)


def _text(value: Any) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def outcome_shares(tables: Tables) -> str:
    """Share in ordinary work, education and praktik, with the programme's targets."""
    goals, outcomes = tables["goals"], tables["outcomes"]
    share = column(outcomes, "% of with baseline")
    labels = ["ordinary work", "education", "praktik started"]
    values = [
        share["job with ordinary hours"],
        share["started education"],
        share["started praktik"],
    ]
    targets = column(goals, "target %")
    figure, axes = new_figure()
    bars(axes, labels, {"% of those with a baseline": values}, unit=" %")
    for x, label in enumerate(labels[:2]):
        target = number(targets[label])
        if target is not None:
            axes.hlines(target, x - 0.45, x + 0.45, colors=TARGET_COLOUR, linestyles="--")
            axes.annotate(f"target ≥ {target:g} %", (x, target), xytext=(0, 3),
                          textcoords="offset points", ha="center", fontsize=8,
                          color=TARGET_COLOUR)  # fmt: skip
    axes.set_ylabel("% of those with a baseline", fontsize=9)
    axes.set_ylim(0, max(25.0, *(number(v) or 0.0 for v in values)) * 1.15)
    return svg_uri(figure)


def health(tables: Tables) -> str:
    """Self-rated mental and physical health, point 1 against point 3 (same citizens)."""
    figure, axes_list = new_figures(width=7.6, height=3.4, ncols=2)
    for axes, name in zip(axes_list, ("mental_health", "physical_health"), strict=True):
        table = tables[name]
        series = {
            point: [column(table, f"{point} %")[level] for level in HEALTH_LEVELS]
            for point in COMPARED
        }
        bars(axes, [_nice(level) for level in HEALTH_LEVELS], series)
        axes.set_title(f"{name.split('_')[0]} health, % answering", fontsize=10)
        axes.tick_params(axis="x", labelrotation=30)
    return svg_uri(figure)


def who5(tables: Tables) -> str:
    """WHO-5: the mean index, and each item's mean score, point 1 against point 3."""
    table = tables["who5"]
    figure, (index_axes, item_axes) = new_figures(7.6, 3.4, ncols=2, ratios=(1, 2.6))
    means = [column(table, point)["mean index (0-100)"] for point in COMPARED]
    bars(index_axes, list(COMPARED), {"mean index": means})
    index_axes.set_ylim(0, 100)
    index_axes.set_title("mean index (0-100)", fontsize=10)
    series = {point: [_item_mean(table, point, item) for item in WHO5_ITEMS] for point in COMPARED}
    bars(item_axes, list(WHO5_ITEMS), series)
    item_axes.set_ylim(0, 5.5)
    item_axes.set_title("mean item score (0-5)", fontsize=10)
    return svg_uri(figure)


def _item_mean(table: Shown, point: str, item: str) -> float | str | None:
    """An item's mean score from its shown distribution; "x" when a count is suppressed."""
    counts = column(table, point)
    values = [counts[f"{item} = {score}"] for score in range(6)]
    numbers = [number(v) for v in values]
    if any(n is None for n in numbers):
        return "x"
    total = sum(n or 0.0 for n in numbers)
    return round(sum(s * (n or 0.0) for s, n in enumerate(numbers)) / total, 2) if total else None


def forms(tables: Tables) -> str:
    """Citizen and staff forms recorded at each measurement point."""
    table = tables["forms"]
    series = {f"{form} forms": row(table, f"{form} forms") for form in ("citizen", "staff")}
    figure, axes = new_figure()
    bars(axes, table["columns"], series)
    axes.set_ylabel("forms", fontsize=9)
    return svg_uri(figure)


def network(tables: Tables) -> str:
    """Network meeting in the last 3 months: staff answer against meetings recorded."""
    table = tables["network"]
    series = {
        "staff answered yes": row(table, "% yes"),
        "meeting recorded in the 91 days before": row(table, "% recorded"),
    }
    figure, axes = new_figure()
    bars(axes, table["columns"], series)
    axes.set_ylabel("% of staff forms answering", fontsize=9)
    axes.set_ylim(0, 115)
    return svg_uri(figure)


def caseload(tables: Tables, target: int) -> str:
    """Open courses per consultant, stacked by state, against the target caseload."""
    table = tables["caseload"]
    states = [c for c in table["columns"] if c not in ("open courses", "target", "over target")]
    figure, axes, totals = _per_consultant(table, states, "open courses")
    target_line(axes, target, f"target {target}", horizontal=True)
    axes.set_xlim(0, max([target + 5.0, *(number(t) or 0.0 for t in totals)]) * 1.1)
    return svg_uri(figure)


def overdue(tables: Tables) -> str:
    """Due or overdue items per consultant, stacked by kind."""
    table = tables["overdue"]
    kinds = [c for c in table["columns"] if c != "total"]
    figure, _, _ = _per_consultant(table, kinds, "total")
    return svg_uri(figure)


def _per_consultant(table: Shown, parts: list[str], total: str) -> tuple[Figure, Axes, list[Any]]:
    """A stacked bar per consultant (the total row left out) of the columns `parts`."""
    columns: list[str] = table["columns"]
    people = [r for r in table["rows"] if r["label"] != ALL]
    stacks = [{p: r["cells"][columns.index(p)] for p in parts} for r in people]
    totals = [r["cells"][columns.index(total)] for r in people]
    figure, axes = new_figure(height=max(2.2, 0.55 * len(people) + 1.4))
    stacked(
        axes,
        [r["label"] for r in people],
        stacks,
        dict(zip(parts, colours(parts), strict=True)),
        totals=totals,
        xlabel=XLABELS[table["name"]],
    )
    return figure, axes, totals
