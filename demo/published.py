"""The answers VIVE's midterm tables imply, as whole counts of citizens at the reference size.

These are the "derived counts" of `shared/programmes.md` §1.4: the numbers of
citizens whose answers give the published percentages (at other sizes they are
apportioned). Categories are the instruments' answer codes (`domain.instruments`),
listed in the order the scale prints them; None is a blank answer.
"""

from __future__ import annotations

from typing import Any

Counts = dict[Any, int]

LEVELS = ("excellent", "very_good", "good", "less_good", "poor")
"""Self-rated health, as tables 4.5, 5.2, 6.2 and 6.5 print it (fremragende first)."""

START_HEALTH: dict[tuple[str | None, str], int] = {
    (mental, physical): count
    for mental, row in zip(
        LEVELS,
        ((2, 0, 0, 0, 0), (1, 2, 2, 0, 0), (2, 3, 8, 2, 1), (2, 2, 12, 19, 9), (0, 1, 8, 12, 9)),
        strict=True,
    )
    for physical, count in zip(LEVELS, row, strict=True)
    if count
} | {(None, "very_good"): 1}
"""Table 4.5: (mental, physical) self-rating at the start of the 97 answering both, and the
one citizen who rated physical health only (as "vældig godt", which Tabel 5.2 implies)."""


def _levels(*counts: int, blank: int = 0) -> Counts:
    return dict(zip(LEVELS, counts, strict=True)) | ({None: blank} if blank else {})


START_HEALTH_BY_GROUP: dict[str, dict[str, Counts]] = {
    "ongoing": {
        "mental": _levels(1, 3, 13, 35, 24, blank=1),
        "physical": _levels(4, 8, 21, 29, 15),
    },
    "planned": {"mental": _levels(1, 1, 0, 4, 0), "physical": _levels(3, 0, 2, 1, 0)},
    "unplanned": {"mental": _levels(0, 1, 3, 5, 6), "physical": _levels(0, 1, 7, 3, 4)},
    "in_work": {"mental": _levels(1, 1, 2, 5, 0), "physical": _levels(4, 0, 4, 1, 0)},
    "panel": {"mental": _levels(0, 1, 6, 17, 14, blank=1), "physical": _levels(1, 4, 11, 15, 8)},
}
"""Tables 5.2 (by status), 6.2 (those in work) and 6.5 (citizens with forms at points 1 and
3): the start self-ratings within each group."""

PANEL_HEALTH_AT_3: dict[str, Counts] = {
    "mental": _levels(0, 2, 9, 19, 9),
    "physical": _levels(1, 4, 12, 16, 6),
}
"""Table 6.5, third measurement."""

WHO5_ITEM_COUNTS: dict[int, dict[str, tuple[int, ...]]] = {
    1: {
        "cheerful": (0, 7, 11, 7, 11, 3),
        "calm": (1, 7, 4, 4, 20, 3),
        "active": (0, 4, 9, 1, 19, 6),
        "rested": (1, 4, 2, 4, 13, 15),
        "interested": (3, 6, 10, 5, 6, 9),
    },
    3: {
        "cheerful": (0, 13, 9, 12, 3, 2),
        "calm": (0, 8, 11, 6, 10, 4),
        "active": (1, 2, 9, 7, 13, 7),
        "rested": (1, 4, 5, 9, 7, 13),
        "interested": (2, 6, 13, 5, 7, 6),
    },
}
"""Table 6.6: per item, citizens answering 5 (hele tiden) down to 0 (på intet tidspunkt)."""

_BIP_CODES = (1, 2, 3, 4, 5, "dont_know")


def _bip(*counts: int, blank: int = 0) -> Counts:
    return dict(zip(_BIP_CODES, counts, strict=True)) | ({None: blank} if blank else {})


