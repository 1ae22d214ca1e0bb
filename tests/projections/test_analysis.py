"""Paths, time in state, trends, breakdowns and times to event, from a hand-made history.

Four courses in 2024, as of 30 September (days worked out by hand):

    A  rk-bo    referred 2 Jan, accepted 9 Jan (7 d in visitation), baseline 1 Feb (23 d),
                praktik 1 Mar (29 d active), praktik ended 1 Apr (31 d), job 2 May (31 d
                active), planned exit 3 Jun (32 d in job)
    B  rk-anna  referred 20 Jan, accepted 25 Jan (5 d), baseline 10 Feb (16 d), job 1 Jul
                (142 d active) — recorded last, back-dated; still in the job
    C  rk-bo    referred 3 Apr (on education benefit), rejected at visitation 20 Apr (17 d)
    D  rk-anna  referred 5 Feb, accepted 12 Feb (7 d), baseline 1 Mar (18 d), reassigned to
                rk-bo 1 Jun, unplanned exit 15 Aug (167 d active)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from cli.bootstrap import create_schema
from domain.values import CourseState
from projections.analysis_tables import paths_report, time_to_event_report, trends_report
from projections.breakdowns import breakdown, by_benefit_type, by_consultant
from projections.catalog import Views, open_views
from projections.outcomes import Cohort, OutcomesView
from projections.outcomes_course import CourseOutcome
from projections.paths import TimeInState, WayIntoWork, time_in_state, variants, way_into_work
from projections.spells import Spell, spells
from projections.time_to_event import COMPETING, Observation, observations
from projections.trends import trends
from storage.store import StoreConfig
from tests.projections.history import ACTOR, PROGRAMME, Clinic
from workflows import commands as cmd
from workflows.service import CourseService

D = date
AS_OF = D(2024, 9, 30)
S = CourseState
NEW_COLUMNS = ("consultant", "benefit_type")


@dataclass
class History:
    """The four courses' ids, and the moment before B's back-dated job was recorded."""

    view: OutcomesView
    ids: dict[str, str]
    before_b_job: datetime

    def courses(self, as_of: date = AS_OF, known_at: datetime | None = None) -> list[CourseOutcome]:
        return self.view.courses(Cohort(PROGRAMME), as_of, known_at)

    def course(
        self, name: str, as_of: date = AS_OF, known_at: datetime | None = None
    ) -> CourseOutcome:
        [found] = [c for c in self.courses(as_of, known_at) if c.course_id == self.ids[name]]
        return found


def moment() -> datetime:
    """Now, strictly between what was recorded before and what is recorded after."""
    time.sleep(0.002)
    now = datetime.now(UTC)
    time.sleep(0.002)
    return now


@pytest.fixture
def history(clinic: Clinic, views: Views) -> History:
    a = clinic.start("0101901234", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.baseline(a, D(2024, 2, 1))
    clinic.do(cmd.PraktikStart, a, D(2024, 3, 1), employer="Netto", hours_per_week=15,
              planned_end=D(2024, 5, 1))  # fmt: skip
    clinic.do(cmd.PraktikEnd, a, D(2024, 4, 1))
    clinic.do(cmd.JobStart, a, D(2024, 5, 2), employer="Netto", hours_per_week=22)
    clinic.do(cmd.Exit, a, D(2024, 6, 3), planned=True)

    b = clinic.start("0202905678", "rk-anna", D(2024, 1, 20), D(2024, 1, 25))
    clinic.baseline(b, D(2024, 2, 10))

    referral = cmd.Refer(cpr="0303905678", programme=PROGRAMME, referring_caseworker="sb-kim",
                         occurred_on=D(2024, 4, 3),
                         benefit_type="uddannelseshjaelp_aktivitetsparat")  # fmt: skip
    c = str(clinic.service.execute(referral, ACTOR).course_id)
    clinic.do(cmd.Reject, c, D(2024, 4, 20), reason="not_target_group")

    d = clinic.start("0404905678", "rk-anna", D(2024, 2, 5), D(2024, 2, 12))
    clinic.baseline(d, D(2024, 3, 1))
    clinic.do(cmd.Reassign, d, D(2024, 6, 1), consultant="rk-bo")
    clinic.do(cmd.Exit, d, D(2024, 8, 15), planned=False, reason="other")

    before = moment()
    clinic.do(cmd.JobStart, b, D(2024, 7, 1), employer="Fakta", hours_per_week=20)
    views.catch_up()
    view = views.view("outcomes")
    assert isinstance(view, OutcomesView)
    return History(view, {"A": a, "B": b, "C": c, "D": d}, before)


# Spells and time in state -------------------------------------------------------------


def test_a_course_s_spells_run_from_state_to_state(history: History) -> None:
    assert spells(history.course("A")) == [
        Spell(S.VISITATION, D(2024, 1, 2), D(2024, 1, 9)),
        Spell(S.BASELINE, D(2024, 1, 9), D(2024, 2, 1)),
        Spell(S.ACTIVE, D(2024, 2, 1), D(2024, 3, 1)),
        Spell(S.PRAKTIK, D(2024, 3, 1), D(2024, 4, 1)),
        Spell(S.ACTIVE, D(2024, 4, 1), D(2024, 5, 2)),
        Spell(S.JOB, D(2024, 5, 2), D(2024, 6, 3)),
        Spell(S.EXITED_PLANNED, D(2024, 6, 3), None),
    ]
    [*_, still] = spells(history.course("B"))
    assert (still.state, still.ended, still.days(AS_OF)) == (S.JOB, False, 91)  # 1 Jul - 30 Sep


def test_time_in_state_has_the_quartiles_of_the_ended_stays(history: History) -> None:
    found = {summary.state: summary for summary in time_in_state(history.courses(), AS_OF)}

    # visitation 5, 7, 7, 17: inclusive quartiles at positions 0.75, 1.5, 2.25 of the sorted list
    assert found[S.VISITATION] == TimeInState(S.VISITATION, 4, 0, 5 + 0.75 * 2, 7, 7 + 0.25 * 10)
    # baseline 16, 18, 23
    assert found[S.BASELINE] == TimeInState(S.BASELINE, 3, 0, 17, 18, 18 + 0.5 * 5)
    # active 29, 31 (A twice), 142 (B), 167 (D)
    assert found[S.ACTIVE] == TimeInState(S.ACTIVE, 4, 0, 29 + 0.75 * 2, (31 + 142) / 2,
                                          142 + 0.25 * 25)  # fmt: skip
    assert found[S.PRAKTIK] == TimeInState(S.PRAKTIK, 1, 0, 31, 31, 31)
    assert found[S.JOB] == TimeInState(S.JOB, 1, 1, 32, 32, 32)  # B is still in the job
    assert found[S.EDUCATION] == TimeInState(S.EDUCATION, 0, 0, None, None, None)


# Paths and the way into work --------------------------------------------------------------


def test_the_paths_are_counted_most_common_first(history: History) -> None:
    found = [(v.label, v.courses) for v in variants(history.courses())]

    assert found == [
        ("visitation → baseline → active → praktik → active → job → exited_planned", 1),
        ("visitation → baseline → active → job", 1),
        ("visitation → baseline → active → exited_unplanned", 1),
        ("visitation → exited_unplanned", 1),
    ]


def test_the_path_table_gives_counts_and_shares(history: History) -> None:
    table = paths_report(history.courses(), AS_OF).table("paths")

    assert table.value("visitation → exited_unplanned", "%") == 25
    assert table.value("all courses", "n") == 4


def test_the_way_into_work_per_quarter(history: History) -> None:
    assert way_into_work(history.courses()) == [
        WayIntoWork((2024, 2), via_praktik=1, direct=0),  # A, after its praktik
        WayIntoWork((2024, 3), via_praktik=0, direct=1),  # B
    ]


# Trends and breakdowns -----------------------------------------------------------------


def test_trends_per_quarter(history: History) -> None:
    quarters, counts = trends(history.courses())

    assert quarters == [(2024, 1), (2024, 2), (2024, 3)]
    assert counts == {
        "referrals": [3, 1, 0],  # A, B, D; C
        "baselines": [3, 0, 0],
        "planned exits": [0, 1, 0],  # A
        "unplanned exits": [0, 1, 1],  # C rejected; D
        "jobs started": [0, 1, 1],
    }


def test_a_breakdown_by_consultant_follows_the_reassignment(history: History) -> None:
    later = breakdown(history.courses(), by_consultant)
    before = breakdown(history.courses(D(2024, 5, 31)), by_consultant)

    # A and D (reassigned on 1 June); C was never accepted, so it has no consultant
    assert later["rk-bo"] == {"referred": 2, "with baseline": 2, "ongoing": 0, "planned exit": 1,
                              "unplanned exit": 1, "job with ordinary hours": 1,
                              "started education": 0}  # fmt: skip
    assert {group: row["referred"] for group, row in later.items()} == {
        "rk-anna": 1, "rk-bo": 2, "(none)": 1
    }  # fmt: skip
    assert {group: row["referred"] for group, row in before.items()} == {
        "rk-anna": 2, "rk-bo": 1, "(none)": 1
    }  # fmt: skip


def test_a_reassignment_s_free_text_reason_is_not_kept(clinic: Clinic, views: Views) -> None:
    course = clinic.start("0505905678", "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.do(cmd.Reassign, course, D(2024, 2, 1), consultant="rk-anna", reason="sygemeldt")
    views.catch_up()

    rows = views.view("outcomes").snapshot()["outcomes_facts"]

    assert not any("sygemeldt" in str(value) for row in rows for value in row)
    assert any("rk-anna" in row for row in rows)


def test_a_breakdown_by_benefit_type(history: History) -> None:
    found = breakdown(history.courses(), by_benefit_type)

    assert {group: row["referred"] for group, row in found.items()} == {
        "kontanthjaelp_aktivitetsparat": 3,
        "uddannelseshjaelp_aktivitetsparat": 1,
    }


def test_every_trend_and_breakdown_cell_is_suppressed_with_what_would_give_it_away(
    history: History,
) -> None:
    report = trends_report(history.courses(), {"consultant": by_consultant})
    shown = {t["name"]: {r["label"]: r["cells"] for r in t["rows"]} for t in report.shown(3)}

    baselines = shown["trends"]["baselines"]  # 3, 0, 0 and the total 3
    assert baselines[1:3] == ["<3", "<3"]
    # 3 in Q1 and a total of 3 would tell the two small ones are 0: one of them is hidden too
    assert "x" in (baselines[0], baselines[3])
    assert shown["by_consultant"]["rk-anna"][0] == "<3"
    # no published cell lets a reader work a small one out (the suppression module's reader)
    from projections.suppression import disclosed, suppress

    hidden = suppress(report.counts, report.groups, 3)
    assert disclosed(report.counts, report.groups, hidden, 3) == set()
    assert all(hidden.get(key) for key, n in report.counts.items() if n < 3)


# Time to event ------------------------------------------------------------------------------


def test_time_to_a_job_from_baseline_is_censored_at_exit(history: History) -> None:
    found = observations(history.courses(), ("job",), "baseline", AS_OF)

    # A 1 Feb - 2 May; B 10 Feb - 1 Jul; D censored at its exit 1 Mar - 15 Aug; C has no baseline
    assert sorted(found, key=lambda o: o.days) == [
        Observation(91, "job"),
        Observation(142, "job"),
        Observation(167, None),
    ]


def test_time_to_an_unplanned_exit_from_referral(history: History) -> None:
    found = observations(history.courses(), ("unplanned exit",), "referral", AS_OF)

    # C 17 d; A censored at its planned exit (153 d); D 192 d; B censored at the as-of date
    assert sorted(found, key=lambda o: o.days) == [
        Observation(17, "unplanned exit"), Observation(153, None),
        Observation(192, "unplanned exit"), Observation(254, None),
    ]  # fmt: skip


def test_an_open_course_is_censored_at_the_as_of_date(history: History) -> None:
    b = history.course("B", as_of=D(2024, 6, 30))

    assert observations([b], ("job",), "baseline", D(2024, 6, 30)) == [Observation(141, None)]


def test_the_first_of_the_competing_outcomes(history: History) -> None:
    found = observations(history.courses(), COMPETING, "baseline", AS_OF)

    assert sorted((o.days, o.event) for o in found) == [
        (91, "job"),
        (142, "job"),
        (167, "unplanned exit"),
    ]


def test_a_back_dated_job_known_only_later_is_left_out_at_an_earlier_known_at(
    history: History,
) -> None:
    then = history.courses(known_at=history.before_b_job)

    assert observations([c for c in then if c.course_id == history.ids["B"]], ("job",),
                        "baseline", AS_OF) == [Observation(233, None)]  # fmt: skip
    assert way_into_work(then) == [WayIntoWork((2024, 2), via_praktik=1, direct=0)]
    assert trends(then)[1]["jobs started"] == [0, 1, 0]
    report = time_to_event_report(then, "baseline", AS_OF)
    assert report.table("medians").value("job", "reached") == 1
    assert (
        time_to_event_report(history.courses(), "baseline", AS_OF)
        .table("medians")
        .value("job", "reached")
        == 2
    )


def test_the_time_to_event_tables_count_at_risk_per_interval(history: History) -> None:
    km = time_to_event_report(history.courses(), "baseline", AS_OF, width=100).table("km_job")

    # days 0-99: 3 at risk, A reached; 100-199: B reached, D censored
    assert [(label, [c.value for c in cells][:3]) for label, cells in km.rows] == [
        ("day 0–99", [3, 1, 0]), ("day 100–199", [2, 1, 1])
    ]  # fmt: skip
    # after A's job on day 91: 2 of 3 not yet reached; after B's on day 142 and D censored: 1/3
    assert km.value("day 0–99", "% not yet reached") == 66.7
    assert km.value("day 100–199", "% not yet reached") == 33.3


# The view's new columns ------------------------------------------------------------------


def test_an_outcomes_view_from_before_the_consultant_column_is_rebuilt_from_the_log(
    history: History, store: StoreConfig, service: CourseService
) -> None:
    view = history.view
    with view.transaction(commit=True) as c:  # the table as the previous version made it
        for column in NEW_COLUMNS:
            c.execute(f"ALTER TABLE {view.table('outcomes_facts')} DROP COLUMN {column}")
    if store.database_url is not None:  # PostgreSQL: the owner's `forloeb init` resets it
        create_schema(store)

    with open_views(store, app=service) as reopened:
        reopened.catch_up()
        rebuilt = reopened.view("outcomes")
        assert isinstance(rebuilt, OutcomesView)
        courses = rebuilt.courses(Cohort(PROGRAMME), AS_OF)

    assert {c.consultant for c in courses} == {"rk-bo", "rk-anna", None}
    assert len(courses) == 4


def test_a_corrected_consultant_counts_from_when_the_correction_was_recorded(
    clinic: Clinic, views: Views
) -> None:
    course = clinic.refer("0606905678", D(2024, 1, 2))
    accept = cmd.Accept(course=course, occurred_on=D(2024, 1, 9), consultant="rk-bo")
    version = clinic.service.execute(accept, ACTOR).versions[0]
    before = moment()
    clinic.do(cmd.Correct, course, D(2024, 1, 10), version=version, reason="wrong name",
              changes={"consultant": "rk-anna"})  # fmt: skip
    views.catch_up()
    view = views.view("outcomes")
    assert isinstance(view, OutcomesView)

    def consultants(known_at: datetime | None) -> dict[str, int]:
        found = breakdown(view.courses(Cohort(PROGRAMME), AS_OF, known_at), by_consultant)
        return {group: row["referred"] for group, row in found.items()}

    assert consultants(before) == {"rk-bo": 1}
    assert consultants(None) == {"rk-anna": 1}
