"""Erasure by key destruction: nothing personal can be recovered, the facts stay counted."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from cli.bootstrap import open_service, reopen
from cli.citizen import erase_everywhere
from domain.errors import CourseError, CourseNotFound
from domain.events import MeasurementRecorded, Referred
from projections.catalog import Views, open_views
from projections.outcomes import Cohort
from projections.outcomes_tables import build_report
from storage.store import StoreConfig
from tests.protection.test_sealing import CPR, EMPLOYER, NOTE, OTHER_CPR, course_with_personal_data
from workflows import commands as cmd
from workflows.commands import today
from workflows.service import CourseService

TODAY = today()
"""Today in Danish time, as commands date what they record (UTC's date differs late at night)."""
PARTICIPANT = "Mor Til Borgeren MARKER-51aa"


@pytest.fixture
def views(store: StoreConfig, service: CourseService) -> Iterator[Views]:
    opened = open_views(store, app=service)
    yield opened
    opened.close()


def closed_course(service: CourseService, cpr: str = CPR) -> UUID:
    """A course full of personal data, ended (erasure waits for every course to close)."""
    course = course_with_personal_data(service, cpr)
    ref = str(course)
    service.execute(cmd.PraktikEnd(course=ref, outcome="completed", note=NOTE), "rk-anna")
    service.execute(
        cmd.Meeting(course=ref, outcome="held", participants=[PARTICIPANT], note=NOTE), "rk-anna"
    )
    service.execute(
        cmd.Exit(course=ref, planned=False, reason="not_motivated", detail=NOTE), "rk-anna"
    )
    return course


def log_rows(service: CourseService) -> list[tuple[Any, ...]]:
    """Every stored event, exactly as stored."""
    return [
        (n.id, n.originator_id, n.originator_version, n.topic, n.state)
        for n in service.recorder.select_notifications(start=1, limit=100_000)
    ]


def counted_tables(views: Views) -> list[dict[str, Any]]:
    """The outcome tables that count courses (the health tables use the erased answers)."""
    views.catch_up()
    outcomes = views.view("outcomes")
    courses = outcomes.courses(Cohort("pva"), TODAY)  # type: ignore[attr-defined]
    report = build_report(courses).shown()
    return [t for t in report if t["name"] in ("status", "forms", "outcomes", "job_path")]


def erase(service: CourseService, views: Views, store: StoreConfig, cpr: str = CPR) -> None:
    erase_everywhere(
        service, views, store, cpr, actor="admin-ole", reason="slettefrist udløbet", on=TODAY
    )


def test_erasure_keeps_the_log_and_the_counts(
    store: StoreConfig, service: CourseService, views: Views
) -> None:
    closed_course(service)
    closed_course(service, OTHER_CPR)
    before_log, before_tables = log_rows(service), counted_tables(views)

    erase(service, views, store)

    after_log = log_rows(service)
    assert after_log[: len(before_log)] == before_log  # same events, same order, same bytes
    assert [row[3] for row in after_log[len(before_log) :]] == [
        "domain.citizen:CitizenErased"
    ]
    assert counted_tables(views) == before_tables


def test_erased_personal_fields_read_back_as_gone(
    store: StoreConfig, service: CourseService, views: Views
) -> None:
    course = closed_course(service)
    erase(service, views, store)

    reader = reopen(service)  # a fresh process: no key in memory
    try:
        events = reader.course_events(course)
    finally:
        reader.close()
    referred = events[0]
    assert isinstance(referred, Referred) and referred.cpr is None and referred.note == ""
    assert referred.programme == "pva" and referred.occurred_on is not None
    forms = [e for e in events if isinstance(e, MeasurementRecorded)]
    assert [f.answers.form for f in forms] == ["citizen", "staff"]  # kept: which form
    assert forms[0].answers.mental_health is None and forms[0].answers.who5 is None
    everything = repr(events)
    for secret in (CPR, NOTE, EMPLOYER, PARTICIPANT):
        assert secret not in everything


def test_nothing_personal_is_left_in_the_sqlite_files(
    sqlite_store: StoreConfig,
) -> None:
    service = open_service(sqlite_store)
    views = open_views(sqlite_store, app=service)
    try:
        closed_course(service)
        closed_course(service, OTHER_CPR)
        views.catch_up()
        assert sqlite_store.sqlite_path is not None
        folder = sqlite_store.sqlite_path.parent
        key, other_key = wrapped_keys(service)
        before = raw_bytes(folder)
        assert key in before and other_key in before
        for secret in secrets_of(CPR):  # sealed in the log; the views keep no whole CPR
            assert secret not in before, secret
        erase(service, views, sqlite_store)
    finally:
        views.close()
        service.close()

    raw = raw_bytes(folder)
    assert key not in raw  # destroyed, and no free page or WAL frame keeps a copy
    assert other_key in raw  # the other citizen is untouched
    for secret in secrets_of(CPR):
        assert secret not in raw, secret


def test_nothing_personal_is_left_in_a_postgres_dump(
    pg_store: StoreConfig, tmp_path: Path
) -> None:
    service = open_service(pg_store)
    views = open_views(pg_store, app=service)
    try:
        closed_course(service)
        closed_course(service, OTHER_CPR)
        views.catch_up()
        key, other_key = wrapped_keys(service)
        before = pg_dump(pg_store, tmp_path / "before.sql")
        assert key.hex().encode() in before and other_key.hex().encode() in before
        erase(service, views, pg_store)
    finally:
        views.close()
        service.close()

    raw = pg_dump(pg_store, tmp_path / "after.sql")
    assert key.hex().encode() not in raw
    assert other_key.hex().encode() in raw
    for secret in secrets_of(CPR):
        assert secret not in raw, secret


def test_the_erased_citizen_is_gone_from_every_lookup_and_takes_no_more_events(
    store: StoreConfig, service: CourseService, views: Views
) -> None:
    course = closed_course(service)
    erase(service, views, store)

    assert service.courses_of(CPR) == []
    assert service.citizen_by_cpr(CPR) is None
    with pytest.raises(CourseError, match="erased"):
        service.execute(cmd.FollowUp(course=str(course), outcome="no_response"), "rk-anna")
    row = views.course_list.get(course)
    assert row is not None and row.born is None and row.state == "exited_unplanned"
    with pytest.raises(CourseNotFound):
        erase(service, views, store)  # nothing left to find by the CPR


def test_the_service_that_erased_holds_the_cpr_no_longer_in_memory(
    store: StoreConfig, service: CourseService, views: Views
) -> None:
    course = closed_course(service)
    assert service.get_course(course).cpr is not None  # read once: now in the cache

    erase(service, views, store)

    assert service.get_course(course).cpr is None  # as a long-running server reads it


def test_a_citizen_referred_again_after_erasure_starts_afresh(
    store: StoreConfig, service: CourseService, views: Views
) -> None:
    old = closed_course(service)
    old_subject = service.get_course(old).subject
    erase(service, views, store)

    new = service.execute(
        cmd.Refer(cpr=CPR, programme="pva", referring_caseworker="sb"), "rk-anna"
    ).course_id

    assert service.get_course(new).subject not in (None, old_subject)
    assert service.courses_of(CPR) == [new]


def test_erasure_waits_until_every_course_is_closed(
    store: StoreConfig, service: CourseService, views: Views
) -> None:
    course_with_personal_data(service)
    before = log_rows(service)

    with pytest.raises(CourseError, match="still open"):
        erase(service, views, store)

    assert log_rows(service) == before
    assert service.courses_of(CPR) != []


def test_the_audit_trail_says_who_erased_and_when_but_not_why(
    store: StoreConfig, service: CourseService, views: Views
) -> None:
    course = closed_course(service)
    subject = service.get_course(course).subject
    assert subject is not None
    erase(service, views, store)

    citizen = service.citizen(subject)
    assert citizen is not None and citizen.erasure is not None
    assert (citizen.erasure.actor, citizen.erasure.erased_on, citizen.erasure.reason) == (
        "admin-ole",
        TODAY,
        None,  # the reason was sealed under the citizen's key, destroyed with it
    )


def wrapped_keys(service: CourseService) -> tuple[bytes, bytes]:
    """The stored (wrapped) keys of the citizen to erase and of the other one."""
    wrapped = {row.subject: row.wrapped for row in service.keyring.store.all_rows()}
    subjects = [service.keyring.subject_of(cpr) for cpr in (CPR, OTHER_CPR)]
    assert subjects[0] is not None and subjects[1] is not None
    return wrapped[subjects[0]], wrapped[subjects[1]]


def raw_bytes(folder: Path) -> bytes:
    """Every byte of the store's files (the database, its WAL and shared memory)."""
    return b"".join(p.read_bytes() for p in sorted(folder.glob("*.sqlite*")))


def secrets_of(cpr: str) -> list[bytes]:
    """What must not be found: the CPR in both spellings, the note, employer, a participant."""
    return [
        cpr.encode(),
        f"{cpr[:6]}-{cpr[6:]}".encode(),
        NOTE.encode(),
        EMPLOYER.encode(),
        PARTICIPANT.encode(),
    ]


def pg_dump(store: StoreConfig, out: Path) -> bytes:
    """A plain-SQL dump of the store's database."""
    from tests.postgres.test_backup_restore import client_tool

    target = store.postgres
    subprocess.run(
        [
            client_tool("pg_dump"),
            f"--host={target.host}",
            f"--port={target.port}",
            f"--username={target.user}",
            f"--file={out}",
            target.dbname,
        ],
        env={**os.environ, "PGPASSWORD": target.password},
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out.read_bytes()


def test_a_key_left_by_a_crash_before_its_referral_can_be_erased_too(
    store: StoreConfig, service: CourseService, views: Views
) -> None:
    subject = service.keyring.register(CPR)
    service.keyring.flush()  # the key is stored; the process dies before the events

    erase(service, views, store)

    assert service.keyring.store.row(subject) is None
    citizen = service.citizen(subject)
    assert citizen is not None and citizen.erasure is not None and citizen.courses == {}


def test_erasure_of_an_unknown_citizen_is_refused_and_writes_nothing(
    store: StoreConfig, service: CourseService, views: Views
) -> None:
    closed_course(service, OTHER_CPR)
    before = log_rows(service)

    with pytest.raises(CourseNotFound):
        erase(service, views, store)

    assert log_rows(service) == before
