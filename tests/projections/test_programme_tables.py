"""The other programmes' tables, computed from hand-made histories.

Store-backed (SQLite and PostgreSQL): given OPH courses recorded through the service
(one per cohort, each with a different end), when the views catch up and the programme's
report is built, then completion counts per cohort, where the completers went by kind,
and as-of, known-at and a retraction change what is counted as they should.
Without a store: given folded courses and milestones made by hand, the contacts,
no-shows and profiles tables count as written here, and every sum the tables declare
for suppression holds.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import UUID

from domain.values import CourseState
from programmes.catalogue import shipped
from programmes.outcome_tables import programme_report
from projections.catalog import Views
from projections.milestones import CourseMilestones, MilestonesView
from projections.outcomes import Cohort, OutcomesView
from projections.outcomes_course import CourseOutcome
from projections.outcomes_report import Report, Tally
from projections.programme_tables import (
    ProgrammeFacts,
    contacts_table,
    no_shows_table,
    profiles_table,
)
from tests.projections.history import Clinic
from workflows import commands as cmd

D = date
OPH = shipped().require("oph").definition


def oph_history(clinic: Clinic) -> dict[str, str]:
    """Five OPH courses: a flexjob, an education, a pension, an early exit, one running."""
    courses = {}
    for name, cpr, referred in (
        ("flexjob", "0101801234", D(2007, 9, 3)),
        ("education", "0202801234", D(2008, 9, 1)),
        ("pension", "0303801234", D(2009, 9, 1)),
        ("early", "0404801234", D(2007, 10, 1)),
        ("running", "0505801234", D(2009, 10, 1)),
    ):
        course = clinic.refer(cpr, referred, programme="oph")
        clinic.do(cmd.Accept, course, referred, consultant="rk-bo")
        courses[name] = course
    clinic.do(cmd.JobStart, courses["flexjob"], D(2008, 3, 1), employer="Netto",
              hours_per_week=20, kind="flexjob", ordinary_hours=False)  # fmt: skip
    clinic.do(cmd.Complete, courses["flexjob"], D(2008, 6, 1))
    clinic.do(cmd.Exit, courses["flexjob"], D(2008, 6, 2), planned=True)
    clinic.do(cmd.EducationStart, courses["education"], D(2009, 3, 1), institution="EUC")
    clinic.do(cmd.Complete, courses["education"], D(2009, 6, 1))
    clinic.do(cmd.Exit, courses["education"], D(2009, 6, 2), planned=True)
    clinic.do(cmd.Complete, courses["pension"], D(2010, 3, 1))
    clinic.do(cmd.Exit, courses["pension"], D(2010, 3, 2), planned=True,
              onto="disability_pension")  # fmt: skip
    clinic.do(cmd.Exit, courses["early"], D(2008, 1, 2), planned=False, reason="not_motivated")
    return courses


def oph_report(views: Views, as_of: date, known_at: datetime | None = None) -> Report:
    views.catch_up()
    outcomes, milestones = views.view("outcomes"), views.view("milestones")
    assert isinstance(outcomes, OutcomesView) and isinstance(milestones, MilestonesView)
    courses = outcomes.courses(Cohort("oph"), as_of, known_at)
    return programme_report(
        OPH, courses, lambda: milestones.course_milestones("oph", as_of, known_at)
    )


def test_completion_per_cohort_and_where_the_completers_went(clinic: Clinic, views: Views) -> None:
    oph_history(clinic)

    report = oph_report(views, D(2011, 1, 1))

    completion = report.table("completion")
    assert [completion.value("participants", f"{c} n") for c in ("hold-1", "hold-2", "hold-3")] == [
        2, 1, 2,
    ]  # fmt: skip
    assert completion.value("completed the programme", "all n") == 3
    assert completion.value("completed the programme", "all %") == 60
    assert completion.value("left early (unplanned exit)", "hold-1 n") == 1
    assert completion.value("still in the programme", "hold-3 n") == 1
    kinds = report.table("outcome_kinds")
    assert kinds.value("completed the programme", "n") == 3
    assert kinds.value("in work", "n") == 1
    assert kinds.value("  flexjob (fleksjob)", "n") == 1
    assert kinds.value("  ordinary hours", "n") == 0
    assert kinds.value("in education", "n") == 1
    assert kinds.value("onto disability pension (førtidspension)", "n") == 1


def test_as_of_a_date_counts_what_had_happened_by_then(clinic: Clinic, views: Views) -> None:
    oph_history(clinic)

    report = oph_report(views, D(2009, 12, 31))  # before the pension course completed

    assert report.table("completion").value("completed the programme", "all n") == 2
    kinds = report.table("outcome_kinds")
    assert kinds.value("onto disability pension (førtidspension)", "n") == 0


def test_known_at_leaves_out_what_was_recorded_later(clinic: Clinic, views: Views) -> None:
    courses = oph_history(clinic)
    before = datetime.now(UTC)
    clinic.do(cmd.Complete, courses["running"], D(2010, 1, 4))

    assert (
        oph_report(views, D(2011, 1, 1))
        .table("completion")
        .value("completed the programme", "all n")
        == 4
    )
    then = oph_report(views, D(2011, 1, 1), known_at=before)
    assert then.table("completion").value("completed the programme", "all n") == 3


def test_a_retracted_completion_is_not_counted(clinic: Clinic, views: Views) -> None:
    courses = oph_history(clinic)
    clinic.do(cmd.Complete, courses["running"], D(2010, 1, 4))
    completed = clinic.service.get_course(UUID(courses["running"])).version
    clinic.do(cmd.Correct, courses["running"], D(2010, 1, 5), version=completed,
              reason="indtastet ved en fejl", retract=True)  # fmt: skip

    report = oph_report(views, D(2011, 1, 1))

    assert report.table("completion").value("completed the programme", "all n") == 3
    assert report.table("completion").value("still in the programme", "all n") == 1


# Without a store --------------------------------------------------------------


def course(number: int, **fields: object) -> CourseOutcome:
    return CourseOutcome(f"c{number}", "vaerestedsmodel", f"s{number}", **fields)  # type: ignore[arg-type]


def sums_hold(tally: Tally) -> None:
    for group in tally.groups:
        assert tally.counts[group.total] == sum(tally.counts[p] for p in group.parts), group


def test_contacts_count_citizens_by_route_and_contacts_by_kind() -> None:
    courses = [course(n, referred_on=D(2015, 1, 1)) for n in (1, 2, 3)]
    facts = ProgrammeFacts({
        "c1": CourseMilestones("outreach", contacts=[
            ("outreach", 4, D(2015, 1, 2)), ("conversation", None, D(2015, 1, 9)),
        ]),
        "c2": CourseMilestones("self_referral", contacts=[("phone", 2, D(2015, 2, 1))]),
        "c3": CourseMilestones("outreach"),
    })  # fmt: skip
    tally = Tally()

    table = contacts_table(tally, courses, facts)

    assert table.value("  reached by outreach", "n") == 2
    assert table.value("  self-referral", "n") == 1
    assert table.value("citizens with a registered contact", "n") == 2
    assert table.value("citizens with a registered contact", "%") == 67
    assert table.value("contacts registered", "n") == 3
    assert table.value("  by outreach", "n") == 1
    assert table.value("contacts per citizen with a contact, mean", "n") == 1.5
    assert table.value("contacts rated by the citizen (1-5)", "n") == 2
    assert table.value("mean rating (1-5)", "n") == 3.0
    sums_hold(tally)


def test_no_shows_are_counted_per_half_year_of_the_meeting() -> None:
    courses = [
        course(1, meetings_held=[D(2014, 9, 1), D(2015, 7, 1)], meetings_missed=[D(2014, 12, 31)]),
        course(2, meetings_held=[D(2014, 7, 1)], meetings_missed=[D(2015, 12, 1)]),
        course(3, meetings_held=[D(2015, 8, 1), D(2015, 9, 1)]),
    ]
    tally = Tally()

    table = no_shows_table(tally, courses, ProgrammeFacts({}))

    assert table.columns == ("2014 H2 n", "2014 H2 %", "2015 H2 n", "2015 H2 %")
    assert table.value("meetings planned", "2014 H2 n") == 3
    assert table.value("citizen did not show", "2014 H2 %") == 33
    assert table.value("meetings planned", "2015 H2 n") == 4
    assert table.value("citizen did not show", "2015 H2 %") == 25
    sums_hold(tally)


def test_profiles_count_each_course_once_per_profile_several_at_once() -> None:
    courses = [course(n) for n in (1, 2, 3, 4)]
    facts = ProgrammeFacts({
        "c1": CourseMilestones("caseworker_referral", segments=[
            ("M2", ("maaske_egnede",), None, D(2016, 1, 1)),
            ("M3", ("maaske_egnede", "misbrugere"), "pension", D(2016, 3, 1)),
        ]),
        "c2": CourseMilestones("caseworker_referral", segments=[
            ("M3", ("fysisk_syge", "misbrugere"), None, D(2016, 1, 1)),
        ]),
        "c3": CourseMilestones("caseworker_referral", segments=[
            (None, ("fysisk_syge",), "pension", D(2016, 1, 1)),
        ]),
    })  # fmt: skip
    facts = replace(facts, as_of=D(2016, 4, 1))
    tally = Tally()

    table = profiles_table(tally, courses, facts)

    assert table.value("with a segmentation recorded", "n") == 3
    assert table.value("match group now: M3", "n") == 2
    assert table.value("match group not recorded", "n") == 1
    assert table.value("rematched", "n") == 1
    assert table.value("profile: maaske_egnede", "n") == 1  # recorded twice, one course
    assert table.value("profile: misbrugere", "n") == 2
    assert table.value("profile: fysisk_syge", "% of segmented") == 67
    assert table.value("focus: pension", "n") == 2
    assert table.value("median days in the match group now", "n") == 61  # 31 (c1), 91 (c2)
    sums_hold(tally)


def test_a_course_still_open_is_neither_completed_nor_gone() -> None:
    open_course = course(1, referred_on=D(2008, 1, 1), state=CourseState.ACTIVE)
    report = programme_report(OPH, [open_course], lambda: {})
    assert report.table("completion").value("still in the programme", "hold-1 n") == 1
    assert report.table("outcome_kinds").value("completed the programme", "n") == 0


def test_milestones_from_before_entry_routes_and_recorded_times_are_rebuilt_from_the_log(
    clinic: Clinic, views: Views
) -> None:
    courses = oph_history(clinic)
    views.catch_up()
    view = views.view("milestones")
    assert isinstance(view, MilestonesView)
    old = [c for c in view.declared_columns("milestone_courses") if c != "entry_route"]
    view.may_create_tables = True  # as for `forloeb init`, which upgrades the views
    try:
        with view.transaction(commit=True) as c:  # the table as the previous version made it
            c.execute(f"DROP TABLE {view.table('milestone_courses')}")
            c.execute(
                f"CREATE TABLE {view.table('milestone_courses')} ({' TEXT, '.join(old)} TEXT)"
            )

        assert view.reset_if_outdated()  # what opening the views as the owner does
        views.catch_up()
        found = view.course_milestones("oph", D(2011, 1, 1))
    finally:
        view.reset_if_outdated()  # never leave a shared test database outdated

    assert {found[c].entry_route for c in courses.values()} == {"caseworker_referral"}
    assert found[courses["flexjob"]].has("completed")
