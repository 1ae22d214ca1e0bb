"""Programme definitions: the shipped files load; a bad file is refused naming the file and
the field; a municipality's own folder adds programmes and replaces shipped ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.programme import EntryRoute
from programmes.catalogue import ProgrammeFileError, load, shipped

SHIPPED = ["faxe-m3", "mb", "oph", "paa-vej-til-arbejde", "vaerestedsmodel"]

MINIMAL = """
name = "{name}"
title = "Eget forløb"
source = "kommunens beskrivelse"
entry_routes = ["self_referral"]
[roles.consultant]
title = "Konsulent"
may = ["session"]
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_five_programmes_of_the_reports_are_shipped() -> None:
    assert shipped().names() == SHIPPED


def test_each_shipped_definition_states_what_its_report_says() -> None:
    oph = shipped().require("oph").definition
    assert [c.name for c in oph.cohorts] == ["hold-1", "hold-2", "hold-3"]
    assert (str(oph.cohorts[0].start), str(oph.cohorts[-1].end)) == ("2007-08-01", "2010-05-31")
    drop_in = shipped().require("vaerestedsmodel").definition
    assert set(drop_in.entry_routes) == set(EntryRoute)
    partners = {role for role, grant in drop_in.roles.items() if grant.partner}
    assert partners == {"outreach_addiction_worker", "support_contact_person"}
    assert "session" in drop_in.roles["outreach_addiction_worker"].may
    assert not drop_in.moves.baseline_forms
    assert shipped().require("paa-vej-til-arbejde").definition.moves.baseline_forms


def test_a_cohort_is_found_by_its_referral_date() -> None:
    oph = shipped().require("oph").definition
    from datetime import date

    assert oph.cohort_of(date(2008, 9, 1)) == "hold-2"
    assert oph.cohort_of(date(2011, 1, 1)) is None


def test_a_municipalitys_own_definition_is_added_without_code(tmp_path: Path) -> None:
    write(tmp_path, "eget-forloeb", MINIMAL.format(name="eget-forloeb"))
    catalogue = load(tmp_path)
    assert catalogue.names() == sorted([*SHIPPED, "eget-forloeb"])
    assert catalogue.require("eget-forloeb").origin == str(tmp_path / "eget-forloeb.toml")
    assert catalogue.require("oph").origin == "shipped"


def test_a_local_file_replaces_the_shipped_one_of_the_same_name(tmp_path: Path) -> None:
    write(tmp_path, "oph", MINIMAL.format(name="oph"))
    assert load(tmp_path).require("oph").definition.title == "Eget forløb"


def test_without_a_local_folder_the_shipped_definitions_are_used(tmp_path: Path) -> None:
    assert load(tmp_path / "missing").names() == SHIPPED


