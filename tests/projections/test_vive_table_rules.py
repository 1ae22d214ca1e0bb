"""VIVE's distribution tables on courses made by hand: who is counted, what is an answer."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.values import CourseState
from projections.outcomes_course import CourseOutcome, Form, Job
from projections.outcomes_report import SECONDARY_MARK
from projections.outcomes_tables import build_report

D = date(2020, 1, 1)


def staff(point: int, versions: dict[str, int], **items: Any) -> Form:
    """A staff form with these `instrument.item` answers."""
    answers = {f"staff_assessment.{key}": value for key, value in items.items()}
    return Form(point, "staff", D, items={**answers, "versions": versions})


def citizen(point: int, mental: str | None, physical: str | None) -> Form:
    """A citizen form with the two self-ratings."""
    return Form(point, "citizen", D, mental, physical)


def course(
    n: int, *forms: Form, state: CourseState = CourseState.ACTIVE, **facts: Any
) -> CourseOutcome:
    made = CourseOutcome(f"c{n}", "mb", f"{n:010d}", referred_on=D, baseline_on=D, state=state)
    made.forms = {(f.point, f.form): f for f in forms}
    for name, value in facts.items():
        setattr(made, name, value)
    return made


def test_dont_know_is_an_answer_and_a_blank_is_not() -> None:
    v2 = {"staff_assessment": 2}
    courses = [
        course(1, staff(1, v2, everyday_functions="high")),
        course(2, staff(1, v2, everyday_functions="high")),
        course(3, staff(1, v2, everyday_functions="dont_know")),
        course(4, staff(1, v2)),
    ]
    table = build_report(courses).table("4.7")
    column = "point 1"

    assert table.value("Dagligdags funktioner: forms (n)", column) == 4
    assert table.value("Dagligdags funktioner: answered", column) == 3
    assert table.value("Dagligdags funktioner: Ja, i høj grad", f"{column} %") == 67
    assert table.value("Dagligdags funktioner: Ved ikke", f"{column} %") == 33


def test_only_the_versions_asking_the_same_question_are_counted() -> None:
    v1 = {"staff_assessment": 1}
    courses = [course(1, staff(1, v1, psychiatric_diagnosis="yes", daily_functioning=3))]
    report = build_report(courses)

    diagnosis = "point 1"
    assert report.table("4.3").value("Psykiatrisk diagnose: Ja", diagnosis) == 1
    everyday = "point 1"
    assert report.table("4.7").value("Dagligdags funktioner: answered", everyday) == 0


def test_courses_without_a_baseline_are_not_counted() -> None:
    v2 = {"staff_assessment": 2}
    waiting = course(1, staff(1, v2, own_economy="high"), baseline_on=None)
    table = build_report([waiting]).table("4.7")

    assert table.value("Egen økonomi: forms (n)", "point 1") == 0


def test_age_is_counted_on_the_day_of_the_baseline() -> None:
    courses = [
        course(1, staff(1, {}), born=date(1990, 1, 2)),  # 29 on 2020-01-01
        course(2, staff(1, {}), born=date(1990, 1, 1)),  # 30 that day
    ]
    table = build_report(courses).table("4.1")

    assert table.value("Alder: 25-29 år", "point 1") == 1
    assert table.value("Alder: 30-39 år", "point 1") == 1


def test_self_ratings_by_status_and_by_work() -> None:
    courses = [
        course(1, citizen(1, "good", "poor")),
        course(2, citizen(1, "good", "good"), state=CourseState.EXITED_PLANNED, exit_after="job",
               jobs=[Job(D, 20, False)]),
        course(3, citizen(1, None, "poor"), state=CourseState.EXITED_UNPLANNED,
               exit_reason="other"),
    ]  # fmt: skip
    report = build_report(courses)
    by_status, by_work = report.table("5.2"), report.table("6.2")

    assert by_status.value("Psykisk helbred: Godt", "planlagt afsluttet") == 1
    assert by_status.value("Psykisk helbred: answered", "Total") == 2
    assert by_status.value("Fysisk helbred: Dårligt", "Total %") == 67
    assert by_work.value("Fysisk helbred: Godt", "i beskæftigelse %") == 100


def test_a_small_group_cannot_be_worked_out_from_the_total() -> None:
    courses = [course(n, citizen(1, "good", "good")) for n in range(12)]
    courses += [
        course(20, citizen(1, "good", "good"), state=CourseState.EXITED_PLANNED,
               exit_after="job"),
    ]  # fmt: skip
    [shown] = [t for t in build_report(courses).shown(below=3) if t["name"] == "5.2"]
    cells = {row["label"]: row["cells"] for row in shown["rows"]}
    index = shown["columns"].index

    good = cells["Psykisk helbred: Godt"]
    assert good[index("planlagt afsluttet")] == "<3"
    others = [good[index(c)] for c in ("igangværende", "Total")]
    assert SECONDARY_MARK in others  # else 13 - 12 gives the planned exit's answer


def test_table_4_5_cells_are_shares_of_all_answering_both() -> None:
    courses = [
        course(1, citizen(1, "poor", "poor")),
        course(2, citizen(1, "poor", "good")),
        course(3, citizen(1, "good", "good")),
        course(4, citizen(1, None, "good")),
    ]
    table = build_report(courses).table("4.5")

    assert table.value("Total (n)", "Total") == 3
    assert table.value("psykisk: Dårligt", "Godt %") == 33
    assert table.value("psykisk: Dårligt", "Total %") == 67
    assert table.value("Total (n)", "Godt") == 2