CITIZEN_BIP: dict[int, dict[str, Counts]] = {
    1: {
        "job_idea": _bip(9, 7, 8, 14, 1, 0),
        "energy": _bip(14, 4, 17, 2, 2, 0),
        "health_for_work": _bip(9, 7, 17, 4, 1, 1),
        "skills_useful": _bip(1, 3, 15, 10, 9, 1),
        "can_manage_job": _bip(5, 6, 15, 9, 4, 0),
        "knows_next_steps": _bip(9, 7, 11, 9, 1, 2),
    },
    3: {
        "job_idea": _bip(9, 7, 6, 15, 2, 0),
        "energy": _bip(10, 6, 15, 4, 3, 1),
        "health_for_work": _bip(7, 14, 9, 5, 2, 2),
        "skills_useful": _bip(2, 4, 11, 8, 12, 1, blank=1),
        "can_manage_job": _bip(4, 9, 13, 7, 5, 1),
        "knows_next_steps": _bip(6, 9, 12, 8, 3, 1),
    },
}
"""Table 6.4: the 39 citizens with citizen forms at points 1 and 3 (levels 1-5, don't know)."""

STAFF_BIP: dict[int, dict[str, Counts]] = {
    1: {
        "realistic_skills": _bip(1, 2, 2, 18, 4, 17),
        "goal_directed": _bip(7, 5, 9, 6, 2, 15),
        "concentration": _bip(2, 5, 7, 13, 2, 15),
        "everyday_and_job": _bip(5, 13, 7, 4, 1, 14),
    },
    3: {
        "realistic_skills": _bip(2, 0, 7, 20, 8, 6, blank=1),
        "goal_directed": _bip(11, 11, 13, 7, 1, 0, blank=1),
        "concentration": _bip(2, 3, 14, 17, 4, 3, blank=1),
        "everyday_and_job": _bip(5, 19, 4, 11, 2, 2, blank=1),
    },
}
"""Table 6.3: the 44 citizens with staff forms at points 1 and 3."""

_LIMITS = ("high", "some", "lesser", "not_at_all", "dont_know")
_ABLE = ("high", "some", "limited", "great_difficulty", "dont_know")
_SUBSTANCE = ("large", "some", "limited", "no", "dont_know")
_YES_NO = ("yes", "no", "dont_know")


def _on(codes: tuple[str, ...], *counts: int, blank: int = 0) -> Counts:
    return dict(zip(codes, counts, strict=True)) | ({None: blank} if blank else {})


START_STAFF: dict[str, Counts] = {
    "mental_problems_limit": _on(_LIMITS, 25, 54, 15, 2, 2),
    "physical_problems_limit": _on(_LIMITS, 10, 28, 22, 35, 3),
    "psychiatric_diagnosis": _on(_YES_NO, 50, 21, 27),
    "prescribed_medication": _on(_YES_NO, 33, 41, 24),
    "alcohol": _on(_SUBSTANCE, 3, 6, 4, 81, 4),
    "cannabis": _on(_SUBSTANCE, 1, 5, 0, 88, 4),
    "hard_drugs": _on(_SUBSTANCE, 1, 2, 0, 93, 2),
    "everyday_functions": _on(_ABLE, 21, 34, 23, 7, 13),
    "own_economy": _on(_ABLE, 23, 22, 6, 3, 43, blank=1),
    "support_system": _on(_ABLE, 22, 23, 10, 7, 36),
}
"""Tables 4.2-4.4, 4.6 and 4.7: the consultants' assessments on the 98 start staff forms."""

_FREQUENCY = ("daily", "couple_weekly", "weekly", "fortnightly", "monthly", "rarer")
SESSION_FREQUENCY: dict[int, Counts] = {
    1: _on(_FREQUENCY, 0, 0, 31, 46, 14, 6, blank=1),
    2: _on(_FREQUENCY, 0, 0, 4, 45, 16, 4),
    3: _on(_FREQUENCY, 0, 1, 2, 28, 10, 3),
}
"""Table 5.3: staff forms at points 1 (98), 2 (69) and 3 (44)."""

SEX: Counts = {"female": 53, "male": 45}
NATIONALITY: Counts = {"danish": 89, "danish_greenlandic": 2, "other": 7}
AGE_BANDS: dict[tuple[int, int], int] = {
    (19, 24): 8,
    (25, 29): 26,
    (30, 39): 36,
    (40, 49): 17,
    (50, 56): 11,
}
"""Table 4.1, and the youngest (19) and oldest (56) citizen the text names: age at the start."""
