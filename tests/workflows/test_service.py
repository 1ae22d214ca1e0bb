"""The course service on a real store: referrals, dates, concurrency, idempotency,
corrections and how a course reference is resolved."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError
from pydantic import ValidationError

from cli.bootstrap import open_service
from domain.errors import (
    AlreadyOpen,
    AmbiguousCourse,
    ConcurrentChange,
    CourseError,
    CourseNotFound,
    InvalidInput,
    MoveRefused,
)
from domain.events import (
    BaselineCompleted,
    Corrected,
    ExitedUnplanned,
    MeasurementRecorded,
    Referred,
    RejectedAtVisitation,
    SessionHeld,
)
from domain.values import CourseState, MeasurementForm
from storage.store import StoreConfig
from workflows.commands import (
    Accept,
    Command,
    Correct,
    Exit,
    FollowUp,
    JobStart,
    Measure,
    Meeting,
    Refer,
    Session,
)
from workflows.service import CourseService, Outcome

from .scenarios import (
    ACTOR,
    CPR,
    PROGRAMME,
    days_ago,
    drive_to,
    path_to,
    refer,
    stored_count,
    take,
)

OTHER_CPR = "0202024321"


@pytest.fixture
def other(store: StoreConfig) -> Iterator[CourseService]:
    """A second service on the same store: another caseworker's process."""
    app = open_service(store)
    yield app
    app.close()


def refused_and_nothing_written(
    service: CourseService, error: type[CourseError], command: Command
) -> CourseError:
    before = stored_count(service)
    with pytest.raises(error) as raised:
        service.execute(command, ACTOR)
    assert stored_count(service) == before
    return raised.value


# Re-referral ---------------------------------------------------------------------


def test_second_open_course_in_the_same_programme_is_refused(service: CourseService) -> None:
    first = refer(service)
    error = refused_and_nothing_written(
        service,
        AlreadyOpen,
        Refer(cpr="010190-1234", programme=PROGRAMME, referring_caseworker="sagsbehandler"),
    )
    assert str(first) in str(error)
    assert str(error).startswith("cpr:")
    assert service.courses_of(CPR) == [first]


def test_re_referral_after_exit_opens_a_new_course(service: CourseService) -> None:
    first = drive_to(service, CourseState.EXITED_UNPLANNED)

    second = refer(service)

    assert second != first
    assert service.courses_of(CPR) == [first, second]
    assert service.get_course(second).state is CourseState.VISITATION
    assert service.get_course(first).state is CourseState.EXITED_UNPLANNED


def test_open_course_in_another_programme_is_allowed(service: CourseService) -> None:
    first = refer(service, programme="pva")
    second = refer(service, programme="op-paa-hesten")
    assert service.courses_of(CPR) == [first, second]


def test_two_simultaneous_referrals_of_one_citizen_open_one_course(
    service: CourseService, other: CourseService
) -> None:
    """The citizen index is the lock: the later save conflicts and is refused on retry."""
    refer_command = Refer(cpr=CPR, programme=PROGRAMME, referring_caseworker="sagsbehandler")
    interleave(other, lambda: refer(service))

    with pytest.raises(AlreadyOpen):
        other.execute(refer_command, ACTOR)

    assert len(service.courses_of(CPR)) == 1


# Dates through the service ------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "command", "message"),
    [
        (CourseState.BASELINE, lambda c: Session(course=c, occurred_on=days_ago(-1)), "future"),
        (CourseState.BASELINE, lambda c: Session(course=c, occurred_on=days_ago(31)), "referral"),
        (
            CourseState.ACTIVE,
            lambda c: JobStart(
                course=c, employer="Netto", hours_per_week=20, occurred_on=days_ago(11)
            ),
            "before the course entered active",
        ),
        (
            CourseState.EXITED_UNPLANNED,
            lambda c: FollowUp(course=c, outcome="employed", occurred_on=days_ago(11)),
            "before the exit",
        ),
    ],
    ids=["future", "before-referral", "state-change-out-of-order", "follow-up-before-exit"],
)
def test_dates_out_of_order_are_refused_naming_the_field(
    service: CourseService,
    state: CourseState,
    command: Callable[[str], Command],
    message: str,
) -> None:
    """Referred 30 days ago; every move on the path to `state` dated 10 days ago."""
    course_id = refer(service, occurred_on=days_ago(30))
    for trigger in path_to(state):
        take(service, course_id, trigger, occurred_on=days_ago(10))

    error = refused_and_nothing_written(service, InvalidInput, command(str(course_id)))

    assert isinstance(error, InvalidInput)
    assert error.field == "occurred_on"
    assert message in str(error)


