"""The log-wide chain: a course or the log's tail deleted whole, heads and all, is found.

Each test writes courses through the service, then deletes rows as someone
with database access could (events, links and heads together, so every
per-aggregate chain still checks out), and walks the log chain. Every test
runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from uuid import UUID

import pytest

from storage.chain import ChainRefused, FindingKind, Verifier
from storage.log_chain import Anchor, LogHead
from storage.store import StoreConfig
from workflows.commands import Session
from workflows.service import CourseService

from .tables import StoredTables
from .test_tamper import a_course, findings


def log_findings(
    service: CourseService, against: Anchor | None = None
) -> list[tuple[FindingKind, int]]:
    recorder = service.recorder
    _, found = recorder.log_findings(recorder.require_chain_key(), against)  # type: ignore[attr-defined]
    return [(f.kind, f.version) for f in found]


def log_head(service: CourseService) -> LogHead:
    head = service.recorder.stored_log_head()  # type: ignore[attr-defined]
    assert head is not None
    return head


@pytest.fixture
def tables(store: StoreConfig) -> StoredTables:
    return StoredTables(store)


def citizen_of(tables: StoredTables, course: UUID) -> UUID:
    """The citizen index appended in the same transaction as the course's referral."""
    (row,) = tables.run(
        "SELECT e2.originator_id FROM {events} e1 JOIN {events} e2 "
        "ON e2.originator_id <> e1.originator_id AND e2.originator_version = 1 "
        "WHERE e1.originator_id = ? AND e1.originator_version = 1 "
        "ORDER BY abs(e2.notification_id - e1.notification_id) LIMIT 1"
        if tables.store.is_postgres
        else "SELECT e2.originator_id FROM {events} e1 JOIN {events} e2 "
        "ON e2.originator_id <> e1.originator_id AND e2.originator_version = 1 "
        "WHERE e1.originator_id = ? AND e1.originator_version = 1 "
        "ORDER BY abs(e2.rowid - e1.rowid) LIMIT 1",
        tables.key(course),
    )
    return row[0] if tables.store.is_postgres else UUID(row[0])


def delete_whole(tables: StoredTables, aggregate: UUID) -> None:
    """Delete an aggregate's events, links and head: its own chain leaves no trace."""
    for table in ("events", "links", "heads"):
        tables.delete(table, aggregate)


def test_a_clean_log_has_no_findings_and_a_head(service: CourseService) -> None:
    a_course(service)
    a_course(service, sessions=1)
    assert log_findings(service) == []
    head = log_head(service)
    assert head.position >= 9
    assert log_findings(service, Anchor(head.position, head.digest)) == []


def test_a_course_and_its_citizen_deleted_whole_are_found(
    service: CourseService, tables: StoredTables
) -> None:
    first = a_course(service)
    a_course(service)
    citizen = citizen_of(tables, first)
    delete_whole(tables, first)
    delete_whole(tables, citizen)
    assert findings(service) == []  # every remaining per-aggregate chain checks out
    found = log_findings(service)
    assert found and {kind for kind, _ in found} == {FindingKind.REMOVED}


def test_a_course_deleted_with_its_log_links_is_found(
    service: CourseService, tables: StoredTables
) -> None:
    first = a_course(service)
    a_course(service)
    ids = [
        r[0]
        for r in tables.run(
            "SELECT notification_id FROM {events} WHERE originator_id = ?"
            if tables.store.is_postgres
            else "SELECT rowid FROM {events} WHERE originator_id = ?",
            tables.key(first),
        )
    ]
    delete_whole(tables, first)
    tables.run(tables.log_links_delete(ids))
    assert findings(service) == []
    found = log_findings(service)
    assert found[0][0] == FindingKind.REMOVED
    assert "the log breaks" in _details(service)[0]


def test_a_truncated_tail_with_its_heads_is_found(
    service: CourseService, tables: StoredTables
) -> None:
    a_course(service)
    last = a_course(service, sessions=2)
    tables.run(
        "DELETE FROM {events} WHERE originator_id = ? AND originator_version > 2",
        tables.key(last),
    )
    tables.run(
        "DELETE FROM {links} WHERE originator_id = ? AND originator_version > 2",
        tables.key(last),
    )
    tables.run(
        "DELETE FROM {log_links} "
        "WHERE notification_id > (SELECT max(notification_id) - 2 FROM {log_links})"
    )
    tables.run(
        "UPDATE {heads} SET version = 2, hash = (SELECT hash FROM {links} l "
        "WHERE l.originator_id = {heads}.originator_id AND l.originator_version = 2) "
        "WHERE originator_id = ?",
        tables.key(last),
    )
    found = log_findings(service)
    assert (FindingKind.REMOVED, log_head(service).position - 1) in found


