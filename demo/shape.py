"""The cohort's shape at 104 citizens: the published VIVE midterm counts and shares.

Other sizes keep the same proportions (see `demo.quotas`). Values the domain
defines (exit reasons) come from `domain.values`.
"""

from __future__ import annotations

from fractions import Fraction

from domain.values import UnplannedExitReason

PROGRAMME = "paa-vej-til-arbejde"
REFERENCE_SIZE = 104
"""The midterm cohort the figures below are counted in."""

PRE_BASELINE: dict[str, int] = {"rejected": 2, "left_visitation": 2, "left_baseline": 2}
"""Referred citizens who left before a baseline was taken (6 of 104)."""

PATHS: dict[str, tuple[str, ...]] = {
    "job_after_praktik_exit": ("praktik", "praktik_end", "job", "exit_planned"),
    "job_exit": ("job", "exit_planned"),
    "job_after_praktik": ("praktik", "job"),
    "job": ("job",),
    "job_ended_exit": ("job", "job_end", "exit_unplanned"),
    "education_after_praktik_exit": ("praktik", "praktik_end", "education", "exit_planned"),
    "education_exit": ("education", "exit_planned"),
    "education": ("education",),
    "praktik_aborted_exit": ("praktik", "praktik_end", "exit_unplanned"),
    "praktik_exit": ("praktik", "exit_unplanned"),
    "exit": ("exit_unplanned",),
    "praktik": ("praktik",),
    "praktik_ended": ("praktik", "praktik_end"),
    "active": (),
}
"""The workflow moves after the baseline, per kind of course."""

PATH_COUNTS: dict[str, int] = {
    "job_after_praktik_exit": 1,
    "job_exit": 3,
    "job_after_praktik": 1,
    "job": 2,
    "job_ended_exit": 2,
    "education_after_praktik_exit": 1,
    "education_exit": 1,
    "education": 1,
    "praktik_aborted_exit": 2,
    "praktik_exit": 1,
    "exit": 10,
    "praktik": 5,
    "praktik_ended": 8,
    "active": 60,
}
"""Courses with a baseline (98): 77 open, 6 planned exits, 15 unplanned; 9 ever in
job (2 after praktik, 3 still supported), 3 in education, 19 in praktik."""

MIN_GAP: dict[str, int] = {
    "praktik": 14,
    "praktik_end": 28,
    "job": 14,
    "job_end": 35,
    "education": 14,
    "exit_planned": 28,
    "exit_unplanned": 14,
}
"""Fewest days between a move and the one before it (or the baseline)."""

POINTS_REACHED: dict[int, int] = {1: 28, 2: 26, 3: 28, 4: 16}
"""How many of the 98 courses ran long enough for 1, 2, 3 or 4 measurement points."""

STAFF_FORM_MISSING = {2: Fraction(1, 70)}
CITIZEN_FORM_MISSING = {3: Fraction(5, 44), 4: Fraction(2, 16)}
"""Share of the courses reaching a point whose form at that point is missing."""

NETWORK_UNANSWERED = {1: Fraction(1, 98), 2: Fraction(1, 69)}
NETWORK_YES = {1: Fraction(17, 97), 2: Fraction(58, 68), 3: Fraction(37, 44), 4: Fraction(14, 16)}
"""Staff forms leaving the network question blank, and answering yes of those answered."""


REASSIGNED = Fraction(2, 98)
"""Courses handed to another consultant (staff turnover)."""

UNPLANNED_REASONS: dict[str, int] = {
    UnplannedExitReason.COMPLEX_NEEDS.value: 4,
    UnplannedExitReason.SUBSTANCE_USE.value: 2,
    UnplannedExitReason.NOT_MOTIVATED.value: 2,
    UnplannedExitReason.MOVED_MUNICIPALITY.value: 2,
    UnplannedExitReason.PREGNANCY_LEAVE.value: 1,
    UnplannedExitReason.NOT_TARGET_GROUP.value: 1,
    UnplannedExitReason.PENSION_FLEXJOB_CLARIFICATION.value: 2,
    UnplannedExitReason.OTHER.value: 1,
}
"""Why the 15 unplanned exits of courses with a baseline ended."""

EARLY_EXIT_REASONS: dict[str, tuple[str, ...]] = {
    "rejected": (
        UnplannedExitReason.NOT_TARGET_GROUP.value,
        UnplannedExitReason.PENSION_FLEXJOB_CLARIFICATION.value,
    ),
    "left_visitation": (
        UnplannedExitReason.NOT_MOTIVATED.value,
        UnplannedExitReason.MOVED_MUNICIPALITY.value,
    ),
    "left_baseline": (
        UnplannedExitReason.COMPLEX_NEEDS.value,
        UnplannedExitReason.SUBSTANCE_USE.value,
    ),
}
"""The reasons, one drawn per citizen, of those who left before a baseline."""

MIN_HOURS, MAX_HOURS = 12, 37
"""Ordinary weekly hours of the jobs found (a full Danish week is 37)."""
