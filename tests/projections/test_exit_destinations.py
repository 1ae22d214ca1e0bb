"""Planned-exit destinations a programme's definition adds, on both stores.

Given a municipality's own definition adding revalidation (revalidering) as a
destination of a planned exit (the DISCUS mapping, seed 000, names approving
revalidation plans as a municipal authority task; no shipped programme's report names a
destination beyond job, education and disability pension), when its courses exit onto it,
onto disability pension or after a job, then VIVE's status table (from the kept sums and
from the courses), the completion table and the outcome kinds count each destination
apart, by its title where the table has the definition, and the export's codebook
allows it. The same exit on a shipped
programme's course is refused in one line naming the field and nothing is written,
through the service and through import lines alike.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from cli.bootstrap import create_schema, open_service
from cli.importer import import_lines
from domain.errors import InvalidInput
from domain.events import ExitedPlanned
from domain.programme import ProgrammeDefinition
from domain.values import ExitOnto
from programmes.catalogue import parse, shipped
from programmes.outcome_tables import programme_report
from projections.catalog import Views, open_views
from projections.codebook import field_schema
from projections.export import export_tables
from projections.milestones import MilestonesView
from projections.outcomes import Cohort, OutcomesView
from projections.outcomes_course import CourseOutcome
from projections.outcomes_report import Report
from projections.outcomes_tables import build_report
from storage.keks import KEK_DIR_ENV
from storage.secrets import MASTER_KEY_ENV
from storage.store import StoreConfig
from tests.projections.history import ACTOR, Clinic
from workflows import commands as cmd
from workflows.service import CourseService

FIXTURE = Path(__file__).parent / "fixtures" / "store_before_destinations"
"""A store made by the code of main at 133d598 (before destinations could be added), with
its own master key and KEK folder, by these commands:

    refer 010180-1234 --programme oph (d15ab1ed), accept, complete,
        exit --planned --onto disability_pension
    refer 020280-1235 --programme oph (0b5e55ed), accept, job start, complete,
        exit --planned
"""
PENSIONED = UUID("d15ab1ed-0e70-4a66-adf0-6a4f9c509443")
D = date
AS_OF = D(2020, 1, 1)
OWN = "eget"
DEFINITION = """
name = "eget"
title = "Eget forløb"
source = "kommunens beskrivelse"
entry_routes = ["caseworker_referral"]
outcome_tables = ["completion", "outcome-kinds"]

[moves]
baseline_forms = false

[[outcomes.exit_destinations]]
code = "revalidering"
title = "onto revalidation (revalidering)"

[roles.consultant]
title = "Konsulent"
may = ["accept", "start_job", "complete_programme", "exit_planned", "exit_pension",
       "exit_unplanned", "correct"]
"""


@pytest.fixture
def own(store: StoreConfig, tmp_path: Path) -> Iterator[tuple[Clinic, Views]]:
    """A caseworker and the views, on a store whose municipality adds its own programme."""
    folder = tmp_path / "programmes"
    folder.mkdir()
    (folder / f"{OWN}.toml").write_text(DEFINITION, encoding="utf-8")
    service = open_service(store, programmes=folder)
    views = open_views(store, app=service)
    yield Clinic(service), views
    views.close()
    service.close()


def accepted(clinic: Clinic, cpr: str, programme: str = OWN) -> str:
    course = clinic.refer(cpr, D(2019, 1, 2), programme=programme)
    clinic.do(cmd.Accept, course, D(2019, 1, 3), consultant="rk-bo")
    return course


def pulled(views: Views) -> tuple[list[CourseOutcome], OutcomesView, MilestonesView]:
    views.catch_up()
    outcomes, milestones = views.view("outcomes"), views.view("milestones")
    assert isinstance(outcomes, OutcomesView) and isinstance(milestones, MilestonesView)
    return outcomes.courses(Cohort(OWN), AS_OF), outcomes, milestones


def parse_own() -> ProgrammeDefinition:
    return parse(DEFINITION, f"{OWN}.toml", OWN)


def own_report(courses: list[CourseOutcome], milestones: MilestonesView) -> Report:
    """The tables the municipality's definition names, for its courses."""
    return programme_report(
        parse_own(), courses, lambda: milestones.course_milestones(OWN, AS_OF)
    )


