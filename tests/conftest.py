"""Shared fixtures: a course service on a fresh store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.store import StoreConfig
from workflows.service import CourseService


@pytest.fixture
def store(tmp_path: Path) -> StoreConfig:
    """A fresh, empty event store (SQLite file; PostgreSQL is added by the PostgreSQL suite)."""
    return StoreConfig(sqlite_path=tmp_path / "forloeb.sqlite")


@pytest.fixture
def service(store: StoreConfig) -> Iterator[CourseService]:
    """A course service on the fresh store."""
    app = CourseService(env=store.env())
    yield app
    app.close()
