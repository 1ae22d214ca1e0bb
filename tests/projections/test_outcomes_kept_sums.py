"""The outcomes view's kept sums: the tables laid out from them equal the tables computed
course by course, for any history, cohort and period of whole months; where they cannot
say (an earlier date or moment, a period inside months) the courses answer."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import CourseError
from projections import outcomes_aggregate as aggregate
from projections.catalog import Views
from projections.outcomes import LATEST, Cohort, OutcomesView
from projections.outcomes_tables import build_report
from tests.projections.history import ACTOR, PROGRAMME, Clinic
from workflows import commands as cmd
from workflows.service import CourseService

START = date(2023, 1, 2)
FAR = date(2030, 1, 1)
LEVELS = ("excellent", "very_good", "good", "less_good", "poor")
_citizens = itertools.count()


def _measure(c: dict[str, Any], on: date, n: int) -> cmd.Command:
    answers: dict[str, Any] = {}
    if n % 4:
        answers["mental_health"] = LEVELS[n % 5]
        answers["physical_health"] = LEVELS[(n * 3) % 5]
    if n % 3 == 0:
        answers["who5"] = [(n + i) % 6 for i in range(5)]
    form = ("citizen", "staff")[n % 2]
    if form == "staff" and n % 5:
        answers["network_meeting"] = ("yes", "no")[n % 2]
    return cmd.Measure(**c, point=1 + n % 3, form=form, **answers)


MOVES: dict[str, Any] = {
    "accept": lambda c, on, n: cmd.Accept(**c, consultant="rk-bo"),
    "measure": _measure,
    "meeting": lambda c, on, n: cmd.Meeting(**c, outcome=("held", "citizen_no_show")[n % 2]),
    "start_praktik": lambda c, on, n: cmd.PraktikStart(
        **c, employer="Netto", hours_per_week=10, planned_end=on + timedelta(days=30)
    ),
    "end_praktik": lambda c, on, n: cmd.PraktikEnd(**c),
    "start_job": lambda c, on, n: cmd.JobStart(
        **c, employer="Fakta", hours_per_week=(12.5, 20, 37)[n % 3]
    ),
    "start_education": lambda c, on, n: cmd.EducationStart(**c, institution="VUC"),
    "exit_planned": lambda c, on, n: cmd.Exit(**c, planned=True),
    "exit_unplanned": lambda c, on, n: cmd.Exit(**c, planned=False, reason="complex_needs"),
    "follow_up": lambda c, on, n: cmd.FollowUp(**c, outcome=("employed", "no_response")[n % 2]),
    "correct": lambda c, on, n: cmd.Correct(
        **c,
        version=1 + n,
        reason="error",
        **(
            {"retract": True}
            if n % 2 == 0
            else {"changes": {"occurred_on": (on - timedelta(days=3 * n)).isoformat()}}
        ),
    ),
}


def _outcomes(views: Views) -> OutcomesView:
    views.catch_up()
    view = views.view("outcomes")
    assert isinstance(view, OutcomesView)
    return view


def _months(draw: st.DataObject, last: date) -> tuple[date | None, date | None]:
    """A period of whole months between START and `last` (or an open end)."""
    months = [(START.year + m // 12, 1 + m % 12) for m in range(0, 12 * (last.year - 2022))]
    first = draw.draw(st.sampled_from([None, *months]), label="first month")
    end = draw.draw(st.sampled_from([None, *months]), label="last month")
    start_day = None if first is None else date(*first, 1)
    end_day = None
    if end is not None:
        year, month = end
        end_day = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return start_day, end_day


def _same(view: OutcomesView, cohort: Cohort, as_of: date, known_at: datetime | None) -> None:
    fast = view.report(cohort, as_of, known_at, follow_up_forms=True)
    slow = build_report(view.courses(cohort, as_of, known_at), follow_up_forms=True)
    assert fast.shown() == slow.shown()
    assert fast.counts == slow.counts
    assert fast.groups == slow.groups


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_kept_sums_give_the_tables_of_the_courses(
    service: CourseService, views: Views, data: st.DataObject
) -> None:
    # The store is shared by the examples: the property must hold for any log.
    citizens = [f"0101{80 + next(_citizens) % 20:02d}{next(_citizens):04d}" for _ in range(3)]
    courses: list[UUID] = []
    on = START
    for _ in range(data.draw(st.integers(1, 25), label="steps")):
        on += timedelta(days=data.draw(st.integers(0, 45), label="days later"))
        n = data.draw(st.integers(0, 11), label="detail")
        try:
            if not courses or data.draw(st.integers(0, 4)) == 0:
                cpr = data.draw(st.sampled_from(citizens), label="citizen")
                command: cmd.Command = cmd.Refer(
                    cpr=cpr, programme=PROGRAMME, referring_caseworker="sb", occurred_on=on
                )
            else:
                course = data.draw(st.sampled_from(courses), label="course")
                allowed = set(service.allowed_moves(service.get_course(course)))
                moves = sorted(allowed & set(MOVES) | {"correct"})
                trigger = data.draw(st.sampled_from(moves), label="move")
                command = MOVES[trigger]({"course": str(course), "occurred_on": on}, on, n)
            outcome = service.execute(command, ACTOR)
        except CourseError:
            continue  # refused: nothing was written
        if isinstance(command, cmd.Refer):
            courses.append(outcome.course_id)
        if data.draw(st.booleans(), label="read now"):
            view = _outcomes(views)
            by = data.draw(st.sampled_from(["referral", "baseline"]), label="cohort by")
            cohort = Cohort(PROGRAMME, *_months(data, on), by=by)
            assert aggregate.kept_counts(view, PROGRAMME, by, (cohort.first, cohort.last), FAR,
                                         LATEST) is not None  # fmt: skip
            _same(view, cohort, FAR, None)

    view = _outcomes(views)
    for by in ("referral", "baseline"):
        _same(view, Cohort(PROGRAMME, by=by), FAR, None)  # type: ignore[arg-type]


def test_what_the_kept_sums_cannot_say_the_courses_answer(clinic: Clinic, views: Views) -> None:
    course = clinic.start("0101901234", "rk-bo", date(2024, 1, 2), date(2024, 1, 9))
    clinic.baseline(course, date(2024, 2, 1))
    before_the_job = datetime.now(UTC)
    clinic.do(cmd.JobStart, course, date(2024, 4, 2), employer="Netto", hours_per_week=22)
    view = _outcomes(views)
    everyone = Cohort(PROGRAMME)

    def kept(cohort: Cohort, as_of: date, known: str = LATEST) -> bool:
        period = (cohort.first, cohort.last)
        counts = aggregate.kept_counts(view, PROGRAMME, cohort.by, period, as_of, known)
        return counts is not None

    assert kept(everyone, FAR)
    assert kept(Cohort(PROGRAMME, date(2024, 1, 1), date(2024, 1, 31)), FAR)
    assert not kept(everyone, date(2024, 3, 1))  # the job happened later
    assert not kept(everyone, FAR, before_the_job.isoformat()[:26])  # recorded later
    assert not kept(Cohort(PROGRAMME, date(2024, 1, 2), date(2024, 1, 31)), FAR)  # inside a month

    at_march = view.report(everyone, date(2024, 3, 1))
    assert at_march.counts["job with ordinary hours"] == 0
    assert view.report(everyone, FAR).counts["job with ordinary hours"] == 1
    known_before = view.report(everyone, FAR, before_the_job)
    assert known_before.counts["job with ordinary hours"] == 0
    for cohort in (everyone, Cohort(PROGRAMME, date(2024, 1, 2), date(2024, 12, 31))):
        _same(view, cohort, FAR, None)


def test_a_view_from_before_the_kept_sums_is_rebuilt(clinic: Clinic, views: Views) -> None:
    course = clinic.start("0101901234", "rk-bo", date(2024, 1, 2), date(2024, 1, 9))
    clinic.baseline(course, date(2024, 2, 1))
    view = _outcomes(views)
    with view.transaction(commit=True) as c:  # as a view made before the sums were kept
        for table in ("outcomes_counts", "outcomes_counted", "outcomes_dirty"):
            c.execute(f"DELETE FROM {view.table(table)}")
        assert view.outdated(c)

    assert view.reset_if_outdated()
    view = _outcomes(views)
    assert view.report(Cohort(PROGRAMME), FAR).counts["with baseline"] == 1
    _same(view, Cohort(PROGRAMME), FAR, None)
