"""Fixtures for the projection tests: the views on the test store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from projections.catalog import Views, open_views
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
