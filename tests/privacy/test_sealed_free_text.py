"""An auditor's purpose and an erasure's reason are sealed under the citizen's key:
erasure takes them, the audit still shows that a read happened, by whom and when."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from cli.audit import citizen_events
from domain.citizen import RecordRead
from projections.catalog import Views, open_views
from storage.persistence import PydanticMapper
from storage.store import StoreConfig
from tests.protection.test_erasure import TODAY, closed_course, erase
from tests.protection.test_sealing import stored_states
from workflows.service import CourseService

PURPOSE = "klage fra Jens Hansen, Vesterbro MARKER-p8"
REASON = "slettefrist udløbet"


@pytest.fixture
def views(store: StoreConfig, service: CourseService) -> Iterator[Views]:
    opened = open_views(store, app=service)
    yield opened
    opened.close()


def test_a_purpose_never_reaches_the_store_in_clear(service: CourseService) -> None:
    course = closed_course(service)
    service.record_read(course, actor="rita", what="audit", purpose=PURPOSE)

    assert PURPOSE.encode() not in b"".join(stored_states(service))
    subject = service.get_course(course).subject
    assert subject is not None
    reads = citizen_events(service.citizen_events(subject)).reads
    assert [(r.actor, r.what, r.purpose) for r in reads] == [("rita", "audit", PURPOSE)]


def test_erasure_takes_the_purpose_and_the_reason_but_not_the_reads(
    store: StoreConfig, service: CourseService, views: Views
) -> None:
    course = closed_course(service)
    subject = service.get_course(course).subject
    assert subject is not None
    service.record_read(course, actor="rita", what="audit", purpose=PURPOSE)
    service.record_read(course, actor="rk-anna", what="show")

    erase(service, views, store)

    assert REASON.encode() not in b"".join(stored_states(service))
    report = citizen_events(service.citizen_events(subject))
    reads = [(r.actor, r.what, r.purpose) for r in report.reads]
    assert reads == [("rita", "audit", "(erased)"), ("rk-anna", "show", None)]
    assert report.erasure is not None
    assert report.erasure.reason == "(erased)"
    assert report.erasure.actor == "admin-ole"
    assert report.erasure.erased_on == TODAY


def test_a_read_after_erasure_is_recorded_without_its_purpose(
    store: StoreConfig, service: CourseService, views: Views
) -> None:
    course = closed_course(service)
    subject = service.get_course(course).subject
    assert subject is not None
    erase(service, views, store)

    service.record_read(subject=subject, actor="rita", what="audit", purpose=PURPOSE)

    assert PURPOSE.encode() not in b"".join(stored_states(service))
    reads = citizen_events(service.citizen_events(subject)).reads
    assert [(r.actor, r.purpose) for r in reads] == [("rita", "(erased)")]


def test_a_purpose_stored_in_clear_before_sealing_stays_readable(
    service: CourseService,
) -> None:
    course = closed_course(service)
    subject = service.get_course(course).subject
    assert subject is not None
    version = len(service.citizen_events(subject))
    old = RecordRead(
        originator_id=subject,
        originator_version=version + 1,
        timestamp=datetime.now(UTC),
        actor="rita",
        what="audit",
        purpose="kontrol",
    )
    plain = PydanticMapper(transcoder=service.storage.mapper.transcoder)  # as stored before
    service.recorder.insert_events([plain.to_stored_event(old)])

    reads = citizen_events(service.citizen_events(subject)).reads
    assert [(r.actor, r.purpose) for r in reads] == [("rita", "kontrol")]
