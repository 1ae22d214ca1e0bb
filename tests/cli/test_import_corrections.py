"""A correction in the same import as the event it corrects: wherever batches fall.

Given one import file in which corrections name events recorded a line earlier
and many lines earlier, when it is imported in batches of any size, then every
line is applied and the log is the same.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest

from cli.importer import import_lines
from workflows.service import CourseService

COMMAND_NAMESPACE = uuid5(NAMESPACE_URL, "https://forloeb.dk/command")
A = str(uuid5(COMMAND_NAMESPACE, "ref-a"))
B = str(uuid5(COMMAND_NAMESPACE, "ref-b"))


def refer(command_id: str, cpr: str) -> dict[str, Any]:
    return {
        "command": "refer",
        "command_id": command_id,
        "cpr": cpr,
        "programme": "pva",
        "referring_caseworker": "bo",
        "occurred_on": "2019-01-02",
    }


def session(course: str, n: int) -> dict[str, Any]:
    return {
        "command": "session",
        "course": course,
        "note": f"samtale {n}",
        "occurred_on": "2019-01-05",
    }


FAR = 12
"""Lines between the far correction and its target."""

LINES: list[dict[str, Any]] = [
    refer("ref-a", "010190-1234"),  # A1
    refer("ref-b", "020290-2345"),  # B1
    {"command": "accept", "course": A, "consultant": "mette", "occurred_on": "2019-01-03"},  # A2
    session(A, 0),  # A3: corrected on the very next line
    {
        "command": "correct",
        "course": A,
        "version": 3,
        "reason": "forkert note",
        "changes": {"note": "rettet"},
        "occurred_on": "2019-01-06",
    },  # A4
    {
        "command": "job start",
        "course": A,
        "employer": "Netto",
        "hours_per_week": 20,
        "occurred_on": "2019-01-07",
    },  # A5: refused (baseline), not in the log
    session(A, 1),  # A5: retracted FAR lines later
    *[session(B, n) for n in range(FAR)],  # B2..
    {
        "command": "correct",
        "course": A,
        "version": 5,
        "reason": "forkert forløb",
        "retract": True,
        "occurred_on": "2019-01-08",
    },  # A6
    {
        "command": "correct",
        "course": A,
        "version": 6,
        "reason": "a correction of a correction",
        "changes": {"reason": "x"},
        "occurred_on": "2019-01-08",
    },  # refused
]


def course_log(service: CourseService, course: str) -> list[tuple[str, int, dict[str, Any]]]:
    """The course's events: name, version and payload (without the time recorded)."""
    leave_out = {"timestamp", "originator_id", "subject"}
    return [
        (type(e).__name__, e.originator_version, e.model_dump(mode="json", exclude=leave_out))
        for e in service.course_events(UUID(course))
    ]


# 100: all in one batch; 4: the first correction opens a batch after its target;
# 5: target and correction share a batch; 1: every line its own batch.
@pytest.mark.parametrize("batch_size", [100, 4, 5, 1])
def test_corrections_apply_wherever_the_batch_boundaries_fall(
    service: CourseService, batch_size: int
) -> None:
    report = import_lines(service, LINES, "anna", batch_size=batch_size)

    assert [r.line for r in report.refused] == [6, len(LINES)]
    assert "correction cannot be corrected" in report.refused[1].reason
    assert report.applied == len(LINES) - 2
    assert [(name, version) for name, version, _ in course_log(service, A)] == [
        ("Referred", 1),
        ("Accepted", 2),
        ("SessionHeld", 3),
        ("Corrected", 4),
        ("SessionHeld", 5),
        ("Corrected", 6),
    ]
    corrections = [payload for name, _, payload in course_log(service, A) if name == "Corrected"]
    assert [(c["target_version"], c["changes"], c["retracted"]) for c in corrections] == [
        (3, {"note": "rettet"}, False),
        (5, {}, True),
    ]
    assert len(course_log(service, B)) == 1 + FAR


def test_the_log_is_the_same_whatever_the_batch_size(service: CourseService) -> None:
    import_lines(service, LINES, "anna", batch_size=1)
    one_by_one = course_log(service, A)
    second = str(uuid5(COMMAND_NAMESPACE, "ref-c"))
    lines = [
        {**line, "course": second} if line.get("course") == A else line
        for line in [refer("ref-c", "030390-3456"), *LINES[2:]]
    ]

    import_lines(service, lines, "anna", batch_size=100)

    def without_ids(log: list[tuple[str, int, dict[str, Any]]]) -> list[Any]:
        return [
            (n, v, {k: x for k, x in p.items() if k not in ("command_id", "cpr")})
            for n, v, p in log
        ]

    assert without_ids(course_log(service, second)) == without_ids(one_by_one)
