"""Tampering with a real store's tables is found, named by course and sequence number.

Each test writes a course through the service (refer, accept, three sessions:
events #1–#5), changes the tables directly as someone with database access
could, and verifies. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING
from uuid import UUID

import pytest
from eventsourcing.persistence import InfrastructureFactory, IntegrityError, StoredEvent
from eventsourcing.utils import Environment

from cli.bootstrap import open_service
from storage.chain import ChainKeyMissing, ChainRefused, FindingKind, Verifier
from storage.chained import ChainTablesMissing
from storage.store import StoreConfig
from workflows.commands import Accept, Refer, Session
from workflows.service import CourseService

from .tables import StoredTables

if TYPE_CHECKING:
    from tests.postgres.pgtools import PgServer

_citizens = itertools.count(1000)


def a_course(service: CourseService, sessions: int = 3) -> UUID:
    """A new course with 2 + `sessions` events."""
    cpr = f"010190-{next(_citizens)}"
    course = service.execute(Refer(cpr=cpr, programme="pva", referring_caseworker="bo"), "rk")
    service.execute(Accept(course=str(course.course_id), consultant="rk"), "rk")
    for _ in range(sessions):
        service.execute(Session(course=str(course.course_id)), "rk")
    return course.course_id


def findings(
    service: CourseService, course: UUID | None = None
) -> list[tuple[FindingKind, str, int]]:
    recorder = service.recorder
    verifier = Verifier(recorder.require_chain_key())  # type: ignore[attr-defined]
    return [
        (f.kind, f.originator_id, f.version)
        for f in recorder.chain_findings(verifier, course)  # type: ignore[attr-defined]
    ]


@pytest.fixture
def tables(store: StoreConfig) -> StoredTables:
    return StoredTables(store)


def test_a_clean_store_has_no_findings(service: CourseService, tables: StoredTables) -> None:
    first, second = a_course(service), a_course(service, sessions=1)
    verifier = Verifier(service.recorder.require_chain_key())  # type: ignore[attr-defined]
    assert list(service.recorder.chain_findings(verifier)) == []  # type: ignore[attr-defined]
    assert verifier.events == tables.count("events") == tables.count("links")
    assert verifier.aggregates == tables.count("heads") == 4  # two courses, two citizens
    assert findings(service, first) == findings(service, second) == []


def test_a_changed_state_byte_is_found(service: CourseService, tables: StoredTables) -> None:
    course = a_course(service)
    tables.flip_state_byte(course, 3)
    assert findings(service) == [(FindingKind.CHANGED, str(course), 3)]


def test_an_event_removed_from_the_middle_is_found(
    service: CourseService, tables: StoredTables
) -> None:
    course = a_course(service)
    tables.delete("events", course, 3)
    assert findings(service) == [(FindingKind.REMOVED, str(course), 3)]
    tables.delete("links", course, 3)
    assert findings(service) == [(FindingKind.REMOVED, str(course), 3)]


def test_the_last_event_removed_is_found(service: CourseService, tables: StoredTables) -> None:
    course = a_course(service)
    tables.delete("events", course, 5)
    tables.delete("links", course, 5)
    assert findings(service) == [(FindingKind.REMOVED, str(course), 5)]


def test_a_forged_event_is_found(service: CourseService, tables: StoredTables) -> None:
    course = a_course(service)
    topic, state = tables.event(course, 5)
    tables.insert_event(course, 6, topic, state)
    assert findings(service) == [(FindingKind.INSERTED, str(course), 6)]


def test_swapped_events_are_found(service: CourseService, tables: StoredTables) -> None:
    course = a_course(service)
    tables.swap_versions("events", course, 3, 4)
    assert findings(service) == [
        (FindingKind.REORDERED, str(course), 3),
        (FindingKind.REORDERED, str(course), 4),
    ]


def test_swapped_events_and_links_are_found(service: CourseService, tables: StoredTables) -> None:
    course = a_course(service)
    tables.swap_versions("events", course, 3, 4)
    tables.swap_versions("links", course, 3, 4)
    kinds = findings(service)
    assert (FindingKind.REORDERED, str(course), 3) in kinds
    assert {kind for kind, _, _ in kinds} == {FindingKind.REORDERED}


def test_a_head_forged_without_the_key_is_found(
    service: CourseService, tables: StoredTables
) -> None:
    course = a_course(service)
    tables.insert_event(course, 6, *tables.event(course, 5))
    tables.set_head(course, 6, b"\x07" * 32, b"\x00" * 32)
    assert findings(service, course) == [
        (FindingKind.INSERTED, str(course), 6),
        (FindingKind.HEAD_INVALID, str(course), 6),
    ]


def test_a_removed_head_is_found(service: CourseService, tables: StoredTables) -> None:
    course = a_course(service)
    tables.delete("heads", course)
    assert findings(service) == [(FindingKind.HEAD_MISSING, str(course), 5)]


def test_one_course_is_verified_alone(service: CourseService, tables: StoredTables) -> None:
    tampered, clean = a_course(service), a_course(service)
    tables.flip_state_byte(tampered, 2)
    assert findings(service, clean) == []
    assert findings(service, tampered) == [(FindingKind.CHANGED, str(tampered), 2)]


# Writes never leave a partial chain ----------------------------------------------------


def test_a_conflicting_write_leaves_no_link_or_head_behind(
    service: CourseService, tables: StoredTables
) -> None:
    course = a_course(service)
    before = (tables.count("events"), tables.count("links"), tables.head(course))
    repeat = StoredEvent(course, 5, "domain.events:SessionHeld", b"{}")
    new = StoredEvent(course, 6, "domain.events:SessionHeld", b"{}")
    with pytest.raises(IntegrityError):
        service.recorder.insert_events([repeat, new])
    assert (tables.count("events"), tables.count("links"), tables.head(course)) == before
    assert findings(service) == []


def test_an_append_to_a_tampered_chain_is_refused_and_writes_nothing(
    service: CourseService, tables: StoredTables
) -> None:
    course = a_course(service)
    head = tables.head(course)
    assert head is not None
    tables.set_head(course, 4, head[1], head[2])  # an older-looking head, signature now invalid
    before = (tables.count("events"), tables.count("links"))
    with pytest.raises(ChainRefused, match=f"aggregate {course}: cannot append #6: .*signature"):
        service.execute(Session(course=str(course)), "rk")
    assert (tables.count("events"), tables.count("links")) == before


@pytest.mark.parametrize("links", ["deleted", "kept"])
@pytest.mark.parametrize("recorder", ["same", "another"])
def test_an_aggregate_started_again_over_its_signed_head_is_refused(
    store: StoreConfig, service: CourseService, tables: StoredTables, links: str, recorder: str
) -> None:
    """Deleting every event of an aggregate leaves its signed head; writing #1 again
    (the head is not read for a new chain) is refused, and nothing is written."""
    course = a_course(service)
    head = tables.head(course)
    topic, state = tables.event(course, 1)
    tables.delete("events", course)
    if links == "deleted":
        tables.delete("links", course)
    before = (tables.count("events"), tables.count("links"), tables.count("heads"))
    writer = service if recorder == "same" else open_service(store)
    try:
        with pytest.raises(ChainRefused, match=f"{course}: cannot append #1: .* head is at #5"):
            writer.recorder.insert_events([StoredEvent(course, 1, topic, state)])
    finally:
        if writer is not service:
            writer.close()
    assert (tables.count("events"), tables.count("links"), tables.count("heads")) == before
    assert tables.head(course) == head


def test_an_older_signed_head_put_back_is_not_laundered(
    service: CourseService, tables: StoredTables
) -> None:
    """The recorder remembers the head it wrote; an append over an authentic but older head
    put back in its place is refused, not signed over."""
    course = a_course(service, sessions=2)
    older = tables.head(course)
    assert older is not None and older[0] == 4
    service.execute(Session(course=str(course)), "rk")
    tables.set_head(course, *older)
    before = (tables.count("events"), tables.count("links"))
    with pytest.raises(ChainRefused, match=f"{course}: cannot append #6: .* head is at #4"):
        service.execute(Session(course=str(course)), "rk")
    assert (tables.count("events"), tables.count("links")) == before
    assert tables.head(course) == older


def test_a_chain_from_version_0_is_continued_by_any_recorder(
    store: StoreConfig, service: CourseService
) -> None:
    """#1 presumed to start a chain but following #0 is continued from #0's head."""
    first, second = UUID(int=90), UUID(int=91)
    topic = "domain.events:SessionHeld"
    service.recorder.insert_events([StoredEvent(first, 0, topic, b"{}")])
    service.recorder.insert_events([StoredEvent(first, 1, topic, b"{}")])
    service.recorder.insert_events([StoredEvent(second, 0, topic, b"{}")])
    another = open_service(store)
    try:
        another.recorder.insert_events(
            [StoredEvent(second, 1, topic, b"{}"), StoredEvent(first, 2, topic, b"{}")]
        )
    finally:
        another.close()
    service.recorder.insert_events([StoredEvent(second, 2, topic, b"{}")])
    assert findings(service) == []


