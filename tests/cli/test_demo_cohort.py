"""The demo cohort: every line is accepted by the real service, and the recorded
events give the VIVE midterm figures (domain brief §4).

Figures are counted from the stored events and aggregates, never from the
generator's own bookkeeping.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from statistics import mean
from typing import Any, TypeVar
from uuid import UUID, uuid5

import pytest

from cli.bootstrap import open_service
from demo import AS_OF, FIRST_DAY, PROGRAMME, course_id_for, generate
from domain.errors import CourseError
from domain.events import (
    BaselineCompleted,
    ConsultantReassigned,
    CourseEvent,
    EducationStarted,
    ExitedPlanned,
    ExitedUnplanned,
    GroupCourseCompleted,
    GroupCourseJoined,
    JobStarted,
    MeasurementRecorded,
    NetworkMeetingHeld,
    PraktikStarted,
    Referred,
    RejectedAtVisitation,
    SessionHeld,
    TreatmentPlanStarted,
)
from domain.values import (
    CourseState,
    HealthLevel,
    MeasurementForm,
    SessionKind,
    YesNoUnknown,
    cpr_birth_date,
)
from storage.store import StoreConfig
from workflows.commands import COMMAND_NAMESPACE, COMMANDS_BY_NAME, Command
from workflows.service import CourseService, Outcome

E = TypeVar("E", bound=CourseEvent)
CITIZEN, STAFF = MeasurementForm.CITIZEN, MeasurementForm.STAFF


@dataclass
class Applied:
    """A cohort applied to a fresh store: its lines, the results and every course."""

    lines: list[dict[str, Any]]
    results: list[Outcome | CourseError]
    service: CourseService
    histories: dict[UUID, list[CourseEvent]]

    def with_baseline(self) -> dict[UUID, list[CourseEvent]]:
        """The courses whose start measurement was taken."""
        return {cid: h for cid, h in self.histories.items() if of_type(h, BaselineCompleted)}

    def state(self, course_id: UUID) -> CourseState:
        """The course's state as its aggregate stands now."""
        return self.service.get_course(course_id).state


def to_command(line: dict[str, Any]) -> Command:
    """The command an import line asks for."""
    fields = {key: value for key, value in line.items() if key != "command"}
    return COMMANDS_BY_NAME[line["command"]].model_validate(fields)


@contextmanager
def applied_cohort(lines: list[dict[str, Any]], store: StoreConfig) -> Iterator[Applied]:
    """Apply the lines in one batch and read back every course's events."""
    service = open_service(store)
    results = service.execute_many([to_command(line) for line in lines], actor="demo-import")
    course_ids = [
        result.course_id
        for line, result in zip(lines, results, strict=True)
        if line["command"] == "refer" and isinstance(result, Outcome)
    ]
    try:
        yield Applied(
            lines, results, service, {cid: service.course_events(cid) for cid in course_ids}
        )
    finally:
        service.close()


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Applied]:
    """The default cohort (104 citizens) applied to a fresh SQLite store."""
    store = StoreConfig(sqlite_path=tmp_path_factory.mktemp("cohort") / "forloeb.sqlite")
    with applied_cohort(list(generate()), store) as applied:
        yield applied


def of_type(history: list[CourseEvent], cls: type[E]) -> list[E]:
    """The events of one class in a course's history."""
    return [event for event in history if isinstance(event, cls)]


def forms(
    history: list[CourseEvent], point: int, form: MeasurementForm
) -> list[MeasurementRecorded]:
    """The recorded forms of one kind at one point."""
    return [m for m in of_type(history, MeasurementRecorded) if (m.point, m.form) == (point, form)]


def percent(part: int, whole: int) -> int:
    """A whole-number percentage, as published tables round it."""
    return round(100 * part / whole)


def refusals(results: list[Outcome | CourseError]) -> list[str]:
    """The refused commands' messages."""
    return [str(result) for result in results if isinstance(result, CourseError)]


# The lines --------------------------------------------------------------------


def test_every_line_is_accepted_by_the_service(cohort: Applied) -> None:
    assert refusals(cohort.results) == []
    assert not any(isinstance(r, Outcome) and r.skipped for r in cohort.results)


def test_lines_are_json_import_lines_in_date_order(cohort: Applied) -> None:
    days = [date.fromisoformat(line["occurred_on"]) for line in cohort.lines]
    assert days == sorted(days)
    assert days[0] >= FIRST_DAY and days[-1] <= AS_OF
    assert json.loads(json.dumps(cohort.lines)) == cohort.lines
    assert {line["command"] for line in cohort.lines} <= set(COMMANDS_BY_NAME)
    assert all(line["actor"] and line["command_id"] for line in cohort.lines)
    assert len({line["command_id"] for line in cohort.lines}) == len(cohort.lines)


def test_courses_are_named_by_their_referrals_command_id(cohort: Applied) -> None:
    referrals = [line for line in cohort.lines if line["command"] == "refer"]
    expected = {uuid5(COMMAND_NAMESPACE, line["command_id"]) for line in referrals}
    assert set(cohort.histories) == expected
    assert {course_id_for(line["command_id"]) for line in referrals} == expected
    seen: set[str] = set()
    for line in cohort.lines:
        if line["command"] == "refer":
            seen.add(str(course_id_for(line["command_id"])))
        else:
            assert line["course"] in seen, "a course is named only after its referral"


