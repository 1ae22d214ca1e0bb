"""One colour per meaning, for every chart of the report.

A job is the same green in the trends, the breakdowns, the time-to-event
curves and the outcome bars; an unplanned exit the same vermilion wherever it
is drawn. Table labels and states are mapped to their meaning (`meaning_of`);
series that mean nothing of their own (a VIVE table's columns, the answer
levels of a question) take a blue ramp that no meaning uses, so a meaning's
colour never stands for anything else.

Colours are Okabe-Ito's and Paul Tol's, told apart with the common
colour-vision deficiencies.
"""

from __future__ import annotations

from collections.abc import Sequence

MEANINGS: dict[str, str] = {
    "referral": "#6F6F6F",
    "visitation": "#DDCC77",
    "baseline": "#56B4E9",
    "active": "#0072B2",
    "praktik": "#E69F00",
    "job": "#009E73",
    "education": "#CC79A7",
    "planned exit": "#332288",
    "unplanned exit": "#882255",
    "exited before baseline": "#661100",
    "point 1": "#88CCEE",
    "point 3": "#44AA99",
    "measurement": "#117733",
    "network meeting": "#AA4499",
    "praktik end": "#F0E442",
    "completed": "#999933",
}
"""Each meaning's colour (hex, as matplotlib writes it into the SVG)."""

ALIASES: dict[str, str] = {
    "referred": "referral",
    "referrals": "referral",
    "with baseline": "baseline",
    "baselines": "baseline",
    "awaiting baseline": "visitation",
    "ongoing": "active",
    "planned exits": "planned exit",
    "exited_planned": "planned exit",
    "unplanned exits": "unplanned exit",
    "exited_unplanned": "unplanned exit",
    "jobs started": "job",
    "job with ordinary hours": "job",
    "ordinary work": "job",
    "direct": "job",
    "started education": "education",
    "started praktik": "praktik",
    "via praktik": "praktik",
    "network_meeting": "network meeting",
    "praktik_end": "praktik end",
    "completed the programme": "completed",
    "still in the programme": "active",
    "left early (unplanned exit)": "unplanned exit",
    "ended otherwise (planned exit)": "planned exit",
    "in work": "job",
    "in education": "education",
}
"""Other names of a meaning: table labels, columns and state values."""

RAMP: tuple[str, ...] = ("#08306B", "#2171B5", "#6BAED6", "#9ECAE1", "#C6DBEF", "#4A6FA5")
"""Colours for series without a meaning of their own, in order (no meaning uses them)."""
SUPPRESSED_GREY = "#BBBBBB"
"""The segment standing for a bar's suppressed parts together."""
TARGET_COLOUR = "#B00020"
"""Target lines."""


def meaning_of(label: str) -> str | None:
    """The meaning a label, column or state stands for, if it has one."""
    for name in (label, label.strip(), label.strip().replace("_", " ")):
        name = ALIASES.get(name, name)
        if name in MEANINGS:
            return name
    return None


def colour(label: str) -> str:
    """The colour of the meaning a label stands for (KeyError when it has none)."""
    meaning = meaning_of(label)
    if meaning is None:
        raise KeyError(f"{label!r} has no meaning of its own in the palette")
    return MEANINGS[meaning]


def colours(labels: Sequence[str]) -> list[str]:
    """A colour per label: its meaning's, else the next colour of the ramp."""
    ramp = iter(RAMP * (1 + len(labels) // len(RAMP)))
    return [MEANINGS[m] if (m := meaning_of(label)) else next(ramp) for label in labels]
