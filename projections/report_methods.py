"""The report's closing section: how its figures were made, and how small cells are hidden."""

from __future__ import annotations

from html import escape

from projections.analysis_tables import INTERVAL_DAYS, VARIANTS_SHOWN

COMMON = (
    "Counts are of the cohort's courses as the log stands at the known-at time, folded as "
    "of the date; each fact counts in the quarter it happened. Percentages are whole "
    "numbers, rounded half up from the counts.",
)
EVALUATOR_NOTES = (
    f"Time to event runs from the referral. A course not (yet) reaching the event is "
    f"censored at its exit, or at the date while it is open. Kaplan–Meier estimates "
    f"(lifelines) carry 95 % log-log intervals (exponential Greenwood); medians are read "
    f"where the curve and its bounds cross one half. Job, education and unplanned exit "
    f"compete as first outcomes (Aalen–Johansen cumulative incidence; the events of one day "
    f"are taken in that order, censorings after them). Numbers at risk are given per "
    f"{INTERVAL_DAYS} days.",
    f"Time in state counts the stays ended by the date (quartiles by the inclusive method) "
    f"beside those still under way. Paths are the states each course went through, the "
    f"{VARIANTS_SHOWN} most common shown and the rest summed.",
    "Breakdowns put each course in one group: its resource consultant as of the date "
    "(numbered, not named), that consultant's team in the configuration, the benefit type "
    "it was referred with.",
)
TEAM_LEAD_NOTES = (
    "Caseload and due items count every open course of the programme as of the date, "
    "whatever its cohort. Breakdowns put each course with its resource consultant as of "
    "the date and that consultant's team. Health answers are not in this report: they are "
    "in the evaluator's.",
)


def suppression_note(below: int | None) -> str:
    """How small cells are hidden in this report, or that they are not."""
    if below is None:
        return (
            "No small-cell suppression was asked for: the report may hold counts small "
            "enough to identify a citizen, and must not be published as it is "
            "(`--suppress-below N`)."
        )
    return (
        f"Counts under {below} are hidden (“<{below}”). So that none can be worked out, "
        "the fewest further cells needed are hidden too (“x”: a count of "
        f"{below} or more, or a figure over a hidden count). All tables of this report are "
        "suppressed together in one pass: a count shown in two tables is hidden in both or "
        "in neither, and sums that run across tables (a team is its consultants, a total "
        "the sum of its quarters) are taken into account, so no hidden cell follows from "
        "the margins or from another table. Charts draw what the tables show."
    )


def methods_html(variant: str, below: int | None, extra: tuple[str, ...] = ()) -> str:
    """The methods section of the report for `variant` ("team-lead" or "evaluator"), with
    the `extra` notes on what this report has beside the usual."""
    notes = (*COMMON, *(EVALUATOR_NOTES if variant == "evaluator" else TEAM_LEAD_NOTES), *extra)
    paragraphs = "".join(f"<p>{escape(text)}</p>" for text in (*notes, suppression_note(below)))
    return (
        '<section id="methods" class="methods">\n<h2>Methods and suppression</h2>\n'
        f"{paragraphs}\n</section>"
    )
