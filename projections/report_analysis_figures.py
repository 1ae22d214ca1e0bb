"""The report's charts of the evaluators' analyses: trends, time in state, time to event,
paths, the way into work and the breakdowns.

Like `projections.report_figures`, each chart takes the shown tables by name
and returns an SVG `data:` URI; every colour is its meaning's
(`projections.report_palette`), so a job is one green in all of them. Counts
hidden by suppression are not drawn; the time-to-event estimates depend on no
single cell and are drawn as the tables give them, with the numbers at risk
(as shown, "<N" included) written under the curves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from projections.report_charts import (
    Shown,
    bars,
    mark,
    new_figure,
    new_figures,
    number,
    plain,
    svg_uri,
)
from projections.report_palette import RAMP, colour, meaning_of

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Tables = dict[str, Shown]
ENDPOINTS = ("praktik", "job", "education", "unplanned exit")
"""The Kaplan–Meier tables, one per endpoint (`km_<endpoint>`)."""
COMPETING = ("job", "education", "unplanned exit")
TOTALS = ("total", "all quarters", "all courses")
"""Row labels of totals, left out of the bars drawn per row."""
DAYS = re.compile(r"day (\d+)[–-](\d+)")


def _rows(table: Shown) -> list[tuple[str, list[Any]]]:
    return [(r["label"].strip(), r["cells"]) for r in table["rows"] if r["label"] not in TOTALS]


def trends(tables: Tables) -> str:
    """Referrals, baselines, exits and jobs per quarter: a line per measure; a quarter
    whose count is hidden is a gap in its line (the table beside it gives the mark)."""
    table = tables["trends"]
    quarters = [c for c in table["columns"] if c != "total"]
    figure, axes = new_figure(height=3.6)
    for measure, cells in _rows(table):
        values = [number(v) for v in cells[: len(quarters)]]
        axes.plot(range(len(quarters)), [float("nan") if v is None else v for v in values],
                  marker="o", linewidth=1.8, markersize=4, label=measure,
                  color=colour(measure))  # fmt: skip
    axes.set_xticks(range(len(quarters)), quarters)
    axes.tick_params(axis="x", labelrotation=45)
    axes.set_ylabel("per quarter", fontsize=9)
    axes.set_ylim(bottom=0)
    axes.legend(fontsize=8, frameon=False, ncols=2)
    return svg_uri(figure)


def time_in_state(tables: Tables) -> str:
    """Days in each state (stays ended): the median as a dot, the quartiles as a bar."""
    rows = [(s, c) for s, c in _rows(tables["time_in_state"]) if number(c[3]) is not None]
    figure, axes = new_figure(height=max(2.2, 0.45 * len(rows) + 1.2))
    for y, (state, cells) in enumerate(rows):
        first, middle, third = (number(v) or 0.0 for v in cells[2:5])
        axes.barh(y, third - first, left=first, height=0.5, color=colour(state), alpha=0.55)
        axes.plot([middle], [y], marker="D", color=colour(state), markersize=6)
        axes.annotate(f"{middle:g}", (third, y), xytext=(4, 0), textcoords="offset points",
                      va="center", fontsize=8)  # fmt: skip
    axes.set_yticks(range(len(rows)), [plain(f"{s} (n = {mark(c[0])})") for s, c in rows])
    axes.invert_yaxis()
    axes.set_xlabel("days in the state: quartiles (bar) and median (◆)", fontsize=9)
    return svg_uri(figure)


def _interval(text: Any) -> tuple[float, float] | None:
    if not isinstance(text, str) or "–" not in text:
        return None
    low, high = text.split("–")
    return float(low), float(high)


def _days(table: Shown) -> list[tuple[int, int]]:
    found = []
    for r in table["rows"]:
        match = DAYS.fullmatch(r["label"].strip())
        if match:
            found.append((int(match.group(1)), int(match.group(2))))
    return found


def _curves(axes: Axes, table: Shown, name: str, value_at: int, start: float, label: str) -> None:
    """One step curve, with its 95 % band, from a life table's rows."""
    days = _days(table)
    xs = [0.0, *(float(last + 1) for _, last in days)]
    cells = [r["cells"] for r in table["rows"]]
    values = [number(c[value_at]) for c in cells]
    ys = [start, *(float("nan") if y is None else y for y in values)]
    bands = [_interval(c[value_at + 1]) for c in cells]
    lows = [start, *(b[0] if b else float("nan") for b in bands)]
    highs = [start, *(b[1] if b else float("nan") for b in bands)]
    axes.step(xs, ys, where="post", color=colour(name), linewidth=1.8, label=label)
    axes.fill_between(xs, lows, highs, step="post", color=colour(name), alpha=0.18, linewidth=0)


def _with_risk_table(lines: int) -> tuple[Figure, Axes, Axes]:
    """A figure for curves, with a strip under it for the numbers at risk (a line each)."""
    figure, _ = new_figure(height=3.0 + 0.22 * lines)
    figure.clear()
    grid = figure.add_gridspec(2, 1, height_ratios=(4.0, 0.3 + 0.3 * lines))
    axes = figure.add_subplot(grid[0, 0])
    strip = figure.add_subplot(grid[1, 0], sharex=axes)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    strip.axis("off")
    axes.tick_params(labelsize=9)
    return figure, axes, strip