def test_a_rollback_with_an_older_signed_head_is_caught_against_a_head_kept_elsewhere(
    service: CourseService, tables: StoredTables
) -> None:
    a_course(service)
    old = log_head(service)
    old_heads = tables.run("SELECT originator_id, version, hash, mac FROM {heads}")
    later = a_course(service)
    kept = log_head(service)
    # Roll everything back to the older state: events, links, heads, log head.
    delete_whole(tables, later)
    tables.run(
        "DELETE FROM {events} WHERE notification_id > ?"
        if tables.store.is_postgres
        else "DELETE FROM {events} WHERE rowid > ?",
        old.position,
    )
    tables.run("DELETE FROM {log_links} WHERE notification_id > ?", old.position)
    tables.run("DELETE FROM {heads}")
    for row in old_heads:
        tables.run("INSERT INTO {heads} VALUES (?, ?, ?, ?)", *row)
    tables.run(
        "DELETE FROM {links} WHERE NOT EXISTS (SELECT 1 FROM {events} e "
        "WHERE e.originator_id = {links}.originator_id "
        "AND e.originator_version = {links}.originator_version)"
    )
    tables.run("UPDATE {log_head} SET start = ?, position = ?, digest = ?, mac = ?", *old)
    assert findings(service) == []
    assert log_findings(service) == []  # the stored log is consistent with itself...
    assert log_findings(service, Anchor(kept.position, kept.digest)) == [
        (FindingKind.REMOVED, kept.position)
    ]  # ...but does not extend the head kept elsewhere


def test_a_rewritten_log_differs_from_the_head_kept_elsewhere(
    service: CourseService, tables: StoredTables
) -> None:
    a_course(service)
    kept = log_head(service)
    forged = Anchor(kept.position, bytes(32))
    assert log_findings(service, forged) == [(FindingKind.CHANGED, kept.position)]


def test_a_forged_log_head_is_found(service: CourseService, tables: StoredTables) -> None:
    a_course(service)
    tables.run("UPDATE {log_head} SET position = position + 1")
    assert [kind for kind, _ in log_findings(service)] == [FindingKind.HEAD_INVALID]


def _details(service: CourseService) -> list[str]:
    recorder = service.recorder
    _, found = recorder.log_findings(Verifier(recorder.require_chain_key()).key)  # type: ignore[attr-defined]
    return [f.detail for f in found]


# The log chain stripped whole ----------------------------------------------------------


def strip_the_log_chain(tables: StoredTables) -> None:
    """Delete the log head and every log link: what is left looks unchained, not tampered."""
    tables.run("DELETE FROM {log_head}")
    tables.run("DELETE FROM {log_links}")


def test_a_log_stripped_of_its_head_and_links_is_named(
    service: CourseService, tables: StoredTables
) -> None:
    a_course(service)
    strip_the_log_chain(tables)

    found = log_findings(service)

    assert found == [(FindingKind.NOT_CHAINED, 1)]


def test_a_write_on_a_stripped_log_is_refused_so_no_fresh_chain_hides_a_deletion(
    service: CourseService, tables: StoredTables
) -> None:
    """Before, the next write started a new chain at itself: a course deleted whole
    together with the log chain then left no trace at all."""
    a_course(service)
    deleted = a_course(service)
    kept = a_course(service)
    delete_whole(tables, deleted)
    strip_the_log_chain(tables)
    events = tables.count("events")

    with pytest.raises(ChainRefused, match="event log: events are stored before notification"):
        service.execute(Session(course=str(kept)), "rk")

    assert tables.count("events") == events
    assert tables.count("log_links") == 0
    assert log_findings(service) == [(FindingKind.NOT_CHAINED, 1)]


def test_an_admins_seal_brings_an_unchained_log_under_the_chain(
    service: CourseService, tables: StoredTables
) -> None:
    course = a_course(service)
    strip_the_log_chain(tables)

    report = service.recorder.seal()  # type: ignore[attr-defined]

    assert report.log_sealed == (1, tables.count("events"))
    assert log_findings(service) == []
    service.execute(Session(course=str(course)), "rk")
    assert log_findings(service) == []
    tables.delete("events", course, 3)
    assert (FindingKind.CHANGED, 1) in log_findings(service)


def test_a_removed_log_head_refuses_writes_and_is_not_sealed_over(
    service: CourseService, tables: StoredTables
) -> None:
    """Before, the next write started a new head at itself over the links left behind."""
    course = a_course(service)
    tables.run("DELETE FROM {log_head}")

    with pytest.raises(ChainRefused, match="event log: events are stored before"):
        service.execute(Session(course=str(course)), "rk")
    report = service.recorder.seal()  # type: ignore[attr-defined]

    assert report.log_sealed is None
    assert [kind for kind, _ in log_findings(service)] == [FindingKind.HEAD_MISSING]