def test_citizens_have_unique_valid_cprs_and_are_18_to_60(cohort: Applied) -> None:
    referrals = [of_type(h, Referred)[0] for h in cohort.histories.values()]
    cprs = [r.cpr for r in referrals]
    assert len(set(cprs)) == len(cprs) == 104
    for referral in referrals:
        born = cpr_birth_date(referral.cpr)
        age = (referral.occurred_on - born).days // 365.25
        assert 18 <= age <= 60
        assert referral.programme == PROGRAMME


# The published figures --------------------------------------------------------


def test_104_are_referred_and_6_leave_before_a_baseline(cohort: Applied) -> None:
    referred_on = [of_type(h, Referred)[0].occurred_on for h in cohort.histories.values()]
    assert len(referred_on) == 104
    assert all(FIRST_DAY <= day <= AS_OF for day in referred_on)
    early = [h for cid, h in cohort.histories.items() if cid not in cohort.with_baseline()]
    assert len(early) == 6
    for history in early:
        assert not of_type(history, MeasurementRecorded)
        assert isinstance(history[-1], RejectedAtVisitation | ExitedUnplanned)


def test_forms_per_measurement_point_match_table_2_1(cohort: Applied) -> None:
    counted = {
        (form.value, point): sum(len(forms(h, point, form)) for h in cohort.histories.values())
        for form in MeasurementForm
        for point in (1, 2, 3, 4, 5)
    }
    assert counted == {
        **{("citizen", p): n for p, n in zip((1, 2, 3, 4, 5), (98, 70, 39, 14, 0), strict=True)},
        **{("staff", p): n for p, n in zip((1, 2, 3, 4, 5), (98, 69, 44, 16, 0), strict=True)},
    }


def test_later_referrals_have_fewer_measurement_points(cohort: Applied) -> None:
    by_points: dict[int, list[date]] = {}
    for cid, history in cohort.with_baseline().items():
        if cohort.state(cid).is_open:
            last = max(m.point for m in of_type(history, MeasurementRecorded))
            by_points.setdefault(last, []).append(
                of_type(history, BaselineCompleted)[0].occurred_on
            )
    latest_baseline = [max(by_points[p]) for p in sorted(by_points)]
    assert latest_baseline == sorted(latest_baseline, reverse=True)
    for history in cohort.with_baseline().values():
        baseline = of_type(history, BaselineCompleted)[0].occurred_on
        for m in of_type(history, MeasurementRecorded):
            months = (m.occurred_on - baseline).days / 30.4
            assert abs(months - 3 * (m.point - 1)) < 0.5


def test_course_status_matches_table_5_1(cohort: Applied) -> None:
    states = Counter(cohort.state(cid) for cid in cohort.with_baseline())
    ongoing = sum(n for state, n in states.items() if state.is_open)
    assert (ongoing, states[CourseState.EXITED_PLANNED], states[CourseState.EXITED_UNPLANNED]) == (
        77,
        6,
        15,
    )
    assert [percent(n, 98) for n in (77, 6, 15)] == [79, 6, 15]
    after = Counter(e.after for h in cohort.histories.values() for e in of_type(h, ExitedPlanned))
    assert after == {"job": 4, "education": 2}
    courses = cohort.with_baseline().values()
    reasons = Counter(e.reason for h in courses for e in of_type(h, ExitedUnplanned))
    assert sum(reasons.values()) == 15 and len(reasons) >= 5


def test_outcomes_match_table_6_1(cohort: Applied) -> None:
    courses = cohort.with_baseline()
    in_job = {cid: h for cid, h in courses.items() if of_type(h, JobStarted)}
    jobs = [job for h in in_job.values() for job in of_type(h, JobStarted)]
    assert len(in_job) == 9 and all(job.ordinary_hours for job in jobs)
    assert all(12 <= job.hours_per_week <= 37 for job in jobs)
    assert 17 <= mean(job.hours_per_week for job in jobs) <= 23
    praktik_first = [h for h in in_job.values() if praktik_before_job(h)]
    assert (len(praktik_first), len(in_job) - len(praktik_first)) == (2, 7)
    still_supported = [cid for cid in in_job if cohort.state(cid) is CourseState.JOB]
    assert len(still_supported) == 3
    assert sum(1 for h in courses.values() if of_type(h, EducationStarted)) == 3
    assert sum(1 for h in courses.values() if of_type(h, PraktikStarted)) == 19


def praktik_before_job(history: list[CourseEvent]) -> bool:
    """Whether a praktik started before the course's first job."""
    first_job = of_type(history, JobStarted)[0].originator_version
    return any(p.originator_version < first_job for p in of_type(history, PraktikStarted))