def test_referral_in_the_future_is_refused(service: CourseService) -> None:
    error = refused_and_nothing_written(
        service,
        InvalidInput,
        Refer(
            cpr=CPR,
            programme=PROGRAMME,
            referring_caseworker="sagsbehandler",
            occurred_on=days_ago(-1),
        ),
    )
    assert isinstance(error, InvalidInput)
    assert error.field == "occurred_on"
    assert service.courses_of(CPR) == []


# Optimistic concurrency ---------------------------------------------------------


def interleave(service: CourseService, other_work: Callable[[], Any], times: int = 1) -> None:
    """Run `other_work` between the service's decision and its save, `times` times."""
    decide = service.decide
    remaining = [times]

    def decide_then_let_someone_else_write(
        command: Command, actor: str, cache: dict[UUID, Any]
    ) -> Outcome:
        outcome = decide(command, actor, cache)
        if remaining[0] > 0:
            remaining[0] -= 1
            other_work()
        return outcome

    service.decide = decide_then_let_someone_else_write  # type: ignore[method-assign]


def test_two_saves_of_the_same_version_conflict_in_the_repository(
    service: CourseService, other: CourseService
) -> None:
    course_id = drive_to(service, CourseState.ACTIVE)
    mine = service.get_course(course_id)
    theirs = other.get_course(course_id)
    for course in (mine, theirs):
        course.record(SessionHeld, actor=ACTOR, occurred_on=days_ago(0), kind="individual")

    service.save(mine)
    with pytest.raises(IntegrityError):
        other.save(theirs)

    assert [type(e) for e in service.course_events(course_id)][-1:] == [SessionHeld]
    assert service.get_course(course_id).version == mine.version


def test_conflict_is_retried_while_the_decision_still_holds(
    service: CourseService, other: CourseService
) -> None:
    course_id = drive_to(service, CourseState.ACTIVE)
    before = len(service.course_events(course_id))
    interleave(other, lambda: service.execute(Session(course=str(course_id)), ACTOR))

    outcome = other.execute(Session(course=str(course_id), note="min samtale"), ACTOR)

    recorded = service.course_events(course_id)[before:]
    assert [type(e) for e in recorded] == [SessionHeld, SessionHeld]
    assert outcome.versions == (recorded[1].originator_version,)


def test_two_exits_at_once_one_wins_and_the_other_is_refused(
    service: CourseService, other: CourseService
) -> None:
    course_id = drive_to(service, CourseState.ACTIVE)
    exit_command = Exit(course=str(course_id), planned=False, reason="not_motivated")
    interleave(other, lambda: service.execute(exit_command, ACTOR))

    with pytest.raises(MoveRefused) as refused:
        other.execute(exit_command.model_copy(update={"reason": "moved_municipality"}), ACTOR)

    assert (refused.value.trigger, refused.value.state) == ("exit_unplanned", "exited_unplanned")

    exits = [e for e in service.course_events(course_id) if isinstance(e, ExitedUnplanned)]
    assert len(exits) == 1
    assert exits[0].reason == "not_motivated"


def test_conflict_that_keeps_recurring_is_refused_as_a_concurrent_change(
    service: CourseService, other: CourseService
) -> None:
    course_id = drive_to(service, CourseState.ACTIVE)
    before = len(service.course_events(course_id))
    attempts = other.conflict_retries + 1
    interleave(
        other, lambda: service.execute(Session(course=str(course_id)), ACTOR), times=attempts
    )

    with pytest.raises(ConcurrentChange, match=str(course_id)):
        other.execute(Session(course=str(course_id), note="min"), ACTOR)

    notes = [e.note for e in service.course_events(course_id)[before:]]  # type: ignore[attr-defined]
    assert notes == ["" for _ in range(attempts)]


