"""Without the master key the view tables tie nobody to health data: the outcome facts
share no key with the course list, and the course list names nobody."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cli.bootstrap import open_service
from projections.catalog import Views, open_views
from projections.outcomes import Cohort, OutcomesView
from storage.store import StoreConfig
from tests.protection.test_erasure import TODAY, closed_course
from tests.protection.test_sealing import CPR, OTHER_CPR
from workflows.service import CourseService


@pytest.fixture
def views(store: StoreConfig, service: CourseService) -> Iterator[Views]:
    opened = open_views(store, app=service)
    yield opened
    opened.close()


def table(views: Views, view: str, name: str) -> list[dict[str, Any]]:
    """A view table's rows, as anyone with the database (and no key) reads them."""
    found = views.view(view)
    with found.transaction(commit=False) as c:
        c.execute(f"SELECT * FROM {found.table(name)}")
        return [dict(row) for row in c.fetchall()]


def values(rows: list[dict[str, Any]]) -> set[str]:
    return {str(v) for row in rows for v in row.values() if v is not None}


def test_the_outcome_facts_share_no_value_with_the_identifying_views(
    service: CourseService, views: Views
) -> None:
    courses = {str(closed_course(service)), str(closed_course(service, OTHER_CPR))}
    views.catch_up()

    facts = table(views, "outcomes", "outcomes_facts")
    outcome_courses = table(views, "outcomes", "outcomes_courses")
    assert facts and outcome_courses
    health = values(facts) | values(outcome_courses)
    for view, name, columns in [
        ("course_list", "course_list", ("course_id", "subject", "born_sealed")),
        ("caseload", "caseload_courses", ("course_id",)),
        ("audit", "audit_courses", ("course_id", "subject")),
    ]:
        rows = table(views, view, name)
        identifying = {str(row[column]) for row in rows for column in columns}
        assert identifying, name
        assert not identifying & health, name  # no course id, subject or pseudonym to join on
    assert not courses & health
    assert {row["reason"] for row in facts} >= {"not_motivated"}  # the facts are there


def test_the_course_list_holds_no_birth_date_in_clear(service: CourseService, views: Views) -> None:
    course = closed_course(service)
    views.catch_up()

    (row,) = table(views, "course_list", "course_list")
    assert CPR[:6] not in values([row])
    assert views.course_list.get(course).born == CPR[:6]  # with the master key, read back


def test_with_the_master_key_the_outcomes_read_as_before(
    service: CourseService, views: Views
) -> None:
    course = closed_course(service)
    subject = service.get_course(course).subject
    views.catch_up()

    outcomes = views.view("outcomes")
    assert isinstance(outcomes, OutcomesView)
    (found,) = outcomes.courses(Cohort("pva"), TODAY)
    assert (found.course_id, found.subject, found.exit_reason) == (
        str(course),
        str(subject),
        "not_motivated",
    )


def test_a_course_list_from_before_sealing_is_rebuilt_sealed_on_open(
    sqlite_store: StoreConfig,
) -> None:
    service = open_service(sqlite_store)
    try:
        course = closed_course(service)
        with open_views(sqlite_store, app=service) as views:
            views.catch_up()
            old = views.course_list
            with old.transaction(commit=True) as c:  # the table as the previous version had it
                c.execute("DROP TABLE course_list")
                c.execute(
                    "CREATE TABLE course_list (course_id TEXT PRIMARY KEY, born TEXT, "
                    "subject TEXT NOT NULL, programme TEXT NOT NULL, state TEXT NOT NULL, "
                    "consultant TEXT, referred_on TEXT NOT NULL, state_since TEXT NOT NULL, "
                    "state_version INTEGER NOT NULL, consultant_version INTEGER, "
                    "version INTEGER NOT NULL, referring_caseworker TEXT NOT NULL, "
                    "referral_actor TEXT NOT NULL)"
                )
                c.execute(
                    "INSERT INTO course_list VALUES (?, ?, 's', 'pva', 'visitation', NULL, "
                    "'2026-01-01', '2026-01-01', 1, NULL, 1, 'sb', 'sb')",
                    (str(course), CPR[:6]),
                )

        with open_views(sqlite_store, app=service) as reopened:
            reopened.catch_up()
            (row,) = table(reopened, "course_list", "course_list")
            assert CPR[:6] not in values([row])
            assert reopened.course_list.get(course).born == CPR[:6]
    finally:
        service.close()
