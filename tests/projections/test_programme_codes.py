"""Job kinds and exit reasons a programme's definition adds (SQLite and PostgreSQL).

Given OPH's definition adding the apprenticeship as a kind of work and Faxe M3's adding
"rematched to M2" as a reason to leave early, when courses of those programmes record
them, then the commands accept them and the views count them (VIVE's status table and
the programme tables); a programme that does not add them refuses them in one line
naming the field, and nothing is recorded; a correction to one is checked the same way.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.errors import InvalidInput
from programmes.catalogue import shipped
from programmes.outcome_tables import programme_report
from projections.catalog import Views
from projections.milestones import MilestonesView
from projections.outcomes import Cohort, OutcomesView
from projections.outcomes_tables import build_report
from tests.projections.history import PROGRAMME, Clinic
from workflows import commands as cmd

D = date
AS_OF = D(2020, 1, 1)


def accepted(clinic: Clinic, cpr: str, programme: str) -> str:
    course = clinic.refer(cpr, D(2019, 1, 2), programme=programme)
    clinic.do(cmd.Accept, course, D(2019, 1, 3), consultant="rk-bo")
    return course


def pulled(views: Views, programme: str) -> tuple[OutcomesView, MilestonesView]:
    views.catch_up()
    outcomes, milestones = views.view("outcomes"), views.view("milestones")
    assert isinstance(outcomes, OutcomesView) and isinstance(milestones, MilestonesView)
    return outcomes, milestones


def test_an_apprenticeship_is_a_job_kind_of_oph_and_counted_apart(
    clinic: Clinic, views: Views
) -> None:
    course = accepted(clinic, "0101801234", "oph")
    clinic.do(cmd.JobStart, course, D(2019, 3, 1), employer="Tømreren", hours_per_week=37,
              kind="apprenticeship")  # fmt: skip
    clinic.do(cmd.Complete, course, D(2019, 6, 1))
    clinic.do(cmd.Exit, course, D(2019, 6, 2), planned=True)

    outcomes, milestones = pulled(views, "oph")
    courses = outcomes.courses(Cohort("oph"), AS_OF)
    oph = shipped().require("oph").definition
    report = programme_report(oph, courses, lambda: milestones.course_milestones("oph", AS_OF))

    kinds = report.table("outcome_kinds")
    assert kinds.value("in work", "n") == 1
    assert kinds.value("  apprenticeship (læreplads)", "n") == 1
    assert kinds.value("  ordinary hours", "n") == 0
    assert kinds.value("  kind not recorded", "n") == 0


def test_a_programme_that_does_not_add_a_job_kind_refuses_it(clinic: Clinic) -> None:
    course = accepted(clinic, "0202801234", PROGRAMME)
    clinic.baseline(course, D(2019, 2, 1))
    before = clinic.service.get_course(UUID(course)).version

    with pytest.raises(InvalidInput) as refused:
        clinic.do(cmd.JobStart, course, D(2019, 3, 1), employer="Netto", hours_per_week=20,
                  kind="apprenticeship")  # fmt: skip

    assert str(refused.value) == (
        "kind: apprenticeship is not one of paa-vej-til-arbejde's (ordinary, flexjob, wage_subsidy)"
    )
    assert clinic.service.get_course(UUID(course)).version == before


def test_rematched_to_m2_is_an_exit_reason_of_faxe_m3_and_counted(
    clinic: Clinic, views: Views
) -> None:
    course = accepted(clinic, "0303801234", "faxe-m3")
    clinic.do(cmd.Exit, course, D(2019, 5, 1), planned=False, reason="rematched_m2")
    other = accepted(clinic, "0404801234", "faxe-m3")
    clinic.do(cmd.Exit, other, D(2019, 5, 1), planned=False, reason="not_motivated")

    outcomes, milestones = pulled(views, "faxe-m3")
    courses = outcomes.courses(Cohort("faxe-m3"), AS_OF)
    status = build_report(courses).table("status")
    assert status.value("  rematched_m2", "n") == 1
    assert status.value("unplanned exit", "n") == 2
    faxe = shipped().require("faxe-m3").definition
    report = programme_report(
        faxe, courses, lambda: milestones.course_milestones("faxe-m3", AS_OF),
        chosen=("completion",),
    )  # fmt: skip
    completion = report.table("completion")
    assert completion.value("left early (unplanned exit)", "all n") == 2
    assert completion.value("  rematched_m2", "all n") == 1
    assert completion.value("  not_motivated", "all n") == 1


def test_a_programme_that_does_not_add_an_exit_reason_refuses_it(clinic: Clinic) -> None:
    course = accepted(clinic, "0505801234", "oph")
    with pytest.raises(InvalidInput, match=r"^reason: rematched_m2 is not one of oph's \("):
        clinic.do(cmd.Exit, course, D(2019, 5, 1), planned=False, reason="rematched_m2")
    waiting = clinic.refer("0606801234", D(2019, 1, 2), programme="oph")
    with pytest.raises(InvalidInput, match=r"^reason: rematched_m2 is not one of oph's \("):
        clinic.do(cmd.Reject, waiting, D(2019, 1, 3), reason="rematched_m2")


def test_a_correction_to_a_kind_the_programme_lacks_is_refused(
    clinic: Clinic, views: Views
) -> None:
    course = accepted(clinic, "0707801234", "oph")
    clinic.do(cmd.JobStart, course, D(2019, 3, 1), employer="Netto", hours_per_week=20)
    job = clinic.service.get_course(UUID(course)).version

    with pytest.raises(InvalidInput, match=r"^kind: bestyrer is not one of oph's \("):
        clinic.do(cmd.Correct, course, D(2019, 3, 2), version=job, reason="fejl",
                  changes={"kind": "bestyrer"})  # fmt: skip
    clinic.do(cmd.Correct, course, D(2019, 3, 2), version=job, reason="var en læreplads",
              changes={"kind": "apprenticeship"})  # fmt: skip

    _, milestones = pulled(views, "oph")
    reached = milestones.course_milestones("oph", AS_OF)[course].reached
    assert [(m, kind) for m, kind, _ in reached] == [("job", "apprenticeship")]
