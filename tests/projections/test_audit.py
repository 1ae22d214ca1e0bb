"""The audit trail: a citizen's complete history, corrections beside what they correct."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from projections.catalog import Views
from tests.projections.history import ACTOR, Clinic
from workflows import commands as cmd

D = date
CPR = "0101901234"


def subject(clinic: Clinic, cpr: str) -> UUID:
    """The citizen's subject id, as the key store knows it."""
    found = clinic.service.keyring.subject_of(cpr.replace("-", ""))
    assert found is not None
    return found


def test_history_spans_all_of_a_citizens_courses_in_log_order(clinic: Clinic, views: Views) -> None:
    first = clinic.start(CPR, "rk-bo", D(2023, 1, 2), D(2023, 1, 9))
    clinic.start("0202905678", "rk-bo", D(2023, 1, 3), D(2023, 1, 9))  # someone else
    clinic.do(cmd.Exit, first, D(2023, 6, 1), planned=False, reason="not_motivated")
    second = clinic.refer(CPR, D(2024, 2, 1))
    views.catch_up()

    history = views.audit.history(subject=subject(clinic, "010190-1234"))
    assert [(str(e.course_id), e.version, e.event) for e in history] == [
        (first, 1, "Referred"),
        (first, 2, "Accepted"),
        (first, 3, "ExitedUnplanned"),
        (second, 1, "Referred"),
    ]
    assert {e.actor for e in history} == {ACTOR}
    assert [e.occurred_on for e in history] == [
        D(2023, 1, 2),
        D(2023, 1, 9),
        D(2023, 6, 1),
        D(2024, 2, 1),
    ]
    assert history[1].details == {"consultant": "rk-bo"}
    assert history[2].details["reason"] == "not_motivated"
    assert [e.recorded_at for e in history] == sorted(e.recorded_at for e in history)


def test_history_of_one_course(clinic: Clinic, views: Views) -> None:
    first = clinic.refer(CPR, D(2024, 1, 2))
    clinic.refer(CPR, D(2024, 1, 2), programme="op-paa-hesten")
    views.catch_up()

    assert [str(e.course_id) for e in views.audit.history(course_id=UUID(first))] == [first]
    assert views.audit.history(subject=uuid4()) == []


def test_corrections_are_shown_beside_what_they_correct(clinic: Clinic, views: Views) -> None:
    course = clinic.start(CPR, "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.do(cmd.Session, course, D(2024, 1, 15))  # version 3
    clinic.do(
        cmd.Correct,
        course,
        D(2024, 1, 20),
        version=2,
        reason="typo",
        changes={"occurred_on": "2024-01-08"},
    )
    clinic.do(cmd.Correct, course, D(2024, 1, 20), version=3, reason="wrong citizen", retract=True)
    views.catch_up()

    accepted, session, date_fix, retraction = views.audit.history(subject=subject(clinic, CPR))[1:]
    assert (accepted.corrected_by, accepted.retracted, accepted.occurred_on) == (
        (4,),
        False,
        D(2024, 1, 9),  # the original stays as recorded
    )
    assert (date_fix.corrects, date_fix.details["changes"]) == (2, {"occurred_on": "2024-01-08"})
    assert (session.corrected_by, session.retracted) == ((5,), True)
    assert (retraction.corrects, retraction.details["reason"]) == (3, "wrong citizen")


def test_asks_for_exactly_one_of_cpr_and_course(views: Views) -> None:
    with pytest.raises(ValueError):
        views.audit.history()
    with pytest.raises(ValueError):
        views.audit.history(subject=uuid4(), course_id=UUID(int=1))