# Idempotency ---------------------------------------------------------------------


def test_the_same_course_command_twice_records_once(service: CourseService) -> None:
    course_id = drive_to(service, CourseState.ACTIVE)
    command = Session(course=str(course_id), command_id="import-7:line-12")

    first = service.execute(command, ACTOR)
    count = stored_count(service)
    second = service.execute(command, ACTOR)

    assert first.events == ("SessionHeld",)
    assert second.skipped
    assert second.events == ()
    assert stored_count(service) == count


def test_the_same_referral_twice_opens_one_course(service: CourseService) -> None:
    command = Refer(
        cpr=CPR, programme=PROGRAMME, referring_caseworker="sagsbehandler", command_id="r-1"
    )

    first = service.execute(command, ACTOR)
    second = service.execute(command, ACTOR)

    assert second.skipped
    assert second.course_id == first.course_id
    assert service.courses_of(CPR) == [first.course_id]


def test_a_repeated_command_is_skipped_even_when_it_would_now_be_refused(
    service: CourseService,
) -> None:
    course_id = drive_to(service, CourseState.ACTIVE)
    command = Exit(course=str(course_id), planned=False, reason="other", command_id="x-1")
    service.execute(command, ACTOR)

    assert service.execute(command, ACTOR).skipped
    assert service.get_course(course_id).state is CourseState.EXITED_UNPLANNED


def test_a_command_id_reused_for_another_command_is_refused_and_writes_nothing(
    service: CourseService,
) -> None:
    course_id = drive_to(service, CourseState.ACTIVE)
    service.execute(Session(course=str(course_id), command_id="line-12"), ACTOR)
    count = stored_count(service)

    with pytest.raises(CourseError) as refused:
        service.execute(
            Meeting(course=str(course_id), participants=["mentor"], command_id="line-12"), ACTOR
        )

    assert str(refused.value) == (
        f"command_id: line-12 already recorded SessionHeld on course {course_id}, which "
        "meeting does not record; nothing was written"
    )
    assert stored_count(service) == count
    assert service.execute(Session(course=str(course_id), command_id="line-12"), ACTOR).skipped


def test_a_referral_s_command_id_reused_for_a_course_command_is_refused(
    service: CourseService,
) -> None:
    refer = Refer(
        cpr=CPR, programme=PROGRAMME, referring_caseworker="sagsbehandler", command_id="r-9"
    )
    course_id = service.execute(refer, ACTOR).course_id

    with pytest.raises(CourseError, match="command_id: r-9 already recorded Referred"):
        service.execute(Session(course=str(course_id), command_id="r-9"), ACTOR)


def test_a_batch_with_a_repeated_command_records_it_once(service: CourseService) -> None:
    course_id = drive_to(service, CourseState.ACTIVE)
    command = Session(course=str(course_id), command_id="batch-1")

    results = service.execute_many([command, command], ACTOR)

    assert isinstance(results[1], Outcome)
    assert results[1].skipped
    assert sum(isinstance(e, SessionHeld) for e in service.course_events(course_id)) == 1


# Corrections through the service -------------------------------------------------


def version_of(service: CourseService, course_id: UUID, event_class: type[Any]) -> int:
    """The sequence number of the course's latest event of a class."""
    versions: list[int] = [
        e.originator_version for e in service.course_events(course_id) if isinstance(e, event_class)
    ]
    return versions[-1]