def test_network_meeting_answers_match_table_5_4(cohort: Applied) -> None:
    table = {}
    for point in (1, 2, 3):
        staff = [f for h in cohort.histories.values() for f in forms(h, point, STAFF)]
        answers = [f.answers.staff.network_meeting_last_3_months for f in staff if f.answers.staff]
        answered = [a for a in answers if a is not None]
        yes = answered.count(YesNoUnknown.YES)
        table[point] = (len(answered), len(staff) - len(answered), percent(yes, len(answered)))
    assert table == {1: (97, 1, 18), 2: (68, 1, 85), 3: (44, 0, 84)}


def test_network_meetings_are_recorded_about_every_3_months(cohort: Applied) -> None:
    quarters, meetings = 0.0, 0
    for cid, history in cohort.with_baseline().items():
        baseline = of_type(history, BaselineCompleted)[0].occurred_on
        if cohort.state(cid).is_open and (AS_OF - baseline).days >= 182:
            quarters += (AS_OF - baseline).days / 91
            meetings += sum(
                1 for m in of_type(history, NetworkMeetingHeld) if m.occurred_on >= baseline
            )
    assert 0.75 <= meetings / quarters <= 1.0


def test_poor_mental_health_falls_as_in_table_6_5(cohort: Applied) -> None:
    both = [h for h in cohort.histories.values() if forms(h, 1, CITIZEN) and forms(h, 3, CITIZEN)]
    assert len(both) == 39
    for point, (answered, poor, share) in {1: (38, 14, 37), 3: (39, 9, 23)}.items():
        answers = [forms(h, point, CITIZEN)[0].answers.mental_health for h in both]
        given = [a for a in answers if a is not None]
        assert (len(given), given.count(HealthLevel.POOR)) == (answered, poor)
        assert percent(poor, answered) == share


def test_well_being_improves_from_point_1_to_3(cohort: Applied) -> None:
    both = [h for h in cohort.histories.values() if forms(h, 1, CITIZEN) and forms(h, 3, CITIZEN)]
    who5 = {p: [forms(h, p, CITIZEN)[0].answers.who5 for h in both] for p in (1, 3)}
    assert all(w is not None for ws in who5.values() for w in ws)
    start = mean(w.index for w in who5[1] if w is not None)
    later = mean(w.index for w in who5[3] if w is not None)
    assert later > start + 3
    fewer = []
    for history in cohort.histories.values():
        for m in of_type(history, MeasurementRecorded):
            if len(m.answers.bip) != (6 if m.form is CITIZEN else 4):
                fewer.append((m.point, m.form.value, len(m.answers.bip)))
            if m.form is CITIZEN:
                assert m.answers.physical_health is not None and m.answers.who5 is not None
    # as tables 6.3 and 6.4 imply: one staff form at point 3 without BIP answers, and one
    # citizen form at point 3 without the fourth question
    assert sorted(fewer) == [(3, "citizen", 5), (3, "staff", 0)]


def test_the_course_also_holds_sessions_groups_plans_and_a_handover(cohort: Applied) -> None:
    histories = list(cohort.histories.values())
    sessions = Counter(s.kind for h in histories for s in of_type(h, SessionHeld))
    assert sessions[SessionKind.INDIVIDUAL] > 15 * 98 and sessions[SessionKind.GROUP] > 0
    joined = sum(len(of_type(h, GroupCourseJoined)) for h in histories)
    completed = sum(len(of_type(h, GroupCourseCompleted)) for h in histories)
    assert 0 < completed < joined
    assert sum(len(of_type(h, TreatmentPlanStarted)) for h in histories) >= 2
    handovers = [e for h in histories for e in of_type(h, ConsultantReassigned)]
    assert len(handovers) == 2
    consultants = {cohort.service.get_course(cid).consultant for cid in cohort.with_baseline()}
    assert consultants == {f"consultant-{n}" for n in range(1, 5)}


# Determinism and scale -----------------------------------------------------------


def test_the_same_seed_gives_the_same_lines() -> None:
    assert list(generate(size=60, seed=7)) == list(generate(size=60, seed=7))
    assert list(generate(size=60, seed=7)) != list(generate(size=60, seed=8))


def test_generate_streams_lines_lazily() -> None:
    lines = generate(size=50)
    first = next(lines)
    assert first["command"] == "refer" and first["command_id"].endswith("-0001")


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="size"):
        next(generate(size=0))


@pytest.mark.slow
def test_a_larger_cohort_keeps_the_shape_and_is_accepted(tmp_path: Path) -> None:
    store = StoreConfig(sqlite_path=tmp_path / "forloeb.sqlite")
    with applied_cohort(list(generate(size=300)), store) as applied:
        assert refusals(applied.results) == []
        courses = applied.with_baseline()
        assert len(applied.histories) == 300
        assert abs(len(courses) / 300 - 98 / 104) < 0.01
        staff_at_2 = sum(len(forms(h, 2, STAFF)) for h in courses.values())
        assert abs(staff_at_2 / len(courses) - 69 / 98) < 0.02
        in_job = sum(1 for h in courses.values() if of_type(h, JobStarted))
        assert abs(in_job / len(courses) - 9 / 98) < 0.01
