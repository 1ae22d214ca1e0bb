"""The visual report's charts: matplotlib figures drawn from the tables as published.

Every chart takes a *shown* table (`Report.shown`: plain values, or "<N" and
"x" where cells are suppressed), never the counts behind it, so a suppressed
cell cannot reappear in a picture: a bar whose value is hidden is not drawn,
and its mark is written where it would stand. Charts are SVG (text drawn as
paths, so they look the same everywhere and print sharply), returned as
`data:` URIs for an `<img>`, so the report makes no request and the SVGs'
element ids cannot collide in the page.

matplotlib is imported inside the functions, with the Agg backend, so importing
this module costs nothing.
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from projections.report_palette import SUPPRESSED_GREY, TARGET_COLOUR, colours

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Shown = dict[str, Any]
"""A table as `Report.shown` gives it: name, title, columns, rows of label and cells."""

GREY = "#666666"
WIDTH, HEIGHT = 6.4, 3.6
"""Default figure size in inches."""


def number(value: Any) -> float | None:
    """A cell's value as a number to draw, or None when it is blank or suppressed."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def mark(value: Any) -> str:
    """The text written for a value: the number, or the suppression mark."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def plain(text: str) -> str:
    """A label matplotlib draws as written: a "$" would otherwise start TeX-like math."""
    return text.replace("$", r"\$")


def column(table: Shown, heading: str) -> dict[str, Any]:
    """One column of a shown table, by row label (stripped of its indent)."""
    index = table["columns"].index(heading)
    return {row["label"].strip(): row["cells"][index] for row in table["rows"]}


def row(table: Shown, label: str) -> list[Any]:
    """One row's cells of a shown table, by its label (stripped of its indent)."""
    return next(r["cells"] for r in table["rows"] if r["label"].strip() == label)


# Drawing -----------------------------------------------------------------------


def new_figure(width: float = WIDTH, height: float = HEIGHT) -> tuple[Figure, Axes]:
    """A figure with one plot, in the report's style (no pyplot, so no global state)."""
    figure, [axes] = new_figures(width, height)
    return figure, axes


def new_figures(
    width: float = WIDTH, height: float = HEIGHT, ncols: int = 1, ratios: Sequence[float] = ()
) -> tuple[Figure, list[Axes]]:
    """A figure with `ncols` plots side by side (widths in `ratios`, default equal)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    grid = figure.add_gridspec(1, ncols, width_ratios=list(ratios) or None)
    plots = [figure.add_subplot(grid[0, i]) for i in range(ncols)]
    for axes in plots:
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        axes.tick_params(labelsize=9)
    return figure, plots


def svg_uri(figure: Figure) -> str:
    """The figure as an SVG `data:` URI (deterministic: no date, fixed id salt)."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "forloeb"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def bars(axes: Axes, labels: Sequence[str], series: Mapping[str, Sequence[Any]], *,
         unit: str = "") -> None:  # fmt: skip
    """Grouped bars, one group per label and one bar per series (each in its meaning's
    colour, `projections.report_palette`); a hidden value's bar is not drawn, and its
    mark ("<N" or "x") is written where it would stand."""
    width = 0.8 / max(len(series), 1)
    positions = range(len(labels))
    painted = colours(list(series))
    for s, (name, values) in enumerate(series.items()):
        offsets = [p - 0.4 + width * (s + 0.5) for p in positions]
        heights = [number(v) or 0.0 for v in values]
        drawn = axes.bar(offsets, heights, width * 0.92, label=name, color=painted[s])
        texts = [mark(v) + (unit if number(v) is not None else "") for v in values]
        axes.bar_label(drawn, labels=texts, padding=2, fontsize=8, color="#222222")
    axes.set_xticks(list(positions), [plain(label) for label in labels])
    axes.margins(y=0.15)
    if len(series) > 1:
        axes.legend(fontsize=8, frameon=False)


def target_line(axes: Axes, value: float, label: str, *, horizontal: bool = False) -> None:
    """A dashed line at a target, labelled."""
    line = axes.axvline if horizontal else axes.axhline
    line(value, color=TARGET_COLOUR, linestyle="--", linewidth=1.2)
    if horizontal:
        axes.annotate(label, (value, 1.0), xycoords=("data", "axes fraction"), fontsize=8,
                      color=TARGET_COLOUR, ha="left", va="bottom", xytext=(3, 0),
                      textcoords="offset points")  # fmt: skip
    else:
        axes.annotate(label, (1.0, value), xycoords=("axes fraction", "data"), fontsize=8,
                      color=TARGET_COLOUR, ha="right", va="bottom")  # fmt: skip


SUPPRESSED = "suppressed"
"""Legend entry of the grey segment standing for a bar's suppressed parts together."""


def stacked(
    axes: Axes,
    labels: Sequence[str],
    stacks: Sequence[Mapping[str, Any]],
    colours: Mapping[str, str],
    *,
    totals: Sequence[Any] = (),
    xlabel: str = "",
) -> None:
    """Horizontal stacked bars, one per label, each segment labelled with its count.

    A suppressed part is not drawn. When the bar's total is published, what its
    shown parts leave of it (which the table gives away anyway: total minus the
    parts shown) is drawn as one grey segment, so the bar keeps its length; the
    parts left out are named under the axis.
    """
    hidden: list[str] = []
    seen: set[str] = set()
    sums = [sum(number(v) or 0.0 for v in parts.values()) for parts in stacks]
    room = 0.05 * max([1.0, *sums, *(number(t) or 0.0 for t in totals)])
    for y, parts in enumerate(stacks):
        left = 0.0
        for name, value in parts.items():
            width = number(value)
            if width is None:
                hidden += [name] if name not in hidden else []
                continue
            if width > 0:
                seen.add(name)
                _segment(axes, y, left, width, colours[name], mark(value) if width >= room else "")
            left += width
        total = number(totals[y]) if y < len(totals) else None
        if total is not None and total > left and any(number(v) is None for v in parts.values()):
            seen.add(SUPPRESSED)
            _segment(axes, y, left, total - left, SUPPRESSED_GREY, hatch="///")
    axes.set_yticks(range(len(labels)), [plain(label) for label in labels])
    axes.invert_yaxis()
    note = "\n".join(textwrap.wrap("not drawn (suppressed): " + ", ".join(hidden), 70))
    axes.set_xlabel("\n".join(filter(None, [xlabel, note if hidden else ""])), fontsize=9)
    if seen:
        from matplotlib.patches import Patch

        named = {**colours, SUPPRESSED: SUPPRESSED_GREY}
        handles = [
            Patch(color=colour, label=name) for name, colour in named.items() if name in seen
        ]
        axes.figure.legend(
            handles=handles,
            fontsize=8,
            frameon=False,
            loc="outside lower center",
            ncols=min(len(handles), 5),
        )


def _segment(
    axes: Axes,
    y: int,
    left: float,
    width: float,
    colour: str,
    text: str = "",
    hatch: str | None = None,
) -> None:
    """One segment of a stacked bar, with its count written inside (if given)."""
    axes.barh(y, width, left=left, color=colour, height=0.6, hatch=hatch, edgecolor="white")
    if text:
        axes.text(left + width / 2, y, text, ha="center", va="center", fontsize=8,
                  color="white", fontweight="bold")  # fmt: skip
