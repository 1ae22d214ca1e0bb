"""After erasure the evaluators' view keeps no birth date and no answers of the citizen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from projections.catalog import Views, open_views
from projections.outcomes import Cohort, OutcomesView
from storage.store import StoreConfig
from tests.protection.test_erasure import TODAY, closed_course, erase
from tests.protection.test_sealing import OTHER_CPR
from workflows.service import CourseService


@pytest.fixture
def views(store: StoreConfig, service: CourseService) -> Iterator[Views]:
    opened = open_views(store, app=service)
    yield opened
    opened.close()


def facts(views: Views) -> dict[str, tuple[object, ...]]:
    """Per course: its birth date and the background answered on its start staff form."""
    views.catch_up()
    outcomes = views.view("outcomes")
    assert isinstance(outcomes, OutcomesView)
    found = {}
    for course in outcomes.courses(Cohort("pva"), TODAY):
        start = course.form(1, "staff")
        sex = None if start is None else start.answer("background", "sex", (1,))
        found[course.course_id] = (course.born, sex, course.has_baseline)
    return found


def test_erasure_takes_the_birth_date_and_the_background_out_of_the_outcomes(
    store: StoreConfig, service: CourseService, views: Views
) -> None:
    erased, kept = closed_course(service), closed_course(service, OTHER_CPR)
    before = facts(views)
    born, sex, _ = before[str(erased)]
    assert born is not None and sex == "female"

    erase(service, views, store)
    after = facts(views)

    assert after[str(erased)] == (None, None, True)  # still counted, nothing personal
    assert after[str(kept)] == before[str(kept)]
