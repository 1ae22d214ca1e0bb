"""Personal data at rest: sealed under a key per citizen, the facts around them readable."""

from __future__ import annotations

import base64
from datetime import timedelta
from uuid import UUID

import pytest

from cli.bootstrap import open_service, reopen
from domain.events import MeasurementRecorded, Referred, SessionHeld
from storage.keys import aes_cipher
from storage.persistence import SEALED
from storage.secrets import MasterKey, MasterKeyProblem
from storage.store import StoreConfig
from workflows import commands as cmd
from workflows.commands import today
from workflows.service import CourseService

CPR = "0101901234"
OTHER_CPR = "0202905678"
NOTE = "Borgeren fortalte om sin angst MARKER-7f3a"
EMPLOYER = "Bageriet Solsikken MARKER-e81c"
EARLY = today() - timedelta(days=30)


def course_with_personal_data(service: CourseService, cpr: str = CPR) -> UUID:
    """A course in active with a note, a network meeting, start forms and a praktik."""
    course = service.execute(
        cmd.Refer(cpr=cpr, programme="pva", referring_caseworker="sb", occurred_on=EARLY,
                  note=NOTE),
        "rk-anna",
    ).course_id
    ref = str(course)
    for command in (
        cmd.Accept(course=ref, consultant="rk-anna", occurred_on=EARLY),
        cmd.Session(course=ref, kind="individual", note=NOTE, occurred_on=EARLY),
        cmd.Measure(
            course=ref, point=1, form="citizen", mental_health="poor",
            who5=[1, 2, 0, 1, 2],
            occurred_on=EARLY,
        ),
        cmd.Measure(
            course=ref, point=1, form="staff", sex="female", nationality="danish_greenlandic",
            occurred_on=EARLY,
        ),
        cmd.PraktikStart(
            course=ref, employer=EMPLOYER, hours_per_week=10,
            planned_end=EARLY + timedelta(days=60), occurred_on=EARLY,
        ),
    ):
        service.execute(command, "rk-anna")
    return course


def stored_states(service: CourseService) -> list[bytes]:
    """Every stored payload, as the database holds it."""
    return [n.state for n in service.recorder.select_notifications(start=1, limit=10_000)]


def test_personal_fields_never_reach_the_store_in_clear(service: CourseService) -> None:
    course_with_personal_data(service)

    states = stored_states(service)
    everything = b"".join(states)
    for secret in (CPR.encode(), NOTE.encode(), EMPLOYER.encode(), b'"mental_health"', b"who5"):
        assert secret not in everything
    for background in (b"background", b"danish_greenlandic", b"female"):
        assert background not in everything
    # The facts around them stay plain: the programme, the dates, the form filled in.
    assert b'"programme":"pva"' in everything
    assert EARLY.isoformat().encode() in everything
    assert b'"form":"citizen"' in everything


def test_sealed_events_read_back_whole(service: CourseService) -> None:
    course = course_with_personal_data(service)

    events = service.course_events(course)
    referred, measured = events[0], events[3]

    assert isinstance(referred, Referred)
    assert (referred.cpr, referred.note) == (CPR, NOTE)
    assert isinstance(events[2], SessionHeld) and events[2].note == NOTE
    assert isinstance(measured, MeasurementRecorded)
    assert measured.answers.mental_health == "poor"
    assert measured.answers.who5 is not None and measured.answers.who5.calm == 2


def test_each_citizen_has_a_key_of_their_own(service: CourseService) -> None:
    first = course_with_personal_data(service)
    second = course_with_personal_data(service, OTHER_CPR)
    first_subject = service.get_course(first).subject
    second_subject = service.get_course(second).subject
    assert first_subject is not None and second_subject is not None
    assert first_subject != second_subject

    sealed = service.recorder.select_events(first, lte=1)[0].state
    assert sealed[:1] == SEALED and UUID(bytes=sealed[1:17]) == first_subject
    secret = sealed[21 + int.from_bytes(sealed[17:21], "big") :]
    other_cipher = service.keyring.cipher(second_subject)
    own_cipher = service.keyring.cipher(first_subject)
    assert other_cipher is not None and own_cipher is not None
    with pytest.raises(ValueError):
        other_cipher.decrypt(secret)
    assert CPR.encode() in own_cipher.decrypt(secret)


def test_the_citizen_index_id_is_not_derived_from_the_cpr(service: CourseService) -> None:
    course = course_with_personal_data(service)
    subject = service.get_course(course).subject

    other = reopen(service)  # a second process on the same store
    try:
        assert other.keyring.subject_of(CPR) == subject
    finally:
        other.close()
    lookup = service.keyring.lookup_value(CPR)
    assert CPR not in lookup and len(lookup) == 64


def test_the_master_key_is_never_in_the_store(sqlite_store: StoreConfig) -> None:
    service = open_service(sqlite_store)
    try:
        course_with_personal_data(service)
        master = service.secrets
    finally:
        service.close()
    assert sqlite_store.sqlite_path is not None
    raw = b"".join(
        path.read_bytes() for path in sqlite_store.sqlite_path.parent.glob("*.sqlite*")
    )
    assert master.secret not in raw
    assert master.text().encode() not in raw
    assert master.derive("citizen-keys") not in raw


def test_another_master_key_is_refused_with_one_line(
    store: StoreConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = open_service(store)
    try:
        course = course_with_personal_data(service)
    finally:
        service.close()
    monkeypatch.setenv("FORLOEB_MASTER_KEY", MasterKey.generate().text())

    with pytest.raises(MasterKeyProblem, match="master key") as refused:
        open_service(store)  # refused at open, before any key lookup
    assert "\n" not in str(refused.value)
    assert course is not None


def test_a_malformed_master_key_names_the_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORLOEB_MASTER_KEY", "not base64!")
    with pytest.raises(MasterKeyProblem, match="FORLOEB_MASTER_KEY is not base64"):
        StoreConfig(sqlite_path=None, database_url="postgresql://x/y").master_key()
    monkeypatch.setenv("FORLOEB_MASTER_KEY", base64.b64encode(b"short").decode())
    with pytest.raises(MasterKeyProblem, match="32 bytes"):
        StoreConfig(database_url="postgresql://x/y").master_key()


def test_a_postgres_store_without_a_master_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORLOEB_MASTER_KEY")
    monkeypatch.delenv("FORLOEB_MASTER_KEY_FILE", raising=False)
    with pytest.raises(MasterKeyProblem, match="set FORLOEB_MASTER_KEY"):
        StoreConfig(database_url="postgresql://h/db").master_key()


def test_wrapped_keys_are_useless_without_the_master_key(service: CourseService) -> None:
    course_with_personal_data(service)
    wrapped = {row.subject: row.wrapped for row in service.keyring.store.all_rows()}
    assert len(wrapped) == 1
    [blob] = wrapped.values()
    with pytest.raises(ValueError):
        aes_cipher(MasterKey.generate().derive("citizen-keys")).decrypt(blob)