def test_correction_is_validated_against_the_target_schema(service: CourseService) -> None:
    course_id = drive_to(service, CourseState.ACTIVE)
    service.execute(
        Measure(course=str(course_id), point=2, form="citizen", who5=[1, 2, 3, 4, 5]), ACTOR
    )
    version = version_of(service, course_id, MeasurementRecorded)

    error = refused_and_nothing_written(
        service,
        InvalidInput,
        Correct(
            course=str(course_id),
            version=version,
            reason="tastefejl",
            changes={"answers.who5.cheerful": 9},
        ),
    )
    assert str(error).startswith("changes.answers.who5.cheerful:")

    service.execute(
        Correct(
            course=str(course_id),
            version=version,
            reason="tastefejl",
            changes={"answers.who5.cheerful": 4},
        ),
        ACTOR,
    )
    correction = service.course_events(course_id)[-1]
    assert isinstance(correction, Corrected)
    assert (correction.target_version, correction.target_event) == (version, "MeasurementRecorded")


def test_retracting_a_measurement_lets_the_form_be_recorded_again(
    service: CourseService,
) -> None:
    course_id = drive_to(service, CourseState.ACTIVE)
    measure_two = Measure(course=str(course_id), point=2, form="staff")
    service.execute(measure_two, ACTOR)
    refused_and_nothing_written(service, CourseError, measure_two)

    service.execute(
        Correct(
            course=str(course_id),
            version=version_of(service, course_id, MeasurementRecorded),
            reason="forkert borger",
            retract=True,
        ),
        ACTOR,
    )
    service.execute(measure_two, ACTOR)

    assert service.get_course(course_id).has_form(2, MeasurementForm.STAFF)


def test_the_referral_cannot_be_retracted(service: CourseService) -> None:
    course_id = drive_to(service, CourseState.EXITED_UNPLANNED)
    error = refused_and_nothing_written(
        service,
        CourseError,
        Correct(
            course=str(course_id),
            version=version_of(service, course_id, Referred),
            reason="fejl",
            retract=True,
        ),
    )
    assert "cannot be retracted" in str(error)


def test_a_rejection_entered_in_error_is_retracted_and_the_course_is_in_visitation_again(
    service: CourseService,
) -> None:
    course_id = drive_to(service, CourseState.EXITED_UNPLANNED)
    rejected = version_of(service, course_id, RejectedAtVisitation)

    service.execute(
        Correct(course=str(course_id), version=rejected, reason="fejl", retract=True), ACTOR
    )

    course = service.get_course(course_id)
    assert course.state is CourseState.VISITATION
    assert [type(e).__name__ for e in service.course_events(course_id)] == [
        "Referred", "RejectedAtVisitation", "Corrected",
    ]  # fmt: skip
    service.execute(Accept(course=str(course_id), consultant="rk-bo"), ACTOR)
    assert service.get_course(course_id).state is CourseState.BASELINE


def test_correction_of_a_correction_is_refused(service: CourseService) -> None:
    course_id = drive_to(service, CourseState.ACTIVE)
    service.execute(Session(course=str(course_id)), ACTOR)
    session = version_of(service, course_id, SessionHeld)
    service.execute(
        Correct(course=str(course_id), version=session, reason="a", changes={"note": "b"}), ACTOR
    )
    correction = version_of(service, course_id, Corrected)

    refused_and_nothing_written(
        service,
        CourseError,
        Correct(course=str(course_id), version=correction, reason="c", changes={"reason": "d"}),
    )


@pytest.mark.parametrize("field", ["cpr", "programme", "actor", "timestamp", "command_id"])
def test_protected_fields_cannot_be_corrected(service: CourseService, field: str) -> None:
    course_id = refer(service)
    error = refused_and_nothing_written(
        service,
        InvalidInput,
        Correct(course=str(course_id), version=1, reason="fejl", changes={field: "0202021234"}),
    )
    assert str(error).startswith(f"changes.{field}:")
    assert service.get_course(course_id).cpr == CPR


@pytest.mark.parametrize("version", [2, 99])
def test_correction_of_a_missing_version_is_refused(service: CourseService, version: int) -> None:
    course_id = refer(service)
    error = refused_and_nothing_written(
        service,
        InvalidInput,
        Correct(course=str(course_id), version=version, reason="x", changes={"note": "y"}),
    )
    assert str(error).startswith("version:")


