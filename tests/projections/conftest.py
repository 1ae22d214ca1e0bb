"""Fixtures for the projection tests: the views on the test store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cli.bootstrap import open_service
from cli.importer import import_lines
from demo import AS_OF, PROGRAMME, generate
from projections.catalog import Views, open_views
from projections.outcomes import Cohort, OutcomesView
from projections.outcomes_report import Report
from projections.outcomes_tables import build_report
from storage.store import StoreConfig
from tests.projections.history import Clinic
from workflows.service import CourseService


@pytest.fixture
def views(store: StoreConfig, service: CourseService) -> Iterator[Views]:
    """Every view on the test store, sharing the service's connections."""
    opened = open_views(store, app=service)
    yield opened
    opened.close()


@pytest.fixture
def clinic(service: CourseService) -> Clinic:
    """A caseworker recording through the service."""
    return Clinic(service)


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Report]:
    """The report of the whole demo cohort, read through the outcomes view, as of the data
    pull (15 April 2019): built once for every test that reads the published tables."""
    store = StoreConfig(sqlite_path=tmp_path_factory.mktemp("demo") / "forloeb.sqlite")
    service = open_service(store)
    try:
        imported = import_lines(service, generate(), "demo-import")
        assert imported.refused == []
        with open_views(store, app=service) as views:
            views.catch_up()
            view = views.view("outcomes")
            assert isinstance(view, OutcomesView)
            yield build_report(view.courses(Cohort(PROGRAMME), AS_OF))
    finally:
        service.close()
