"""The course list: one row per course, as it stands now."""

from __future__ import annotations

import json
from datetime import date
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from domain.values import CourseState
from projections.catalog import Views
from projections.course_list import CourseRow, _changes
from tests.projections.history import ACTOR, PROGRAMME, Clinic
from workflows import commands as cmd
from workflows.service import CourseService

D = date


def test_a_referral_appears_in_visitation(clinic: Clinic, views: Views) -> None:
    course = clinic.refer("0101901234", D(2024, 1, 2))
    views.catch_up()

    [row] = views.course_list.list_courses()
    assert row.course_id == UUID(course)
    assert (row.born, row.programme, row.state) == ("010190", PROGRAMME, "visitation")
    assert (row.consultant, row.referred_on, row.state_since, row.version) == (
        None,
        D(2024, 1, 2),
        D(2024, 1, 2),
        1,
    )


def test_each_move_updates_state_since_and_version(clinic: Clinic, views: Views) -> None:
    course = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.baseline(course, D(2024, 2, 1))
    clinic.do(
        cmd.PraktikStart,
        course,
        D(2024, 3, 1),
        employer="Netto",
        hours_per_week=10,
        planned_end=D(2024, 5, 1),
    )
    views.catch_up()

    row = views.course_list.get(UUID(course))
    assert row is not None
    assert (row.state, row.consultant, row.state_since, row.version) == (
        CourseState.PRAKTIK,
        "rk-bo",
        D(2024, 3, 1),
        6,
    )


def test_rows_agree_with_the_aggregates(
    clinic: Clinic, views: Views, service: CourseService
) -> None:
    first = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.baseline(first, D(2024, 2, 1))
    clinic.do(cmd.Reassign, first, D(2024, 4, 1), consultant="rk-cy")
    second = clinic.refer("0202905678", D(2024, 3, 3))
    clinic.do(cmd.Reject, second, D(2024, 3, 10))
    views.catch_up()

    for row in views.course_list.list_courses():
        course = service.get_course(row.course_id)
        assert (row.born, row.subject, row.programme, row.state, row.consultant) == (
            course.cpr[:6] if course.cpr else None,
            course.subject,
            course.programme,
            course.state,
            course.consultant,
        )
        assert (row.referred_on, row.state_since, row.version) == (
            course.referred_on,
            course.state_since,
            course.version,
        )
        assert row.referred_by == course.referred_by


def test_who_referred_follows_a_correction_of_the_referring_caseworker(
    clinic: Clinic, views: Views, service: CourseService
) -> None:
    course = clinic.refer("0101901234", D(2024, 1, 2))
    views.catch_up()
    before = views.course_list.get(UUID(course))
    clinic.do(cmd.Correct, course, D(2024, 1, 3), version=1, reason="wrong caseworker",
              changes={"referring_caseworker": "sb-lis"})  # fmt: skip
    views.catch_up()

    after = views.course_list.get(UUID(course))
    assert before is not None and after is not None
    assert before.referred_by == {"sb-kim", ACTOR}
    assert after.referred_by == {"sb-lis", ACTOR} == service.get_course(UUID(course)).referred_by


def test_filters_combine(clinic: Clinic, views: Views) -> None:
    a = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    b = clinic.start("0202905678", "rk-cy", D(2024, 1, 3), D(2024, 1, 9))
    c = clinic.refer("0303901111", D(2024, 1, 4), programme="op-paa-hesten")
    views.catch_up()
    listed = views.course_list.list_courses

    def ids(rows: list[CourseRow]) -> list[str]:
        return [str(r.course_id) for r in rows]

    assert ids(listed()) == [a, b, c]
    assert ids(listed(consultant="rk-bo")) == [a]
    assert ids(listed(subject=clinic.service.keyring.subject_of("0202905678"))) == [b]
    assert ids(listed(state="visitation")) == [c]
    assert ids(listed(programme=PROGRAMME, state="baseline")) == [a, b]
    assert ids(listed(programme=PROGRAMME, consultant="rk-nobody")) == []


def test_find_by_prefix_is_literal(clinic: Clinic, views: Views) -> None:
    course = clinic.refer("0101901234", D(2024, 1, 2))
    views.catch_up()
    find = views.course_list.find_by_prefix

    assert find(course[:4]) == [UUID(course)]
    assert find(course[:8].upper()) == [UUID(course)]
    assert find(course) == [UUID(course)]
    assert find("%") == []
    assert find("_" * 8) == []


def test_corrected_dates_move_referred_on_and_state_since(clinic: Clinic, views: Views) -> None:
    course = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.do(
        cmd.Correct,
        course,
        D(2024, 1, 20),
        version=1,
        reason="typo",
        changes={"occurred_on": "2024-01-01"},
    )
    clinic.do(
        cmd.Correct,
        course,
        D(2024, 1, 20),
        version=2,
        reason="typo",
        changes={"occurred_on": "2024-01-08"},
    )
    views.catch_up()

    row = views.course_list.get(UUID(course))
    assert row is not None
    assert (row.referred_on, row.state_since, row.version) == (D(2024, 1, 1), D(2024, 1, 8), 4)


def test_a_corrected_date_of_an_earlier_state_leaves_state_since(
    clinic: Clinic, views: Views
) -> None:
    course = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.baseline(course, D(2024, 2, 1))
    clinic.do(
        cmd.Correct,
        course,
        D(2024, 2, 5),
        version=2,
        reason="typo",
        changes={"occurred_on": "2024-01-08"},
    )
    views.catch_up()

    row = views.course_list.get(UUID(course))
    assert row is not None
    assert (row.state, row.state_since) == (CourseState.ACTIVE, D(2024, 2, 1))


def test_a_corrected_consultant_replaces_the_current_one(clinic: Clinic, views: Views) -> None:
    course = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.do(
        cmd.Correct,
        course,
        D(2024, 1, 10),
        version=2,
        reason="wrong name",
        changes={"consultant": "rk-bodil"},
    )
    views.catch_up()

    assert [r.consultant for r in views.course_list.list_courses()] == ["rk-bodil"]


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=10**9),
            st.sampled_from([state.value for state in CourseState]),
            st.dates().map(date.isoformat),
        ).map(list),
        max_size=8,
    )
)
def test_state_changes_are_stored_as_compact_json_dumps_writes_them(
    changes: list[list[object]],
) -> None:
    assert _changes(changes) == json.dumps(changes, separators=(",", ":"))
