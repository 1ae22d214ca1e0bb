"""A store recorded before instruments were versioned reads on, upcast, and counts as before.

`fixtures/store_before_instruments` was made with the code of main at 948dcdc
(MeasurementRecorded version 1) by these commands:

    refer 150385-1234 (f92bd06f), accept
    measure --point 1 --form citizen --mental-health poor --physical-health good
            --who5 1,2,1,0,2 --bip job_belief=2,job_search=dont_know
    measure --point 1 --form staff --diagnosis yes --medication dont_know --alcohol some
            --cannabis no --network-meeting no --bip work_readiness=3
    measure --point 2 --form staff --diagnosis yes --daily-functioning 3 --network-meeting yes
    measure --point 2 --form citizen --mental-health less_good
    correct --version 3 --set answers.who5.calm=3
    refer 010190-1235 (0a1bd06f), accept
    measure --point 1 --form staff --network-meeting dont_know
    measure --point 1 --form citizen --physical-health poor
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from cli.bootstrap import create_schema, open_service
from domain.events import MeasurementRecorded
from projections.catalog import open_views
from projections.outcomes import Cohort, OutcomesView
from projections.outcomes_tables import build_report
from storage.secrets import MASTER_KEY_ENV
from storage.store import StoreConfig
from workflows.service import CourseService

FIXTURE = Path(__file__).parent / "fixtures" / "store_before_instruments"
FIRST = UUID("f92bd06f-d4ef-4a66-adf0-6a4f9c509443")
SECOND = UUID("0a1bd06f-d4ef-4a66-adf0-6a4f9c509443")


@pytest.fixture
def old_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[StoreConfig, CourseService]]:
    """A copy of the store made by yesterday's code, opened by today's with its own key."""
    monkeypatch.delenv(MASTER_KEY_ENV, raising=False)
    for name in ("old.sqlite", "old.key"):
        shutil.copy(FIXTURE / name, tmp_path / name)
    store = StoreConfig(sqlite_path=tmp_path / "old.sqlite")
    create_schema(store)  # `forloeb init`, the upgrade step: it authenticates the key rows
    service = open_service(store)
    yield store, service
    service.close()


def measurements(service: CourseService, course: UUID) -> dict[int, MeasurementRecorded]:
    return {
        e.originator_version: e
        for e in service.course_events(course)
        if isinstance(e, MeasurementRecorded)
    }


def test_old_measurements_read_with_the_instrument_versions_they_used(
    old_store: tuple[StoreConfig, CourseService],
) -> None:
    _, service = old_store
    first, second = measurements(service, FIRST), measurements(service, SECOND)

    assert first[3].answers.instruments == {"self_rated_health": 1, "who5": 1, "bip_citizen": 1}
    assert first[3].answers.bip == {"job_belief": 2, "job_search": "dont_know"}
    assert first[4].answers.instruments == {"bip_staff": 1, "staff_assessment": 2}
    assert first[6].answers.instruments == {"staff_assessment": 1}
    assert first[6].answers.staff is not None and first[6].answers.staff.daily_functioning == 3
    assert second[3].answers.instruments == {"staff_assessment": 1}
    assert second[4].answers.instruments == {"self_rated_health": 1}


def test_old_answers_count_in_the_tables_as_before(
    old_store: tuple[StoreConfig, CourseService],
) -> None:
    store, service = old_store
    with open_views(store, app=service) as views:
        views.catch_up()
        view = views.view("outcomes")
        assert isinstance(view, OutcomesView)
        report = build_report(view.courses(Cohort("pva"), date(2027, 1, 1)))

    forms = dict(report.table("forms").rows)
    assert [c.value for c in forms["citizen forms"]] == [2, 1]
    assert [c.value for c in forms["staff forms"]] == [2, 1]
    network = dict(report.table("network").rows)
    assert [c.value for c in network["staff forms answering (n)"]] == [2, 1]
    assert [c.value for c in network["answered yes"]] == [0, 1]
    # the start staff form's diagnosis and alcohol answers mean the same in version 2
    assert report.table("4.3").value("Psykiatrisk diagnose: Ja", "point 1") == 1
    assert report.table("4.6").value("Alkohol: Ja, i et vist omfang", "point 1") == 1
    # the start self-rating is the same question in every version
    assert report.table("4.2").value("Borger: answered", "point 1") == 1
    # daily functioning on the old 1-5 scale is not VIVE's self-reliance question
    assert report.table("4.7").value("Dagligdags funktioner: answered", "point 1") == 0
    who5 = report.table("who5")
    assert who5.value("answered (n)", "point 1") == 0  # no one has a citizen form at point 3