def test_correction_command_needs_a_positive_version() -> None:
    with pytest.raises(ValidationError, match="version"):
        Correct(course="abcd", version=0, reason="x", changes={"note": "y"})


# Resolving a course reference -------------------------------------------------------


@pytest.fixture
def three_courses(service: CourseService) -> list[UUID]:
    courses = [
        refer(service, cpr=cpr, programme="pva")
        for cpr in ("0101901234", "0202024321", "0303033333")
    ]
    service.course_finder = lambda prefix: [c for c in courses if str(c).startswith(prefix)]
    return courses


def _unique_prefix(course: UUID, others: list[UUID]) -> str:
    for length in range(4, 37):
        prefix = str(course)[:length]
        if sum(str(o).startswith(prefix) for o in others) == 1:
            return prefix
    raise AssertionError("no unique prefix")


def test_full_id_resolves_without_a_finder(service: CourseService) -> None:
    course_id = refer(service)
    assert service.resolve(str(course_id)) == course_id
    assert service.resolve(f"  {str(course_id).upper()} ") == course_id


def test_unique_prefix_resolves_to_its_course(
    service: CourseService, three_courses: list[UUID]
) -> None:
    for course in three_courses:
        prefix = _unique_prefix(course, three_courses)
        assert service.resolve(prefix) == course
        assert service.resolve(prefix.upper()) == course


def test_prefix_matching_several_courses_is_ambiguous(service: CourseService) -> None:
    courses = [refer(service, programme=f"p{i}") for i in range(2)]
    service.course_finder = lambda prefix: courses
    with pytest.raises(AmbiguousCourse, match="matches 2 courses"):
        service.resolve("abcd")


def test_prefix_matching_nothing_is_not_found(
    service: CourseService, three_courses: list[UUID]
) -> None:
    ids = [str(course) for course in three_courses]
    unused = next(p for p in ("0000", "ffff", "abcd") if not any(i.startswith(p) for i in ids))
    with pytest.raises(CourseNotFound):
        service.resolve(unused)


def test_a_reference_that_is_not_hex_is_bad_input(
    service: CourseService, three_courses: list[UUID]
) -> None:
    with pytest.raises(InvalidInput, match="is not a course id"):
        service.resolve("zzzz")


@pytest.mark.parametrize("ref", ["abc", "a", ""])
def test_prefix_shorter_than_four_characters_is_refused(
    service: CourseService, three_courses: list[UUID], ref: str
) -> None:
    with pytest.raises(InvalidInput, match="at least 4"):
        service.resolve(ref)


def test_prefix_without_a_finder_is_refused(service: CourseService) -> None:
    with pytest.raises(InvalidInput, match="course"):
        service.resolve("abcdef")


def test_commands_accept_a_prefix(service: CourseService, three_courses: list[UUID]) -> None:
    course = three_courses[1]
    service.execute(
        Accept(course=_unique_prefix(course, three_courses), consultant="rk-anna"), ACTOR
    )
    assert service.get_course(course).state is CourseState.BASELINE


@pytest.mark.parametrize("written", ["010190-1234", "0101901234"])
def test_cpr_resolves_to_the_one_open_course(service: CourseService, written: str) -> None:
    closed = drive_to(service, CourseState.EXITED_UNPLANNED)
    open_course = refer(service)
    assert service.resolve(written) == open_course
    assert service.resolve(written) != closed


def test_cpr_without_an_open_course_is_not_found(service: CourseService) -> None:
    drive_to(service, CourseState.EXITED_UNPLANNED)
    with pytest.raises(CourseNotFound, match="no open course"):
        service.resolve(CPR)
    with pytest.raises(CourseNotFound):
        service.resolve(OTHER_CPR)


def test_cpr_with_open_courses_in_two_programmes_is_ambiguous(service: CourseService) -> None:
    refer(service, programme="pva")
    refer(service, programme="oph")
    with pytest.raises(AmbiguousCourse, match="several programmes"):
        service.resolve(CPR)


def test_impossible_cpr_as_a_reference_is_refused_as_invalid_input(
    service: CourseService,
) -> None:
    with pytest.raises(InvalidInput, match="course"):
        service.resolve("310299-1234")