def _at_risk(strip: Axes, rows: Sequence[tuple[str, Sequence[Any]]], days: list[int]) -> None:
    """The numbers at risk at each interval's first day, a line per curve."""
    strip.set_ylim(len(rows) + 0.2, -0.8)
    strip.text(0, -0.6, "at risk", fontsize=7, fontweight="bold", ha="left", va="center",
               transform=strip.get_yaxis_transform())  # fmt: skip
    for line, (name, counts) in enumerate(rows):
        strip.text(-0.01, line + 0.4, plain(name), fontsize=7, color=_ink(name), ha="right",
                   va="center", transform=strip.get_yaxis_transform())  # fmt: skip
        for day, count in zip(days, counts, strict=True):
            strip.text(day, line + 0.4, mark(count), ha="center", va="center", fontsize=7)


def _ink(name: str) -> str:
    """A curve's label colour: its meaning's, or plain ink for all courses together."""
    return colour(name) if meaning_of(name) else INK


INK = "#222222"


def survival(tables: Tables) -> str:
    """Kaplan–Meier: the % not yet reached per endpoint with 95 % bands, and the numbers
    at risk per interval under the curves."""
    names = [e for e in ENDPOINTS if f"km_{e.replace(' ', '_')}" in tables]
    figure, axes, strip = _with_risk_table(len(names))
    rows = []
    for endpoint in names:
        table = tables[f"km_{endpoint.replace(' ', '_')}"]
        _curves(axes, table, endpoint, 3, 100.0, endpoint)
        rows.append((endpoint, [r["cells"][0] for r in table["rows"]]))
    first = names[0] if names else None
    days = [d for d, _ in _days(tables[f"km_{first.replace(' ', '_')}"])] if first else []
    axes.set_ylim(0, 102)
    axes.set_ylabel("% not yet reached", fontsize=9)
    axes.set_xlabel("days", fontsize=9)
    axes.legend(fontsize=8, frameon=False, loc="lower left")
    _at_risk(strip, [(n, r) for n, r in rows if len(r) == len(days)], days)
    return svg_uri(figure)


def incidence(tables: Tables) -> str:
    """Aalen–Johansen cumulative incidence of the competing first outcomes, with 95 % bands,
    and the numbers at risk under the curves."""
    table = tables["competing"]
    columns: list[str] = table["columns"]
    figure, axes, strip = _with_risk_table(1)
    for kind in COMPETING:
        _curves(axes, table, kind, columns.index(f"% {kind}"), 0.0, kind)
    axes.set_ylim(0, 100)
    axes.set_ylabel("% reached first", fontsize=9)
    axes.set_xlabel("days", fontsize=9)
    axes.legend(fontsize=8, frameon=False, loc="upper left")
    days = [d for d, _ in _days(table)]
    _at_risk(strip, [("all", [r["cells"][0] for r in table["rows"]])], days)
    return svg_uri(figure)


def way_into_work(tables: Tables) -> str:
    """First ordinary jobs per quarter: via praktik or direct, side by side."""
    table = tables["way_into_work"]
    rows = _rows(table)
    series = {
        "via praktik": [cells[0] for _, cells in rows],
        "direct": [cells[1] for _, cells in rows],
    }
    figure, axes = new_figure()
    bars(axes, [label for label, _ in rows], series)
    axes.tick_params(axis="x", labelrotation=45)
    axes.set_ylabel("first ordinary jobs", fontsize=9)
    return svg_uri(figure)


def paths(tables: Tables) -> str:
    """The most common paths through the states: courses per path."""
    rows = [(label, cells) for label, cells in _rows(tables["paths"])]
    figure, axes = new_figure(width=7.2, height=max(2.4, 0.42 * len(rows) + 1.0))
    values = [number(cells[0]) for _, cells in rows]
    axes.barh(range(len(rows)), [v or 0.0 for v in values], color=RAMP[1], height=0.6)
    for y, (_, cells) in enumerate(rows):
        axes.annotate(mark(cells[0]), (number(cells[0]) or 0.0, y), xytext=(3, 0),
                      textcoords="offset points", va="center", fontsize=8)  # fmt: skip
    axes.set_yticks(range(len(rows)), [plain(label) for label, _ in rows], fontsize=7)
    axes.invert_yaxis()
    axes.set_xlabel("courses", fontsize=9)
    return svg_uri(figure)


SHOWN_MEASURES = ("ongoing", "planned exit", "unplanned exit", "job with ordinary hours",
                  "started education")  # fmt: skip
"""What a breakdown chart draws per group (of those with a baseline)."""


def breakdown(name: str) -> Callable[[Tables], str]:
    """A chart of one breakdown: per group, its courses by status and outcome."""

    def chart(tables: Tables) -> str:
        table = tables[name]
        columns: list[str] = table["columns"]
        rows = _rows(table)
        figure, [axes] = new_figures(width=7.2, height=3.6)
        series = {m: [cells[columns.index(m)] for _, cells in rows] for m in SHOWN_MEASURES}
        bars(axes, [label for label, _ in rows], series)
        axes.tick_params(axis="x", labelrotation=30, labelsize=8)
        axes.set_ylabel("courses with a baseline", fontsize=9)
        return svg_uri(figure)

    return chart