BAD = [
    ("not toml", 'name = "x', "not TOML"),
    (
        "unknown move",
        MINIMAL + '[moves]\nleave_out = ["fly"]\n',
        "moves.leave_out: unknown move fly",
    ),
    (
        "backbone move",
        MINIMAL + '[moves]\nleave_out = ["accept"]\n',
        "moves.leave_out: accept is part of every programme",
    ),
    (
        "role naming a left-out move",
        MINIMAL + '[moves]\nleave_out = ["session"]\n',
        "roles.consultant.may: session is left out of this programme",
    ),
    ("unknown entry route", MINIMAL.replace("self_referral", "walk_in"), "entry_routes.0"),
    ("no roles", MINIMAL.split("[roles")[0], "roles"),
    ("unknown field", MINIMAL + 'colour = "blue"\n', "colour"),
    (
        "cohort ending before it starts",
        MINIMAL + '[[cohorts]]\nname = "a"\nstart = 2010-01-01\nend = 2009-01-01\n',
        "cohorts.0",
    ),
    (
        "a backbone job kind added again",
        MINIMAL + '[[outcomes.job_kinds]]\ncode = "flexjob"\ntitle = "fleksjob"\n',
        "outcomes.job_kinds: flexjob is a job kind of every programme",
    ),
    (
        "a backbone exit reason added again",
        MINIMAL + '[[outcomes.exit_reasons]]\ncode = "other"\ntitle = "andet"\n',
        "outcomes.exit_reasons: other is an exit reason of every programme",
    ),
    (
        "an added code named twice",
        MINIMAL + '[[outcomes.job_kinds]]\ncode = "laere"\ntitle = "a"\n'
        '[[outcomes.job_kinds]]\ncode = "laere"\ntitle = "b"\n',
        "outcomes.job_kinds: laere named twice",
    ),
    (
        "an added code that is not a code",
        MINIMAL + '[[outcomes.exit_reasons]]\ncode = "Flyttet væk"\ntitle = "a"\n',
        "outcomes.exit_reasons.0.code",
    ),
    (
        "the backbone's destination added again",
        MINIMAL + '[[outcomes.exit_destinations]]\ncode = "disability_pension"\ntitle = "p"\n',
        "outcomes.exit_destinations: disability_pension is a planned-exit destination of "
        "every programme",
    ),
    (
        "a job as a destination",
        MINIMAL + '[[outcomes.exit_destinations]]\ncode = "job"\ntitle = "i arbejde"\n',
        "outcomes.exit_destinations: job is a planned-exit destination of every programme",
    ),
    (
        "a destination named twice",
        MINIMAL + '[[outcomes.exit_destinations]]\ncode = "revalidering"\ntitle = "a"\n'
        '[[outcomes.exit_destinations]]\ncode = "revalidering"\ntitle = "b"\n',
        "outcomes.exit_destinations: revalidering named twice",
    ),
    (
        "a destination that is not a code",
        MINIMAL + '[[outcomes.exit_destinations]]\ncode = "Revalidering"\ntitle = "a"\n',
        "outcomes.exit_destinations.0.code",
    ),
    (
        "a destination without a title",
        MINIMAL + '[[outcomes.exit_destinations]]\ncode = "revalidering"\n',
        "outcomes.exit_destinations.0.title",
    ),
    (
        "unknown outcome table",
        MINIMAL.replace(
            'entry_routes = ["self_referral"]',
            'entry_routes = ["self_referral"]\noutcome_tables = ["vive-9.9"]',
        ),
        "outcome_tables: unknown table vive-9.9 (known: vive, ",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_definition_is_refused_naming_the_file_and_the_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, "eget", text.replace("{name}", "eget"))
    with pytest.raises(ProgrammeFileError) as refused:
        load(tmp_path)
    message = str(refused.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_a_definition_must_carry_the_name_of_its_file(tmp_path: Path) -> None:
    path = write(tmp_path, "eget", MINIMAL.format(name="andet"))
    with pytest.raises(ProgrammeFileError, match="name: andet differs from the file name"):
        load(tmp_path)
    assert path.exists()


def test_the_outcome_table_slugs_a_definition_may_name_are_the_tables_there_are() -> None:
    from programmes.outcome_tables import slugs
    from programmes.table_slugs import OUTCOME_TABLE_SLUGS

    assert tuple(slugs()) == OUTCOME_TABLE_SLUGS


def test_each_shipped_definition_names_the_tables_of_its_report() -> None:
    tables = {name: shipped().require(name).definition.outcome_tables for name in SHIPPED}
    assert tables == {
        "faxe-m3": ("profiles",),
        "mb": ("completion", "outcome-kinds", "follow-up"),
        "oph": ("completion", "outcome-kinds"),
        "paa-vej-til-arbejde": ("vive", "goals", "follow-up"),
        "vaerestedsmodel": ("contacts", "no-shows"),
    }


def test_a_definition_adds_job_kinds_and_exit_reasons_after_the_backbones(tmp_path: Path) -> None:
    text = MINIMAL + (
        '[[outcomes.job_kinds]]\ncode = "apprenticeship"\ntitle = "læreplads"\n'
        '[[outcomes.exit_reasons]]\ncode = "prison"\ntitle = "afsoner dom"\n'
    )
    write(tmp_path, "eget", text.replace("{name}", "eget"))
    outcomes = load(tmp_path).require("eget").definition.outcomes
    assert outcomes.job_kind_codes() == ("ordinary", "flexjob", "wage_subsidy", "apprenticeship")
    assert outcomes.exit_reason_codes()[-2:] == ("other", "prison")


def test_a_definition_adds_planned_exit_destinations_after_disability_pension(
    tmp_path: Path,
) -> None:
    text = MINIMAL + (
        '[[outcomes.exit_destinations]]\ncode = "revalidering"\ntitle = "revalidering"\n'
    )
    write(tmp_path, "eget", text.replace("{name}", "eget"))
    outcomes = load(tmp_path).require("eget").definition.outcomes
    assert outcomes.exit_destination_codes() == ("disability_pension", "revalidering")
    assert shipped().require("oph").definition.outcomes.exit_destination_codes() == (
        "disability_pension",
    )