def test_command_on_an_unknown_full_id_is_refused_as_not_found(service: CourseService) -> None:
    with pytest.raises(CourseNotFound):
        service.execute(Session(course="00000000-0000-0000-0000-000000000000"), ACTOR)


def test_unknown_full_id_is_not_found_by_get_course(service: CourseService) -> None:
    with pytest.raises(CourseNotFound):
        service.get_course(UUID("00000000-0000-0000-0000-000000000000"))


# Batches ----------------------------------------------------------------------------


def test_a_batch_refuses_one_command_and_records_the_others(service: CourseService) -> None:
    course_id = drive_to(service, CourseState.ACTIVE)
    before = len(service.course_events(course_id))

    results = service.execute_many(
        [
            Session(course=str(course_id)),
            Measure(course=str(course_id), point=1, form="citizen"),
            FollowUp(course=str(course_id), outcome="employed"),
            Session(course=str(course_id), note="to"),
        ],
        ACTOR,
    )

    assert [type(r).__name__ for r in results] == [
        "Outcome",
        "CourseError",
        "MoveRefused",
        "Outcome",
    ]
    assert [type(e) for e in service.course_events(course_id)[before:]] == [
        SessionHeld,
        SessionHeld,
    ]


def test_the_automatic_baseline_move_is_saved_with_the_form_that_made_it_due(
    service: CourseService,
) -> None:
    """The workflow's automatic move is stored in the same save as the command's event."""
    course_id = _baseline_accepted_ten_days_ago(service)
    before = len(service.course_events(course_id))

    outcome = service.execute(Measure(course=str(course_id), point=1, form="staff"), ACTOR)

    recorded = service.course_events(course_id)[before:]
    assert [type(e) for e in recorded] == [MeasurementRecorded, BaselineCompleted]
    assert outcome.events == ("MeasurementRecorded", "BaselineCompleted")
    assert outcome.versions == tuple(e.originator_version for e in recorded)
    assert outcome.state is CourseState.ACTIVE
    assert service.get_course(course_id).state is CourseState.ACTIVE


def _baseline_accepted_ten_days_ago(service: CourseService) -> UUID:
    course_id = refer(service, occurred_on=days_ago(30))
    service.execute(
        Accept(course=str(course_id), consultant="rk-anna", occurred_on=days_ago(10)), ACTOR
    )
    service.execute(
        Measure(course=str(course_id), point=1, form="citizen", occurred_on=days_ago(5)), ACTOR
    )
    return course_id


def test_second_start_form_dated_before_acceptance_is_refused_by_execute(
    service: CourseService,
) -> None:
    """The baseline cannot complete before it began, so the form is refused whole."""
    course_id = _baseline_accepted_ten_days_ago(service)
    refused_and_nothing_written(
        service,
        InvalidInput,
        Measure(course=str(course_id), point=1, form="staff", occurred_on=days_ago(20)),
    )
    assert service.get_course(course_id).state is CourseState.BASELINE


def test_a_refused_command_in_a_batch_writes_nothing(service: CourseService) -> None:
    course_id = _baseline_accepted_ten_days_ago(service)
    before = stored_count(service)

    [result] = service.execute_many(
        [Measure(course=str(course_id), point=1, form="staff", occurred_on=days_ago(20))], ACTOR
    )

    assert isinstance(result, InvalidInput)
    assert stored_count(service) == before


def test_a_course_of_a_defined_programme_never_builds_the_backbone_workflow() -> None:
    """Given the catalogue's workflows, a referral and a session on a defined programme's
    course run that programme's workflow; the backbone's is built only when asked for."""
    from workflows.commands import Refer, Session

    service = open_service(StoreConfig(in_memory=True))
    try:
        opened = service.execute(
            Refer(cpr="0101901234", programme="oph", referring_caseworker="bo"), "anna"
        )
        service.execute(Session(course=str(opened.course_id), note="x"), "anna")

        assert "workflow" not in vars(service)
        assert service.workflow.definition is None
    finally:
        service.close()
