"""The Course aggregate's own guards, on bare aggregates (no store).

Given the events a course already holds, when one more fact is recorded, then
exactly that event is added, or the fact is refused with the field named and
nothing is added.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.course import PROTECTED_FIELDS, Course, local_date
from domain.errors import CourseError, InvalidInput
from domain.events import (
    Accepted,
    BaselineCompleted,
    ConsultantReassigned,
    Corrected,
    CourseEvent,
    ExitedPlanned,
    ExitedUnplanned,
    FollowUpRecorded,
    GroupCourseCompleted,
    GroupCourseJoined,
    JobStarted,
    MeasurementRecorded,
    PraktikStarted,
    SessionHeld,
)
from domain.values import CourseState, MeasurementForm

ACTOR = "rk-anna"


def today() -> date:
    return local_date(CourseEvent.create_timestamp())


def days_ago(n: int) -> date:
    return today() - timedelta(days=n)


def referred(on: date | None = None, *, keep_events: bool = False, **fields: Any) -> Course:
    """Referred 60 days ago unless told otherwise."""
    course = Course.refer(
        actor=ACTOR,
        occurred_on=on or days_ago(60),
        subject=uuid4(),
        cpr="0101901234",
        programme="pva",
        referring_caseworker="sagsbehandler",
        benefit_type="kontanthjaelp_aktivitetsparat",
        **fields,
    )
    if not keep_events:
        course.collect_events()
    return course


def record(course: Course, event_class: type[CourseEvent], on: date, **fields: Any) -> None:
    course.record(event_class, actor=ACTOR, occurred_on=on, **fields)


def measure(course: Course, point: int, form: str, on: date, **answers: Any) -> None:
    record(course, MeasurementRecorded, on, point=point, answers={"form": form, **answers})


def in_baseline() -> Course:
    """Referred 60 days ago, accepted 50 days ago."""
    course = referred()
    record(course, Accepted, days_ago(50), consultant="rk-anna")
    course.collect_events()
    return course


def active() -> Course:
    """In baseline since 50 days ago; both start forms 40 days ago; active since then."""
    course = in_baseline()
    measure(
        course,
        1,
        "citizen",
        days_ago(40),
        who5=dict.fromkeys(("cheerful", "calm", "active", "rested", "interested"), 2),
    )
    measure(course, 1, "staff", days_ago(40))
    record(course, BaselineCompleted, days_ago(40))
    course.collect_events()
    return course


def in_job() -> Course:
    """Active, then in a job since 20 days ago."""
    course = active()
    record(course, JobStarted, days_ago(20), employer="Kommunen", hours_per_week=20)
    course.collect_events()
    return course


def exited(on: date | None = None) -> Course:
    course = in_job()
    record(course, ExitedPlanned, on or days_ago(10), after="job")
    course.collect_events()
    return course


def refused_without_recording(
    course: Course, error: type[CourseError], field: str, call: Any
) -> CourseError:
    version = course.version
    pending = list(course.pending_events)
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value).startswith(f"{field}:")
    if isinstance(raised.value, InvalidInput):
        assert raised.value.field == field
    assert course.version == version
    assert course.pending_events == pending
    return raised.value


# Referral ----------------------------------------------------------------------


def test_referral_opens_the_course_in_visitation() -> None:
    course = Course.refer(
        actor=ACTOR,
        occurred_on=days_ago(3),
        subject=uuid4(),
        cpr="0101901234",
        programme="pva",
        referring_caseworker="sagsbehandler",
        benefit_type="sygedagpenge",
    )
    [event] = course.collect_events()
    assert type(event).__name__ == "Referred"
    assert course.state is CourseState.VISITATION
    assert course.referred_on == course.state_since == days_ago(3)
    assert course.is_open


def test_referral_dated_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        referred(on=days_ago(-1))
    assert raised.value.field == "occurred_on"
    assert "in the future" in str(raised.value)


def test_referral_with_a_malformed_cpr_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as raised:
        Course.refer(
            actor=ACTOR,
            occurred_on=days_ago(1),
            subject=uuid4(),
            cpr="010190-1234",
            programme="pva",
            referring_caseworker="sagsbehandler",
            benefit_type="other",
        )
    assert raised.value.field == "cpr"


# Dates -------------------------------------------------------------------------


def test_event_dated_in_the_future_is_refused() -> None:
    course = in_baseline()
    refused_without_recording(
        course,
        InvalidInput,
        "occurred_on",
        lambda: record(course, SessionHeld, days_ago(-1), kind="individual"),
    )


def test_event_dated_today_is_accepted() -> None:
    course = in_baseline()
    record(course, SessionHeld, today(), kind="individual")
    assert [type(e) for e in course.collect_events()] == [SessionHeld]


def test_event_dated_before_the_referral_is_refused() -> None:
    course = in_baseline()
    error = refused_without_recording(
        course,
        InvalidInput,
        "occurred_on",
        lambda: record(course, SessionHeld, days_ago(61), kind="individual"),
    )
    assert "before the referral" in str(error)


def test_state_change_dated_before_the_previous_state_change_is_refused() -> None:
    course = in_job()  # job since 20 days ago
    error = refused_without_recording(
        course,
        InvalidInput,
        "occurred_on",
        lambda: record(course, ExitedPlanned, days_ago(21), after="job"),
    )
    assert f"before the course entered job on {days_ago(20)}" in str(error)


def test_state_change_on_the_same_day_as_the_previous_one_is_accepted() -> None:
    course = in_job()
    record(course, ExitedPlanned, days_ago(20), after="job")
    assert course.state is CourseState.EXITED_PLANNED


def test_event_inside_a_state_may_be_dated_before_the_state_began() -> None:
    """Work done on paper is typed in later; only state changes must be in order."""
    course = in_job()
    record(course, SessionHeld, days_ago(30), kind="individual")
    assert [type(e) for e in course.collect_events()] == [SessionHeld]
    assert course.state_since == days_ago(20)


def test_follow_up_dated_before_the_exit_is_refused() -> None:
    course = exited(on=days_ago(10))
    refused_without_recording(
        course,
        InvalidInput,
        "occurred_on",
        lambda: record(course, FollowUpRecorded, days_ago(11), outcome="employed"),
    )
    record(course, FollowUpRecorded, days_ago(10), outcome="employed")
    assert [type(e) for e in course.collect_events()] == [FollowUpRecorded]


# Facts -------------------------------------------------------------------------


def test_each_form_only_once_per_point() -> None:
    course = active()
    measure(course, 2, "citizen", days_ago(5))
    refused_without_recording(
        course, CourseError, "point", lambda: measure(course, 2, "citizen", days_ago(4))
    )
    measure(course, 2, "staff", days_ago(4))
    assert course.has_form(2, MeasurementForm.CITIZEN)
    assert course.has_form(2, MeasurementForm.STAFF)


def test_point_one_only_during_baseline_and_later_points_only_after() -> None:
    early = in_baseline()
    refused_without_recording(
        early, CourseError, "point", lambda: measure(early, 2, "citizen", days_ago(5))
    )
    late = active()
    refused_without_recording(
        late, CourseError, "point", lambda: measure(late, 1, "citizen", days_ago(5))
    )


def test_praktik_cannot_end_before_it_starts() -> None:
    course = active()
    refused_without_recording(
        course,
        InvalidInput,
        "planned_end",
        lambda: record(
            course,
            PraktikStarted,
            days_ago(5),
            employer="Netto",
            hours_per_week=10,
            planned_end=days_ago(6),
        ),
    )


def test_group_course_completed_only_once_and_only_after_joining() -> None:
    course = active()
    refused_without_recording(
        course,
        CourseError,
        "group_course",
        lambda: record(course, GroupCourseCompleted, days_ago(5), group_course="angst"),
    )
    record(course, GroupCourseJoined, days_ago(30), group_course="angst")
    record(course, GroupCourseCompleted, days_ago(5), group_course="angst")
    assert course.group_courses == {"angst": True}
    course.collect_events()
    refused_without_recording(
        course,
        CourseError,
        "group_course",
        lambda: record(course, GroupCourseCompleted, days_ago(4), group_course="angst"),
    )


def test_planned_exit_names_where_the_citizen_went() -> None:
    course = in_job()
    refused_without_recording(
        course,
        InvalidInput,
        "after",
        lambda: record(course, ExitedPlanned, days_ago(1), after="education"),
    )


def test_payload_is_validated_with_the_field_named() -> None:
    course = active()
    refused_without_recording(
        course,
        InvalidInput,
        "hours_per_week",
        lambda: record(course, JobStarted, days_ago(1), employer="Netto", hours_per_week=61),
    )
    refused_without_recording(
        course,
        InvalidInput,
        "answers.who5.calm",
        lambda: measure(
            course,
            2,
            "citizen",
            days_ago(1),
            who5={"cheerful": 1, "calm": 7, "active": 1, "rested": 1, "interested": 1},
        ),
    )


# Corrections -------------------------------------------------------------------


def event_at(course: Course, version: int, events: list[CourseEvent]) -> CourseEvent:
    [event] = [e for e in events if e.originator_version == version]
    return event


def active_with_history() -> tuple[Course, list[CourseEvent]]:
    """An active course, and every event it has recorded (in order)."""
    course = referred(keep_events=True)
    history: list[CourseEvent] = []

    def keep(event_class: type[CourseEvent], on: date, **fields: Any) -> None:
        record(course, event_class, on, **fields)

    keep(Accepted, days_ago(50), consultant="rk-anna")
    keep(
        MeasurementRecorded,
        days_ago(40),
        point=1,
        answers={
            "form": "citizen",
            "who5": {"cheerful": 1, "calm": 2, "active": 3, "rested": 4, "interested": 5},
        },
    )
    keep(MeasurementRecorded, days_ago(40), point=1, answers={"form": "staff"})
    keep(BaselineCompleted, days_ago(40))
    keep(SessionHeld, days_ago(30), kind="individual", note="første samtale")
    history.extend(course.collect_events())  # type: ignore[arg-type]
    return course, history


def correct(course: Course, target: CourseEvent, **fields: Any) -> None:
    course.correct(target, actor=ACTOR, occurred_on=days_ago(1), reason="fejl", **fields)


def test_a_correction_records_the_change_and_keeps_the_original() -> None:
    course, history = active_with_history()
    session = event_at(course, 6, history)

    correct(course, session, changes={"note": "anden samtale"})

    [correction] = course.collect_events()
    assert isinstance(correction, Corrected)
    assert correction.target_version == 6
    assert correction.target_event == "SessionHeld"
    assert correction.changes == {"note": "anden samtale"}
    assert 6 in course.corrected_versions
    assert course.history[6] == "SessionHeld"


def test_correction_is_validated_against_the_target_events_schema() -> None:
    course, history = active_with_history()
    citizen_form = event_at(course, 3, history)
    refused_without_recording(
        course,
        InvalidInput,
        "changes.answers.who5.cheerful",
        lambda: correct(course, citizen_form, changes={"answers.who5.cheerful": 9}),
    )
    correct(course, citizen_form, changes={"answers.who5.cheerful": 5})
    assert [type(e) for e in course.collect_events()] == [Corrected]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "walk"}, "changes.kind"),
        ({"mood": "glad"}, "changes.mood"),
        ({"note": "\x00"}, "changes.note"),
    ],
)
def test_correction_to_an_invalid_or_unknown_field_is_refused(
    changes: dict[str, Any], field: str
) -> None:
    course, history = active_with_history()
    refused_without_recording(
        course,
        InvalidInput,
        field,
        lambda: correct(course, event_at(course, 6, history), changes=changes),
    )


@pytest.mark.parametrize("field", sorted(PROTECTED_FIELDS))
def test_identity_and_provenance_cannot_be_corrected(field: str) -> None:
    course, history = active_with_history()
    referral = event_at(course, 1, history)
    error = refused_without_recording(
        course,
        InvalidInput,
        f"changes.{field}",
        lambda: correct(course, referral, changes={field: "0202021234"}),
    )
    assert "cannot be corrected" in str(error)


def test_a_correction_needs_a_change() -> None:
    course, history = active_with_history()
    refused_without_recording(
        course,
        InvalidInput,
        "changes",
        lambda: correct(course, event_at(course, 6, history), changes={}),
    )


def test_retracting_a_measurement_frees_its_point_and_form() -> None:
    course, _ = active_with_history()
    measure(course, 2, "citizen", days_ago(5))
    [second] = course.collect_events()
    assert isinstance(second, CourseEvent)

    correct(course, second, changes={}, retracted=True)

    assert not course.has_form(2, MeasurementForm.CITIZEN)
    measure(course, 2, "citizen", days_ago(1))
    assert [type(e) for e in course.collect_events()] == [Corrected, MeasurementRecorded]


def test_a_retraction_changes_no_fields() -> None:
    course, history = active_with_history()
    refused_without_recording(
        course,
        InvalidInput,
        "changes",
        lambda: correct(
            course, event_at(course, 6, history), changes={"note": "x"}, retracted=True
        ),
    )


@pytest.mark.parametrize("version", [1, 5], ids=["Referred", "BaselineCompleted"])
def test_the_referral_and_the_baseline_completed_cannot_be_retracted(version: int) -> None:
    """Other state changes may be retracted; the workflow refuses it while later events
    depend on them (tests/workflows/test_retraction.py)."""
    course, history = active_with_history()
    error = refused_without_recording(
        course,
        CourseError,
        "version",
        lambda: correct(course, event_at(course, version, history), changes={}, retracted=True),
    )
    assert "cannot be retracted" in str(error)


def test_reassignment_cannot_be_retracted_either() -> None:
    """Only facts marked retractable may be withdrawn (a reassignment is not)."""
    course, _ = active_with_history()
    record(course, ConsultantReassigned, days_ago(2), consultant="rk-bo")
    [reassigned] = course.collect_events()
    assert isinstance(reassigned, CourseEvent)
    refused_without_recording(
        course,
        CourseError,
        "version",
        lambda: correct(course, reassigned, changes={}, retracted=True),
    )


def test_a_correction_cannot_be_corrected() -> None:
    course, history = active_with_history()
    correct(course, event_at(course, 6, history), changes={"note": "rettet"})
    [correction] = course.collect_events()
    assert isinstance(correction, CourseEvent)
    for fields in ({"changes": {"reason": "igen"}}, {"changes": {}, "retracted": True}):
        refused_without_recording(
            course,
            CourseError,
            "version",
            lambda fields=fields: correct(course, correction, **fields),
        )


def test_correcting_the_referral_date_moves_the_referral() -> None:
    course, history = active_with_history()
    correct(course, event_at(course, 1, history), changes={"occurred_on": str(days_ago(70))})
    assert course.referred_on == days_ago(70)


def test_correcting_a_measurement_point_moves_its_slot() -> None:
    course, _ = active_with_history()
    measure(course, 2, "staff", days_ago(5))
    [staff_two] = course.collect_events()
    assert isinstance(staff_two, CourseEvent)

    correct(course, staff_two, changes={"point": 3})

    assert not course.has_form(2, MeasurementForm.STAFF)
    assert course.has_form(3, MeasurementForm.STAFF)


def test_correcting_a_measurement_onto_a_taken_slot_is_refused() -> None:
    course, _ = active_with_history()
    measure(course, 2, "staff", days_ago(6))
    measure(course, 3, "staff", days_ago(5))
    [_, staff_three] = course.collect_events()
    assert isinstance(staff_three, CourseEvent)

    with pytest.raises(CourseError, match="point"):
        correct(course, staff_three, changes={"point": 2})


@pytest.mark.parametrize("when", [-1, 61], ids=["future", "before-referral"])
def test_correcting_a_date_obeys_the_same_date_rules(when: int) -> None:
    course, history = active_with_history()
    with pytest.raises(InvalidInput, match="occurred_on"):
        correct(course, event_at(course, 6, history), changes={"occurred_on": str(days_ago(when))})


def test_exited_course_is_closed() -> None:
    assert not exited().is_open
    course = in_baseline()
    record(course, ExitedUnplanned, days_ago(1), reason="not_motivated")
    assert course.state is CourseState.EXITED_UNPLANNED
    assert not course.is_open