def test_without_the_chain_key_the_recorder_refuses_to_write(
    store: StoreConfig, tables: StoredTables
) -> None:
    factory = InfrastructureFactory.construct(env=Environment("forloeb", store.env()))
    try:
        recorder = factory.application_recorder()
        event = StoredEvent(UUID(int=7), 1, "domain.events:Referred", b"{}")
        with pytest.raises(ChainKeyMissing, match="nothing was written"):
            recorder.insert_events([event])
    finally:
        factory.close()
    assert tables.count("events") == tables.count("links") == tables.count("heads") == 0


# An upgraded store is sealed once ------------------------------------------------------


def test_an_upgraded_store_is_not_chained_until_sealed(
    service: CourseService, tables: StoredTables
) -> None:
    course = a_course(service)
    events = tables.count("events")
    tables.run("DELETE FROM {links}")
    tables.run("DELETE FROM {heads}")
    assert {kind for kind, _, _ in findings(service)} == {FindingKind.NOT_CHAINED}
    assert (FindingKind.NOT_CHAINED, str(course), 1) in findings(service)
    with pytest.raises(ChainRefused, match="not under the hash chain"):
        service.execute(Session(course=str(course)), "rk")

    report = service.recorder.seal()  # type: ignore[attr-defined]
    assert (report.aggregates, report.events, report.skipped) == (2, events, [])
    assert findings(service) == []
    again = service.recorder.seal()  # type: ignore[attr-defined]
    assert (again.aggregates, again.events) == (0, 0)
    service.execute(Session(course=str(course)), "rk")
    assert findings(service) == []


def test_sealing_skips_an_aggregate_whose_log_has_a_gap(
    service: CourseService, tables: StoredTables
) -> None:
    course = a_course(service)
    tables.run("DELETE FROM {links}")
    tables.run("DELETE FROM {heads}")
    tables.delete("events", course, 3)
    report = service.recorder.seal()  # type: ignore[attr-defined]
    assert report.aggregates == 1  # the citizen index
    assert report.skipped == [f"{course}: not sealed, versions #1..#5 have gaps"]
    assert findings(service) == [(FindingKind.NOT_CHAINED, str(course), 1)]


def test_a_postgres_store_without_the_chain_tables_says_to_run_init(pg_server: PgServer) -> None:
    from cli.admin import init_store

    with pg_server.database() as name:
        store = pg_server.store(name)
        init_store(store)
        tables = StoredTables(store)
        tables.run("DROP TABLE {links}")
        tables.run("DROP TABLE {heads}")
        service = open_service(store)
        try:
            with pytest.raises(ChainTablesMissing, match="run `forloeb init` as the owner"):
                a_course(service)
            assert tables.count("events") == 0
            init_store(store)
            a_course(service)
            assert findings(service) == []
        finally:
            service.close()