def test_each_destination_is_counted_apart(own: tuple[Clinic, Views]) -> None:
    clinic, views = own
    onto_revalidation = accepted(clinic, "0101801234")
    clinic.do(cmd.Complete, onto_revalidation, D(2019, 5, 1))
    clinic.do(cmd.Exit, onto_revalidation, D(2019, 5, 2), planned=True, onto="revalidering")
    onto_pension = accepted(clinic, "0202801234")
    clinic.do(cmd.Exit, onto_pension, D(2019, 6, 1), planned=True, onto="disability_pension")
    after_job = accepted(clinic, "0303801234")
    clinic.do(cmd.JobStart, after_job, D(2019, 3, 1), employer="Netto", hours_per_week=37)
    clinic.do(cmd.Complete, after_job, D(2019, 7, 1))
    clinic.do(cmd.Exit, after_job, D(2019, 7, 2), planned=True)
    left = accepted(clinic, "0404801234")
    clinic.do(cmd.Exit, left, D(2019, 4, 1), planned=False, reason="not_motivated")

    courses, outcomes, milestones = pulled(views)

    assert {c.exit_after for c in courses} == {"revalidering", "disability_pension", "job", None}
    for status in (
        build_report(courses).table("status"),
        outcomes.report(Cohort(OWN), AS_OF).table("status"),  # from the kept sums
    ):
        assert status.value("planned exit", "n") == 3
        assert status.value("  after job", "n") == 1
        assert status.value("  after education", "n") == 0
        assert status.value("  onto disability_pension", "n") == 1
        assert status.value("  onto revalidering", "n") == 1
        assert status.value("unplanned exit", "n") == 1
    report = own_report(courses, milestones)
    completion = report.table("completion")
    assert completion.value("completed the programme", "all n") == 2
    assert completion.value("ended otherwise (planned exit)", "all n") == 1
    assert completion.value("  onto disability pension (førtidspension)", "all n") == 1
    assert completion.value("  onto revalidation (revalidering)", "all n") == 0
    assert completion.value("  in work", "all n") == 0
    kinds = report.table("outcome_kinds")
    assert kinds.value("completed the programme", "n") == 2
    assert kinds.value("in work", "n") == 1
    assert kinds.value("onto revalidation (revalidering)", "n") == 1
    assert kinds.value("onto disability pension (førtidspension)", "n") == 0
    assert kinds.value("left otherwise", "n") == 0
    [exported, _] = export_tables(courses, b"k", AS_OF, parse_own().outcomes)
    [after] = [field_schema(c) for c in exported.columns if c.name == "exit_after"]
    allowed = after["constraints"]["enum"]
    assert allowed == ["job", "education", "disability_pension", "revalidering"]
    assert {row["exit_after"] for row in exported.rows} - {None} <= set(allowed)


def test_another_programmes_destination_is_refused_and_nothing_is_written(
    own: tuple[Clinic, Views],
) -> None:
    clinic, _ = own
    course = accepted(clinic, "0505801234", programme="oph")
    before = clinic.service.get_course(UUID(course)).version

    with pytest.raises(InvalidInput) as refused:
        clinic.do(cmd.Exit, course, D(2019, 5, 1), planned=True, onto="revalidering")

    assert str(refused.value) == "onto: revalidering is not one of oph's (disability_pension)"
    assert clinic.service.get_course(UUID(course)).version == before


def test_import_lines_take_the_programmes_destination_and_refuse_anothers(
    own: tuple[Clinic, Views],
) -> None:
    clinic, views = own
    mine, theirs = accepted(clinic, "0606801234"), accepted(clinic, "0707801234", "oph")
    service: CourseService = clinic.service
    versions = {c: service.get_course(UUID(c)).version for c in (mine, theirs)}

    def line(course: str) -> str:
        return json.dumps({"command": "exit", "course": course, "occurred_on": "2019-05-01",
                           "planned": True, "onto": "revalidering"})  # fmt: skip

    imported = import_lines(service, [line(mine), line(theirs)], ACTOR)

    assert imported.applied == 1
    [refusal] = imported.refused
    assert (refusal.line, refusal.reason) == (
        2,
        "onto: revalidering is not one of oph's (disability_pension)",
    )
    assert service.get_course(UUID(mine)).version == versions[mine] + 1
    assert service.get_course(UUID(theirs)).version == versions[theirs]
    courses, _, _ = pulled(views)
    assert [c.exit_after for c in courses] == ["revalidering"]


def test_an_old_stores_disability_pension_exit_reads_and_counts_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MASTER_KEY_ENV, raising=False)
    shutil.copytree(FIXTURE, tmp_path / "old")
    (tmp_path / "old" / "keks").chmod(0o700)
    monkeypatch.setenv(KEK_DIR_ENV, str(tmp_path / "old" / "keks"))
    store = StoreConfig(sqlite_path=tmp_path / "old" / "old.sqlite")
    create_schema(store)  # `forloeb init`, the upgrade step
    service = open_service(store)
    try:
        exited = service.course_events(PENSIONED)[-1]
        assert isinstance(exited, ExitedPlanned)
        assert exited.after is ExitOnto.DISABILITY_PENSION
        with open_views(store, app=service) as views:
            views.catch_up()
            outcomes, milestones = views.view("outcomes"), views.view("milestones")
            assert isinstance(outcomes, OutcomesView) and isinstance(milestones, MilestonesView)
            courses = outcomes.courses(Cohort("oph"), AS_OF)
            oph = shipped().require("oph").definition
            report = programme_report(
                oph, courses, lambda: milestones.course_milestones("oph", AS_OF)
            )
            status = build_report(courses).table("status")
    finally:
        service.close()
    kinds = report.table("outcome_kinds")
    assert kinds.value("completed the programme", "n") == 2
    assert kinds.value("in work", "n") == 1
    assert kinds.value("onto disability pension (førtidspension)", "n") == 1
    assert report.table("completion").value("completed the programme", "all n") == 2
    assert status.value("planned exit", "n") == 2
    assert status.value("  after job", "n") == 1
    assert status.value("  onto disability_pension", "n") == 1
