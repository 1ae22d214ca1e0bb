"""One colour per meaning across the report's charts.

Each chart is drawn from hand-made shown tables; its SVG is read for the fill
and stroke colours it uses. A meaning drawn in a chart is drawn in its own
colour there, and no chart uses a meaning's colour for anything else.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import pytest

from projections import report_analysis_figures as ana
from projections import report_figures as fig
from projections import report_programme as programme
from projections.report_palette import MEANINGS, RAMP, colour, colours, meaning_of

Shown = dict[str, Any]


def table(name: str, columns: list[str], rows: dict[str, list[Any]]) -> Shown:
    return {
        "name": name,
        "title": name,
        "columns": columns,
        "rows": [{"label": label, "cells": cells} for label, cells in rows.items()],
    }


def life_table(name: str, extra: int) -> Shown:
    """Three intervals of 91 days: at risk, events, censored, then estimates and CIs."""
    rows = {
        f"day {first}–{first + 90}": [20 - i * 5, *[1] * extra, 1, 90 - 10 * i, "80–95"]
        for i, first in enumerate((0, 91, 182))
    }
    return table(name, ["at risk"] + ["n"] * extra + ["censored", "%", "95 % CI"], rows)


COMPETING_ROWS = {
    f"day {first}–{first + 90}": [20 - i * 5, 1, 1, 1, 1, 5 + i, "1–9", 3 + i, "1–7", 4 + i, "1–8"]
    for i, first in enumerate((0, 91, 182))
}
BREAKDOWN_COLUMNS = ["referred", "with baseline", "ongoing", "planned exit", "unplanned exit",
                     "job with ordinary hours", "started education"]  # fmt: skip
TABLES: dict[str, Shown] = {
    "trends": table(
        "trends",
        ["2018Q1", "2018Q2", "total"],
        {
            "referrals": [10, 12, 22],
            "baselines": [8, 9, 17],
            "planned exits": [5, 6, 11],
            "unplanned exits": [5, 7, 12],
            "jobs started": [6, 6, 12],
        },
    ),
    "by_team": table(
        "by_team",
        BREAKDOWN_COLUMNS,
        {
            "nord": [30, 25, 10, 8, 7, 9, 6],
            "syd": [20, 18, 9, 5, 4, 6, 5],
            "total": [50, 43, 19, 13, 11, 15, 11],
        },
    ),
    "time_in_state": table(
        "time_in_state",
        ["ended", "ongoing", "Q1", "median", "Q3"],
        {
            s: [10, 5, 10.0, 20.0, 30.0]
            for s in ("visitation", "baseline", "active", "praktik", "job", "education")
        },
    ),
    "km_praktik": life_table("km_praktik", 1),
    "km_job": life_table("km_job", 1),
    "km_education": life_table("km_education", 1),
    "km_unplanned_exit": life_table("km_unplanned_exit", 1),
    "competing": table(
        "competing",
        [
            "at risk",
            "job",
            "education",
            "unplanned exit",
            "censored",
            "% job",
            "95 % CI",
            "% education",
            "95 % CI",
            "% unplanned exit",
            "95 % CI",
        ],
        COMPETING_ROWS,
    ),
    "way_into_work": table(
        "way_into_work",
        ["via praktik", "direct", "first jobs", "% via praktik"],
        {"2018Q1": [5, 6, 11, 45], "2018Q2": [7, 8, 15, 47], "all quarters": [12, 14, 26, 46]},
    ),
    "status": table(
        "status",
        ["n", "%"],
        {
            "referred": [50, None],
            "exited before baseline": [5, None],
            "awaiting baseline": [5, None],
            "with baseline": [40, 100],
            "ongoing": [20, 50],
            "planned exit": [10, 25],
            "unplanned exit": [10, 25],
        },
    ),
    "completion": table(
        "completion",
        ["hold-1 n", "hold-1 %", "all n", "all %"],
        {
            "participants": [24, None, 72, None],
            "completed the programme": [18, 75, 53, 74],
            "left early (unplanned exit)": [4, 17, 12, 17],
            "  not_motivated": [4, 17, 12, 17],
            "ended otherwise (planned exit)": [1, 4, 3, 4],
            "still in the programme": [1, 4, 4, 6],
        },
    ),
    "outcome_kinds": table(
        "outcome_kinds",
        ["n", "% of completers"],
        {
            "completed the programme": [53, None],
            "in work": [37, 70],
            "  flexjob (fleksjob)": [22, 42],
            "in education": [8, 15],
            "onto disability pension (førtidspension)": [8, 15],
            "still in the programme": [0, 0],
        },
    ),
}

DRAWS: dict[str, tuple[Callable[[dict[str, Shown]], str], set[str]]] = {
    "trends": (ana.trends, {"referral", "baseline", "planned exit", "unplanned exit", "job"}),
    "breakdown": (ana.breakdown("by_team"),
                  {"active", "planned exit", "unplanned exit", "job", "education"}),
    "time in state": (ana.time_in_state,
                      {"visitation", "baseline", "active", "praktik", "job", "education"}),
    "survival": (ana.survival, {"praktik", "job", "education", "unplanned exit"}),
    "incidence": (ana.incidence, {"job", "education", "unplanned exit"}),
    "way into work": (ana.way_into_work, {"praktik", "job"}),
    "status": (fig.status_funnel, {"baseline", "active", "planned exit", "unplanned exit",
                                   "exited before baseline", "visitation"}),
    "completion": (programme.completion, {"completed", "unplanned exit", "planned exit",
                                          "active"}),
    "outcome kinds": (next(s.chart for s in programme.programme_sections(frozenset({"x"}))
                           if s.name == "outcome-kinds"), {"job", "education", "active"}),
}  # fmt: skip
"""Each chart, and the meanings it draws."""


def svg_colours(uri: str) -> set[str]:
    """The fill and stroke colours of an SVG data: URI, as upper-case hex."""
    svg = base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")
    return {c.upper() for c in re.findall(r"(?:fill|stroke):\s*(#[0-9a-fA-F]{6})", svg)}


def test_every_meaning_has_a_colour_of_its_own() -> None:
    assert len(set(MEANINGS.values())) == len(MEANINGS)
    assert not set(RAMP) & set(MEANINGS.values())


@pytest.mark.parametrize(
    ("label", "meaning"),
    [("jobs started", "job"), ("job with ordinary hours", "job"), ("ongoing", "active"),
     ("exited_unplanned", "unplanned exit"), ("unplanned exits", "unplanned exit"),
     ("via praktik", "praktik"), ("with baseline", "baseline"), ("referrals", "referral"),
     ("  planned exit", "planned exit"), ("network_meeting", "network meeting")],
)  # fmt: skip
def test_table_labels_and_states_map_to_their_meaning(label: str, meaning: str) -> None:
    assert meaning_of(label) == meaning
    assert colour(label) == MEANINGS[meaning]


def test_series_without_a_meaning_take_the_ramp() -> None:
    assert colours(["point 1 %", "job", "kvinde"]) == [RAMP[0], MEANINGS["job"], RAMP[1]]


@pytest.mark.parametrize("chart", sorted(DRAWS))
def test_a_chart_draws_each_meaning_in_its_colour_and_no_other_meaning_s(chart: str) -> None:
    draw, meanings = DRAWS[chart]

    used = svg_colours(draw(TABLES))

    assert {MEANINGS[m] for m in meanings} <= used
    others = {c for m, c in MEANINGS.items() if m not in meanings}
    assert used & others == set()


def test_a_job_is_one_green_in_every_chart_that_draws_jobs() -> None:
    job = MEANINGS["job"]
    drawing_jobs = [name for name, (_, meanings) in DRAWS.items() if "job" in meanings]

    for name in drawing_jobs:
        draw, _ = DRAWS[name]
        assert job in svg_colours(draw(TABLES)), name
    assert len(drawing_jobs) >= 5
