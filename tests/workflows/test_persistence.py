"""Stored payloads: every event round-trips, and old versions are read upcast."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain import citizen, events
from domain.citizen import Citizen, CitizenEvent
from domain.course import Course
from domain.events import CourseEvent, Referred
from domain.values import BenefitType, CourseState
from storage.persistence import OrjsonTranscoder, PydanticMapper, upcast
from workflows.commands import Accept
from workflows.service import CourseService

from .scenarios import ACTOR, days_ago

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
COMMON: dict[str, Any] = {
    "originator_version": 4,
    "timestamp": NOW,
    "actor": ACTOR,
    "occurred_on": days_ago(3),
    "command_id": "cmd-1",
}

# One full payload per event class (beyond the common fields); a new event
# class without an example here fails `test_every_event_class_has_an_example`.
EXAMPLES: dict[type[Any], dict[str, Any]] = {
    events.Referred: {
        "originator_version": 1,
        "originator_topic": get_topic(Course),
        "subject": uuid4(),
        "cpr": "0101901234",
        "programme": "pva",
        "referring_caseworker": "sagsbehandler",
        "benefit_type": BenefitType.SYGEDAGPENGE,
        "note": "henvist\nmed linjeskift",
    },
    events.Accepted: {"consultant": "rk-anna"},
    events.RejectedAtVisitation: {"reason": "not_target_group", "detail": "pension"},
    events.MeasurementRecorded: {
        "point": 2,
        "answers": {
            "form": "staff",
            "bip": {"work_readiness": 2, "health_limits": "dont_know"},
            "staff": {
                "psychiatric_diagnosis": "yes",
                "substance_use": {"cannabis": "some"},
                "daily_functioning": 3,
                "network_meeting_last_3_months": "no",
            },
        },
    },
    events.BaselineCompleted: {},
    events.SessionHeld: {"kind": "group", "note": "æøå"},
    events.NetworkMeetingHeld: {"outcome": "held", "participants": ["rk-anna", "jobkonsulent"]},
    events.GroupCourseJoined: {"group_course": "angstgruppe"},
    events.GroupCourseCompleted: {"group_course": "angstgruppe"},
    events.TreatmentPlanStarted: {"note": ""},
    events.PraktikStarted: {
        "employer": "Netto",
        "hours_per_week": 12.5,
        "planned_end": days_ago(-30),
    },
    events.PraktikEnded: {"outcome": "aborted"},
    events.JobStarted: {"employer": "Kommunen", "hours_per_week": 20, "ordinary_hours": False},
    events.JobEnded: {},
    events.EducationStarted: {"institution": "VUC", "programme_of_study": "HF"},
    events.EducationEnded: {"note": "x"},
    events.ConsultantReassigned: {"consultant": "rk-bo", "reason": "opsagt"},
    events.ExitedPlanned: {"after": "job"},
    events.ProgrammeCompleted: {"note": "gennemført"},
    events.ContactRegistered: {"contact_kind": "outreach", "place": "Cafeen", "rating": 5},
    events.SegmentRecorded: {"match_group": "M3", "profiles": ["maaske"], "focus": "helbred"},
    events.TeamMemberAdded: {"member": "skp-lis", "role": "support_contact_person"},
    events.TeamMemberLeft: {"member": "skp-lis"},
    events.ExitedUnplanned: {"reason": "moved_municipality"},
    events.FollowUpRecorded: {"outcome": "no_response"},
    events.Corrected: {
        "target_version": 2,
        "target_event": "SessionHeld",
        "reason": "forkert dato",
        "changes": {"occurred_on": "2026-01-02", "answers.who5.calm": 3},
    },
    citizen.CitizenRegistered: {"originator_version": 1, "originator_topic": get_topic(Citizen)},
    citizen.CourseOpened: {"course_id": uuid4(), "programme": "pva"},
    citizen.RecordRead: {"actor": "revisor", "what": "audit", "purpose": "klagesag 2026-14"},
    citizen.CitizenErased: {"actor": "admin", "erased_on": days_ago(1), "reason": "slettefrist"},
}


def all_event_classes() -> list[type[Any]]:
    """Every concrete event class of the domain, found by walking the base classes."""
    found: list[type[Any]] = []
    stack: list[type[Any]] = [CourseEvent, CitizenEvent]
    while stack:
        cls = stack.pop()
        subclasses = cls.__subclasses__()
        stack.extend(subclasses)
        if cls not in (CourseEvent, CitizenEvent):
            found.append(cls)
    return found


def example(cls: type[Any]) -> Any:
    fields = {"originator_id": uuid4(), **EXAMPLES[cls]}
    if issubclass(cls, CourseEvent):
        fields = {**COMMON, **fields}
    else:
        fields = {"originator_version": 2, "timestamp": NOW, **fields}
    return cls.model_validate(fields)


@pytest.fixture
def mapper() -> PydanticMapper:
    return PydanticMapper(transcoder=OrjsonTranscoder())


def test_every_event_class_has_an_example() -> None:
    assert set(all_event_classes()) == set(EXAMPLES)


@pytest.mark.parametrize("cls", list(EXAMPLES), ids=lambda c: c.__name__)
def test_every_event_class_has_a_class_version(cls: type[Any]) -> None:
    assert isinstance(cls.class_version, int)
    assert cls.class_version >= 1
    for version in range(1, cls.class_version):
        assert callable(getattr(cls, f"upcast_v{version}_v{version + 1}"))


@pytest.mark.parametrize("cls", list(EXAMPLES), ids=lambda c: c.__name__)
def test_event_round_trips_through_the_mapper(mapper: PydanticMapper, cls: type[Any]) -> None:
    event = example(cls)

    stored = mapper.to_stored_event(event)
    back = mapper.to_domain_event(stored)

    assert type(back) is cls
    assert back == event
    assert stored.topic == get_topic(cls)
    assert stored.originator_version == event.originator_version


def _referred_v1_payload(course_id: UUID) -> dict[str, Any]:
    """A Referred payload as version 1 stored it: no benefit_type, no class_version key."""
    return {
        "originator_topic": get_topic(Course),
        "timestamp": NOW.isoformat(),
        "actor": ACTOR,
        "occurred_on": days_ago(400).isoformat(),
        "command_id": None,
        "cpr": "0101901234",
        "programme": "pva",
        "referring_caseworker": "sagsbehandler",
        "note": "fra 2018",
    }


def test_referred_v4_is_stored_with_its_class_version(mapper: PydanticMapper) -> None:
    stored = mapper.to_stored_event(example(Referred))
    assert mapper.transcoder.decode(stored.state)["class_version"] == 4


def test_a_referral_stored_before_entry_routes_came_by_a_caseworker() -> None:
    state = {**_referred_v1_payload(uuid4()), "class_version": 3}
    upcast(Referred, state)
    assert state["entry_route"] == "caseworker_referral"


def test_upcast_adds_the_benefit_type_to_a_version_one_payload() -> None:
    state = _referred_v1_payload(uuid4())
    upcast(Referred, state)
    assert state["benefit_type"] == "kontanthjaelp_aktivitetsparat"
    assert "class_version" not in state


def test_version_one_referral_in_the_store_reads_as_the_current_class(
    service: CourseService,
) -> None:
    course_id = uuid4()
    stored = StoredEvent(
        originator_id=course_id,
        originator_version=1,
        topic=get_topic(Referred),
        state=service.mapper.transcoder.encode(_referred_v1_payload(course_id)),
    )
    service.recorder.insert_events([stored])

    [referred] = service.course_events(course_id)
    course = service.get_course(course_id)

    assert isinstance(referred, Referred)
    assert referred.benefit_type is BenefitType.KONTANTHJAELP_AKTIVITETSPARAT
    assert referred.note == "fra 2018"
    assert course.state is CourseState.VISITATION
    assert course.referred_on == days_ago(400)
    assert course.cpr == "0101901234"


def test_an_old_course_goes_on_recording_current_events(service: CourseService) -> None:
    course_id = uuid4()
    service.recorder.insert_events(
        [
            StoredEvent(
                originator_id=course_id,
                originator_version=1,
                topic=get_topic(Referred),
                state=service.mapper.transcoder.encode(_referred_v1_payload(course_id)),
            )
        ]
    )

    service.execute(Accept(course=str(course_id), consultant="rk-anna"), ACTOR)

    assert service.get_course(course_id).state is CourseState.BASELINE


def test_an_event_stored_before_recorded_by_reads_as_recorded_by_its_actor(
    service: CourseService,
) -> None:
    course_id = uuid4()
    service.recorder.insert_events(
        [
            StoredEvent(
                originator_id=course_id,
                originator_version=1,
                topic=get_topic(Referred),
                state=service.mapper.transcoder.encode(_referred_v1_payload(course_id)),
            )
        ]
    )
    service.execute(Accept(course=str(course_id), consultant="rk-anna", actor="visitator"), "adm")

    referred, accepted = service.course_events(course_id)

    assert "recorded_by" not in _referred_v1_payload(course_id)
    assert (referred.actor, referred.recorded_by) == (ACTOR, ACTOR)
    assert (accepted.actor, accepted.recorded_by) == ("visitator", "adm")


def test_a_payload_naming_who_recorded_it_round_trips(mapper: PydanticMapper) -> None:
    event = example(events.SessionHeld).model_copy(update={"recorded_by": "adm"})

    back = mapper.to_domain_event(mapper.to_stored_event(event))

    assert (back.actor, back.recorded_by) == (ACTOR, "adm")


def test_a_version_one_job_reads_as_ordinary_work_with_its_hours_as_recorded() -> None:
    state = {"employer": "Kommunen", "hours_per_week": 20, "ordinary_hours": False}
    upcast(events.JobStarted, state)
    assert state == {
        "employer": "Kommunen", "hours_per_week": 20, "ordinary_hours": False,
        "kind": "ordinary",
    }  # fmt: skip


@pytest.mark.parametrize("cls", list(EXAMPLES), ids=lambda c: c.__name__)
def test_the_views_read_every_event_as_the_checked_read_does(
    mapper: PydanticMapper, cls: type[Any]
) -> None:
    stored = mapper.to_stored_event(example(cls))

    assert mapper.to_logged_event(stored) == mapper.to_domain_event(stored)


def _stored_measurement(mapper: PydanticMapper, **answers: Any) -> StoredEvent:
    stored = mapper.to_stored_event(example(events.MeasurementRecorded))
    state = mapper.transcoder.decode(stored.state)
    state["answers"].update(answers)
    return StoredEvent(
        stored.originator_id, stored.originator_version, stored.topic,
        mapper.transcoder.encode(state),
    )  # fmt: skip


def test_the_views_infer_the_versions_of_a_measurement_stored_without_them(
    mapper: PydanticMapper,
) -> None:
    stored = _stored_measurement(mapper, instruments={})

    logged = mapper.to_logged_event(stored)

    assert logged.answers.instruments == {"bip_staff": 1, "staff_assessment": 1}
    assert logged == mapper.to_domain_event(stored)


def test_the_views_read_a_logged_measurement_the_rules_now_refuse(
    mapper: PydanticMapper,
) -> None:
    stored = _stored_measurement(mapper, instruments={"bip_staff": 99, "staff_assessment": 1})

    with pytest.raises(ValueError, match="bip_staff has no version 99"):
        mapper.to_domain_event(stored)
    assert mapper.to_logged_event(stored).answers.instruments["bip_staff"] == 99
